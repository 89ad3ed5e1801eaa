#include "data_schema.hpp"

#include "tenancy/events.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancyd {

tenancy::Schema ServerSchema() {
  tenancy::Schema s;
  s.migrations.push_back(
      {1, "create vehicles",
       "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL, plate TEXT NOT NULL, "
       "model TEXT NOT NULL, seats INTEGER NOT NULL, status TEXT NOT NULL, "
       "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));",
       "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL, plate TEXT NOT NULL, "
       "model TEXT NOT NULL, seats BIGINT NOT NULL, status TEXT NOT NULL, "
       "created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"});
  s.migrations.push_back(
      {2, "create drivers",
       "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, name BLOB NOT NULL, "
       "phone BLOB, vehicle_id TEXT, availability TEXT NOT NULL, lon REAL, lat REAL, "
       "located_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, "
       "PRIMARY KEY (tenant_id, id));",
       "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, name BYTEA NOT NULL, "
       "phone BYTEA, vehicle_id TEXT, availability TEXT NOT NULL, lon DOUBLE PRECISION, "
       "lat DOUBLE PRECISION, located_at BIGINT, created_at BIGINT NOT NULL, "
       "updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"});
  s.migrations.push_back(
      {3, "create rides",
       "CREATE TABLE rides (tenant_id TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, "
       "rider_name BLOB, rider_phone BLOB, pickup_lon REAL NOT NULL, pickup_lat REAL NOT NULL, "
       "dropoff_lon REAL NOT NULL, dropoff_lat REAL NOT NULL, pickup_zone TEXT NOT NULL, "
       "driver_id TEXT, currency TEXT NOT NULL, quoted_fare INTEGER NOT NULL, "
       "est_distance_m INTEGER NOT NULL, est_duration_s INTEGER NOT NULL, fare INTEGER, "
       "distance_m INTEGER, duration_s INTEGER, cancel_reason TEXT, "
       "idempotency_key TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, "
       "started_at INTEGER, ended_at INTEGER, PRIMARY KEY (tenant_id, id));",
       "CREATE TABLE rides (tenant_id TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, "
       "rider_name BYTEA, rider_phone BYTEA, pickup_lon DOUBLE PRECISION NOT NULL, "
       "pickup_lat DOUBLE PRECISION NOT NULL, dropoff_lon DOUBLE PRECISION NOT NULL, "
       "dropoff_lat DOUBLE PRECISION NOT NULL, pickup_zone TEXT NOT NULL, driver_id TEXT, "
       "currency TEXT NOT NULL, quoted_fare BIGINT NOT NULL, est_distance_m BIGINT NOT NULL, "
       "est_duration_s BIGINT NOT NULL, fare BIGINT, distance_m BIGINT, duration_s BIGINT, "
       "cancel_reason TEXT, idempotency_key TEXT NOT NULL, created_at BIGINT NOT NULL, "
       "updated_at BIGINT NOT NULL, started_at BIGINT, ended_at BIGINT, "
       "PRIMARY KEY (tenant_id, id));"});
  s.migrations.push_back(
      {4, "create ride_keys",
       "CREATE TABLE ride_keys (tenant_id TEXT NOT NULL, idem_key TEXT NOT NULL, "
       "ride_id TEXT NOT NULL, request_digest TEXT NOT NULL, created_at INTEGER NOT NULL, "
       "PRIMARY KEY (tenant_id, idem_key));",
       "CREATE TABLE ride_keys (tenant_id TEXT NOT NULL, idem_key TEXT NOT NULL, "
       "ride_id TEXT NOT NULL, request_digest TEXT NOT NULL, created_at BIGINT NOT NULL, "
       "PRIMARY KEY (tenant_id, idem_key));"});
  s.migrations.push_back(
      {5, "create receipts",
       "CREATE TABLE receipts (tenant_id TEXT NOT NULL, ride_id TEXT NOT NULL, rider_name BLOB, "
       "currency TEXT NOT NULL, base INTEGER NOT NULL, distance_fare INTEGER NOT NULL, "
       "time_fare INTEGER NOT NULL, surge_milli INTEGER NOT NULL, "
       "rule_adjustment INTEGER NOT NULL, minimum_applied INTEGER NOT NULL, "
       "total INTEGER NOT NULL, distance_m INTEGER NOT NULL, duration_s INTEGER NOT NULL, "
       "pickup_zone TEXT NOT NULL, issued_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, ride_id));",
       "CREATE TABLE receipts (tenant_id TEXT NOT NULL, ride_id TEXT NOT NULL, rider_name BYTEA, "
       "currency TEXT NOT NULL, base BIGINT NOT NULL, distance_fare BIGINT NOT NULL, "
       "time_fare BIGINT NOT NULL, surge_milli BIGINT NOT NULL, rule_adjustment BIGINT NOT NULL, "
       "minimum_applied BIGINT NOT NULL, total BIGINT NOT NULL, distance_m BIGINT NOT NULL, "
       "duration_s BIGINT NOT NULL, pickup_zone TEXT NOT NULL, issued_at BIGINT NOT NULL, "
       "PRIMARY KEY (tenant_id, ride_id));"});
  // The library's tenant-namespace tables: the event outbox (written in the
  // same transaction as the ride change) and the webhook subscriptions,
  // deliveries and delivery log. They live with the tenant's data in every
  // model and travel with its backups.
  s.migrations.push_back(tenancy::Events::SchemaMigration(6));
  s.migrations.push_back(tenancy::Webhooks::SchemaMigration(7));
  return s;
}

const tenancy::Entity<Vehicle>& VehicleEntity() {
  static const tenancy::Entity<Vehicle> e =
      tenancy::Entity<Vehicle>("vehicles")
          .Key("id", &Vehicle::id, {.max_bytes = 64})
          .Column("plate", &Vehicle::plate, {.max_bytes = 32})
          .Column("model", &Vehicle::model, {.max_bytes = 100})
          .Column("seats", &Vehicle::seats)
          .Column("status", &Vehicle::status, {.max_bytes = 16})
          .Column("created_at", &Vehicle::created_at)
          .Column("updated_at", &Vehicle::updated_at)
          .TenantColumn(&Vehicle::tenant_id);
  return e;
}

const tenancy::Entity<Driver>& DriverEntity() {
  static const tenancy::Entity<Driver> e =
      tenancy::Entity<Driver>("drivers")
          .Key("id", &Driver::id, {.max_bytes = 64})
          .Column("name", &Driver::name, {.max_bytes = 200, .encrypted = true})
          .Column("phone", &Driver::phone, {.max_bytes = 32, .encrypted = true})
          .Column("vehicle_id", &Driver::vehicle_id, {.max_bytes = 64})
          .Column("availability", &Driver::availability, {.max_bytes = 16})
          .Column("lon", &Driver::lon)
          .Column("lat", &Driver::lat)
          .Column("located_at", &Driver::located_at)
          .Column("created_at", &Driver::created_at)
          .Column("updated_at", &Driver::updated_at)
          .TenantColumn(&Driver::tenant_id);
  return e;
}

}  // namespace tenancyd

namespace tenancyd {

const tenancy::Entity<Ride>& RideEntity() {
  static const tenancy::Entity<Ride> e =
      tenancy::Entity<Ride>("rides")
          .Key("id", &Ride::id, {.max_bytes = 64})
          .Column("state", &Ride::state, {.max_bytes = 16})
          .Column("rider_name", &Ride::rider_name, {.max_bytes = 200, .encrypted = true})
          .Column("rider_phone", &Ride::rider_phone, {.max_bytes = 32, .encrypted = true})
          .Column("pickup_lon", &Ride::pickup_lon)
          .Column("pickup_lat", &Ride::pickup_lat)
          .Column("dropoff_lon", &Ride::dropoff_lon)
          .Column("dropoff_lat", &Ride::dropoff_lat)
          .Column("pickup_zone", &Ride::pickup_zone, {.max_bytes = 64})
          .Column("driver_id", &Ride::driver_id, {.max_bytes = 64})
          .Column("currency", &Ride::currency, {.max_bytes = 3})
          .Column("quoted_fare", &Ride::quoted_fare)
          .Column("est_distance_m", &Ride::est_distance_m)
          .Column("est_duration_s", &Ride::est_duration_s)
          .Column("fare", &Ride::fare)
          .Column("distance_m", &Ride::distance_m)
          .Column("duration_s", &Ride::duration_s)
          .Column("cancel_reason", &Ride::cancel_reason, {.max_bytes = 500})
          .Column("idempotency_key", &Ride::idempotency_key, {.max_bytes = 255})
          .Column("created_at", &Ride::created_at)
          .Column("updated_at", &Ride::updated_at)
          .Column("started_at", &Ride::started_at)
          .Column("ended_at", &Ride::ended_at)
          .TenantColumn(&Ride::tenant_id);
  return e;
}

const tenancy::Entity<RideKey>& RideKeyEntity() {
  static const tenancy::Entity<RideKey> e =
      tenancy::Entity<RideKey>("ride_keys")
          .Key("idem_key", &RideKey::key, {.max_bytes = 255})
          .Column("ride_id", &RideKey::ride_id, {.max_bytes = 64})
          .Column("request_digest", &RideKey::request_digest, {.max_bytes = 128})
          .Column("created_at", &RideKey::created_at)
          .TenantColumn(&RideKey::tenant_id);
  return e;
}

const tenancy::Entity<Receipt>& ReceiptEntity() {
  static const tenancy::Entity<Receipt> e =
      tenancy::Entity<Receipt>("receipts")
          .Key("ride_id", &Receipt::ride_id, {.max_bytes = 64})
          .Column("rider_name", &Receipt::rider_name, {.max_bytes = 200, .encrypted = true})
          .Column("currency", &Receipt::currency, {.max_bytes = 3})
          .Column("base", &Receipt::base)
          .Column("distance_fare", &Receipt::distance_fare)
          .Column("time_fare", &Receipt::time_fare)
          .Column("surge_milli", &Receipt::surge_milli)
          .Column("rule_adjustment", &Receipt::rule_adjustment)
          .Column("minimum_applied", &Receipt::minimum_applied)
          .Column("total", &Receipt::total)
          .Column("distance_m", &Receipt::distance_m)
          .Column("duration_s", &Receipt::duration_s)
          .Column("pickup_zone", &Receipt::pickup_zone, {.max_bytes = 64})
          .Column("issued_at", &Receipt::issued_at)
          .TenantColumn(&Receipt::tenant_id);
  return e;
}

}  // namespace tenancyd

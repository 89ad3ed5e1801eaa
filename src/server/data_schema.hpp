// The tenant data tenancyd serves: the entities of the data plane and the
// migrations that create their tables, in every tenant's namespace.
//
//   vehicles   the fleet's vehicles
//   drivers    drivers, their availability and last known position
//   rides      ride requests and their state machine (booking)
//   ride_keys  Idempotency-Key → ride, so a retried POST /v1/rides books once
//   receipts   the rider's receipt of a completed ride (billing)
//
// Personal data of riders and drivers (names, phone numbers) is stored
// encrypted under the tenant's data key (ColumnOptions::encrypted), so it is
// crypto-shredded with the tenant. Timestamps are Unix milliseconds.
// Every table has tenant_id first in its primary key (the library fills it).
//
// Services reach these tables only through tenancy::Repository over the
// descriptors below; the SQL here is schema only.
//
// A data directory migrated by a program with a newer schema is refused by
// Store::Open (kMigrationFailed).
//
// Thread safety: the descriptors are immutable after first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "tenancy/entity.hpp"
#include "tenancy/store.hpp"

namespace tenancyd {

// Limits of the person fields stored for drivers and riders (bytes).
inline constexpr std::size_t kMaxPersonName = 200;
inline constexpr std::size_t kMaxPhone = 32;

tenancy::Schema ServerSchema();

struct Vehicle {
  std::string id;
  std::string plate;               // 1–32 bytes
  std::string model;               // free text, ≤ 100 bytes
  std::int64_t seats = 4;          // 1–20
  std::string status = "active";   // "active" | "maintenance"
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::string tenant_id;
};

struct Driver {
  std::string id;
  std::string name;                         // encrypted
  std::optional<std::string> phone;         // encrypted
  std::optional<std::string> vehicle_id;
  std::string availability = "offline";     // "available" | "offline" | "busy"
  std::optional<double> lon;
  std::optional<double> lat;
  std::optional<std::int64_t> located_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::string tenant_id;
};

// A ride and its state machine (booking.hpp). Coordinates in degrees.
struct Ride {
  std::string id;
  std::string state = "requested";
  std::optional<std::string> rider_name;   // encrypted
  std::optional<std::string> rider_phone;  // encrypted
  double pickup_lon = 0;
  double pickup_lat = 0;
  double dropoff_lon = 0;
  double dropoff_lat = 0;
  std::string pickup_zone;                 // "" outside every zone
  std::optional<std::string> driver_id;
  std::string currency;
  std::int64_t quoted_fare = 0;            // minor units
  std::int64_t est_distance_m = 0;
  std::int64_t est_duration_s = 0;
  std::optional<std::int64_t> fare;        // on completion
  std::optional<std::int64_t> distance_m;  // actual, on completion
  std::optional<std::int64_t> duration_s;
  std::optional<std::string> cancel_reason;
  std::string idempotency_key;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> ended_at;
  std::string tenant_id;
};

// Idempotency-Key → the ride it booked, with a digest of the request.
struct RideKey {
  std::string key;
  std::string ride_id;
  std::string request_digest;  // hex BLAKE2b of the canonical request
  std::int64_t created_at = 0;
  std::string tenant_id;
};

// The rider's receipt of a completed ride (key: the ride's id).
struct Receipt {
  std::string ride_id;
  std::optional<std::string> rider_name;  // encrypted
  std::string currency;
  std::int64_t base = 0;
  std::int64_t distance_fare = 0;
  std::int64_t time_fare = 0;
  std::int64_t surge_milli = 1000;
  std::int64_t rule_adjustment = 0;
  bool minimum_applied = false;
  std::int64_t total = 0;
  std::int64_t distance_m = 0;
  std::int64_t duration_s = 0;
  std::string pickup_zone;
  std::int64_t issued_at = 0;
  std::string tenant_id;
};

const tenancy::Entity<Vehicle>& VehicleEntity();
const tenancy::Entity<Driver>& DriverEntity();
const tenancy::Entity<Ride>& RideEntity();
const tenancy::Entity<RideKey>& RideKeyEntity();
const tenancy::Entity<Receipt>& ReceiptEntity();

}  // namespace tenancyd

#include "fleet_schema.hpp"

namespace tenancyctl {

tenancy::Schema FleetSchema() {
  tenancy::Schema s;
  s.migrations.push_back({1, "create vehicles",
                          "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL,"
                          " plate TEXT NOT NULL, seats INTEGER NOT NULL,"
                          " PRIMARY KEY (tenant_id, id));"});
  s.migrations.push_back({2, "create drivers",
                          "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL,"
                          " name TEXT NOT NULL, available INTEGER NOT NULL,"
                          " PRIMARY KEY (tenant_id, id));"});
  return s;
}

const tenancy::Entity<Vehicle>& Vehicles() {
  static const auto e = tenancy::Entity<Vehicle>("vehicles")
                            .Key("id", &Vehicle::id)
                            .Column("plate", &Vehicle::plate, {.max_bytes = 32})
                            .Column("seats", &Vehicle::seats);
  return e;
}

const tenancy::Entity<Driver>& Drivers() {
  static const auto e = tenancy::Entity<Driver>("drivers")
                            .Key("id", &Driver::id)
                            .Column("name", &Driver::name, {.max_bytes = 200})
                            .Column("available", &Driver::available);
  return e;
}

}  // namespace tenancyctl

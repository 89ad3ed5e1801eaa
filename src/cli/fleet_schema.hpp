// The demo fleet schema used by tenancyctl: vehicles and drivers.
#pragma once

#include <cstdint>
#include <string>

#include "tenancy/entity.hpp"
#include "tenancy/store.hpp"

namespace tenancyctl {

struct Vehicle {
  std::string id;
  std::string plate;
  std::int64_t seats = 0;
};

struct Driver {
  std::string id;
  std::string name;
  bool available = false;
};

tenancy::Schema FleetSchema();
const tenancy::Entity<Vehicle>& Vehicles();
const tenancy::Entity<Driver>& Drivers();

}  // namespace tenancyctl

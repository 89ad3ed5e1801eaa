#include "config_schema.hpp"

#include <stdexcept>

namespace tenancyd {

using tenancy::SettingSpec;

tenancy::ConfigSchema ServerConfigSchema() {
  tenancy::ConfigSchema schema;
  const auto add = [&schema](SettingSpec spec) {
    // The specs are constants of this file: a refusal is a bug here.
    if (auto r = schema.Add(std::move(spec)); !r) throw std::logic_error(r.error().ToString());
  };
  add(SettingSpec::Integer(std::string(kDispatchRadius), 5000, 100, 100'000,
                           "The farthest, in metres, a driver may be from the pickup to be "
                           "offered the ride."));
  add(SettingSpec::String(std::string(kDispatchRule), "", 4096,
                          "A JsonLogic rule (as JSON text) over {distance_m, driver, ride} that "
                          "must hold for a driver to be offered a ride; empty: any driver in range."));
  add(SettingSpec::Number(std::string(kAssumedSpeed), 30, 1, 200,
                          "Average speed in km/h used to estimate a ride's duration when the "
                          "client gives none."));
  add(SettingSpec::Number(std::string(kRoadFactor), 1.3, 1, 3,
                          "Road distance per straight-line distance, used when the client gives "
                          "no distance."));
  return schema;
}

}  // namespace tenancyd

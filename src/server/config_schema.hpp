// The per-tenant settings tenancyd reads through tenancy::Config, beside
// the library's built-ins (branding, time_zone, zones, pricing):
//
//   dispatch.radius_m           integer  100–100000, default 5000: the
//                               farthest a driver may be from the pickup
//   dispatch.rule               string   a JsonLogic rule (JSON text) over
//                               {"distance_m", "driver": {...}, "ride": {...}}
//                               that must hold for a driver to be offered a
//                               ride; "" (default): any driver in range
//   booking.assumed_speed_kmh   number   1–200, default 30: converts a
//                               straight-line distance into a duration
//                               estimate when the client gives none
//   booking.road_factor         number   1–3, default 1.3: straight-line
//                               distance × this ≈ road distance
//
// Thread safety: a value built on each call.
#pragma once

#include <string_view>

#include "tenancy/config.hpp"

namespace tenancyd {

inline constexpr std::string_view kDispatchRadius = "dispatch.radius_m";
inline constexpr std::string_view kDispatchRule = "dispatch.rule";
inline constexpr std::string_view kAssumedSpeed = "booking.assumed_speed_kmh";
inline constexpr std::string_view kRoadFactor = "booking.road_factor";

tenancy::ConfigSchema ServerConfigSchema();

}  // namespace tenancyd

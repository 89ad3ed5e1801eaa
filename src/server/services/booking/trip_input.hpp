// Reading a trip (pickup, dropoff, optional distance and duration) from a
// request body; shared by quotes and rides. Private to the booking service.
#pragma once

#include <optional>

#include "json_input.hpp"
#include "services/booking/booking.hpp"

namespace tenancyd {

struct TripInput {
  Position pickup{};
  Position dropoff{};
  std::optional<std::int64_t> distance_m{};
  std::optional<std::int64_t> duration_s{};
};

// kInvalidArgument naming the field ("pickup.lon", "distance_m").
tenancy::Result<TripInput> ReadTrip(const JsonBody& body);

}  // namespace tenancyd

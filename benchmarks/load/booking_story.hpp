// The calls that take a freshly onboarded tenant to its first booked ride,
// shared by load_fixture (through tenancyd's pipeline in process) and
// onboard_timer (over a socket), so the fixture's ride and the onboarding
// figure come from the same story:
//
//   PUT   /v1/zones                        one rectangular zone ("load")
//   PATCH /v1/pricing                      base fare, per km, per minute
//   POST  /v1/vehicles                     one vehicle
//   POST  /v1/drivers                      one driver in that vehicle
//   PUT   /v1/drivers/{id}/location        inside the zone, near the pickup
//   PUT   /v1/drivers/{id}/availability    available
//   POST  /v1/quotes                       the trip below
//   POST  /v1/rides                        the same trip with a rider, and an
//                                          Idempotency-Key
//
// Every call must answer 2xx; the ride must come back `assigned` to the
// driver (dispatch found it), else the story failed.
//
// Thread safety: stateless functions; a Caller is used from one thread.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "tenancy/result.hpp"

namespace tenancy::load {

// One API call as the tenant's admin: method, target, JSON body (empty:
// none) and an Idempotency-Key (empty: none). Returns the parsed answer of
// a 2xx, else an error naming the call and the status (never a secret).
using Caller = std::function<Result<boost::json::value>(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view idempotency_key)>;

// The zone, as [west, south, east, north]: central Berlin.
inline constexpr double kWest = 13.30, kSouth = 52.40, kEast = 13.50, kNorth = 52.60;

inline std::string ZonesJson() {
  return R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"load"},)"
         R"("geometry":{"type":"Polygon","coordinates":[[[13.30,52.40],[13.50,52.40],[13.50,52.60],)"
         R"([13.30,52.60],[13.30,52.40]]]}}]})";
}

inline constexpr std::string_view kPricingJson =
    R"({"currency":"EUR","base_fare":300,"per_km":100,"per_minute":10})";

// The trip every quote of the benchmarks asks for: pickup at the zone's
// centre, dropoff a few kilometres north-east.
inline constexpr std::string_view kTripJson =
    R"({"pickup":{"lon":13.4,"lat":52.5},"dropoff":{"lon":13.44,"lat":52.54}})";
// The booking of that trip, with a rider: name and phone are stored
// encrypted, so reading the ride back decrypts them (post_rides.lua books
// the same body).
inline constexpr std::string_view kRideJson =
    R"({"pickup":{"lon":13.4,"lat":52.5},"dropoff":{"lon":13.44,"lat":52.54},)"
    R"("rider":{"name":"Load Rider","phone":"+49 30 1234567"}})";

struct StoryResult {
  std::string vehicle_id;
  std::string driver_id;
  std::string ride_id;
};

namespace detail {
inline Result<std::string> IdOf(const Result<boost::json::value>& answer, std::string_view what) {
  if (!answer) return answer.error();
  const auto* obj = answer->if_object();
  const auto* id = obj ? obj->if_contains("id") : nullptr;
  if (!id || !id->is_string())
    return Error(Errc::kInternal, std::string(what) + ": the answer has no id");
  return std::string(id->as_string());
}
}  // namespace detail

// Runs the story for a tenant whose admin `call` speaks as. `tag` makes the
// plate and the Idempotency-Key unique (e.g. the run number).
inline Result<StoryResult> BookFirstRide(const Caller& call, std::string_view tag) {
  StoryResult out;
  if (auto r = call("PUT", "/v1/zones", ZonesJson(), {}); !r) return r.error();
  if (auto r = call("PATCH", "/v1/pricing", kPricingJson, {}); !r) return r.error();
  auto vehicle = detail::IdOf(
      call("POST", "/v1/vehicles",
           R"({"plate":"LD-)" + std::string(tag) + R"(","model":"Load EV","seats":4})", {}),
      "vehicle");
  if (!vehicle) return vehicle.error();
  out.vehicle_id = std::move(*vehicle);
  auto driver = detail::IdOf(
      call("POST", "/v1/drivers", R"({"name":"Load Driver","vehicle_id":")" + out.vehicle_id + R"("})",
           {}),
      "driver");
  if (!driver) return driver.error();
  out.driver_id = std::move(*driver);
  const std::string driver_path = "/v1/drivers/" + out.driver_id;
  if (auto r = call("PUT", driver_path + "/location", R"({"lon":13.401,"lat":52.501})", {}); !r)
    return r.error();
  if (auto r = call("PUT", driver_path + "/availability", R"({"availability":"available"})", {}); !r)
    return r.error();
  if (auto r = call("POST", "/v1/quotes", kTripJson, {}); !r) return r.error();
  const std::string key = "story-" + std::string(tag);
  auto ride = call("POST", "/v1/rides", kRideJson, key);
  auto ride_id = detail::IdOf(ride, "ride");
  if (!ride_id) return ride_id.error();
  out.ride_id = std::move(*ride_id);
  const auto& o = ride->as_object();
  const auto* state = o.if_contains("state");
  const auto* driver_of = o.if_contains("driver_id");
  if (!state || !state->is_string() || state->as_string() != "assigned" || !driver_of ||
      !driver_of->is_string() || driver_of->as_string() != out.driver_id)
    return Error(Errc::kInternal, "ride: booked but not assigned to the story's driver");
  return out;
}

}  // namespace tenancy::load

// The booking service: fare quotes, ride requests with idempotency keys,
// dispatch to the nearest available driver, and the ride state machine.
//
//   POST /v1/quotes                 rides.book (reads only)
//        {pickup: {lon, lat}, dropoff: {lon, lat}, distance_m?, duration_s?}
//        → {total, currency, itemized fare, distance_m, duration_s, zone, local time}
//   POST /v1/rides                  rides.book, header Idempotency-Key (1–255 of 0x21–0x7E)
//        {pickup, dropoff, distance_m?, duration_s?, rider?: {name?, phone?}}
//        → 201 the ride (assigned when a driver was found, else requested);
//        the same key with the same request → 200 the same ride
//        (Idempotent-Replayed: true); with another request → 422
//        `idempotency_key_reused`; the plan's `rides.booked` exhausted →
//        429 `quota_exceeded` with Retry-After (the period's end)
//   GET  /v1/rides?state=&limit=&cursor=   rides.book
//   GET  /v1/rides/{id}             rides.book
//   POST /v1/rides/{id}/dispatch    rides.dispatch  try again to find a driver
//   POST /v1/rides/{id}/arriving    rides.dispatch  assigned → arriving
//   POST /v1/rides/{id}/start       rides.dispatch  arriving → in_progress
//   POST /v1/rides/{id}/complete    rides.dispatch  in_progress → completed
//        {distance_m?, duration_s?} (actuals; default: the estimate and the
//        time since start) → the fare is computed and a receipt written
//   POST /v1/rides/{id}/cancel      rides.dispatch  requested|assigned|arriving → cancelled
//        {reason?}
// An illegal move answers 409 `illegal_transition`; another tenant's ride 404.
//
// Fares come from the tenant's configuration (pricing, zones, time_zone and
// the booking.* settings of config_schema.hpp) through tenancy::Quote, with
// the pickup instant in the tenant's local time.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string_view>

#include "router.hpp"
#include "json_writer.hpp"
#include "services/data_plane.hpp"
#include "tenancy/pricing.hpp"

namespace tenancyd {

struct Position {
  double lon = 0;
  double lat = 0;
};

// Great-circle distance in metres (haversine, mean Earth radius).
double HaversineMeters(Position a, Position b) noexcept;

// The local weekday and minute of the day of `t` in the IANA zone `zone`
// (UTC when the zone cannot be loaded: a quote never fails for it).
struct LocalTime {
  tenancy::Weekday weekday = tenancy::Weekday::kMon;
  int minute = 0;
  std::string zone_name{};
};
LocalTime LocalTimeAt(std::string_view zone, tenancy::TimePoint t);

// A trip priced with the tenant's configuration.
struct TripEstimate {
  std::int64_t distance_m = 0;
  std::int64_t duration_s = 0;
  std::string zone{};  // pickup zone id, "" outside every zone
  LocalTime local{};
  tenancy::FareQuote fare{};
};

// Distance and duration as given, else from the straight line × the
// road factor at the assumed speed; the pickup's zone; the fare at `at`.
// kInvalidArgument from tenancy::Quote (e.g. a trip beyond its bounds).
tenancy::Result<TripEstimate> EstimateTrip(const tenancy::ConfigSnapshot& config, Position pickup,
                                           Position dropoff, std::optional<std::int64_t> distance_m,
                                           std::optional<std::int64_t> duration_s,
                                           tenancy::TimePoint at);

// The ride state machine: whether `from` may move to `to`.
bool CanMove(std::string_view from, std::string_view to) noexcept;

// REQUIRES: `dp` outlives the router.
void AddBookingRoutes(Router& router, DataPlane& dp);

tenancy::Result<Response> CreateQuote(DataPlane& dp, Exchange& x);
tenancy::Result<Response> CreateRide(DataPlane& dp, Exchange& x);
tenancy::Result<Response> GetRide(DataPlane& dp, Exchange& x);
tenancy::Result<Response> ListRides(DataPlane& dp, Exchange& x);
tenancy::Result<Response> DispatchRide(DataPlane& dp, Exchange& x);
tenancy::Result<Response> MoveRide(DataPlane& dp, Exchange& x, std::string_view to);

// Finds the nearest available driver for `ride` (same zone as the pickup
// when it has one, within dispatch.radius_m, passing dispatch.rule) and
// assigns it inside `tx`: the driver becomes busy, the ride assigned.
// Returns whether a driver was assigned.
// Appends the event `type` ("ride.requested", "ride.assigned",
// "ride.completed", "ride.cancelled") for `ride` to the tenant's outbox in
// `tx`, so the event commits with the ride change or not at all. The
// payload carries ids, state and fare only: rider details are encrypted at
// rest and never copied into the plaintext event log.
tenancy::Result<void> AppendRideEvent(DataPlane& dp, tenancy::Transaction& tx,
                                      std::string_view type, const Ride& ride);

tenancy::Result<bool> AssignNearestDriver(DataPlane& dp, tenancy::Transaction& tx,
                                          const tenancy::ConfigSnapshot& config, Ride& ride);

// The ride as the API shows it, as JSON text: written directly (a ride is
// the hottest read), not built as a boost::json::value and serialized.
void WriteRide(JsonWriter& w, const Ride& r);
std::string RideJson(const Ride& r);
boost::json::object FareJson(const tenancy::FareQuote& q);

}  // namespace tenancyd

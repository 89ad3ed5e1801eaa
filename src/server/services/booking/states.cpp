// The ride state machine: requested → assigned → arriving → in_progress →
// completed, and cancelled from any state before the trip starts.
// Completion prices the trip, writes the receipt and frees the driver, in
// one transaction.
#include <boost/json.hpp>

#include "json_input.hpp"
#include "plans.hpp"
#include "services/booking/booking.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxReason = 500;

struct Move {
  std::string_view from;
  std::string_view to;
};
constexpr Move kMoves[] = {
    {"requested", "assigned"},   {"assigned", "arriving"},   {"arriving", "in_progress"},
    {"in_progress", "completed"}, {"requested", "cancelled"}, {"assigned", "cancelled"},
    {"arriving", "cancelled"},
};

// Frees the ride's driver (back to available, at `where` when given).
tenancy::Result<void> FreeDriver(DataPlane& dp, tenancy::Transaction& tx, const Ride& ride,
                                 std::optional<Position> where) {
  if (!ride.driver_id) return {};
  auto d = dp.drivers.Get(tx, *ride.driver_id);
  if (!d && d.error() == Errc::kNotFound) return {};  // deleted meanwhile
  if (!d) return d.error();
  d->availability = "available";
  if (where) {
    d->lon = where->lon;
    d->lat = where->lat;
    d->located_at = dp.NowMillis();
  }
  d->updated_at = dp.NowMillis();
  return dp.drivers.Update(tx, *d);
}

}  // namespace

bool CanMove(std::string_view from, std::string_view to) noexcept {
  for (const Move& m : kMoves)
    if (m.from == from && m.to == to) return true;
  return false;
}

tenancy::Result<Response> DispatchRide(DataPlane& dp, Exchange& x) {
  const tenancy::TenantContext& ctx = *x.context;
  auto empty = JsonBody::Parse(x.request, {}, /*allow_empty=*/true);
  if (!empty) return empty.error();
  const auto config = dp.config.Snapshot(ctx);
  Ride out;
  auto done = dp.store.Transact(ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    auto ride = dp.rides.Get(tx, x.Param("id"));
    if (!ride) return ride.error();
    if (ride->state != "requested")
      return x.Refuse("illegal_transition", Errc::kFailedPrecondition,
                      "a ride in state '" + ride->state + "' cannot be dispatched");
    auto assigned = AssignNearestDriver(dp, tx, *config, *ride);
    if (!assigned) return assigned.error();
    if (*assigned)
      if (auto e = AppendRideEvent(dp, tx, "ride.assigned", *ride); !e) return e;
    out = std::move(*ride);
    return {};
  });
  if (!done) return done.error();
  return JsonTextResponse(http::status::ok, RideJson(out));
}

tenancy::Result<Response> MoveRide(DataPlane& dp, Exchange& x, std::string_view to) {
  const tenancy::TenantContext& ctx = *x.context;
  std::optional<std::int64_t> distance_m, duration_s;
  std::optional<std::string> reason;
  if (to == "completed") {
    auto body = JsonBody::Parse(x.request, {"distance_m", "duration_s"}, true);
    if (!body) return body.error();
    auto d = body->OptionalInt("distance_m", 0, tenancy::kMaxTripDistanceM);
    if (!d) return d.error();
    distance_m = *d;
    auto t = body->OptionalInt("duration_s", 0, tenancy::kMaxTripDurationS);
    if (!t) return t.error();
    duration_s = *t;
  } else if (to == "cancelled") {
    auto body = JsonBody::Parse(x.request, {"reason"}, true);
    if (!body) return body.error();
    auto r = body->OptionalString("reason", kMaxReason);
    if (!r) return r.error();
    reason = std::move(*r);
  } else {
    auto body = JsonBody::Parse(x.request, {}, true);
    if (!body) return body.error();
  }

  const auto config = dp.config.Snapshot(ctx);
  Ride out;
  std::optional<Receipt> receipt;
  auto done = dp.store.Transact(ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    auto ride = dp.rides.Get(tx, x.Param("id"));
    if (!ride) return ride.error();
    if (!CanMove(ride->state, to))
      return x.Refuse("illegal_transition", Errc::kFailedPrecondition,
                      "a ride in state '" + ride->state + "' cannot move to '" + std::string(to) +
                          "'");
    const std::int64_t now = dp.NowMillis();
    if (to == "in_progress") ride->started_at = now;
    if (to == "cancelled") {
      ride->cancel_reason = reason;
      ride->ended_at = now;
      if (auto r = FreeDriver(dp, tx, *ride, std::nullopt); !r) return r;
    }
    if (to == "completed") {
      const std::int64_t since_start =
          ride->started_at ? std::max<std::int64_t>(0, (now - *ride->started_at) / 1000)
                           : ride->est_duration_s;
      // Priced at the pickup instant's local time, with today's pricing.
      auto e = EstimateTrip(*config, {ride->pickup_lon, ride->pickup_lat},
                            {ride->dropoff_lon, ride->dropoff_lat},
                            distance_m.value_or(ride->est_distance_m),
                            duration_s.value_or(since_start),
                            tenancy::FromUnixMillis(ride->created_at));
      if (!e) return e.error();
      ride->fare = e->fare.total;
      ride->currency = e->fare.currency;
      ride->distance_m = e->distance_m;
      ride->duration_s = e->duration_s;
      ride->ended_at = now;
      Receipt r;
      r.ride_id = ride->id;
      r.rider_name = ride->rider_name;
      r.currency = e->fare.currency;
      r.base = e->fare.base;
      r.distance_fare = e->fare.distance;
      r.time_fare = e->fare.time;
      r.surge_milli = e->fare.surge_milli;
      r.rule_adjustment = e->fare.rule_adjustment;
      r.minimum_applied = e->fare.minimum_applied;
      r.total = e->fare.total;
      r.distance_m = e->distance_m;
      r.duration_s = e->duration_s;
      r.pickup_zone = e->zone;
      r.issued_at = now;
      if (auto ins = dp.receipts.Insert(tx, r); !ins) return ins;
      receipt = std::move(r);
      if (auto f = FreeDriver(dp, tx, *ride, Position{ride->dropoff_lon, ride->dropoff_lat}); !f)
        return f;
    }
    ride->state = std::string(to);
    ride->updated_at = now;
    if (auto up = dp.rides.Update(tx, *ride); !up) return up;
    if (to == "completed" || to == "cancelled")
      if (auto e = AppendRideEvent(dp, tx, to == "completed" ? "ride.completed" : "ride.cancelled",
                                   *ride);
          !e)
        return e;
    out = std::move(*ride);
    return {};
  });
  if (!done) return done.error();
  if (receipt) {
    // Revenue for the platform's report, counted once the receipt exists.
    (void)dp.metering.Record(ctx.tenant_id(), "rides.completed", 1);
    (void)dp.metering.Record(ctx.tenant_id(), "rides.revenue", receipt->total);
  }
  return JsonTextResponse(http::status::ok, RideJson(out));
}

}  // namespace tenancyd

// Fare quotes: distance, zone, local time and tenancy::Quote.
#include <boost/json.hpp>

#include <cmath>

#include "services/booking/booking.hpp"
#include "services/booking/trip_input.hpp"
#include "config_schema.hpp"
#include "tenancy/time_zone.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr double kEarthRadiusM = 6'371'008.8;  // mean radius (IUGG)
constexpr double kPi = 3.14159265358979323846;

tenancy::Result<Position> ReadPosition(const JsonBody& body, std::string_view field) {
  auto o = body.RequiredObject(field, {"lon", "lat"});
  if (!o) return o.error();
  auto lon = o->RequiredNumber("lon", -180, 180);
  if (!lon) return lon.error();
  auto lat = o->RequiredNumber("lat", -90, 90);
  if (!lat) return lat.error();
  return Position{*lon, *lat};
}

}  // namespace

tenancy::Result<TripInput> ReadTrip(const JsonBody& body) {
  TripInput t;
  auto p = ReadPosition(body, "pickup");
  if (!p) return p.error();
  t.pickup = *p;
  auto d = ReadPosition(body, "dropoff");
  if (!d) return d.error();
  t.dropoff = *d;
  auto dist = body.OptionalInt("distance_m", 0, tenancy::kMaxTripDistanceM);
  if (!dist) return dist.error();
  t.distance_m = *dist;
  auto dur = body.OptionalInt("duration_s", 0, tenancy::kMaxTripDurationS);
  if (!dur) return dur.error();
  t.duration_s = *dur;
  return t;
}

double HaversineMeters(Position a, Position b) noexcept {
  const double rad = kPi / 180;
  const double dlat = (b.lat - a.lat) * rad;
  const double dlon = (b.lon - a.lon) * rad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * rad) * std::cos(b.lat * rad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

LocalTime LocalTimeAt(std::string_view zone, tenancy::TimePoint t) {
  auto tz = tenancy::TimeZone::Load(zone);
  const tenancy::TimeZone z = tz ? *tz : tenancy::TimeZone();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()) +
                    z.OffsetAt(t);
  const std::int64_t s = secs.count();
  const std::int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  const std::int64_t in_day = s - days * 86400;
  LocalTime out;
  // 1970-01-01 was a Thursday (index 3 from Monday).
  out.weekday = static_cast<tenancy::Weekday>(((days % 7) + 7 + 3) % 7);
  out.minute = static_cast<int>(in_day / 60);
  out.zone_name = z.name();
  return out;
}

tenancy::Result<TripEstimate> EstimateTrip(const tenancy::ConfigSnapshot& config, Position pickup,
                                           Position dropoff, std::optional<std::int64_t> distance_m,
                                           std::optional<std::int64_t> duration_s,
                                           tenancy::TimePoint at) {
  TripEstimate e;
  if (distance_m) {
    e.distance_m = *distance_m;
  } else {
    const double factor = ValueOr(config.GetNumber(kRoadFactor), 1.3);
    e.distance_m = static_cast<std::int64_t>(std::llround(HaversineMeters(pickup, dropoff) * factor));
  }
  if (duration_s) {
    e.duration_s = *duration_s;
  } else {
    const double kmh = ValueOr(config.GetNumber(kAssumedSpeed), 30.0);
    e.duration_s = static_cast<std::int64_t>(std::llround(e.distance_m / (kmh / 3.6)));
  }
  if (e.distance_m > tenancy::kMaxTripDistanceM || e.duration_s > tenancy::kMaxTripDurationS)
    return Fail(Errc::kInvalidArgument, "the trip is longer than any ride can be");
  e.zone = std::string(config.zones().FirstZoneAt(pickup.lon, pickup.lat));
  e.local = LocalTimeAt(config.time_zone(), at);
  tenancy::TripFacts facts;
  facts.distance_m = e.distance_m;
  facts.duration_s = e.duration_s;
  facts.zone = e.zone;
  facts.weekday = e.local.weekday;
  facts.local_minute = e.local.minute;
  auto q = tenancy::Quote(config.pricing(), facts);
  if (!q) return q.error();
  e.fare = std::move(*q);
  return e;
}

json::object FareJson(const tenancy::FareQuote& q) {
  return json::object{{"total", q.total},
                      {"currency", q.currency},
                      {"base", q.base},
                      {"distance", q.distance},
                      {"time", q.time},
                      {"subtotal", q.subtotal},
                      {"surge_multiplier", q.surge_multiplier()},
                      {"rule_adjustment", q.rule_adjustment},
                      {"minimum_applied", q.minimum_applied}};
}

tenancy::Result<Response> CreateQuote(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"pickup", "dropoff", "distance_m", "duration_s"});
  if (!body) return body.error();
  auto trip = ReadTrip(*body);
  if (!trip) return trip.error();
  const auto config = dp.config.Snapshot(*x.context);
  auto e = EstimateTrip(*config, trip->pickup, trip->dropoff, trip->distance_m, trip->duration_s,
                        dp.clock.Now());
  if (!e) return e.error();
  return JsonResponse(
      http::status::ok,
      json::object{{"fare", FareJson(e->fare)},
                   {"distance_m", e->distance_m},
                   {"duration_s", e->duration_s},
                   {"zone", e->zone.empty() ? json::value(nullptr) : json::value(e->zone)},
                   {"local_time", json::object{{"weekday", tenancy::ToString(e->local.weekday)},
                                               {"minute", e->local.minute},
                                               {"time_zone", e->local.zone_name}}}});
}

}  // namespace tenancyd

// Ride requests (idempotent), reads and lists.
#include <boost/json.hpp>
#include <sodium.h>

#include <mutex>

#include "plans.hpp"
#include "middleware/governance.hpp"
#include "services/booking/booking.hpp"
#include "services/booking/trip_input.hpp"
#include "tenancy/events.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;

tenancy::Result<std::string> ReadIdempotencyKey(Exchange& x) {
  const auto it = x.request.find("Idempotency-Key");
  if (it == x.request.end())
    return x.Refuse("idempotency_key_missing", Errc::kInvalidArgument,
                    "header 'Idempotency-Key' is required to book a ride");
  const std::string_view key = it->value();
  bool ok = !key.empty() && key.size() <= kMaxIdempotencyKey;
  for (char c : key) ok = ok && c >= 0x21 && c <= 0x7E;
  if (!ok)
    return Fail(Errc::kInvalidArgument,
                "header 'Idempotency-Key' must be 1-255 visible ASCII characters");
  return std::string(key);
}

// The request as the idempotency check compares it: parsed values, so
// spacing and member order do not make two requests differ.
std::string Digest(const TripInput& t, const std::optional<std::string>& name,
                   const std::optional<std::string>& phone) {
  json::object o{{"pickup", json::array{t.pickup.lon, t.pickup.lat}},
                 {"dropoff", json::array{t.dropoff.lon, t.dropoff.lat}},
                 {"distance_m", t.distance_m ? json::value(*t.distance_m) : json::value(nullptr)},
                 {"duration_s", t.duration_s ? json::value(*t.duration_s) : json::value(nullptr)},
                 {"name", name ? json::value(*name) : json::value(nullptr)},
                 {"phone", phone ? json::value(*phone) : json::value(nullptr)}};
  const std::string canonical = json::serialize(o);
  std::array<unsigned char, 32> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(canonical.data()),
                     canonical.size(), nullptr, 0);
  return Hex(hash);
}

}  // namespace

tenancy::Result<void> AppendRideEvent(DataPlane& dp, tenancy::Transaction& tx,
                                      std::string_view type, const Ride& ride) {
  // An Events is a prepared repository over the store: cheap next to the
  // transaction it joins.
  const tenancy::Events events(dp.store, tenancy::EventOptions{.clock = &dp.clock});
  json::object payload{{"ride_id", ride.id}, {"state", ride.state}};
  payload["driver_id"] = ride.driver_id ? json::value(*ride.driver_id) : json::value(nullptr);
  if (ride.fare) {
    payload["fare"] = *ride.fare;
    payload["currency"] = ride.currency;
  }
  if (ride.cancel_reason) payload["cancel_reason"] = *ride.cancel_reason;
  auto seq = events.Append(tx, type, payload);
  if (!seq) return seq.error();
  return {};
}

void WriteRide(JsonWriter& w, const Ride& r) {
  const auto time = [&](JsonKey name, const std::optional<std::int64_t>& millis) {
    w.Key(name);
    if (millis)
      w.Instant(tenancy::FromUnixMillis(*millis));
    else
      w.Null();
  };
  w.BeginObject();
  w.Member("id", r.id);
  w.Member("state", r.state);
  w.Key("pickup");
  w.BeginObject();
  w.Member("lon", r.pickup_lon);
  w.Member("lat", r.pickup_lat);
  w.Key("zone");
  if (r.pickup_zone.empty())
    w.Null();
  else
    w.String(r.pickup_zone);
  w.EndObject();
  w.Key("dropoff");
  w.BeginObject();
  w.Member("lon", r.dropoff_lon);
  w.Member("lat", r.dropoff_lat);
  w.EndObject();
  w.Member("driver_id", r.driver_id);
  w.Key("rider");
  w.BeginObject();
  w.Member("name", r.rider_name);
  w.Member("phone", r.rider_phone);
  w.EndObject();
  w.Key("quote");
  w.BeginObject();
  w.Member("total", r.quoted_fare);
  w.Member("currency", r.currency);
  w.Member("distance_m", r.est_distance_m);
  w.Member("duration_s", r.est_duration_s);
  w.EndObject();
  w.Member("fare", r.fare);
  w.Member("distance_m", r.distance_m);
  w.Member("duration_s", r.duration_s);
  w.Member("cancel_reason", r.cancel_reason);
  time("created_at", r.created_at);
  time("updated_at", r.updated_at);
  time("started_at", r.started_at);
  time("ended_at", r.ended_at);
  w.EndObject();
}

std::string RideJson(const Ride& r) {
  std::string text;
  text.reserve(640);
  JsonWriter w(text);
  WriteRide(w, r);
  return text;
}

tenancy::Result<Response> CreateRide(DataPlane& dp, Exchange& x) {
  const tenancy::TenantContext& ctx = *x.context;
  auto key = ReadIdempotencyKey(x);
  if (!key) return key.error();
  auto body = JsonBody::Parse(x.request, {"pickup", "dropoff", "distance_m", "duration_s", "rider"});
  if (!body) return body.error();
  auto trip = ReadTrip(*body);
  if (!trip) return trip.error();
  std::optional<std::string> name, phone;
  auto rider = body->OptionalObject("rider", {"name", "phone"});
  if (!rider) return rider.error();
  if (*rider) {
    auto n = (*rider)->OptionalString("name", kMaxPersonName);
    if (!n) return n.error();
    name = std::move(*n);
    auto p = (*rider)->OptionalString("phone", kMaxPhone);
    if (!p) return p.error();
    phone = std::move(*p);
  }
  const std::string digest = Digest(*trip, name, phone);

  std::lock_guard lock(dp.BookingLock(ctx.tenant_id().str(), *key));
  // A retry: the same request answers the same ride; another one is a
  // client bug that must not silently book or return the wrong ride.
  if (auto seen = dp.ride_keys.Get(ctx, *key)) {
    if (seen->request_digest != digest)
      return x.Unprocessable("idempotency_key_reused",
                             "this Idempotency-Key was used for a different ride request");
    auto ride = dp.rides.Get(ctx, seen->ride_id);
    if (!ride) return ride.error();
    Response res = JsonTextResponse(http::status::ok, RideJson(*ride));
    res.set("Idempotent-Replayed", "true");
    return res;
  } else if (seen.error() != Errc::kNotFound) {
    return seen.error();
  }

  const auto config = dp.config.Snapshot(ctx);
  const tenancy::TimePoint now = dp.clock.Now();
  auto estimate = EstimateTrip(*config, trip->pickup, trip->dropoff, trip->distance_m,
                               trip->duration_s, now);
  if (!estimate) return estimate.error();

  auto allowed = dp.quotas.TryConsume(ctx, kRidesBooked);
  if (!allowed) return allowed.error();
  if (!allowed->allowed) {
    x.retry_after = RetryAfterSeconds(allowed->retry_after);
    return x.Refuse("quota_exceeded", Errc::kResourceExhausted,
                    "the plan's rides for this period are used up");
  }

  Ride ride;
  ride.id = NewEntityId("rd_", tenancy::ToUnixMillis(now));
  ride.rider_name = std::move(name);
  ride.rider_phone = std::move(phone);
  ride.pickup_lon = trip->pickup.lon;
  ride.pickup_lat = trip->pickup.lat;
  ride.dropoff_lon = trip->dropoff.lon;
  ride.dropoff_lat = trip->dropoff.lat;
  ride.pickup_zone = estimate->zone;
  ride.currency = estimate->fare.currency;
  ride.quoted_fare = estimate->fare.total;
  ride.est_distance_m = estimate->distance_m;
  ride.est_duration_s = estimate->duration_s;
  ride.idempotency_key = *key;
  ride.created_at = ride.updated_at = tenancy::ToUnixMillis(now);
  auto done = dp.store.Transact(ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    if (auto r = dp.rides.Insert(tx, ride); !r) return r;
    RideKey k{*key, ride.id, digest, ride.created_at, {}};
    if (auto r = dp.ride_keys.Insert(tx, k); !r) return r;
    if (auto e = AppendRideEvent(dp, tx, "ride.requested", ride); !e) return e;
    auto assigned = AssignNearestDriver(dp, tx, *config, ride);
    if (!assigned) return assigned.error();
    if (*assigned) return AppendRideEvent(dp, tx, "ride.assigned", ride);
    return {};
  });
  if (!done) return done.error();
  (void)dp.metering.Record(ctx.tenant_id(), kRidesBooked, 1);
  return Created(RideJson(ride), "/v1/rides/" + ride.id);
}

tenancy::Result<Response> GetRide(DataPlane& dp, Exchange& x) {
  auto r = dp.rides.Get(*x.context, x.Param("id"));
  if (!r) return r.error();
  return JsonTextResponse(http::status::ok, RideJson(*r));
}

tenancy::Result<Response> ListRides(DataPlane& dp, Exchange& x) {
  auto params = ParseForm(x.query, {"state", "limit", "cursor"});
  if (!params) return params.error();
  tenancy::ListQuery q;
  if (auto ok = ReadPaging(*params, q); !ok) return ok.error();
  if (auto s = Lookup(*params, "state")) {
    static constexpr std::string_view kStates[] = {"requested", "assigned",  "arriving",
                                                   "in_progress", "completed", "cancelled"};
    if (std::find(std::begin(kStates), std::end(kStates), *s) == std::end(kStates))
      return Fail(Errc::kInvalidArgument, "parameter 'state' is not a ride state");
    q.filters.push_back({"state", tenancy::FilterOp::kEq, std::string(*s)});
  }
  auto page = dp.rides.List(*x.context, q);
  if (!page) return page.error();
  // PageJson's shape, written directly.
  std::string text;
  JsonWriter w(text);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const Ride& r : page->items) WriteRide(w, r);
  w.EndArray();
  w.Member("next_cursor",
           page->next_cursor.empty() ? std::nullopt : std::optional<std::string>(page->next_cursor));
  w.EndObject();
  return JsonTextResponse(http::status::ok, std::move(text));
}

}  // namespace tenancyd

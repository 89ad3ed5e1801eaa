// The booking service without sockets: quotes from each tenant's own
// pricing, zones and local time; idempotent ride requests (also under
// racing threads); the rides.booked quota; dispatch to the nearest
// available driver in zone; the ride state machine; tenant confinement.
#include "data_plane_fixture.hpp"

#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "plans.hpp"
#include "services/booking/booking.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

// Two square zones side by side: "west" [13.30,13.40]×[52.40,52.60] and
// "east" [13.40,13.50]×[52.40,52.60] (they share the 13.40 border).
constexpr const char* kZones = R"({"type":"FeatureCollection","features":[
  {"type":"Feature","properties":{"id":"west"},"geometry":{"type":"Polygon",
   "coordinates":[[[13.30,52.40],[13.40,52.40],[13.40,52.60],[13.30,52.60],[13.30,52.40]]]}},
  {"type":"Feature","properties":{"id":"east"},"geometry":{"type":"Polygon",
   "coordinates":[[[13.40,52.40],[13.50,52.40],[13.50,52.60],[13.40,52.60],[13.40,52.40]]]}}]})";

void Configure(AppWorld& w, const Onboarded& t, const std::string& patch) {
  auto tenant = w.app().platform().directory().Get(IdOf(t));
  REQUIRE(tenant);
  auto set = w.app().platform().config().SetTenant(**tenant, json::parse(patch).as_object(), "test");
  INFO((set ? std::string() : set.error().ToString()));
  REQUIRE(set);
}

// EUR 2.50 + 1.00/km + 0.20/min, night surge ×2 (22:00-02:00, local).
const std::string kAlphaPricing =
    R"("pricing":{"currency":"EUR","base_fare":250,"per_km":100,"per_minute":20,"minimum_fare":0,
       "surge":[{"from":"22:00","to":"02:00","multiplier":2}]})";
const std::string kBetaPricing =
    R"("pricing":{"currency":"USD","base_fare":1000,"per_km":500,"per_minute":0,"minimum_fare":0})";

Response Quote(AppWorld& w, const Onboarded& t, const std::string& body) {
  return As(w, t, V::post, "/v1/quotes", body);
}

Response Book(AppWorld& w, const Onboarded& t, const std::string& key, const std::string& body,
              const std::string& credential = {}) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
  return As(w, t, V::post, "/v1/rides", body, credential, headers);
}

std::string Trip(double plon, double plat, double dlon, double dlat, const std::string& extra = "") {
  return R"({"pickup":{"lon":)" + std::to_string(plon) + R"(,"lat":)" + std::to_string(plat) +
         R"(},"dropoff":{"lon":)" + std::to_string(dlon) + R"(,"lat":)" + std::to_string(dlat) + "}" +
         extra + "}";
}

std::string Driver(AppWorld& w, const Onboarded& t, const std::string& name, double lon, double lat,
                   bool available = true) {
  const std::string id =
      Str(Expect(As(w, t, V::post, "/v1/drivers", R"({"name":")" + name + R"("})"), S::created), "id");
  Expect(As(w, t, V::put, "/v1/drivers/" + id + "/location",
            R"({"lon":)" + std::to_string(lon) + R"(,"lat":)" + std::to_string(lat) + "}"),
         S::ok);
  if (available)
    Expect(As(w, t, V::put, "/v1/drivers/" + id + "/availability", R"({"availability":"available"})"),
           S::ok);
  return id;
}

std::string Availability(AppWorld& w, const Onboarded& t, const std::string& driver) {
  return Str(Expect(As(w, t, V::get, "/v1/drivers/" + driver), S::ok), "availability");
}

TEST_CASE("haversine and local time are right", "[server][booking]") {
  // One degree of latitude along a meridian is about 111.2 km.
  CHECK(std::abs(HaversineMeters({13.4, 52.0}, {13.4, 53.0}) - 111'195.0) < 5.0);
  CHECK(HaversineMeters({13.4, 52.5}, {13.4, 52.5}) == 0.0);
  // Antipodes: half the circumference.
  CHECK(std::abs(HaversineMeters({0, 0}, {180, 0}) - 20'015'115.0) < 100.0);
  // 2023-11-14T21:30:00Z is a Tuesday; 22:30 in Berlin (CET, UTC+1).
  const tenancy::TimePoint t{std::chrono::seconds{1'699'997'400}};
  const LocalTime utc = LocalTimeAt("UTC", t);
  CHECK(utc.weekday == tenancy::Weekday::kTue);
  CHECK(utc.minute == 21 * 60 + 30);
  const LocalTime berlin = LocalTimeAt("Europe/Berlin", t);
  CHECK(berlin.weekday == tenancy::Weekday::kTue);
  CHECK(berlin.minute == 22 * 60 + 30);
  // Across midnight the weekday moves: 23:30Z Sunday is Monday 00:30 in Berlin.
  const tenancy::TimePoint sunday{std::chrono::seconds{1'700'350'200}};  // 2023-11-18T23:30Z Sat
  CHECK(LocalTimeAt("UTC", sunday).weekday == tenancy::Weekday::kSat);
  CHECK(LocalTimeAt("Europe/Berlin", sunday).weekday == tenancy::Weekday::kSun);
  CHECK(LocalTimeAt("Europe/Berlin", sunday).minute == 30);
  // An unknown zone is UTC, never a failure.
  CHECK(LocalTimeAt("Mars/Olympus", t).minute == utc.minute);
}

TEST_CASE("a quote uses the caller's own pricing, zones and local time", "[server][booking]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  Configure(w, a, "{" + kAlphaPricing + R"(,"zones":)" + kZones + R"(,"time_zone":"Europe/Berlin"})");
  Configure(w, b, "{" + kBetaPricing + "}");
  w.clock().Set(tenancy::TimePoint{std::chrono::seconds{1'699'990'200}});  // 19:30Z, 20:30 Berlin

  const std::string trip = Trip(13.35, 52.5, 13.45, 52.5, R"(,"distance_m":10000,"duration_s":600)");
  const json::value qa = Expect(Quote(w, a, trip), S::ok);
  CHECK(qa.at("fare").at("total").as_int64() == 250 + 1000 + 200);
  CHECK(Str(qa.at("fare"), "currency") == "EUR");
  CHECK(Str(qa, "zone") == "west");
  CHECK(Str(qa.at("local_time"), "time_zone") == "Europe/Berlin");
  const json::value qb = Expect(Quote(w, b, trip), S::ok);
  CHECK(qb.at("fare").at("total").as_int64() == 1000 + 5000);
  CHECK(Str(qb.at("fare"), "currency") == "USD");
  CHECK(qb.at("zone").is_null());  // b has no zones

  // 21:30Z: 22:30 in Berlin, inside alpha's night surge (UTC would not be).
  w.clock().Set(tenancy::TimePoint{std::chrono::seconds{1'699'997'400}});
  const json::value night = Expect(Quote(w, a, trip), S::ok);
  CHECK(night.at("fare").at("surge_multiplier").as_double() == 2.0);
  CHECK(night.at("fare").at("total").as_int64() == 2 * (250 + 1000 + 200));

  // No distance given: the straight line × 1.3 at 30 km/h.
  const json::value est = Expect(Quote(w, b, Trip(13.4, 52.5, 13.4, 52.6)), S::ok);
  const double line = HaversineMeters({13.4, 52.5}, {13.4, 52.6});
  CHECK(std::abs(est.at("distance_m").as_int64() - line * 1.3) <= 1.0);
  CHECK(std::abs(est.at("duration_s").as_int64() - line * 1.3 / (30 / 3.6)) <= 1.0);
  CHECK(est.at("fare").at("total").as_int64() ==
        1000 + std::llround(500.0 * est.at("distance_m").as_int64() / 1000));
}

TEST_CASE("quotes refuse bad input naming the field", "[server][booking]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const auto bad = [&](const std::string& body, const std::string& field) {
    const Response r = Quote(w, a, body);
    RequireProblem(r, S::bad_request, "invalid_argument");
    CHECK(Str(BodyJson(r), "detail").find(field) != std::string::npos);
  };
  bad(R"({"dropoff":{"lon":1,"lat":1}})", "pickup");
  bad(R"({"pickup":{"lon":1,"lat":91},"dropoff":{"lon":1,"lat":1}})", "pickup.lat");
  bad(R"({"pickup":{"lon":-181,"lat":1},"dropoff":{"lon":1,"lat":1}})", "pickup.lon");
  bad(R"({"pickup":{"lon":1,"lat":1},"dropoff":{"lon":1,"lat":1,"alt":3}})", "dropoff.alt");
  bad(R"({"pickup":{"lon":1,"lat":1},"dropoff":{"lon":1,"lat":1},"distance_m":-5})", "distance_m");
  bad(R"({"pickup":{"lon":1,"lat":1},"dropoff":{"lon":1,"lat":1},"duration_s":"10"})", "duration_s");
  bad(R"({"pickup":[1,1],"dropoff":{"lon":1,"lat":1}})", "pickup");
}

TEST_CASE("the same Idempotency-Key books one ride; another request under it is refused",
          "[server][booking][idempotency]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const std::string trip = Trip(13.35, 52.5, 13.45, 52.5);
  RequireProblem(Book(w, a, "", trip), S::bad_request, "idempotency_key_missing");
  RequireProblem(Book(w, a, std::string(256, 'k'), trip), S::bad_request, "invalid_argument");

  const Response first = Book(w, a, "key-1", trip);
  const json::value r1 = Expect(first, S::created);
  const std::string id = Str(r1, "id");
  CHECK(Str(r1, "state") == "requested");  // no drivers yet
  // The same request again, spaced differently: the same ride.
  const std::string respaced =
      R"({ "dropoff": {"lat": 52.5, "lon": 13.45},  "pickup": {"lat": 52.5, "lon": 13.35} })";
  const Response again = Book(w, a, "key-1", respaced);
  const json::value r2 = Expect(again, S::ok);
  CHECK(again["Idempotent-Replayed"] == "true");
  CHECK(Str(r2, "id") == id);
  // Another request under the same key.
  const Response other = Book(w, a, "key-1", Trip(13.35, 52.5, 13.46, 52.5));
  RequireProblem(other, S::unprocessable_entity, "idempotency_key_reused");
  // Keys are per tenant: beta's "key-1" is beta's own ride.
  const json::value rb = Expect(Book(w, b, "key-1", trip), S::created);
  CHECK(Str(rb, "id") != id);

  const json::value list = Expect(As(w, a, V::get, "/v1/rides"), S::ok);
  REQUIRE(list.at("items").as_array().size() == 1);
  auto used = w.app().platform().quotas().Usage(IdOf(a), kRidesBooked);
  REQUIRE(used);
  CHECK(used->used == 1);
}

TEST_CASE("threads racing with one Idempotency-Key book exactly one ride",
          "[server][booking][idempotency]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const std::string trip = Trip(13.35, 52.5, 13.45, 52.5);
  std::atomic<int> created{0}, replayed{0}, other{0};
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        const Response r = Book(w, a, "race-key", trip);
        if (r.result() == S::created) {
          ++created;
        } else if (r.result() == S::ok) {
          ++replayed;
        } else {
          ++other;
        }
        if (r.result() == S::created || r.result() == S::ok) {
          std::lock_guard lock(mu);
          ids.insert(Str(BodyJson(r), "id"));
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(replayed == 11);
  CHECK(other == 0);
  CHECK(ids.size() == 1);
  CHECK(Expect(As(w, a, V::get, "/v1/rides"), S::ok).at("items").as_array().size() == 1);
  auto used = w.app().platform().quotas().Usage(IdOf(a), kRidesBooked);
  REQUIRE(used);
  CHECK(used->used == 1);
}

TEST_CASE("the plan's rides per month: 429 quota_exceeded past it; replays still answer",
          "[server][booking][quota]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  REQUIRE(w.app().platform().quotas().SetOverride(
      IdOf(a), kRidesBooked, tenancy::Limit::Periodic(2, tenancy::CalendarPeriod::kMonth)));
  const std::string trip = Trip(13.35, 52.5, 13.45, 52.5);
  Expect(Book(w, a, "k1", trip), S::created);
  Expect(Book(w, a, "k2", trip), S::created);
  const Response over = Book(w, a, "k3", trip);
  RequireProblem(over, S::too_many_requests, "quota_exceeded");
  const int retry = std::stoi(std::string(over[http::field::retry_after]));
  CHECK(retry > 0);
  CHECK(retry <= 31 * 24 * 3600);
  Expect(Book(w, a, "k1", trip), S::ok);  // a retry of a booked ride is not a new ride
  CHECK(Expect(As(w, a, V::get, "/v1/rides"), S::ok).at("items").as_array().size() == 2);
  // Next month the plan allows two more.
  w.clock().Advance(std::chrono::seconds{retry});
  Expect(Book(w, a, "k3", trip), S::created);
}

TEST_CASE("dispatch picks the nearest available driver in the pickup's zone, within the radius",
          "[server][booking][dispatch]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  Configure(w, a, R"({"zones":)" + std::string(kZones) + R"(,"dispatch.radius_m":3000})");
  // Pickup in "west" at (13.39, 52.5).
  const std::string near_east = Driver(w, a, "near-but-east", 13.401, 52.5);   // ~760 m, other zone
  const std::string offline = Driver(w, a, "offline", 13.389, 52.5, false);    // ~70 m, offline
  const std::string far = Driver(w, a, "too-far", 13.33, 52.45);               // > 3 km
  const std::string second = Driver(w, a, "second", 13.38, 52.5);              // ~680 m
  const std::string first = Driver(w, a, "first", 13.385, 52.501);             // ~350 m
  const std::string trip = Trip(13.39, 52.5, 13.45, 52.55);

  const json::value r1 = Expect(Book(w, a, "d1", trip), S::created);
  CHECK(Str(r1, "state") == "assigned");
  CHECK(Str(r1, "driver_id") == first);
  CHECK(Availability(w, a, first) == "busy");
  const json::value r2 = Expect(Book(w, a, "d2", trip), S::created);
  CHECK(Str(r2, "driver_id") == second);
  const json::value r3 = Expect(Book(w, a, "d3", trip), S::created);
  CHECK(Str(r3, "state") == "requested");  // nobody eligible is left
  CHECK(r3.at("driver_id").is_null());
  for (const std::string& d : {near_east, offline, far}) CHECK(Availability(w, a, d) != "busy");
  // A busy driver cannot go offline behind dispatch's back.
  RequireProblem(As(w, a, V::put, "/v1/drivers/" + first + "/availability",
                    R"({"availability":"offline"})"),
                 S::conflict, "driver_busy");

  // The first ride is cancelled: its driver is free, and a retry of
  // dispatch for the waiting ride finds it.
  Expect(As(w, a, V::post, "/v1/rides/" + Str(r1, "id") + "/cancel", R"({"reason":"changed plans"})"),
         S::ok);
  CHECK(Availability(w, a, first) == "available");
  const json::value retried =
      Expect(As(w, a, V::post, "/v1/rides/" + Str(r3, "id") + "/dispatch"), S::ok);
  CHECK(Str(retried, "driver_id") == first);
  RequireProblem(As(w, a, V::post, "/v1/rides/" + Str(r3, "id") + "/dispatch"), S::conflict,
                 "illegal_transition");
}

TEST_CASE("a JsonLogic dispatch rule narrows who is offered the ride", "[server][booking][dispatch]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  Configure(w, a, R"({"dispatch.rule":"{\"<\":[{\"var\":\"distance_m\"},200]}"})");
  Driver(w, a, "600m", 13.398, 52.5);
  const json::value none = Expect(Book(w, a, "r1", Trip(13.39, 52.5, 13.4, 52.6)), S::created);
  CHECK(Str(none, "state") == "requested");
  const std::string close = Driver(w, a, "70m", 13.391, 52.5);
  const json::value got = Expect(Book(w, a, "r2", Trip(13.39, 52.5, 13.4, 52.6)), S::created);
  CHECK(Str(got, "driver_id") == close);
}

TEST_CASE("the ride state machine refuses illegal moves with 409 illegal_transition; completion "
          "prices the trip and frees the driver",
          "[server][booking][states]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  Configure(w, a, "{" + kAlphaPricing + "}");
  w.clock().Set(tenancy::TimePoint{std::chrono::seconds{1'699'966'800}});  // 13:00Z, no surge
  const std::string driver = Driver(w, a, "d", 13.391, 52.5);
  const json::value ride = Expect(Book(w, a, "s1", Trip(13.39, 52.5, 13.45, 52.55)), S::created);
  const std::string id = Str(ride, "id");
  REQUIRE(Str(ride, "state") == "assigned");
  const auto move = [&](const std::string& verb, const std::string& body = "") {
    return As(w, a, V::post, "/v1/rides/" + id + "/" + verb, body);
  };
  RequireProblem(move("start"), S::conflict, "illegal_transition");
  RequireProblem(move("complete"), S::conflict, "illegal_transition");
  CHECK(Str(Expect(move("arriving"), S::ok), "state") == "arriving");
  RequireProblem(move("arriving"), S::conflict, "illegal_transition");
  CHECK(Str(Expect(move("start"), S::ok), "state") == "in_progress");
  RequireProblem(move("cancel"), S::conflict, "illegal_transition");  // the trip is under way
  RequireProblem(move("complete", R"({"distance_m":-1})"), S::bad_request, "invalid_argument");
  w.clock().Advance(15min);
  const json::value done = Expect(move("complete", R"({"distance_m":12000})"), S::ok);
  CHECK(Str(done, "state") == "completed");
  CHECK(done.at("distance_m").as_int64() == 12000);
  CHECK(done.at("duration_s").as_int64() == 900);  // measured from start
  CHECK(done.at("fare").as_int64() == 250 + 1200 + 300);
  CHECK(Availability(w, a, driver) == "available");
  const json::value d = Expect(As(w, a, V::get, "/v1/drivers/" + driver), S::ok);
  CHECK(d.at("location").at("lon").as_double() == 13.45);  // left at the dropoff
  for (const char* verb : {"arriving", "start", "complete", "cancel", "dispatch"})
    RequireProblem(move(verb), S::conflict, "illegal_transition");

  CHECK(CanMove("requested", "assigned"));
  CHECK(CanMove("arriving", "cancelled"));
  CHECK_FALSE(CanMove("completed", "cancelled"));
  CHECK_FALSE(CanMove("requested", "completed"));
  CHECK_FALSE(CanMove("cancelled", "requested"));
}

TEST_CASE("another tenant cannot read, move or cancel a ride: 404, nothing changed",
          "[server][booking][isolation]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  Driver(w, a, "d", 13.391, 52.5);
  const std::string id = Str(Expect(Book(w, a, "x1", Trip(13.39, 52.5, 13.45, 52.55)), S::created), "id");
  const json::value before = Expect(As(w, a, V::get, "/v1/rides/" + id), S::ok);
  RequireProblem(As(w, b, V::get, "/v1/rides/" + id), S::not_found, "not_found");
  for (const char* verb : {"arriving", "start", "complete", "cancel", "dispatch"})
    RequireProblem(As(w, b, V::post, "/v1/rides/" + id + "/" + verb), S::not_found, "not_found");
  CHECK(Expect(As(w, b, V::get, "/v1/rides"), S::ok).at("items").as_array().empty());
  CHECK(Expect(As(w, a, V::get, "/v1/rides/" + id), S::ok) == before);
  // b's drivers are not a's: b's ride finds none of a's drivers.
  const json::value rb = Expect(Book(w, b, "x1", Trip(13.39, 52.5, 13.45, 52.55)), S::created);
  CHECK(Str(rb, "state") == "requested");
}

TEST_CASE("a read-only quarantined tenant may quote but not book", "[server][booking][governance]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  REQUIRE(w.app().platform().quarantine().Quarantine(IdOf(a), "test"));
  Expect(Quote(w, a, Trip(13.39, 52.5, 13.45, 52.55)), S::ok);
  RequireProblem(Book(w, a, "q1", Trip(13.39, 52.5, 13.45, 52.55)), S::forbidden, "tenant_read_only");
}

TEST_CASE("riders' names and phones are stored encrypted", "[server][booking][crypto]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const json::value r = Expect(
      Book(w, a, "p1", Trip(13.39, 52.5, 13.45, 52.55,
                            R"(,"rider":{"name":"Wilhelmina Pemberton-Quux","phone":"+1 555 0142"})")),
      S::created);
  CHECK(Str(r.at("rider"), "name") == "Wilhelmina Pemberton-Quux");
  w.Reopen();
  const std::string disk = AllBytesUnder(w.data_dir());
  CHECK(disk.find("Wilhelmina") == std::string::npos);
  CHECK(disk.find("555 0142") == std::string::npos);
  CHECK(Str(Expect(As(w, a, V::get, "/v1/rides/" + Str(r, "id")), S::ok).at("rider"), "name") ==
        "Wilhelmina Pemberton-Quux");
}

}  // namespace
}  // namespace tenancyd::testing

// The fleet service through the pipeline, without sockets: vehicles and
// drivers, the plan's vehicles gauge, availability and positions, zones,
// input validation and tenant confinement.
#include "data_plane_fixture.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "plans.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

std::string NewVehicle(AppWorld& w, const Onboarded& t, const std::string& plate) {
  const json::value v =
      Expect(As(w, t, V::post, "/v1/vehicles", R"({"plate":")" + plate + R"(","seats":4})"),
             S::created);
  return Str(v, "id");
}

std::string NewDriver(AppWorld& w, const Onboarded& t, const std::string& name) {
  const json::value d =
      Expect(As(w, t, V::post, "/v1/drivers", R"({"name":")" + name + R"("})"), S::created);
  return Str(d, "id");
}

void SetVehicleCap(AppWorld& w, const Onboarded& t, std::int64_t cap) {
  REQUIRE(w.app().platform().quotas().SetOverride(IdOf(t), kVehicles, tenancy::Limit::Gauge(cap)));
}

std::int64_t GaugeLevel(AppWorld& w, const Onboarded& t) {
  auto u = w.app().platform().quotas().Usage(IdOf(t), kVehicles);
  REQUIRE(u);
  return u->used;
}

TEST_CASE("vehicles: create, read, patch, page through, delete", "[server][fleet]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Response created =
      As(w, a, V::post, "/v1/vehicles", R"({"plate":"B-AB 1","model":"Cargo","seats":7})");
  const json::value v = Expect(created, S::created);
  const std::string id = Str(v, "id");
  CHECK(id.rfind("vh_", 0) == 0);
  CHECK(created[http::field::location] == "/v1/vehicles/" + id);
  CHECK(v.at("seats").as_int64() == 7);
  CHECK(Str(v, "status") == "active");

  const json::value got = Expect(As(w, a, V::get, "/v1/vehicles/" + id), S::ok);
  CHECK(got == v);
  const json::value patched =
      Expect(As(w, a, V::patch, "/v1/vehicles/" + id, R"({"status":"maintenance","seats":5})"), S::ok);
  CHECK(Str(patched, "status") == "maintenance");
  CHECK(patched.at("seats").as_int64() == 5);
  CHECK(Str(patched, "plate") == "B-AB 1");  // untouched fields stay

  NewVehicle(w, a, "B-AB 2");
  NewVehicle(w, a, "B-AB 3");
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const json::value page = Expect(
        As(w, a, V::get, "/v1/vehicles?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor)), S::ok);
    for (const auto& item : page.at("items").as_array()) CHECK(seen.insert(Str(item, "id")).second);
    cursor = page.at("next_cursor").is_null() ? "" : std::string(page.at("next_cursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen.size() == 3);
  CHECK(pages == 2);

  Expect(As(w, a, V::delete_, "/v1/vehicles/" + id), S::no_content);
  RequireProblem(As(w, a, V::get, "/v1/vehicles/" + id), S::not_found, "not_found");
  RequireProblem(As(w, a, V::delete_, "/v1/vehicles/" + id), S::not_found, "not_found");
}

TEST_CASE("vehicles: bad input answers 400 naming the field, and stores nothing", "[server][fleet]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const auto bad = [&](const std::string& body, const std::string& field) {
    const Response r = As(w, a, V::post, "/v1/vehicles", body);
    RequireProblem(r, S::bad_request, "invalid_argument");
    CHECK(Str(BodyJson(r), "detail").find(field) != std::string::npos);
  };
  bad(R"({})", "plate");
  bad(R"({"plate":""})", "plate");
  bad(R"({"plate":"X","seats":0})", "seats");
  bad(R"({"plate":"X","seats":"4"})", "seats");
  bad(R"({"plate":"X","seats":4.5})", "seats");
  bad(R"({"plate":"X","status":"flying"})", "status");
  bad(R"({"plate":"X","colour":"red"})", "colour");
  bad(R"({"plate":")" + std::string(33, 'P') + R"("})", "plate");
  RequireProblem(As(w, a, V::post, "/v1/vehicles", "[1,2]"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::post, "/v1/vehicles", "{\"plate\":"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::get, "/v1/vehicles?limit=0"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::get, "/v1/vehicles?sort=plate"), S::bad_request, "invalid_argument");
  const json::value list = Expect(As(w, a, V::get, "/v1/vehicles"), S::ok);
  CHECK(list.at("items").as_array().empty());
  CHECK(GaugeLevel(w, a) == 0);  // refused creates took nothing
}

TEST_CASE("the vehicles gauge: a full plan refuses with 403 quota_exceeded, a delete frees a place",
          "[server][fleet][quota]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  SetVehicleCap(w, a, 2);
  const std::string v1 = NewVehicle(w, a, "A1");
  NewVehicle(w, a, "A2");
  const Response full = As(w, a, V::post, "/v1/vehicles", R"({"plate":"A3"})");
  RequireProblem(full, S::forbidden, "quota_exceeded");
  CHECK(GaugeLevel(w, a) == 2);
  NewVehicle(w, b, "B1");  // the neighbour's plan is its own
  NewVehicle(w, b, "B2");
  NewVehicle(w, b, "B3");

  Expect(As(w, a, V::delete_, "/v1/vehicles/" + v1), S::no_content);
  CHECK(GaugeLevel(w, a) == 1);
  // A repeated delete finds nothing and frees nothing.
  RequireProblem(As(w, a, V::delete_, "/v1/vehicles/" + v1), S::not_found, "not_found");
  CHECK(GaugeLevel(w, a) == 1);
  NewVehicle(w, a, "A3");
  RequireProblem(As(w, a, V::post, "/v1/vehicles", R"({"plate":"A4"})"), S::forbidden,
                 "quota_exceeded");
  // Another tenant deleting a's vehicle id frees nothing of a's.
  const json::value list = Expect(As(w, a, V::get, "/v1/vehicles"), S::ok);
  const std::string a_vehicle = Str(list.at("items").as_array()[0], "id");
  RequireProblem(As(w, b, V::delete_, "/v1/vehicles/" + a_vehicle), S::not_found, "not_found");
  CHECK(GaugeLevel(w, a) == 2);
}

TEST_CASE("the vehicles gauge holds under racing creates", "[server][fleet][quota]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  SetVehicleCap(w, a, 5);
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        const Response r = As(w, a, V::post, "/v1/vehicles",
                              R"({"plate":"T)" + std::to_string(t) + "-" + std::to_string(i) + R"("})");
        if (r.result() == S::created) {
          ++created;
        } else if (r.result() == S::forbidden) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(created == 5);
  CHECK(refused == 11);
  CHECK(other == 0);
  const json::value list = Expect(As(w, a, V::get, "/v1/vehicles?limit=100"), S::ok);
  CHECK(list.at("items").as_array().size() == 5);
  CHECK(GaugeLevel(w, a) == 5);
}

TEST_CASE("another tenant's vehicles and drivers answer 404 and stay unchanged",
          "[server][fleet][isolation]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const std::string vehicle = NewVehicle(w, a, "A1");
  const std::string driver = NewDriver(w, a, "Ada");
  const json::value before_v = Expect(As(w, a, V::get, "/v1/vehicles/" + vehicle), S::ok);
  const json::value before_d = Expect(As(w, a, V::get, "/v1/drivers/" + driver), S::ok);

  RequireProblem(As(w, b, V::get, "/v1/vehicles/" + vehicle), S::not_found, "not_found");
  RequireProblem(As(w, b, V::patch, "/v1/vehicles/" + vehicle, R"({"plate":"HIJACK"})"),
                 S::not_found, "not_found");
  RequireProblem(As(w, b, V::delete_, "/v1/vehicles/" + vehicle), S::not_found, "not_found");
  RequireProblem(As(w, b, V::get, "/v1/drivers/" + driver), S::not_found, "not_found");
  RequireProblem(As(w, b, V::put, "/v1/drivers/" + driver + "/location", R"({"lon":1,"lat":1})"),
                 S::not_found, "not_found");
  RequireProblem(As(w, b, V::put, "/v1/drivers/" + driver + "/availability",
                    R"({"availability":"available"})"),
                 S::not_found, "not_found");
  RequireProblem(As(w, b, V::delete_, "/v1/drivers/" + driver), S::not_found, "not_found");
  // b cannot attach a's vehicle to its own driver either.
  const Response attach =
      As(w, b, V::post, "/v1/drivers", R"({"name":"Bob","vehicle_id":")" + vehicle + R"("})");
  RequireProblem(attach, S::bad_request, "invalid_argument");
  CHECK(Str(BodyJson(attach), "detail").find("vehicle_id") != std::string::npos);
  // b's lists do not show them.
  CHECK(Expect(As(w, b, V::get, "/v1/vehicles"), S::ok).at("items").as_array().empty());
  CHECK(Expect(As(w, b, V::get, "/v1/drivers"), S::ok).at("items").as_array().empty());
  // a's own key through b's path is refused too (the credential names a).
  RequireProblem(As(w, b, V::get, "/v1/vehicles/" + vehicle, {}, a.key), S::not_found, "not_found");

  CHECK(Expect(As(w, a, V::get, "/v1/vehicles/" + vehicle), S::ok) == before_v);
  CHECK(Expect(As(w, a, V::get, "/v1/drivers/" + driver), S::ok) == before_d);
}

TEST_CASE("drivers: availability, positions, filters, and a busy driver cannot leave",
          "[server][fleet]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const std::string vehicle = NewVehicle(w, a, "A1");
  const json::value d = Expect(
      As(w, a, V::post, "/v1/drivers",
         R"({"name":"Ada Lovelace","phone":"+44 20 7946 0000","vehicle_id":")" + vehicle + R"("})"),
      S::created);
  const std::string id = Str(d, "id");
  CHECK(Str(d, "availability") == "offline");
  CHECK(d.at("location").is_null());
  NewDriver(w, a, "Grace");

  RequireProblem(As(w, a, V::put, "/v1/drivers/" + id + "/location", R"({"lon":181,"lat":0})"),
                 S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::put, "/v1/drivers/" + id + "/location", R"({"lon":0,"lat":-90.5})"),
                 S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::put, "/v1/drivers/" + id + "/location", R"({"lon":"13.4","lat":52})"),
                 S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::put, "/v1/drivers/" + id + "/location", R"({"lon":13.4})"),
                 S::bad_request, "invalid_argument");
  const json::value located =
      Expect(As(w, a, V::put, "/v1/drivers/" + id + "/location", R"({"lon":13.4,"lat":52.5})"), S::ok);
  CHECK(located.at("location").at("lon").as_double() == 13.4);
  CHECK(located.at("location").at("lat").as_double() == 52.5);

  RequireProblem(As(w, a, V::put, "/v1/drivers/" + id + "/availability", R"({"availability":"busy"})"),
                 S::bad_request, "invalid_argument");
  Expect(As(w, a, V::put, "/v1/drivers/" + id + "/availability", R"({"availability":"available"})"),
         S::ok);
  const json::value avail = Expect(As(w, a, V::get, "/v1/drivers?availability=available"), S::ok);
  REQUIRE(avail.at("items").as_array().size() == 1);
  CHECK(Str(avail.at("items").as_array()[0], "id") == id);
  CHECK(Expect(As(w, a, V::get, "/v1/drivers?availability=offline"), S::ok)
            .at("items").as_array().size() == 1);
  RequireProblem(As(w, a, V::get, "/v1/drivers?availability=asleep"), S::bad_request,
                 "invalid_argument");

  const json::value cleared =
      Expect(As(w, a, V::patch, "/v1/drivers/" + id, R"({"phone":null,"vehicle_id":null})"), S::ok);
  CHECK(cleared.at("phone").is_null());
  CHECK(cleared.at("vehicle_id").is_null());
  CHECK(Str(cleared, "name") == "Ada Lovelace");
  RequireProblem(As(w, a, V::patch, "/v1/drivers/" + id, R"({"phone":"call me"})"), S::bad_request,
                 "invalid_argument");
}

TEST_CASE("driver names and phones never reach the disk in the clear", "[server][fleet][crypto]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  Expect(As(w, a, V::post, "/v1/drivers",
            R"({"name":"Zebediah Quixotic-Marsh","phone":"+49 30 5550199"})"),
         S::created);
  w.Reopen();  // everything written and closed
  const std::string disk = AllBytesUnder(w.data_dir());
  CHECK(disk.find("Zebediah") == std::string::npos);
  CHECK(disk.find("5550199") == std::string::npos);
  const json::value list = Expect(As(w, a, V::get, "/v1/drivers"), S::ok);
  REQUIRE(list.at("items").as_array().size() == 1);
  CHECK(Str(list.at("items").as_array()[0], "name") == "Zebediah Quixotic-Marsh");
}

TEST_CASE("fleet routes check permissions: a driver key reads nothing, a rider key writes nothing",
          "[server][fleet][authz]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const std::string driver_key = KeyWithRoles(w, a, {"driver"});
  const std::string dispatcher_key = KeyWithRoles(w, a, {"dispatcher"});
  RequireProblem(As(w, a, V::get, "/v1/vehicles", {}, driver_key), S::forbidden, "permission_denied");
  RequireProblem(As(w, a, V::post, "/v1/vehicles", R"({"plate":"X"})", driver_key), S::forbidden,
                 "permission_denied");
  Expect(As(w, a, V::post, "/v1/vehicles", R"({"plate":"X"})", dispatcher_key), S::created);
}

TEST_CASE("zones: the tenant's own, from its configuration", "[server][fleet][config]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const json::value none = Expect(As(w, a, V::get, "/v1/zones"), S::ok);
  CHECK(Str(none, "type") == "FeatureCollection");
  auto tenant = w.app().platform().directory().Get(IdOf(a));
  REQUIRE(tenant);
  const json::object zones = json::parse(R"({"zones":{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"center","name":"Center"},
       "geometry":{"type":"Polygon","coordinates":[[[13.3,52.4],[13.5,52.4],[13.5,52.6],[13.3,52.6],[13.3,52.4]]]}}]}})")
                                 .as_object();
  auto set = w.app().platform().config().SetTenant(**tenant, zones, "test");
  REQUIRE(set);
  const json::value mine = Expect(As(w, a, V::get, "/v1/zones"), S::ok);
  REQUIRE(mine.at("features").as_array().size() == 1);
  CHECK(Expect(As(w, b, V::get, "/v1/zones"), S::ok).at("features").as_array().empty());
}

}  // namespace
}  // namespace tenancyd::testing

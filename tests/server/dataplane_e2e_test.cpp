// The data plane's whole story over real sockets: two tenants onboarded
// through the control plane configure pricing and zones, add vehicles and
// drivers, quote, book (idempotently, also from racing connections),
// dispatch, complete and invoice; every step of one tenant is tried with
// the other's credential (404, nothing changed); governance answers on the
// wire (429 + Retry-After, read-only quarantine); OFREP serves the flags.
#include "data_plane_fixture.hpp"
#include "live_server.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "plans.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

struct Wire {
  explicit Wire(LiveServer& s) : server(s), client(s.Connect()) { REQUIRE(client.connected()); }

  Response Call(V method, const std::string& path, const std::string& body, const std::string& key,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req = MakeRequest(method, path, body);
    if (!key.empty()) req = WithBearer(std::move(req), key);
    for (auto& [k, v] : headers) req.set(k, v);
    auto res = client.Roundtrip(std::move(req));
    REQUIRE(res);
    return std::move(*res);
  }
  json::value Ok(V method, const std::string& path, const std::string& body, const std::string& key,
                 S status = S::ok, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Expect(Call(method, path, body, key, std::move(headers)), status);
  }

  LiveServer& server;
  TestClient client;
};

Onboarded OnboardWire(Wire& w, const std::string& slug, const std::string& tier) {
  const json::value v = w.Ok(V::post, "/v1/tenants",
                             R"({"slug":")" + slug + R"(","tier":")" + tier +
                                 R"(","admin":{"email":"ops@)" + slug + R"(.example"}})",
                             w.server.world().OperatorKey(), S::created);
  return {Str(v.at("tenant"), "id"), slug, Str(v.at("admin").at("api_key"), "client_id"),
          Str(v.at("admin").at("api_key"), "key")};
}

const std::string kZones = R"({"type":"FeatureCollection","features":[{"type":"Feature",
  "properties":{"id":"city"},"geometry":{"type":"Polygon",
  "coordinates":[[[13.30,52.40],[13.50,52.40],[13.50,52.60],[13.30,52.60],[13.30,52.40]]]}}]})";

const std::string kTrip =
    R"({"pickup":{"lon":13.39,"lat":52.5},"dropoff":{"lon":13.45,"lat":52.52},"distance_m":8000,"duration_s":900})";

TEST_CASE("two tenants' whole story over the wire, each sealed off from the other",
          "[server][e2e][dataplane]") {
  LiveServer s;
  s.Start();
  Wire w(s);
  const Onboarded a = OnboardWire(w, "acme", "standard");
  const Onboarded b = OnboardWire(w, "bolt", "premium");
  const auto A = [&](V m, const std::string& path, const std::string& body = {}, S st = S::ok,
                     std::vector<std::pair<std::string, std::string>> h = {}) {
    return w.Ok(m, "/t/acme" + path, body, a.key, st, std::move(h));
  };
  const auto B = [&](V m, const std::string& path, const std::string& body = {}, S st = S::ok,
                     std::vector<std::pair<std::string, std::string>> h = {}) {
    return w.Ok(m, "/t/bolt" + path, body, b.key, st, std::move(h));
  };

  // Configuration, each its own.
  A(V::put, "/v1/zones", kZones);
  A(V::patch, "/v1/pricing", R"({"currency":"EUR","base_fare":300,"per_km":100,"per_minute":10})");
  B(V::patch, "/v1/pricing", R"({"currency":"GBP","base_fare":900,"per_km":250,"per_minute":0})");
  const Response invalid = w.Call(V::patch, "/t/acme/v1/pricing", R"({"per_km":-3})", a.key);
  RequireProblem(invalid, S::unprocessable_entity, "validation_failed");
  CHECK(Str(BodyJson(invalid), "detail").find("pricing.per_km") != std::string::npos);

  // Fleets.
  const std::string va = Str(A(V::post, "/v1/vehicles", R"({"plate":"A-1"})", S::created), "id");
  const std::string vb = Str(B(V::post, "/v1/vehicles", R"({"plate":"B-1"})", S::created), "id");
  const std::string da =
      Str(A(V::post, "/v1/drivers", R"({"name":"Ann","vehicle_id":")" + va + R"("})", S::created), "id");
  const std::string db = Str(B(V::post, "/v1/drivers", R"({"name":"Ben"})", S::created), "id");
  A(V::put, "/v1/drivers/" + da + "/location", R"({"lon":13.391,"lat":52.5})");
  A(V::put, "/v1/drivers/" + da + "/availability", R"({"availability":"available"})");
  B(V::put, "/v1/drivers/" + db + "/location", R"({"lon":13.392,"lat":52.5})");
  B(V::put, "/v1/drivers/" + db + "/availability", R"({"availability":"available"})");

  // Quotes: each tenant's own pricing.
  const json::value qa = A(V::post, "/v1/quotes", kTrip);
  CHECK(qa.at("fare").at("total").as_int64() == 300 + 800 + 150);
  CHECK(Str(qa.at("fare"), "currency") == "EUR");
  CHECK(Str(qa, "zone") == "city");
  const json::value qb = B(V::post, "/v1/quotes", kTrip);
  CHECK(qb.at("fare").at("total").as_int64() == 900 + 2000);
  CHECK(Str(qb.at("fare"), "currency") == "GBP");

  // Booking, idempotent.
  const json::value ride = A(V::post, "/v1/rides", kTrip, S::created, {{"Idempotency-Key", "acme-1"}});
  const std::string rid = Str(ride, "id");
  CHECK(Str(ride, "state") == "assigned");
  CHECK(Str(ride, "driver_id") == da);  // not bolt's nearer-looking driver
  const json::value again = A(V::post, "/v1/rides", kTrip, S::ok, {{"Idempotency-Key", "acme-1"}});
  CHECK(Str(again, "id") == rid);
  RequireProblem(w.Call(V::post, "/t/acme/v1/rides", R"({"pickup":{"lon":1,"lat":1},"dropoff":{"lon":2,"lat":2}})",
                        a.key, {{"Idempotency-Key", "acme-1"}}),
                 S::unprocessable_entity, "idempotency_key_reused");

  // Everything of acme's, tried with bolt's credential: 404, nothing changed.
  const json::value ride_before = A(V::get, "/v1/rides/" + rid);
  const json::value vehicle_before = A(V::get, "/v1/vehicles/" + va);
  const json::value driver_before = A(V::get, "/v1/drivers/" + da);
  struct Probe {
    V method;
    std::string path;
    std::string body;
  };
  const std::vector<Probe> probes = {
      {V::get, "/v1/rides/" + rid, ""},
      {V::post, "/v1/rides/" + rid + "/arriving", ""},
      {V::post, "/v1/rides/" + rid + "/start", ""},
      {V::post, "/v1/rides/" + rid + "/complete", "{}"},
      {V::post, "/v1/rides/" + rid + "/cancel", "{}"},
      {V::post, "/v1/rides/" + rid + "/dispatch", ""},
      {V::get, "/v1/vehicles/" + va, ""},
      {V::patch, "/v1/vehicles/" + va, R"({"plate":"STOLEN"})"},
      {V::delete_, "/v1/vehicles/" + va, ""},
      {V::get, "/v1/drivers/" + da, ""},
      {V::patch, "/v1/drivers/" + da, R"({"name":"Mallory"})"},
      {V::put, "/v1/drivers/" + da + "/location", R"({"lon":0,"lat":0})"},
      {V::put, "/v1/drivers/" + da + "/availability", R"({"availability":"offline"})"},
      {V::delete_, "/v1/drivers/" + da, ""},
      {V::get, "/v1/receipts/" + rid, ""},
  };
  for (const Probe& p : probes) {
    INFO(p.path);
    // bolt's key on its own tenant's path: acme's ids do not exist there.
    RequireProblem(w.Call(p.method, "/t/bolt" + p.path, p.body, b.key), S::not_found, "not_found");
    // bolt's key on acme's path: the credential is not acme's.
    RequireProblem(w.Call(p.method, "/t/acme" + p.path, p.body, b.key), S::not_found, "not_found");
  }
  CHECK(A(V::get, "/v1/rides/" + rid) == ride_before);
  CHECK(A(V::get, "/v1/vehicles/" + va) == vehicle_before);
  CHECK(A(V::get, "/v1/drivers/" + da) == driver_before);
  CHECK(B(V::get, "/v1/vehicles/" + vb).at("plate") == "B-1");

  // The ride runs its course; illegal moves are refused on the wire too.
  RequireProblem(w.Call(V::post, "/t/acme/v1/rides/" + rid + "/complete", "{}", a.key), S::conflict,
                 "illegal_transition");
  A(V::post, "/v1/rides/" + rid + "/arriving");
  A(V::post, "/v1/rides/" + rid + "/start");
  const json::value done = A(V::post, "/v1/rides/" + rid + "/complete", R"({"distance_m":8000,"duration_s":900})");
  CHECK(done.at("fare").as_int64() == 300 + 800 + 150);
  const json::value receipt = A(V::get, "/v1/receipts/" + rid);
  CHECK(receipt.at("total").as_int64() == done.at("fare").as_int64());
  RequireProblem(w.Call(V::post, "/t/acme/v1/rides/" + rid + "/cancel", "{}", a.key), S::conflict,
                 "illegal_transition");

  // The invoice bills exactly what metering counted before it was asked.
  auto metered = s.world().app().platform().metering().Query(
      IdOf(a), s.world().clock().Now() - std::chrono::hours(24 * 40),
      s.world().clock().Now() + std::chrono::hours(24 * 40), kApiRequests);
  REQUIRE(metered);
  REQUIRE(metered->totals.size() == 1);
  const json::value invoice = A(V::get, "/v1/invoices");
  CHECK(invoice.at("usage").at("api_requests").as_int64() == metered->totals[0].amount);
  CHECK(invoice.at("usage").at("rides_booked").as_int64() == 1);
  // bolt's refused probes on acme's path were not billed to acme: count
  // acme's own successful and refused-in-tenant calls is what metering has;
  // bolt's invoice does not contain acme's ride.
  CHECK(B(V::get, "/v1/invoices").at("usage").at("rides_booked").as_int64() == 0);
}

TEST_CASE("racing connections with one Idempotency-Key book one ride", "[server][e2e][dataplane]") {
  LiveServer s;
  s.Start();
  Wire setup(s);
  const Onboarded a = OnboardWire(setup, "acme", "standard");
  std::atomic<int> created{0}, replayed{0}, other{0};
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      TestClient c = s.Connect();
      for (int i = 0; i < 3; ++i) {
        Request req = WithBearer(MakeRequest(V::post, "/t/acme/v1/rides", kTrip), a.key);
        req.set("Idempotency-Key", "same-key");
        auto res = c.Roundtrip(std::move(req));
        if (!res) {
          ++other;
          continue;
        }
        if (res->result() == S::created) ++created;
        else if (res->result() == S::ok) ++replayed;
        else ++other;
        if (res->result() == S::created || res->result() == S::ok) {
          boost::system::error_code ec;
          const json::value v = json::parse(res->body(), ec);
          std::lock_guard lock(mu);
          if (!ec) ids.insert(Str(v, "id"));
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(replayed == 11);
  CHECK(other == 0);
  CHECK(ids.size() == 1);
  CHECK(setup.Ok(V::get, "/t/acme/v1/rides", {}, a.key).at("items").as_array().size() == 1);
}

TEST_CASE("governance on the wire: 429 with Retry-After, the vehicles gauge, read-only quarantine",
          "[server][e2e][governance]") {
  LiveServer s;
  s.Start();
  Wire w(s);
  const Onboarded a = OnboardWire(w, "acme", "free");
  const Onboarded b = OnboardWire(w, "bolt", "free");
  auto& quotas = s.world().app().platform().quotas();
  REQUIRE(quotas.SetOverride(IdOf(a), kVehicles, tenancy::Limit::Gauge(1)));
  w.Ok(V::post, "/t/acme/v1/vehicles", R"({"plate":"A"})", a.key, S::created);
  RequireProblem(w.Call(V::post, "/t/acme/v1/vehicles", R"({"plate":"B"})", a.key), S::forbidden,
                 "quota_exceeded");

  REQUIRE(quotas.SetOverride(IdOf(a), kApiRequests,
                             tenancy::Limit::Rate(3, std::chrono::seconds(30))));
  s.world().clock().Advance(std::chrono::minutes(1));  // the earlier calls' cells have drained
  int ok = 0;
  Response limited;
  for (int i = 0; i < 6; ++i) {
    Response r = w.Call(V::get, "/t/acme/v1/ping", {}, a.key);
    if (r.result() == S::ok) ++ok;
    else limited = std::move(r);
  }
  CHECK(ok == 3);
  RequireProblem(limited, S::too_many_requests, "rate_limited");
  CHECK(limited[http::field::retry_after] == "10");
  w.Ok(V::get, "/t/bolt/v1/ping", {}, b.key);  // the neighbour is served

  // Quarantine through the control plane: bolt may read, quote and
  // evaluate flags, not write; its rate is a tenth of its plan's (the
  // clock moves between calls so the reduced rate is not what answers).
  w.Ok(V::post, "/v1/tenants/" + b.id + "/quarantine", R"({"reason":"abuse report"})",
       s.world().OperatorKey());
  const auto later = [&] { s.world().clock().Advance(std::chrono::seconds(10)); };
  later();
  w.Ok(V::get, "/t/bolt/v1/vehicles", {}, b.key);
  later();
  w.Ok(V::post, "/t/bolt/v1/quotes", kTrip, b.key);
  later();
  RequireProblem(w.Call(V::post, "/t/bolt/v1/vehicles", R"({"plate":"Q"})", b.key), S::forbidden,
                 "tenant_read_only");
  later();
  RequireProblem(w.Call(V::post, "/t/bolt/v1/rides", kTrip, b.key, {{"Idempotency-Key", "q"}}),
                 S::forbidden, "tenant_read_only");
  // Reduced: free's burst of 20 is down to 2.
  int served = 0;
  for (int i = 0; i < 5; ++i)
    if (w.Call(V::get, "/t/bolt/v1/ping", {}, b.key).result() == S::ok) ++served;
  CHECK(served == 2);
  w.Ok(V::post, "/v1/tenants/" + b.id + "/resume", R"({"reason":"resolved"})", s.world().OperatorKey());
  later();
  w.Ok(V::post, "/t/bolt/v1/vehicles", R"({"plate":"Q"})", b.key, S::created);
}

TEST_CASE("OFREP over the wire with the tenant from the credential", "[server][e2e][ofrep]") {
  LiveServer s;
  s.Start();
  Wire w(s);
  const Onboarded a = OnboardWire(w, "acme", "enterprise");
  const Onboarded b = OnboardWire(w, "bolt", "free");
  auto set = tenancy::FlagSet::Parse(R"({"flags":{"priority":{"state":"ENABLED",
      "variants":{"high":"high","normal":"normal"},"defaultVariant":"normal",
      "targeting":{"if":[{"in":[{"var":"tenant.tier"},["premium","enterprise"]]},"high",null]}}}})");
  REQUIRE(set);
  s.world().app().platform().flags().SetPlatform(*set);
  // No path prefix: the credential names the tenant.
  const json::value ea = w.Ok(V::post, "/ofrep/v1/evaluate/flags/priority", R"({"context":{}})", a.key);
  CHECK(Str(ea, "value") == "high");
  const json::value eb = w.Ok(V::post, "/ofrep/v1/evaluate/flags/priority", R"({"context":{}})", b.key);
  CHECK(Str(eb, "value") == "normal");
  const json::value bulk = w.Ok(V::post, "/ofrep/v1/evaluate/flags", R"({"context":{}})", a.key);
  REQUIRE(bulk.at("flags").as_array().size() == 1);
  CHECK(Str(bulk.at("flags").as_array()[0], "value") == "high");
}

TEST_CASE("OFREP bulk evaluation answers 304 while the provider's flags are unchanged",
          "[server][e2e][ofrep]") {
  LiveServer s;
  s.Start();
  Wire w(s);
  const Onboarded a = OnboardWire(w, "acme", "enterprise");
  const Onboarded b = OnboardWire(w, "bolt", "free");
  const auto publish = [&](std::string_view high) {
    auto set = tenancy::FlagSet::Parse(
        std::string(R"({"flags":{"priority":{"state":"ENABLED","variants":{"high":")") +
        std::string(high) +
        R"(","normal":"normal"},"defaultVariant":"normal","targeting":{"if":[{"in":[{"var":"tenant.tier"},["enterprise"]]},"high",null]}}}})");
    REQUIRE(set);
    s.world().app().platform().flags().SetPlatform(*set);
  };
  publish("high");
  const std::string path = "/ofrep/v1/evaluate/flags", ctx = R"({"context":{}})";
  const Response first = w.Call(V::post, path, ctx, a.key);
  REQUIRE(first.result() == S::ok);
  const std::string etag(first[http::field::etag]);
  REQUIRE(etag.size() == 34);  // a quoted 128-bit hex tag
  CHECK(etag.front() == '"');

  // The same tag back: 304, no body, the tag repeated.
  const Response same = w.Call(V::post, path, ctx, a.key, {{"If-None-Match", etag}});
  CHECK(same.result() == S::not_modified);
  CHECK(same.body().empty());
  CHECK(same[http::field::etag] == etag);
  CHECK(w.Call(V::post, path, ctx, a.key, {{"If-None-Match", "\"x\", W/" + etag}}).result() ==
        S::not_modified);
  // Another tag, or another tenant presenting acme's tag: the full answer.
  CHECK(w.Call(V::post, path, ctx, a.key, {{"If-None-Match", "\"0000\""}}).result() == S::ok);
  const Response other = w.Call(V::post, path, ctx, b.key, {{"If-None-Match", etag}});
  REQUIRE(other.result() == S::ok);
  CHECK(other[http::field::etag] != etag);
  CHECK(other.body().find("normal") != std::string::npos);

  // A flag change: the old tag no longer matches, and the new answer shows it.
  publish("urgent");
  const Response changed = w.Call(V::post, path, ctx, a.key, {{"If-None-Match", etag}});
  REQUIRE(changed.result() == S::ok);
  CHECK(changed[http::field::etag] != etag);
  CHECK(changed.body().find("urgent") != std::string::npos);
}

}  // namespace
}  // namespace tenancyd::testing

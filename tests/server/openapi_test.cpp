// The OpenAPI document against the router, both ways, and against what the
// server answers: a whole story over real sockets is recorded and every
// response validated (python3-jsonschema, draft 2020-12) against the
// document's schema for its operation and status.
#include "contracts_fixture.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>

#include "services/contracts/contracts.hpp"
#include "tenancy/authz.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

json::object Document() {
  boost::system::error_code ec;
  json::value v = json::parse(OpenApiDocument(), ec);
  REQUIRE(!ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view ScopeName(Scope s) {
  switch (s) {
    case Scope::kPublic: return "public";
    case Scope::kTenantPublic: return "tenant-public";
    case Scope::kTenant: return "tenant";
    case Scope::kPlatform: return "platform";
  }
  return "?";
}

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "patch", "head", "options"};

TEST_CASE("the OpenAPI document and the router name the same operations", "[server][contracts]") {
  AppWorld w;
  const json::object doc = Document();
  CHECK(doc.at("openapi").as_string() == "3.1.0");
  const json::object& paths = doc.at("paths").as_object();
  const auto& routes = w.app().router().routes();
  REQUIRE(routes.size() >= 60);

  // Every route → its operation, with the scope and permission it has.
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route& r : routes) {
    const std::string method = Lower(http::to_string(r.method));
    routed.emplace(r.pattern, method);
    INFO(method << " " << r.pattern);
    const json::value* item = paths.if_contains(r.pattern);
    REQUIRE(item);
    const json::value* op = item->as_object().if_contains(method);
    REQUIRE(op);
    const json::object& o = op->as_object();
    CHECK(o.at("x-tenancy-scope").as_string() == ScopeName(r.scope));
    if (r.permission) {
      REQUIRE(o.contains("x-tenancy-permission"));
      CHECK(o.at("x-tenancy-permission").as_string() == tenancy::ToString(*r.permission));
      // A guarded route says how to authenticate; an open one says none.
      CHECK(!o.at("security").as_array().empty());
    } else {
      CHECK(!o.contains("x-tenancy-permission"));
      CHECK(o.at("security").as_array().empty());
    }
    CHECK(o.contains("x-tenancy-reads-only") == r.reads_only);
    // Every operation answers a documented success and the problem shape.
    const json::object& responses = o.at("responses").as_object();
    bool success = false;
    for (const auto& [code, _] : responses) success |= !code.empty() && code[0] == '2';
    CHECK(success);
    CHECK(responses.contains("default"));
  }

  // Every documented operation → a route. Portal pages are documented with
  // the portal; until its routes are wired into this build they are the
  // one allowed absence.
  const bool portal_wired = std::any_of(routes.begin(), routes.end(), [](const Route& r) {
    return r.pattern == "/admin" || r.pattern.starts_with("/admin/");
  });
  std::size_t documented = 0;
  for (const auto& [path, item] : paths) {
    for (const auto& [method, op] : item.as_object()) {
      if (std::find(std::begin(kMethods), std::end(kMethods), std::string_view(method)) ==
          std::end(kMethods))
        continue;  // "servers", "parameters"
      ++documented;
      const std::string p(path);
      if (!portal_wired && p.starts_with("/admin")) {
        WARN("portal route not wired in this build: " << method << " " << p);
        continue;
      }
      INFO(method << " " << p);
      CHECK(routed.count({p, std::string(method)}) == 1);
    }
  }
  CHECK(documented >= routes.size());

  // Every $ref points at something that exists.
  const std::string text(OpenApiDocument());
  std::size_t refs = 0;
  for (std::size_t at = text.find("\"$ref\": \"#/"); at != std::string::npos;
       at = text.find("\"$ref\": \"#/", at + 1)) {
    const std::size_t start = at + 10, end = text.find('"', start);  // after "#"
    const std::string pointer = text.substr(start, end - start);     // "/components/..."
    boost::system::error_code ec;
    const json::value root = json::value(doc);
    CHECK(root.find_pointer(pointer, ec) != nullptr);
    ++refs;
  }
  CHECK(refs > 50);
}

TEST_CASE("GET /openapi.json serves the embedded document", "[server][contracts]") {
  AppWorld w;
  const Response res = w.Call(MakeRequest(V::get, "/openapi.json"));
  REQUIRE(res.result() == S::ok);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res.body() == OpenApiDocument());
  // The source file and the embedded copy are the same bytes.
  std::ifstream in(TENANCYD_OPENAPI_FILE, std::ios::binary);
  const std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(source == OpenApiDocument());
}

const std::string kZones = R"({"type":"FeatureCollection","features":[{"type":"Feature",
  "properties":{"id":"city"},"geometry":{"type":"Polygon",
  "coordinates":[[[13.30,52.40],[13.50,52.40],[13.50,52.60],[13.30,52.60],[13.30,52.40]]]}}]})";
const std::string kTrip =
    R"({"pickup":{"lon":13.39,"lat":52.5},"dropoff":{"lon":13.45,"lat":52.52},"distance_m":8000,"duration_s":900})";
const std::string kFlags = R"({"flags":{"new-ui":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"}}})";

// Runs the validator over `recorded`; returns its exit code and output.
CommandResult Validate(const tenancy::testing::TempDir& dir, const std::vector<Recorded>& recorded) {
  const auto file = dir.path() / "recorded.json";
  WriteFile(file, RecordedJson(recorded));
  return RunCommand(std::string("python3 ") + TENANCYD_VALIDATE_SCRIPT + " " + TENANCYD_OPENAPI_FILE +
                    " " + file.string());
}

TEST_CASE("a whole story's responses over real sockets validate against the document",
          "[server][contracts][e2e]") {
  LiveServer s;
  s.Start(ServerOptions{.max_body_bytes = 64 * 1024});
  RecordingClient c(s);
  const std::string op = s.world().OperatorKey();

  // Public and control plane.
  c.Ok(V::get, "/healthz", "", "");
  c.Ok(V::get, "/readyz", "", "");
  c.Ok(V::get, "/openapi.json", "", "");
  const json::value onboarded = c.Ok(V::post, "/v1/tenants",
                                     R"({"slug":"acme","tier":"standard","admin":{"email":"ops@acme.example"}})",
                                     op, S::created);
  const std::string akey(onboarded.at("admin").at("api_key").at("key").as_string());
  const std::string aclient(onboarded.at("admin").at("api_key").at("client_id").as_string());
  const json::value other = c.Ok(V::post, "/v1/tenants", R"({"slug":"bolt","admin":{"name":"Bo"}})", op, S::created);
  const std::string bkey(other.at("admin").at("api_key").at("key").as_string());
  c.Ok(V::post, "/v1/signup", R"({"name":"Self Serve","slug":"self-serve","admin_email":"me@self.example"})", "",
       S::created);
  c.Ok(V::get, "/v1/tenants?limit=10", "", op);
  c.Ok(V::get, "/v1/tenants/acme", "", op);
  c.Ok(V::patch, "/v1/tenants/acme", R"({"display_name":"Acme Cabs"})", op);
  c.Ok(V::get, "/v1/tenants/acme/history", "", op);
  c.Ok(V::get, "/v1/tenants/acme/keys", "", op);
  c.Ok(V::post, "/v1/tenants/acme/rotate-key", "", op);
  c.Ok(V::post, "/v1/tenants/self-serve/suspend", R"({"reason":"test"})", op);
  c.Ok(V::post, "/v1/tenants/self-serve/resume", R"({"reason":"test"})", op);
  c.Ok(V::post, "/v1/tenants/self-serve/quarantine", R"({"reason":"test"})", op);
  c.Ok(V::post, "/v1/tenants/self-serve/offboard", R"({"reason":"test"})", op);
  c.Ok(V::post, "/v1/tenants", R"({"slug":"short-lived","admin":{"name":"S"}})", op, S::created);
  c.Ok(V::delete_, "/v1/tenants/short-lived?reason=test", "", op);

  // Auth.
  // The key's characters are all form-safe ([A-Za-z0-9._-]).
  const json::value token =
      c.Ok(V::post, "/oauth/token", "grant_type=client_credentials&client_id=" + aclient + "&client_secret=" + akey,
           "", S::ok, {{"Content-Type", "application/x-www-form-urlencoded"}});
  c.Call(V::post, "/oauth/token", "grant_type=password&client_id=" + aclient + "&client_secret=" + akey, "", {},
         "application/x-www-form-urlencoded");
  c.Call(V::post, "/oauth/token", "grant_type=client_credentials&client_id=" + aclient + "&client_secret=wrong", "",
         {}, "application/x-www-form-urlencoded");
  const std::string jwt(token.at("access_token").as_string());
  c.Ok(V::get, "/t/acme/.well-known/jwks.json", "", "");
  c.Ok(V::get, "/t/acme/v1/ping", "", jwt);
  c.Ok(V::get, "/t/acme/v1/tenant", "", akey);

  // Self-service.
  const auto A = [&](V m, const std::string& path, const std::string& body = {}, S st = S::ok,
                     std::vector<std::pair<std::string, std::string>> h = {}) {
    return c.Ok(m, "/t/acme" + path, body, akey, st, std::move(h));
  };
  A(V::put, "/v1/zones", kZones);
  A(V::get, "/v1/zones");
  A(V::patch, "/v1/pricing", R"({"currency":"EUR","base_fare":300,"per_km":100,"per_minute":10})");
  A(V::get, "/v1/pricing");
  A(V::patch, "/v1/branding", R"({"name":"Acme","primary_color":"#112233"})");
  A(V::get, "/v1/branding");
  A(V::patch, "/v1/settings", R"({"dispatch.radius_m":3000})");
  A(V::get, "/v1/settings");
  A(V::put, "/v1/flags", kFlags);
  A(V::get, "/v1/flags");
  A(V::post, "/ofrep/v1/evaluate/flags/new-ui", R"({"context":{"targetingKey":"u1"}})");
  A(V::post, "/ofrep/v1/evaluate/flags/missing", "{}", S::not_found);
  A(V::post, "/ofrep/v1/evaluate/flags", "{}");
  A(V::delete_, "/v1/flags", "", S::no_content);
  const json::value newkey = A(V::post, "/v1/api-keys", R"({"name":"rider app","roles":["rider"]})", S::created);
  const std::string rider_key(newkey.at("key").as_string());
  A(V::get, "/v1/api-keys");
  const json::value spare = A(V::post, "/v1/api-keys", R"({"name":"spare","roles":["dispatcher"]})", S::created);
  A(V::delete_, "/v1/api-keys/" + std::string(spare.at("key_id").as_string()), "", S::no_content);

  // Fleet.
  const std::string vid(A(V::post, "/v1/vehicles", R"({"plate":"A-1","seats":4})", S::created).at("id").as_string());
  const std::string spare_vehicle(A(V::post, "/v1/vehicles", R"({"plate":"A-2"})", S::created).at("id").as_string());
  A(V::get, "/v1/vehicles?limit=5");
  A(V::get, "/v1/vehicles/" + vid);
  A(V::patch, "/v1/vehicles/" + vid, R"({"model":"EV"})");
  A(V::delete_, "/v1/vehicles/" + spare_vehicle, "", S::no_content);
  const std::string did(
      A(V::post, "/v1/drivers", R"({"name":"Ann","phone":"+49 1","vehicle_id":")" + vid + R"("})", S::created)
          .at("id")
          .as_string());
  const std::string spare_driver(A(V::post, "/v1/drivers", R"({"name":"Sam"})", S::created).at("id").as_string());
  A(V::get, "/v1/drivers");
  A(V::patch, "/v1/drivers/" + spare_driver, R"({"phone":null})");
  A(V::delete_, "/v1/drivers/" + spare_driver, "", S::no_content);
  A(V::put, "/v1/drivers/" + did + "/location", R"({"lon":13.391,"lat":52.5})");
  A(V::put, "/v1/drivers/" + did + "/availability", R"({"availability":"available"})");
  A(V::get, "/v1/drivers/" + did);

  // Booking to billing.
  A(V::post, "/v1/quotes", kTrip);
  const json::value ride = A(V::post, "/v1/rides", kTrip, S::created, {{"Idempotency-Key", "k-1"}});
  const std::string rid(ride.at("id").as_string());
  A(V::post, "/v1/rides", kTrip, S::ok, {{"Idempotency-Key", "k-1"}});
  A(V::get, "/v1/rides?state=assigned");
  A(V::post, "/v1/rides/" + rid + "/dispatch", "", S::conflict);  // already assigned
  A(V::post, "/v1/rides/" + rid + "/arriving");
  A(V::post, "/v1/rides/" + rid + "/start");
  A(V::post, "/v1/rides/" + rid + "/complete", R"({"distance_m":8000,"duration_s":900})");
  A(V::get, "/v1/rides/" + rid);
  A(V::get, "/v1/receipts/" + rid);
  A(V::get, "/v1/receipts");
  A(V::get, "/v1/invoices");
  A(V::get, "/v1/usage");
  A(V::get, "/v1/quotas");
  const json::value second = A(V::post, "/v1/rides", kTrip, S::created, {{"Idempotency-Key", "k-2"}});
  A(V::post, "/v1/rides/" + std::string(second.at("id").as_string()) + "/cancel", R"({"reason":"changed plans"})");
  c.Ok(V::get, "/v1/platform/revenue", "", op);
  // Observability: the tenant's views, the operator's, the sprawl policy.
  A(V::get, "/v1/tenant/metrics");
  A(V::get, "/v1/tenant/logs?limit=5");
  A(V::get, "/v1/tenant/health");
  A(V::get, "/v1/tenant/dashboard");
  CHECK(c.Call(V::get, "/metrics", "", op).result() == S::ok);  // text, not JSON
  c.Ok(V::get, "/v1/platform/logs?limit=5", "", op);
  c.Ok(V::get, "/v1/platform/health", "", op);
  c.Ok(V::get, "/v1/platform/incidents", "", op);
  c.Ok(V::get, "/v1/platform/success-metrics", "", op);
  c.Ok(V::get, "/v1/platform/idle-tenants?days=1", "", op);
  c.Ok(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"notify"})", op);
  c.Ok(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"archive"})", op,
       S::conflict);

  // The audit chains: the tenant's own, the operator's view of all.
  A(V::get, "/v1/audit?limit=50");
  A(V::get, "/v1/audit/verify");
  CHECK(c.Call(V::get, "/t/acme/v1/audit/export", "", akey).result() == S::ok);  // JSON lines
  c.Ok(V::get, "/v1/platform/audit?chain=acme&limit=10", "", op);
  c.Ok(V::get, "/v1/platform/audit/verify?chain=platform", "", op);
  CHECK(c.Call(V::get, "/v1/platform/audit/export", "", op).result() == S::ok);

  // Errors: each answered in the documented shape.
  A(V::post, "/v1/vehicles", "{not json", S::bad_request);
  A(V::post, "/v1/vehicles", R"({"plate":"X","wings":2})", S::bad_request);
  A(V::post, "/v1/rides", kTrip, S::bad_request);  // no Idempotency-Key
  c.Ok(V::get, "/t/acme/v1/vehicles", "", "", S::unauthorized);
  c.Ok(V::get, "/v1/tenants", "", akey, S::forbidden);                  // a tenant key on the control plane
  c.Ok(V::post, "/t/acme/v1/vehicles", R"({"plate":"R"})", rider_key, S::forbidden);  // a rider may not
  c.Ok(V::get, "/t/bolt/v1/rides/" + rid, "", bkey, S::not_found);      // acme's ride from bolt
  c.Ok(V::get, "/t/acme/v1/rides/" + rid, "", bkey, S::not_found);
  c.Ok(V::post, "/v1/tenants", R"({"slug":"acme","admin":{"name":"x"}})", op, S::conflict);
  A(V::post, "/v1/rides", R"({"pickup":{"lon":1,"lat":1},"dropoff":{"lon":2,"lat":2}})", S::unprocessable_entity,
    {{"Idempotency-Key", "k-1"}});
  A(V::patch, "/v1/pricing", R"({"per_km":-3})", S::unprocessable_entity);
  A(V::post, "/v1/vehicles", R"({"plate":")" + std::string(70 * 1024, 'x') + R"("})", S::payload_too_large);
  A(V::post, "/v1/rides/" + rid + "/cancel", "{}", S::conflict);  // completed
  // The sign-up's per-address limit over the wire: every client here is
  // 127.0.0.1; the default budget is 5 and one was spent above.
  std::vector<unsigned> signups;
  for (int i = 0; i < 5; ++i)
    signups.push_back(static_cast<unsigned>(
        c.Call(V::post, "/v1/signup",
               R"({"name":"N","slug":"n-)" + std::to_string(i) + R"(","admin_email":"a@b.example"})")
            .result_int()));
  CHECK(std::count(signups.begin(), signups.end(), 201u) == 4);
  CHECK(signups.back() == 429u);

  const auto& recorded = c.recorded();
  std::set<unsigned> statuses;
  std::set<std::string> operations;
  for (const Recorded& r : recorded) {
    statuses.insert(r.status);
    operations.insert(r.method + " " + r.route);
  }
  for (unsigned want : {200u, 201u, 204u, 400u, 401u, 403u, 404u, 409u, 413u, 422u, 429u}) {
    INFO("status " << want);
    CHECK(statuses.count(want) == 1);
  }
  // Every operation of this story's services was exercised: all but the
  // portal's static pages and the operations routes (events, webhooks,
  // backup and restore), whose own suites drive them.
  const auto elsewhere = [](std::string_view p) {
    return p.starts_with("/admin") || p.starts_with("/v1/webhooks") || p.starts_with("/v1/events") ||
           p == "/v1/restore" || p.ends_with("/backup");
  };
  std::set<std::string> missed;
  for (const Route& r : s.world().app().router().routes())
    if (!elsewhere(r.pattern))
      missed.insert(std::string(http::to_string(r.method)) + " " + r.pattern);
  for (const auto& o : operations) missed.erase(o);
  INFO("not exercised: " << [&] {
    std::string all;
    for (const auto& m : missed) all += m + "; ";
    return all;
  }());
  CHECK(missed.empty());

  tenancy::testing::TempDir dir;
  const CommandResult v = Validate(dir, recorded);
  INFO(v.output);
  REQUIRE(v.exit_code == 0);
  CHECK(v.output.find(" 0 failures") != std::string::npos);

  // The validator is not vacuous: a ride without its state, a problem
  // with a made-up code and an undocumented status are each caught.
  std::vector<Recorded> broken;
  for (const Recorded& r : recorded) {
    if (r.route == "/v1/rides/{id}" && r.method == "GET" && r.status == 200) {
      json::value body = json::parse(r.body);
      body.as_object().erase("state");
      broken.push_back(r);
      broken.back().body = json::serialize(body);
    }
    if (r.status == 409 && r.route == "/v1/tenants") {
      json::value body = json::parse(r.body);
      body.as_object()["code"] = "made_up";
      broken.push_back(r);
      broken.back().body = json::serialize(body);
    }
  }
  broken.push_back(Recorded{"GET", "/healthz", 200, "text/plain", "\"ok\""});
  REQUIRE(broken.size() == 3);
  const CommandResult bad = Validate(dir, broken);
  INFO(bad.output);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("3 failures") != std::string::npos);
}

}  // namespace
}  // namespace tenancyd::testing

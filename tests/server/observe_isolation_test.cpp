// Isolation of the observability routes between tenants (A's credential
// with B's slug, id and headers sees nothing of B), the operator's view of
// all, and the access log: one line per request, never a secret.
#include "observe_fixture.hpp"

#include <set>

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

json::value Parse(const std::string& line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) FAIL("log line is not JSON: " << line);
  return v;
}

// The request ids of a /logs page's lines.
std::set<std::string> RequestIds(const json::value& page) {
  std::set<std::string> out;
  for (const auto& item : page.at("items").as_array()) {
    const auto& line = item.at("line").as_object();
    if (const auto* id = line.if_contains("request_id")) out.emplace(id->as_string());
  }
  return out;
}

TEST_CASE("a tenant reads only its own logs, metrics, dashboard and health", "[server][observe][isolation]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  for (int i = 0; i < 3; ++i)
    Expect(s.As(a, V::get, "/v1/ping", {}, {}, {{"X-Request-Id", "req-a-" + std::to_string(i)}}), S::ok);
  for (int i = 0; i < 4; ++i)
    Expect(s.As(b, V::get, "/v1/ping", {}, {}, {{"X-Request-Id", "req-b-" + std::to_string(i)}}), S::ok);

  // Alpha's dashboard counts alpha's 3 requests (this one is counted after).
  const json::value dash = Expect(s.As(a, V::get, "/v1/tenant/dashboard"), S::ok);
  CHECK(dash.at("tenant").at("id").as_string() == a.id);
  CHECK(dash.at("traffic").at("requests").as_int64() == 3);
  CHECK(dash.at("traffic").at("since_start").at("requests").as_int64() == 3);
  const json::value bdash = Expect(s.As(b, V::get, "/v1/tenant/dashboard"), S::ok);
  CHECK(bdash.at("traffic").at("requests").as_int64() == 4);

  // Logs: alpha's lines only, each with alpha's tenant.
  const json::value logs = Expect(s.As(a, V::get, "/v1/tenant/logs?limit=1000"), S::ok);
  CHECK(logs.at("sequence").as_string() == "tenant");
  REQUIRE(!logs.at("items").as_array().empty());
  for (const auto& item : logs.at("items").as_array())
    CHECK(item.at("line").at("tenant").as_string() == a.id);
  const std::set<std::string> mine = RequestIds(logs);
  for (int i = 0; i < 3; ++i) CHECK(mine.count("req-a-" + std::to_string(i)) == 1);
  for (int i = 0; i < 4; ++i) CHECK(mine.count("req-b-" + std::to_string(i)) == 0);

  // Metrics view: alpha's rows only.
  const json::value view = Expect(s.As(a, V::get, "/v1/tenant/metrics"), S::ok);
  CHECK(view.at("tenant").as_string() == a.id);
  REQUIRE(!view.at("metrics").as_array().empty());
  const std::string text = json::serialize(view);
  CHECK(text.find(b.id) == std::string::npos);

  const json::value health = Expect(s.As(a, V::get, "/v1/tenant/health"), S::ok);
  CHECK(health.at("tenant").as_string() == a.id);
  CHECK(health.at("status").as_string() == "healthy");

  // Alpha's credential aimed at beta in every way answers 404, with
  // nothing of beta in the answer.
  for (const char* path : {"/v1/tenant/logs", "/v1/tenant/metrics", "/v1/tenant/dashboard", "/v1/tenant/health"}) {
    INFO(path);
    const Response by_slug = s.Call(V::get, "/t/" + b.slug + path, a.key);
    CHECK(by_slug.result() == S::not_found);
    CHECK(by_slug.body().find(b.id) == std::string::npos);
    CHECK(s.Call(V::get, "/t/" + b.id + path, a.key).result() == S::not_found);
    CHECK(s.Call(V::get, path, a.key, {}, {{"X-Tenant", b.slug}}).result() == S::not_found);
    // Query parameters cannot choose another tenant either.
    const Response q = s.Call(V::get, std::string(path) + "?tenant=" + b.id, a.key);
    CHECK((q.result() == S::bad_request));
    // Without any tenant named, the credential's own tenant answers.
    const Response own = s.Call(V::get, path, a.key);
    CHECK(own.result() == S::ok);
    CHECK(own.body().find(b.id) == std::string::npos);
  }

  // Logs need tenant.admin; the dashboard only tenant.read.
  const std::string rider = KeyWithRoles(s.world(), a, {"rider"});
  RequireProblem(s.As(a, V::get, "/v1/tenant/logs", {}, rider), S::forbidden, "permission_denied");
  CHECK(s.As(a, V::get, "/v1/tenant/dashboard", {}, rider).result() == S::ok);
  // Tenants never reach the platform's views.
  for (const char* path : {"/v1/platform/logs", "/v1/platform/health", "/v1/platform/incidents",
                           "/v1/platform/success-metrics", "/v1/platform/idle-tenants"})
    RequireProblem(s.Call(V::get, path, a.key), S::forbidden, "permission_denied");

  // The operator sees every line, or one tenant's.
  const json::value all = Expect(s.Op(V::get, "/v1/platform/logs?limit=10000"), S::ok);
  CHECK(all.at("sequence").as_string() == "all");
  const std::set<std::string> every = RequestIds(all);
  CHECK(every.count("req-a-0") == 1);
  CHECK(every.count("req-b-3") == 1);
  const json::value only_b = Expect(s.Op(V::get, "/v1/platform/logs?tenant=" + b.slug), S::ok);
  for (const auto& item : only_b.at("items").as_array())
    CHECK(item.at("line").at("tenant").as_string() == b.id);
  CHECK(RequestIds(only_b).count("req-b-0") == 1);
  CHECK(RequestIds(only_b).count("req-a-0") == 0);
  RequireProblem(s.Op(V::get, "/v1/platform/logs?tenant=nope"), S::not_found, "tenant_unknown");
  RequireProblem(s.Op(V::get, "/v1/platform/logs?limit=0"), S::bad_request, "invalid_argument");
  RequireProblem(s.Op(V::get, "/v1/platform/logs?after=-1"), S::bad_request, "invalid_argument");

  // The cursor reads on without repeating.
  const json::value first = Expect(s.As(a, V::get, "/v1/tenant/logs?limit=2"), S::ok);
  REQUIRE(first.at("items").as_array().size() == 2);
  const std::uint64_t next = first.at("next").to_number<std::uint64_t>();
  const json::value second = Expect(s.As(a, V::get, "/v1/tenant/logs?limit=2&after=" + std::to_string(next)), S::ok);
  REQUIRE(!second.at("items").as_array().empty());
  CHECK(second.at("items").as_array()[0].at("seq").to_number<std::uint64_t>() == next + 1);

  // The operator's health view lists both, with their state.
  const json::value ph = Expect(s.Op(V::get, "/v1/platform/health"), S::ok);
  CHECK(ph.at("healthy").as_int64() == 2);
  std::set<std::string> listed;
  for (const auto& t : ph.at("tenants").as_array()) {
    listed.emplace(t.at("tenant").as_string());
    CHECK(t.at("state").as_string() == "active");
  }
  CHECK(listed == std::set<std::string>{a.id, b.id});
  // Paged: one at a time, then the other, then the end.
  const json::value p1 = Expect(s.Op(V::get, "/v1/platform/health?limit=1"), S::ok);
  REQUIRE(p1.at("tenants").as_array().size() == 1);
  const std::string cursor(p1.at("next_cursor").as_string());
  REQUIRE(!cursor.empty());
  const json::value p2 = Expect(s.Op(V::get, "/v1/platform/health?limit=1&cursor=" + cursor), S::ok);
  REQUIRE(p2.at("tenants").as_array().size() == 1);
  CHECK(p2.at("tenants").as_array()[0].at("tenant").as_string() != p1.at("tenants").as_array()[0].at("tenant").as_string());
  CHECK(p2.at("next_cursor").as_string().empty());
}

TEST_CASE("access log lines carry ids, route and status, never a secret", "[server][observe][logs]") {
  ObserveServer s([](PlatformOptions& p) { p.webhook_policy.allow_loopback = true; });
  const Onboarded a = s.world().Onboard("alpha");
  std::vector<std::string> secrets{a.key};

  // A token from the client-credentials grant (the secret in a form body).
  Request form = MakeRequest(V::post, "/oauth/token",
                             "grant_type=client_credentials&client_id=" + a.client_id + "&client_secret=" + a.key,
                             "application/x-www-form-urlencoded");
  TestClient c(s.port());
  auto tok = c.Roundtrip(std::move(form));
  REQUIRE(tok);
  REQUIRE(tok->result() == S::ok);
  const std::string jwt = Str(BodyJson(*tok), "access_token");
  secrets.push_back(jwt);

  // A new API key, and a webhook secret.
  const json::value key = Expect(s.As(a, V::post, "/v1/api-keys", R"({"name":"ci","roles":["dispatcher"]})"), S::created);
  const std::string new_key = Str(key, "key");
  secrets.push_back(new_key);
  const json::value hook = Expect(
      s.As(a, V::post, "/v1/webhooks", R"({"url":"http://127.0.0.1:9/hook","event_types":["ride.*"]})"), S::created);
  secrets.push_back(Str(hook, "secret"));
  secrets.emplace_back("hunter2-very-secret");

  // The secrets in use: as bearer, in a query string, in a path, in a body.
  Expect(s.As(a, V::get, "/v1/ping", {}, jwt, {{"X-Request-Id", "with-jwt"}}), S::ok);
  Expect(s.As(a, V::get, "/v1/ping?password=hunter2-very-secret&token=" + new_key, {}, new_key), S::ok);
  CHECK(s.Call(V::get, "/v1/nope/" + new_key, "").result() == S::not_found);
  CHECK(s.As(a, V::post, "/v1/drivers", R"({"name":")" + new_key + R"("})").result() == S::created);
  CHECK(s.As(a, V::get, "/v1/ping", {}, a.key + "x").result() == S::unauthorized);

  // Every line: stderr's, the tenant's ring and the platform's ring.
  std::vector<std::string> lines = s.LogLines();
  REQUIRE(lines.size() >= 8);
  const json::value ring = Expect(s.Op(V::get, "/v1/platform/logs?limit=10000"), S::ok);
  for (const auto& item : ring.at("items").as_array()) lines.push_back(json::serialize(item.at("line")));
  for (const std::string& line : lines)
    for (const std::string& secret : secrets) {
      INFO(line);
      CHECK(line.find(secret) == std::string::npos);
    }

  // Not vacuous: the lines are there, with what an access log needs.
  int pings = 0;
  bool saw_jwt_request = false, saw_unmatched = false, saw_token_route = false;
  for (const std::string& text : s.LogLines()) {
    const json::value line = Parse(text);
    const json::object& o = line.as_object();
    REQUIRE(o.contains("time"));
    REQUIRE(o.contains("request_id"));
    REQUIRE(o.at("trace_id").as_string().size() == 32);
    if (o.at("msg").as_string() != "request") continue;
    const json::object& f = o.at("fields").as_object();
    CHECK(f.contains("latency_ms"));
    CHECK(f.contains("cpu_us"));
    if (f.at("route").is_string() && f.at("route").as_string() == "/v1/ping") {
      ++pings;
      CHECK(f.at("method").as_string() == "GET");
    }
    if (o.at("request_id").as_string() == "with-jwt") {
      saw_jwt_request = true;
      CHECK(o.at("tenant").as_string() == a.id);
      CHECK(f.at("status").as_int64() == 200);
    }
    if (f.at("route").is_null() && f.at("status").as_int64() == 404) saw_unmatched = true;
    if (f.at("route").is_string() && f.at("route").as_string() == "/oauth/token") {
      saw_token_route = true;
      CHECK(!o.contains("tenant"));  // a platform line
    }
  }
  CHECK(pings == 3);
  CHECK(saw_jwt_request);
  CHECK(saw_unmatched);
  CHECK(saw_token_route);
}

}  // namespace
}  // namespace tenancyd::testing

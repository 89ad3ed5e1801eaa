// The pipeline without sockets: resolution, authentication, authorization,
// admission and accounting, in order, with every refusal as a problem.
#include "server_fixture.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include "middleware/accounting.hpp"
#include "middleware/admission.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using tenancy::Errc;

Response Get(AppWorld& w, std::string target, const std::string& credential = {},
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request req = MakeRequest(http::verb::get, std::move(target));
  if (!credential.empty()) req = WithBearer(std::move(req), credential);
  for (auto& [k, v] : headers) req.set(k, v);
  return w.Call(std::move(req));
}

// A problem document without its per-request members.
json::object Stable(const Response& res) {
  json::object o = BodyJson(res).as_object();
  o.erase("request_id");
  o.erase("instance");
  return o;
}

tenancy::TenantId IdOf(const Onboarded& t) { return tenancy::TenantId::Parse(t.id).value(); }

TEST_CASE("tenant routes need a credential — bad ones get a bearer challenge", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Response none = Get(w, "/t/alpha/v1/ping");
  RequireProblem(none, S::unauthorized, "unauthenticated");
  CHECK(none[http::field::www_authenticate] == R"(Bearer realm="tenancyd")");

  for (const std::string& bad : std::vector<std::string>{"tk.garbage", "not-a-jwt", a.key + "x", "e30.e30.e30"}) {
    const Response res = Get(w, "/t/alpha/v1/ping", bad);
    RequireProblem(res, S::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate].find("invalid_token") != std::string_view::npos);
    CHECK(res.body().find(bad) == std::string::npos);  // never echoed
  }
  Request basic = MakeRequest(http::verb::get, "/t/alpha/v1/ping");
  basic.set(http::field::authorization, "Basic " + a.key);
  RequireProblem(w.Call(std::move(basic)), S::unauthorized, "unauthenticated");

  const Response ok = Get(w, "/t/alpha/v1/ping", a.key);
  REQUIRE(ok.result() == S::ok);
  CHECK(Str(BodyJson(ok), "tenant") == "alpha");
}

TEST_CASE("a credential of one tenant finds nothing of another", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const Response by_prefix = Get(w, "/t/beta/v1/tenant", a.key);
  RequireProblem(by_prefix, S::not_found, "not_found");
  const Response by_header = Get(w, "/v1/tenant", a.key, {{"X-Tenant", "beta"}});
  RequireProblem(by_header, S::not_found, "not_found");
  const Response by_id = Get(w, "/v1/tenant", a.key, {{"X-Tenant", b.id}});
  RequireProblem(by_id, S::not_found, "not_found");
  // Exactly what a path that does not exist looks like: nothing leaks.
  const Response nowhere = Get(w, "/t/beta/v1/nothing-here", a.key);
  CHECK(Stable(by_prefix) == Stable(nowhere));
  CHECK(by_prefix.body().find(b.id) == std::string::npos);
  CHECK(json::serialize(Stable(by_prefix)).find("beta") == std::string::npos);
  // Its own tenant, every way it can be named.
  CHECK(Get(w, "/t/alpha/v1/tenant", a.key).result() == S::ok);
  CHECK(Get(w, "/v1/tenant", a.key, {{"X-Tenant", "alpha"}}).result() == S::ok);
  const Response own = Get(w, "/v1/tenant", a.key);  // the credential names it
  REQUIRE(own.result() == S::ok);
  CHECK(Str(BodyJson(own), "id") == a.id);
}

TEST_CASE("unknown tenants answer 404, suspended ones 403", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  RequireProblem(Get(w, "/t/nosuch/v1/ping", a.key), S::not_found, "tenant_unknown");
  RequireProblem(Get(w, "/t/Bad_Slug/v1/ping", a.key), S::bad_request, "invalid_argument");
  RequireProblem(Get(w, "/v1/ping", a.key, {{"X-Tenant", "tn_0000000000000000"}}), S::not_found,
                 "tenant_unknown");

  REQUIRE(w.app().platform().directory().ChangeState(IdOf(a), tenancy::TenantState::kSuspended, "unpaid"));
  RequireProblem(Get(w, "/t/alpha/v1/ping", a.key), S::forbidden, "tenant_suspended");
  RequireProblem(Get(w, "/v1/ping", a.key), S::forbidden, "tenant_suspended");
  REQUIRE(w.app().platform().directory().ChangeState(IdOf(a), tenancy::TenantState::kActive, "paid"));
  CHECK(Get(w, "/v1/ping", a.key).result() == S::ok);
  // Quarantined tenants are still served (budgets are admission's business).
  REQUIRE(w.app().platform().directory().ChangeState(IdOf(a), tenancy::TenantState::kQuarantined, "noisy"));
  CHECK(Get(w, "/v1/ping", a.key).result() == S::ok);
}

TEST_CASE("routes check their permission against the caller's roles", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  w.app().router().Add({.method = http::verb::post, .pattern = "/test/fleet", .scope = Scope::kTenant,
                        .permission = tenancy::Permission::kFleetWrite,
                        .handler = [](Exchange&) -> tenancy::Result<Response> {
                          return JsonResponse(S::ok, json::object{{"written", true}});
                        }});
  auto& auth = w.app().platform().auth();
  auto rider = auth.CreateApiKey(IdOf(a), "rider app", {"rider"});
  auto dispatcher = auth.CreateApiKey(IdOf(a), "dispatch desk", {"dispatcher"});
  REQUIRE(rider);
  REQUIRE(dispatcher);
  const auto post = [&](const std::string& key) {
    return w.Call(WithBearer(MakeRequest(http::verb::post, "/t/alpha/test/fleet"), key));
  };
  const Response denied = post(rider->key);
  RequireProblem(denied, S::forbidden, "permission_denied");
  CHECK(Str(BodyJson(denied), "detail").find("fleet.write") != std::string::npos);
  CHECK(post(dispatcher->key).result() == S::ok);
  CHECK(post(a.key).result() == S::ok);  // tenant_admin
  // Both roles may read the tenant.
  CHECK(Get(w, "/v1/ping", rider->key).result() == S::ok);

  // Tenant credentials never reach the control plane, platform ones never a
  // tenant without impersonating.
  RequireProblem(Get(w, "/v1/tenants", a.key), S::forbidden, "permission_denied");
  RequireProblem(Get(w, "/v1/tenants/" + a.id, a.key), S::forbidden, "permission_denied");
  RequireProblem(Get(w, "/t/alpha/v1/tenant", w.OperatorKey()), S::forbidden, "permission_denied");
}

TEST_CASE("a support key reads the control plane but cannot change it", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  auto support = w.app().platform().auth().CreateApiKey(tenancy::TenantId{}, "support desk",
                                                        {"support_readonly"});
  REQUIRE(support);
  CHECK(Get(w, "/v1/tenants/alpha", support->key).result() == S::ok);
  const Response res = w.Call(WithBearer(
      MakeRequest(http::verb::post, "/v1/tenants/alpha/suspend", R"({"reason":"x"})"), support->key));
  RequireProblem(res, S::forbidden, "permission_denied");
  CHECK(w.app().platform().directory().Get(IdOf(a)).value()->state == tenancy::TenantState::kActive);
}

TEST_CASE("operators act inside a tenant only by recorded impersonation", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Response refused = Get(w, "/t/alpha/v1/tenant", w.OperatorKey());
  RequireProblem(refused, S::forbidden, "permission_denied");
  CHECK(Str(BodyJson(refused), "detail").find("X-Impersonation-Reason") != std::string::npos);

  const Response ok = Get(w, "/t/alpha/v1/ping", w.OperatorKey(),
                          {{"X-Impersonation-Reason", "ticket 4711"}, {"X-Request-Id", "imp-1"}});
  REQUIRE(ok.result() == S::ok);
  CHECK(Str(BodyJson(ok), "principal") == "platform_operator");
  auto log = w.app().platform().auth().Impersonations(IdOf(a));
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK(log->front().reason == "ticket 4711");
  CHECK(log->front().request_id == "imp-1");
  // Without a tenant named, there is nothing to impersonate.
  RequireProblem(Get(w, "/v1/ping", w.OperatorKey(), {{"X-Impersonation-Reason", "x"}}), S::not_found,
                 "not_found");
}

TEST_CASE("host names resolve tenants when a base domain is set", "[server][pipeline]") {
  AppWorld w({}, "rides.test");
  const Onboarded a = w.Onboard("alpha");
  Request req = WithBearer(MakeRequest(http::verb::get, "/v1/ping"), a.key);
  req.set(http::field::host, "alpha.rides.test:8080");
  CHECK(w.Call(std::move(req)).result() == S::ok);

  Request jwks = MakeRequest(http::verb::get, "/.well-known/jwks.json");
  jwks.set(http::field::host, "alpha.rides.test");
  const Response by_host = w.Call(std::move(jwks));
  CHECK(by_host.result() == S::ok);
  CHECK(by_host[http::field::content_type] == "application/jwk-set+json");
  // At the root, JWKS is only for a tenant named by the host.
  Request by_header = MakeRequest(http::verb::get, "/.well-known/jwks.json");
  by_header.set("X-Tenant", "alpha");
  RequireProblem(w.Call(std::move(by_header)), S::not_found, "not_found");
  // A path prefix that disagrees with the host does not exist.
  Request clash = WithBearer(MakeRequest(http::verb::get, "/t/other/v1/ping"), a.key);
  clash.set(http::field::host, "alpha.rides.test");
  RequireProblem(w.Call(std::move(clash)), S::not_found, "not_found");
}

class RefuseTenant final : public Admission {
 public:
  explicit RefuseTenant(std::string slug) : slug_(std::move(slug)) {}
  AdmissionVerdict Admit(const tenancy::TenantContext& ctx, const Route&) override {
    calls.fetch_add(1);
    if (ctx.tenant().slug != slug_) return AdmissionVerdict::Admit();
    return AdmissionVerdict::Refuse(tenancy::Error(Errc::kResourceExhausted, "rate limit"),
                                    std::chrono::seconds(7));
  }
  std::atomic<int> calls{0};

 private:
  std::string slug_;
};

class Recorder final : public Accounting {
 public:
  struct Row {
    std::string route, tenant, request_id;
    unsigned status;
    bool principal;
  };
  void Record(const AccountingRecord& r) noexcept override {
    std::lock_guard lock(mu);
    rows.push_back({std::string(r.route), r.tenant ? r.tenant->str() : "", std::string(r.request_id),
                    r.status, r.principal != nullptr});
  }
  std::mutex mu;
  std::vector<Row> rows;
};

TEST_CASE("admission plugs refuse with 429 and Retry-After — accounting sees every request",
          "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  RefuseTenant limiter("alpha");
  Recorder recorder;
  w.app().AddAdmission(&limiter);
  w.app().AddAccounting(&recorder);

  const Response limited = Get(w, "/v1/ping", a.key, {{"X-Request-Id", "q1"}});
  RequireProblem(limited, S::too_many_requests, "resource_exhausted");
  CHECK(limited[http::field::retry_after] == "7");
  CHECK(Get(w, "/v1/ping", b.key, {{"X-Request-Id", "q2"}}).result() == S::ok);
  CHECK(Get(w, "/healthz", {}, {{"X-Request-Id", "q3"}}).result() == S::ok);  // not tenant-scoped
  CHECK(Get(w, "/nowhere", {}, {{"X-Request-Id", "q4"}}).result() == S::not_found);
  CHECK(Get(w, "/t/beta/v1/ping", {}, {{"X-Request-Id", "q5"}}).result() == S::unauthorized);
  CHECK(limiter.calls.load() == 2);

  std::lock_guard lock(recorder.mu);
  REQUIRE(recorder.rows.size() == 5);
  CHECK(recorder.rows[0].request_id == "q1");
  CHECK(recorder.rows[0].status == 429);
  CHECK(recorder.rows[0].tenant == a.id);
  CHECK(recorder.rows[0].route == "/v1/ping");
  CHECK(recorder.rows[0].principal);
  CHECK(recorder.rows[1].status == 200);
  CHECK(recorder.rows[1].tenant == b.id);
  CHECK(recorder.rows[2].route == "/healthz");
  CHECK(recorder.rows[2].tenant.empty());
  CHECK(recorder.rows[3].route.empty());
  CHECK(recorder.rows[3].status == 404);
  CHECK(recorder.rows[4].tenant == b.id);  // resolved, then refused
  CHECK_FALSE(recorder.rows[4].principal);
}

// What accounting saw of each request's CPU.
class CpuRecorder final : public Accounting {
 public:
  struct Row {
    std::chrono::nanoseconds cpu;
    bool read;
  };
  void Record(const AccountingRecord& r) noexcept override { rows.push_back({r.cpu, r.cpu_read}); }
  std::vector<Row> rows;
};

// `requests` pings as `t` on a thread of its own (fresh thread-local CPU
// clock state); returns how many were not answered 200.
int PingsOnNewThread(AppWorld& w, const Onboarded& t, int requests) {
  int failed = 0;
  std::thread([&] {
    for (int i = 0; i < requests; ++i)
      if (Get(w, "/v1/ping", t.key).result() != S::ok) ++failed;
  }).join();
  return failed;
}

TEST_CASE("a thread reads its CPU clock at most every cpu_read_interval", "[server][pipeline][cpu]") {
  CpuRecorder recorder;  // outlives the world that calls it
  SECTION("every request, with no interval") {
    AppWorld w;  // the fixture reads every request
    const Onboarded a = w.Onboard("alpha");
    w.app().AddAccounting(&recorder);
    REQUIRE(PingsOnNewThread(w, a, 5) == 0);
    const auto& rows = recorder.rows;
    REQUIRE(rows.size() == 5);
    for (const auto& r : rows) CHECK(r.read);
    CHECK(rows[0].cpu.count() == 0);  // a thread's first read has no earlier one
    std::chrono::nanoseconds total{0};
    for (const auto& r : rows) total += r.cpu;
    CHECK(total.count() > 0);  // four requests' work, measured
  }
  SECTION("once per interval, the first request of a thread included") {
    AppWorld w({}, {}, [](PlatformOptions& p) {
      p.observability.cpu_read_interval = std::chrono::hours{1};
    });
    const Onboarded a = w.Onboard("alpha");
    w.app().AddAccounting(&recorder);
    REQUIRE(PingsOnNewThread(w, a, 5) == 0);
    const auto& rows = recorder.rows;
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].read);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      CHECK_FALSE(rows[i].read);
      CHECK(rows[i].cpu.count() == 0);
    }
  }
}

TEST_CASE("a throwing handler costs one 500, not the process", "[server][pipeline]") {
  AppWorld w;
  w.app().router().Add({.method = http::verb::get, .pattern = "/test/throw",
                        .handler = [](Exchange&) -> tenancy::Result<Response> {
                          throw std::runtime_error("secret internals /etc/passwd");
                        }});
  const Response res = w.Call(MakeRequest(http::verb::get, "/test/throw"));
  RequireProblem(res, S::internal_server_error, "internal");
  CHECK(res.body().find("passwd") == std::string::npos);
  CHECK(w.Call(MakeRequest(http::verb::get, "/healthz")).result() == S::ok);
}

TEST_CASE("wrong methods answer 405 with Allow — odd targets 400 or 404", "[server][pipeline]") {
  AppWorld w;
  const Response res = w.Call(MakeRequest(http::verb::put, "/v1/tenants"));
  RequireProblem(res, S::method_not_allowed, "method_not_allowed");
  CHECK(res[http::field::allow] == "POST, GET");
  RequireProblem(w.Call(MakeRequest(http::verb::get, "http://elsewhere/healthz")), S::bad_request,
                 "malformed_request");
  RequireProblem(w.Call(MakeRequest(http::verb::get, "*")), S::bad_request, "malformed_request");
  RequireProblem(w.Call(MakeRequest(http::verb::get, "/healthz/../v1/tenants")), S::not_found, "not_found");
}

TEST_CASE("readiness turns off when the drain begins", "[server][pipeline]") {
  AppWorld w;
  CHECK(w.Call(MakeRequest(http::verb::get, "/readyz")).result() == S::ok);
  for (auto& hook : w.app().hooks().on_drain) hook();
  RequireProblem(w.Call(MakeRequest(http::verb::get, "/readyz")), S::service_unavailable, "unavailable");
  CHECK(w.Call(MakeRequest(http::verb::get, "/healthz")).result() == S::ok);
}

TEST_CASE("concurrent requests through one pipeline", "[server][pipeline]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const Onboarded& me = t % 2 ? a : b;
      const Onboarded& other = t % 2 ? b : a;
      for (int i = 0; i < 50; ++i) {
        Response mine = w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), me.key));
        Response theirs =
            w.Call(WithBearer(MakeRequest(http::verb::get, "/t/" + other.slug + "/v1/tenant"), me.key));
        boost::system::error_code ec;
        auto v = json::parse(mine.body(), ec);
        if (ec || mine.result() != S::ok || v.as_object().at("id").as_string() != me.id) ++wrong;
        if (theirs.result() != S::not_found) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong.load() == 0);
}

}  // namespace
}  // namespace tenancyd::testing

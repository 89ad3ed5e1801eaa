// An SLO burn over real sockets: a tenant's handler fails (a route injected
// through App::router()), the evaluation fires burn-rate alerts that land
// in that tenant's event outbox (and its webhooks), its health turns
// degraded with an incident; when the handler recovers, the alerts resolve.
// The other tenant sees none of it.
#include "observe_fixture.hpp"

#include <atomic>
#include <memory>
#include <set>

#include "ops/webhook_receiver.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

// GET /v1/test/flaky: 500 while `failing`, else 200.
std::function<void(App&)> FlakyRoute(std::shared_ptr<std::atomic<bool>> failing) {
  return [failing](App& app) {
    app.router().Add(Route{.method = V::get,
                           .pattern = "/v1/test/flaky",
                           .scope = Scope::kTenant,
                           .permission = tenancy::Permission::kTenantRead,
                           .handler = [failing](Exchange&) -> tenancy::Result<Response> {
                             if (failing->load()) return tenancy::Fail(tenancy::Errc::kInternal, "injected");
                             return JsonResponse(S::ok, json::object{{"ok", true}});
                           }});
  };
}

std::vector<json::value> SloEvents(ObserveServer& s, const Onboarded& t) {
  const json::value page = Expect(s.As(t, V::get, "/v1/events?type=slo.*&limit=100"), S::ok);
  std::vector<json::value> out;
  for (const auto& e : page.at("items").as_array()) out.push_back(e);
  return out;
}

TEST_CASE("a failing tenant's SLO burn fires alerts into its outbox, then resolves", "[server][observe][slo]") {
  auto failing = std::make_shared<std::atomic<bool>>(true);
  ObserveServer s([](PlatformOptions& p) { p.webhook_policy.allow_loopback = true; }, FlakyRoute(failing));
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  tenancy::testing::WebhookReceiver receiver;
  Expect(s.As(a, V::post, "/v1/webhooks",
              R"({"url":")" + receiver.Url("/slo") + R"(","event_types":["slo.*"]})"),
         S::created);

  for (int i = 0; i < 20; ++i) RequireProblem(s.As(a, V::get, "/v1/test/flaky"), S::internal_server_error, "internal");
  failing->store(false);
  for (int i = 0; i < 40; ++i) Expect(s.As(b, V::get, "/v1/test/flaky"), S::ok);
  // Anonymous failures aimed at beta are not beta's (they are 401s anyway).
  for (int i = 0; i < 20; ++i) CHECK(s.As(b, V::get, "/v1/test/flaky", {}, "tk.nope").result() == S::unauthorized);

  // Before the evaluation: nothing fired.
  CHECK(SloEvents(s, a).empty());
  auto pass = s.obs().EvaluateSlos();
  REQUIRE(pass);
  // Alpha: availability page and ticket (100 % errors burn 200x the 0.5 %
  // budget of the standard tier). Beta: nothing.
  CHECK(pass->alerts == 2);
  CHECK(pass->delivered == pass->alerts);
  CHECK(pass->pending == 0);

  const std::vector<json::value> fired = SloEvents(s, a);
  REQUIRE(fired.size() == 2);
  std::set<std::string> severities;
  for (const json::value& e : fired) {
    CHECK(e.at("type").as_string() == "slo.alert.fired");
    const json::object& data = e.at("data").as_object();
    CHECK(data.at("tenant").as_string() == a.id);
    CHECK(data.at("indicator").as_string() == "availability");
    CHECK(data.at("transition").as_string() == "fired");
    CHECK(data.at("short_burn_rate").to_number<double>() > data.at("factor").to_number<double>());
    severities.emplace(data.at("severity").as_string());
  }
  CHECK(severities == std::set<std::string>{"page", "ticket"});
  CHECK(SloEvents(s, b).empty());
  CHECK(Expect(s.As(b, V::get, "/v1/tenant/health"), S::ok).at("status").as_string() == "healthy");

  // Health and incidents.
  const json::value health = Expect(s.As(a, V::get, "/v1/tenant/health"), S::ok);
  CHECK(health.at("status").as_string() == "degraded");
  CHECK(health.at("alerts").as_array().size() == 2);
  REQUIRE(health.at("open_incident").is_int64());
  const json::value ph = Expect(s.Op(V::get, "/v1/platform/health"), S::ok);
  CHECK(ph.at("degraded").as_int64() == 1);
  CHECK(ph.at("healthy").as_int64() == 1);
  const json::value incidents = Expect(s.Op(V::get, "/v1/platform/incidents?tenant=" + a.slug), S::ok);
  CHECK(incidents.at("count").as_int64() == 1);
  REQUIRE(incidents.at("tenants").as_array().size() == 1);
  CHECK(incidents.at("tenants").as_array()[0].at("slug").as_string() == a.slug);
  CHECK(incidents.at("tenants").as_array()[0].at("incidents").as_array()[0].at("resolved_at_ms").is_null());
  RequireProblem(s.Op(V::get, "/v1/platform/incidents?month=2024-13"), S::bad_request, "invalid_argument");
  const json::value other_month = Expect(s.Op(V::get, "/v1/platform/incidents?month=2001-01"), S::ok);
  CHECK(other_month.at("count").as_int64() == 0);
  const auto metrics = s.Scrape();
  CHECK(Sample(metrics, "tenancy_slo_alerts_total", "tenancy_slo_alerts_total",
               {{"tenant", a.id}, {"transition", "fired"}, {"severity", "page"}}) == 1);

  // The dashboard's traffic shows the errors (5xx) of this hour.
  const json::value dash = Expect(s.As(a, V::get, "/v1/tenant/dashboard"), S::ok);
  CHECK(dash.at("traffic").at("errors").as_int64() == 20);
  CHECK(dash.at("health").at("status").as_string() == "degraded");

  // The webhook subscription delivers them, signed.
  REQUIRE(s.platform().DispatchWebhooks());
  const auto got = receiver.requests();
  REQUIRE(got.size() == 2);
  for (const auto& r : got) {
    CHECK(r.body.find("slo.alert.fired") != std::string::npos);
    CHECK(r.signature.rfind("v1,", 0) == 0);
  }

  // Recovery: the handler works again and the short windows pass.
  failing->store(false);
  s.clock().Advance(31min);
  for (int i = 0; i < 30; ++i) Expect(s.As(a, V::get, "/v1/test/flaky"), S::ok);
  auto recovered = s.obs().EvaluateSlos();
  REQUIRE(recovered);
  std::vector<std::string> types;
  for (const json::value& e : SloEvents(s, a)) types.emplace_back(e.at("type").as_string());
  REQUIRE(types.size() == 4);
  CHECK(types[2] == "slo.alert.resolved");
  CHECK(types[3] == "slo.alert.resolved");
  CHECK(Expect(s.As(a, V::get, "/v1/tenant/health"), S::ok).at("status").as_string() == "healthy");
  const json::value closed = Expect(s.Op(V::get, "/v1/platform/incidents?tenant=" + a.id), S::ok);
  CHECK(closed.at("tenants").as_array()[0].at("incidents").as_array()[0].at("resolved_at_ms").is_int64());
}

TEST_CASE("4xx answers do not burn a tenant's availability budget", "[server][observe][slo]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  for (int i = 0; i < 40; ++i) Expect(s.As(a, V::get, "/v1/vehicles/vh_nope"), S::not_found);
  for (int i = 0; i < 10; ++i) Expect(s.As(a, V::post, "/v1/vehicles", "{bad json"), S::bad_request);
  auto pass = s.obs().EvaluateSlos();
  REQUIRE(pass);
  CHECK(pass->alerts == 0);
  CHECK(SloEvents(s, a).empty());
  CHECK(Expect(s.As(a, V::get, "/v1/tenant/health"), S::ok).at("status").as_string() == "healthy");
  // ...and a suspended tenant is reported suspended to the operator.
  Expect(s.Op(V::post, "/v1/tenants/" + a.slug + "/suspend", R"({"reason":"test"})"), S::ok);
  const json::value ph = Expect(s.Op(V::get, "/v1/platform/health"), S::ok);
  CHECK(ph.at("suspended").as_int64() == 1);
  CHECK(ph.at("tenants").as_array()[0].at("status").as_string() == "suspended");
  CHECK(ph.at("tenants").as_array()[0].at("state").as_string() == "suspended");
}

}  // namespace
}  // namespace tenancyd::testing

// /metrics over real sockets: valid Prometheus 0.0.4 (strictly parsed),
// counting exactly the requests made, per tenant and per route; guarded by
// a platform credential; scraped while two threads send requests.
#include "observe_fixture.hpp"

#include <atomic>
#include <thread>

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

TEST_CASE("/metrics is Prometheus 0.0.4 and counts the requests made", "[server][observe][metrics]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  for (int i = 0; i < 7; ++i) Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  for (int i = 0; i < 3; ++i) Expect(s.As(b, V::get, "/v1/ping"), S::ok);
  Expect(s.As(a, V::get, "/v1/vehicles/vh_missing"), S::not_found);
  // Anonymous traffic aimed at alpha is the platform's, not alpha's.
  for (int i = 0; i < 2; ++i) RequireProblem(s.As(a, V::get, "/v1/ping", {}, "tk.bogus"), S::unauthorized, "unauthenticated");

  const auto m = s.Scrape();
  for (const char* family : {"tenancy_requests_total", "tenancy_request_errors_total",
                             "tenancy_request_duration_seconds", "tenancy_cpu_seconds_total",
                             "tenancy_storage_bytes", "tenancyd_route_requests_total",
                             "tenancyd_onboarding_duration_seconds", "tenancy_slo_alerts_total",
                             "tenancyd_tenants", "tenancyd_active_tenants"}) {
    INFO(family);
    REQUIRE(m.families.count(family) == 1);
    CHECK(!m.at(family).help.empty());
  }
  CHECK(m.at("tenancy_requests_total").type == "counter");
  CHECK(m.at("tenancy_request_duration_seconds").type == "histogram");
  CHECK(m.at("tenancy_storage_bytes").type == "gauge");

  const auto req = [&](const Onboarded& t, const char* cls) {
    return Sample(m, "tenancy_requests_total", "tenancy_requests_total",
                  {{"tenant", t.id}, {"status_class", cls}});
  };
  CHECK(req(a, "2xx") == 7);
  CHECK(req(a, "4xx") == 1);
  CHECK(req(b, "2xx") == 3);
  CHECK(req(b, "4xx") == 0);
  // The histogram of alpha saw its 8 requests; +Inf equals _count.
  CHECK(Sample(m, "tenancy_request_duration_seconds", "tenancy_request_duration_seconds_count",
               {{"tenant", a.id}}) == 8);
  CHECK(Sample(m, "tenancy_request_duration_seconds", "tenancy_request_duration_seconds_bucket",
               {{"tenant", a.id}, {"le", "+Inf"}}) == 8);
  CHECK(Sample(m, "tenancy_cpu_seconds_total", "tenancy_cpu_seconds_total", {{"tenant", a.id}}) > 0);
  // Per route, all tenants together: 10 pings answered 2xx, 2 refused 401.
  CHECK(Sample(m, "tenancyd_route_requests_total", "tenancyd_route_requests_total",
               {{"route", "GET /v1/ping"}, {"status_class", "2xx"}}) == 10);
  CHECK(Sample(m, "tenancyd_route_requests_total", "tenancyd_route_requests_total",
               {{"route", "GET /v1/ping"}, {"status_class", "4xx"}}) == 2);
  CHECK(Sample(m, "tenancyd_route_requests_total", "tenancyd_route_requests_total",
               {{"route", "POST /v1/tenants"}, {"status_class", "2xx"}}) == 2);
  CHECK(Sample(m, "tenancyd_onboarding_duration_seconds", "tenancyd_onboarding_duration_seconds_count",
               {}) == 2);
  // No series carries a tenant label for the unauthenticated requests.
  for (const auto& sample : m.at("tenancy_requests_total").samples)
    if (sample.labels.count("tenant")) CHECK((sample.labels.at("tenant") == a.id || sample.labels.at("tenant") == b.id));

  // A second scrape counts the first one (a platform request, no tenant).
  const auto again = s.Scrape();
  CHECK(Sample(again, "tenancyd_route_requests_total", "tenancyd_route_requests_total",
               {{"route", "GET /metrics"}, {"status_class", "2xx"}}) >= 1);
  CHECK(Sample(again, "tenancy_requests_total", "tenancy_requests_total",
               {{"tenant", a.id}, {"status_class", "2xx"}}) == 7);
}

TEST_CASE("/metrics needs a platform credential", "[server][observe][metrics]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  RequireProblem(s.Call(V::get, "/metrics", ""), S::unauthorized, "unauthenticated");
  // A tenant admin's key, also with the tenant named in every way.
  RequireProblem(s.Call(V::get, "/metrics", a.key), S::forbidden, "permission_denied");
  RequireProblem(s.Call(V::get, "/metrics", a.key, {}, {{"X-Tenant", a.slug}}), S::forbidden,
                 "permission_denied");
  CHECK(s.Call(V::get, "/t/" + a.slug + "/metrics", a.key).result() == S::not_found);
  // A read-only platform role is enough.
  auto ro = s.platform().auth().CreateApiKey(tenancy::TenantId{}, "prometheus",
                                              {std::string(tenancy::roles::kSupportReadOnly)});
  REQUIRE(ro);
  const Response ok = s.Call(V::get, "/metrics", ro->key);
  REQUIRE(ok.result() == S::ok);
  CHECK(ok[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(tenancy::testing::ParsePrometheus(ok.body()).families.count("tenancy_requests_total") == 1);
  RequireProblem(s.Call(V::get, "/metrics?format=json", s.OperatorKey()), S::bad_request, "invalid_argument");
}

TEST_CASE("/metrics scraped while two threads send requests stays valid and ends exact",
          "[server][observe][metrics][concurrency]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  constexpr int kPerThread = 60;
  std::atomic<int> running{2};
  std::atomic<int> failures{0};
  const auto hammer = [&](const Onboarded& t) {
    // One keep-alive connection per thread.
    TestClient c(s.port());
    for (int i = 0; i < kPerThread; ++i) {
      auto res = c.Roundtrip(WithBearer(MakeRequest(V::get, "/t/" + t.slug + "/v1/ping"), t.key));
      if (!res || res->result() != S::ok) failures.fetch_add(1);
    }
    running.fetch_sub(1);
  };
  std::thread ta(hammer, std::cref(a));
  std::thread tb(hammer, std::cref(b));
  double last_a = 0, last_b = 0;
  int scrapes = 0;
  std::vector<std::string> errors;
  while (running.load() > 0 || scrapes < 2) {
    const Response res = s.Op(V::get, "/metrics");
    if (res.result() != S::ok) {
      errors.push_back("status " + std::to_string(res.result_int()));
      break;
    }
    try {
      const auto m = tenancy::testing::ParsePrometheus(res.body());
      const double va = Sample(m, "tenancy_requests_total", "tenancy_requests_total",
                               {{"tenant", a.id}, {"status_class", "2xx"}});
      const double vb = Sample(m, "tenancy_requests_total", "tenancy_requests_total",
                               {{"tenant", b.id}, {"status_class", "2xx"}});
      // Counters never go backwards between scrapes, and a histogram's
      // count equals its +Inf bucket in every scrape.
      if (va < last_a || vb < last_b) errors.push_back("a counter went backwards");
      last_a = va;
      last_b = vb;
      const double count = Sample(m, "tenancy_request_duration_seconds",
                                  "tenancy_request_duration_seconds_count", {{"tenant", a.id}});
      const double inf = Sample(m, "tenancy_request_duration_seconds",
                                "tenancy_request_duration_seconds_bucket", {{"tenant", a.id}, {"le", "+Inf"}});
      if (count != inf) errors.push_back("_count != +Inf bucket");
    } catch (const tenancy::testing::PromParseError& e) {
      errors.push_back(e.what());
    }
    ++scrapes;
  }
  ta.join();
  tb.join();
  INFO((errors.empty() ? std::string() : errors.front()));
  CHECK(errors.empty());
  CHECK(failures.load() == 0);
  CHECK(scrapes >= 2);
  const auto final_scrape = s.Scrape();
  CHECK(Sample(final_scrape, "tenancy_requests_total", "tenancy_requests_total",
               {{"tenant", a.id}, {"status_class", "2xx"}}) == kPerThread);
  CHECK(Sample(final_scrape, "tenancy_requests_total", "tenancy_requests_total",
               {{"tenant", b.id}, {"status_class", "2xx"}}) == kPerThread);
  CHECK(Sample(final_scrape, "tenancyd_route_requests_total", "tenancyd_route_requests_total",
               {{"route", "GET /v1/ping"}, {"status_class", "2xx"}}) == 2 * kPerThread);
}

}  // namespace
}  // namespace tenancyd::testing

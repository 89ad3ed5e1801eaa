// Governance in the pipeline: the plan's request rate (429 + Retry-After),
// read-only quarantine, metering of billable requests, the quarantine
// policy fed by accounting, per-tenant counters, and the shutdown flush.
#include "data_plane_fixture.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include "plans.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using namespace std::chrono_literals;

Response Ping(AppWorld& w, const Onboarded& t) {
  return w.Call(WithBearer(MakeRequest(http::verb::get, "/t/" + t.slug + "/v1/ping"), t.key));
}

std::int64_t Metered(AppWorld& w, const Onboarded& t) {
  auto report = w.app().platform().metering().Query(
      IdOf(t), w.clock().Now() - 24h, w.clock().Now() + 1h, kApiRequests);
  REQUIRE(report);
  std::int64_t n = 0;
  for (const auto& total : report->totals) {
    REQUIRE(total.tenant == IdOf(t));
    n += total.amount;
  }
  return n;
}

// A write-shaped tenant route, and a POST that only reads, for the
// read-only quarantine checks.
void AddProbeRoutes(AppWorld& w) {
  const auto ok = [](Exchange&) -> tenancy::Result<Response> {
    return JsonResponse(S::ok, json::object{{"ok", true}});
  };
  w.app().router().Add(Route{.method = http::verb::post,
                             .pattern = "/v1/test-write",
                             .scope = Scope::kTenant,
                             .permission = tenancy::Permission::kFleetWrite,
                             .handler = ok});
  w.app().router().Add(Route{.method = http::verb::post,
                             .pattern = "/v1/test-read",
                             .scope = Scope::kTenant,
                             .permission = tenancy::Permission::kTenantRead,
                             .handler = ok,
                             .reads_only = true});
}

TEST_CASE("every tier starts with a plan, and a restart keeps an operator's change",
          "[server][governance]") {
  AppWorld w;
  for (std::string_view tier : kTiers) {
    auto plan = w.app().platform().quotas().GetPlan(tier);
    REQUIRE(plan);
    CHECK(plan->limits.at(std::string(kApiRequests)).kind == tenancy::LimitKind::kRate);
    CHECK(plan->limits.at(std::string(kRidesBooked)).kind == tenancy::LimitKind::kPeriodic);
    CHECK(plan->limits.at(std::string(kVehicles)).kind == tenancy::LimitKind::kGauge);
  }
  // Dearer tiers never get less.
  CHECK(DefaultPlan("free")->limits.at("vehicles").amount <
        DefaultPlan("enterprise")->limits.at("vehicles").amount);
  tenancy::Plan mine;
  mine.limits.emplace("vehicles", tenancy::Limit::Gauge(3));
  REQUIRE(w.app().platform().quotas().SetPlan("free", mine));
  w.Reopen();
  auto after = w.app().platform().quotas().GetPlan("free");
  REQUIRE(after);
  CHECK(*after == mine);
}

TEST_CASE("a tenant past its request rate gets 429 rate_limited with Retry-After; others do not",
          "[server][governance]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  SetRate(w, a, 2, 10s);  // one request per 5 s, two at once
  REQUIRE(Ping(w, a).result() == S::ok);
  REQUIRE(Ping(w, a).result() == S::ok);
  const Response limited = Ping(w, a);
  RequireProblem(limited, S::too_many_requests, "rate_limited");
  CHECK(limited[http::field::retry_after] == "5");
  // The neighbour is untouched.
  for (int i = 0; i < 5; ++i) REQUIRE(Ping(w, b).result() == S::ok);
  // Waiting the advertised time is enough, and no less.
  w.clock().Advance(4s);
  RequireProblem(Ping(w, a), S::too_many_requests, "rate_limited");
  w.clock().Advance(1s);
  CHECK(Ping(w, a).result() == S::ok);
}

TEST_CASE("a rate refusal holds the caller's connection until the tenant's next free slot",
          "[server][governance][hold]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  // The governance clock stands still: every refusal waits the same 200 ms
  // for its unit, and the real clock barely moves between the calls.
  SetRate(w, a, 5, 1s, 1);
  const auto ping = [&](const Onboarded& t, Connection& c) {
    return w.app().Handle(WithBearer(MakeRequest(http::verb::get, "/t/" + t.slug + "/v1/ping"), t.key),
                          c);
  };
  Connection first, second, third, neighbour;
  REQUIRE(ping(a, first).result() == S::ok);
  CHECK(first.hold_reading == std::chrono::nanoseconds{0});
  REQUIRE(ping(a, first).result() == S::too_many_requests);
  REQUIRE(ping(a, second).result() == S::too_many_requests);
  REQUIRE(ping(a, third).result() == S::too_many_requests);
  // Each refusal takes the next slot, one unit (200 ms) after the last:
  // the held connections wake one at a time, not together.
  CHECK(first.hold_reading > 150ms);
  CHECK(first.hold_reading <= 200ms);
  CHECK(second.hold_reading - first.hold_reading > 150ms);
  CHECK(second.hold_reading - first.hold_reading <= 200ms);
  CHECK(third.hold_reading - second.hold_reading > 150ms);
  // Slots never lie more than kMaxReadHold ahead.
  for (int i = 0; i < 6; ++i) {
    Connection c;
    REQUIRE(ping(a, c).result() == S::too_many_requests);
    CHECK(c.hold_reading > std::chrono::nanoseconds{0});
    CHECK(c.hold_reading <= kMaxReadHold);
  }
  // A served request clears a hold the connection was given before, and
  // another tenant is never held for A's flood.
  w.clock().Advance(1s);
  REQUIRE(ping(a, first).result() == S::ok);
  CHECK(first.hold_reading == std::chrono::nanoseconds{0});
  for (int i = 0; i < 5; ++i) {
    REQUIRE(ping(b, neighbour).result() == S::ok);
    CHECK(neighbour.hold_reading == std::chrono::nanoseconds{0});
  }
  // A wait longer than kMaxReadHold is held for kMaxReadHold.
  SetRate(w, a, 1, 8000h, 1);
  Connection slow;
  (void)ping(a, slow);  // takes the fresh burst, if any
  REQUIRE(ping(a, slow).result() == S::too_many_requests);
  CHECK(slow.hold_reading == kMaxReadHold);
}

TEST_CASE("with holding turned off, a refusal holds nothing", "[server][governance][hold]") {
  AppOptions options;
  options.hold_throttled_connections = false;
  AppWorld w(options);
  const Onboarded a = w.Onboard("alpha");
  SetRate(w, a, 1, 1h, 1);
  Connection c;
  const auto ping = [&] {
    return w.app().Handle(WithBearer(MakeRequest(http::verb::get, "/t/alpha/v1/ping"), a.key), c);
  };
  REQUIRE(ping().result() == S::ok);
  RequireProblem(ping(), S::too_many_requests, "rate_limited");
  CHECK(c.hold_reading == std::chrono::nanoseconds{0});
}

TEST_CASE("racing threads get exactly the rate's burst, and only served requests are metered",
          "[server][governance]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  SetRate(w, a, 10, 1h);  // the clock stands still: 10 in all
  const std::int64_t before = Metered(w, a);
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 8; ++i) {
        const Response r = Ping(w, a);
        if (r.result() == S::ok) {
          ++ok;
        } else if (r.result() == S::too_many_requests) {
          ++limited;
        } else {
          ++other;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 10);
  CHECK(limited == 22);
  CHECK(other == 0);
  CHECK(Metered(w, a) - before == 10);
  auto load = w.app().governance().LoadOf(IdOf(a));
  REQUIRE(load);
  CHECK(load->throttled == 22);
  CHECK(load->requests >= 32);
  CHECK(load->server_errors == 0);
  CHECK(load->latency_max >= std::chrono::nanoseconds{0});
}

TEST_CASE("only the tenant's own authenticated requests are billed to it", "[server][governance]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const std::int64_t a0 = Metered(w, a), b0 = Metered(w, b);
  for (int i = 0; i < 3; ++i) REQUIRE(Ping(w, a).result() == S::ok);
  // Anonymous, bad-credential and other-tenant requests to beta: refused,
  // and nobody's bill.
  CHECK(w.Call(MakeRequest(http::verb::get, "/t/beta/v1/ping")).result() == S::unauthorized);
  CHECK(w.Call(WithBearer(MakeRequest(http::verb::get, "/t/beta/v1/ping"), "tk.nope")).result() ==
        S::unauthorized);
  CHECK(w.Call(WithBearer(MakeRequest(http::verb::get, "/t/beta/v1/ping"), a.key)).result() ==
        S::not_found);
  // A route that does not exist has no tenant caller: not billed.
  CHECK(w.Call(WithBearer(MakeRequest(http::verb::get, "/t/alpha/v1/tenants"), a.key)).result() ==
        S::not_found);
  // A refusal inside the tenant (a key without the permission) is use.
  auto driver = w.app().platform().auth().CreateApiKey(IdOf(a), "driver", {"driver"});
  REQUIRE(driver);
  CHECK(w.Call(WithBearer(MakeRequest(http::verb::get, "/t/alpha/v1/vehicles"), driver->key))
            .result() == S::forbidden);
  CHECK(Metered(w, a) - a0 == 4);
  CHECK(Metered(w, b) - b0 == 0);
  // Nor do they count for beta's quarantine metrics.
  REQUIRE(w.app().platform().quarantine().Evaluate());
  auto mb = w.app().platform().quarantine().Metrics(IdOf(b));
  CHECK((!mb || mb->requests == 0));
  auto ma = w.app().platform().quarantine().Metrics(IdOf(a));
  REQUIRE(ma);
  CHECK(ma->requests == 4);  // three pings and the refused read
}

TEST_CASE("a quarantined tenant may read but not write: 403 tenant_read_only",
          "[server][governance]") {
  AppWorld w;
  AddProbeRoutes(w);
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const auto post = [&](const Onboarded& t, const std::string& path) {
    return w.Call(WithBearer(MakeRequest(http::verb::post, "/t/" + t.slug + path, "{}"), t.key));
  };
  REQUIRE(post(a, "/v1/test-write").result() == S::ok);
  const Response q = w.Call(WithBearer(
      MakeRequest(http::verb::post, "/v1/tenants/" + a.id + "/quarantine", R"({"reason":"noisy"})"),
      w.OperatorKey()));
  REQUIRE(q.result() == S::ok);
  CHECK(Str(BodyJson(q), "state") == "quarantined");
  // Through the policy: the tenant's rates are reduced too, and its
  // history names the operator's reason.
  CHECK(w.app().platform().quotas().RateFactor(IdOf(a)) < 1.0);
  CHECK(w.app().platform().quarantine().IsQuarantined(IdOf(a)));
  RequireProblem(post(a, "/v1/test-write"), S::forbidden, "tenant_read_only");
  CHECK(post(a, "/v1/test-read").result() == S::ok);
  CHECK(Ping(w, a).result() == S::ok);
  CHECK(post(b, "/v1/test-write").result() == S::ok);  // the neighbour writes on
  const Response r = w.Call(WithBearer(
      MakeRequest(http::verb::post, "/v1/tenants/" + a.id + "/resume", R"({"reason":"calm"})"),
      w.OperatorKey()));
  REQUIRE(r.result() == S::ok);
  CHECK(Str(BodyJson(r), "state") == "active");
  CHECK(w.app().platform().quotas().RateFactor(IdOf(a)) == 1.0);
  CHECK_FALSE(w.app().platform().quarantine().IsQuarantined(IdOf(a)));
  CHECK(post(a, "/v1/test-write").result() == S::ok);
}

TEST_CASE("a tenant writable in quarantine when the platform says so", "[server][governance]") {
  AppWorld w({}, {}, [](PlatformOptions& p) { p.quarantine.read_only = false; });
  AddProbeRoutes(w);
  const Onboarded a = w.Onboard("alpha");
  REQUIRE(w.app().platform().quarantine().Quarantine(IdOf(a), "test"));
  CHECK(w.Call(WithBearer(MakeRequest(http::verb::post, "/t/alpha/v1/test-write", "{}"), a.key))
            .result() == S::ok);
}

TEST_CASE("accounting feeds the quarantine policy: a tenant that keeps getting throttled is "
          "quarantined, then read-only",
          "[server][governance]") {
  AppWorld w({}, {}, [](PlatformOptions& p) {
    p.quarantine.min_requests = 10;
    p.quarantine.sustain = 0s;
    p.quarantine.thresholds = {.throttled_ratio = 0.5, .error_ratio = {}, .time_share = {}};
  });
  AddProbeRoutes(w);
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  SetRate(w, a, 2, 1h);
  for (int i = 0; i < 20; ++i) (void)Ping(w, a);   // 2 served, 18 throttled
  for (int i = 0; i < 20; ++i) REQUIRE(Ping(w, b).result() == S::ok);
  auto report = w.app().platform().quarantine().Evaluate();
  REQUIRE(report);
  REQUIRE(report->quarantined.size() == 1);
  CHECK(report->quarantined[0] == IdOf(a));
  CHECK(w.app().platform().quarantine().IsQuarantined(IdOf(a)));
  CHECK_FALSE(w.app().platform().quarantine().IsQuarantined(IdOf(b)));
  auto metrics = w.app().platform().quarantine().Metrics(IdOf(a));
  REQUIRE(metrics);
  CHECK(metrics->throttled == 18);
  CHECK(metrics->requests == 20);
  w.clock().Advance(2h);  // the rate is whole again; the quarantine stays
  RequireProblem(
      w.Call(WithBearer(MakeRequest(http::verb::post, "/t/alpha/v1/test-write", "{}"), a.key)),
      S::forbidden, "tenant_read_only");
}

TEST_CASE("the shutdown hook writes meters to disk", "[server][governance]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  for (int i = 0; i < 4; ++i) REQUIRE(Ping(w, a).result() == S::ok);
  // A second reader of the usage file sees only what was written.
  const auto on_disk = [&] {
    tenancy::MeteringOptions o;
    o.path = (w.data_dir() / "usage.db").string();
    o.flush_interval = 0ms;
    o.clock = &w.clock();
    auto m = tenancy::Metering::Open(o);
    REQUIRE(m);
    auto r = (*m)->Query(IdOf(a), w.clock().Now() - 24h, w.clock().Now() + 1h, kApiRequests);
    REQUIRE(r);
    return r->totals.empty() ? std::int64_t{0} : r->totals[0].amount;
  };
  CHECK(on_disk() == 0);
  for (auto& hook : w.app().hooks().on_shutdown) hook();
  CHECK(on_disk() == 4);
}

}  // namespace
}  // namespace tenancyd::testing

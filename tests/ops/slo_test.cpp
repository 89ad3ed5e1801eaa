// SLOs: burn-rate alerts on a manual clock (fast burn, slow burn, blips,
// resolution), incidents and their monthly report across a month boundary,
// health states, per-tenant objectives, and concurrent recording.
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/slo.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using testing::TempDir;

TenantId Tid(std::string_view hex16) { return TenantId::Parse("tn_" + std::string(hex16)).value(); }
const TenantId kA = Tid("000000000000000a");
const TenantId kB = Tid("000000000000000b");

struct World {
  TempDir dir;
  ManualClock clock{sys_days{2024y / March / 4} + 8h};
  std::vector<AlertEvent> events;
  std::function<std::optional<TenantState>(const TenantId&)> states;
  std::unique_ptr<SloMonitor> slo;

  SloOptions Options() {
    SloOptions o;
    o.incidents_path = (dir.path() / "incidents.db").string();
    o.clock = &clock;
    o.sink = [this](const AlertEvent& e) { events.push_back(e); };
    o.tenant_state = [this](const TenantId& t) -> std::optional<TenantState> {
      return states ? states(t) : std::nullopt;
    };
    return o;
  }
  World() { Reopen(); }
  void Reopen() {
    slo.reset();
    auto s = SloMonitor::Open(Options());
    REQUIRE(s);
    slo = std::move(*s);
  }
  // One minute of traffic of a tenant: `n` requests, `errors` of them
  // failed, `slow` of them over the threshold; then the clock moves a
  // minute and the monitor evaluates.
  void Minute(const TenantId& t, int n, int errors, int slow = 0, std::string_view tier = "standard") {
    auto probe = slo->Probe(t, tier);
    REQUIRE(probe);
    for (int i = 0; i < n; ++i)
      probe->Record(/*success=*/i >= errors, i < slow ? 2s : 10ms);
    REQUIRE(slo->Evaluate());
    clock.Advance(1min);
  }
  void Minutes(int count, const TenantId& t, int n, int errors, int slow = 0) {
    for (int i = 0; i < count; ++i) Minute(t, n, errors, slow);
  }
  std::vector<AlertEvent> Take() { return std::exchange(events, {}); }
  static bool Has(const std::vector<AlertEvent>& es, SloIndicator ind, AlertSeverity sev,
                  AlertTransition tr) {
    for (const auto& e : es)
      if (e.indicator == ind && e.severity == sev && e.transition == tr) return true;
    return false;
  }
  // The first minute (from now) at which `sev` fires for `t`, within `limit`.
  std::optional<int> MinutesUntil(AlertSeverity sev, int limit, const TenantId& t, int n,
                                  int errors) {
    for (int m = 1; m <= limit; ++m) {
      Minute(t, n, errors);
      if (Has(Take(), SloIndicator::kAvailability, sev, AlertTransition::kFired)) return m;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("slo: a sustained error burst fires the page, a short blip does not", "[slo]") {
  World w;
  w.Minutes(60, kA, 100, 0);  // an hour of healthy traffic
  CHECK(w.Take().empty());

  // A blip: 30 failed requests in one minute. The short window's burn rate
  // passes 14.4x, the hour's does not (30 / 6000 = 0.5% < 1.44%).
  w.Minute(kA, 100, 30);
  w.Minutes(10, kA, 100, 0);
  CHECK_FALSE(World::Has(w.Take(), SloIndicator::kAvailability, AlertSeverity::kPage,
                         AlertTransition::kFired));
  CHECK(w.slo->Health(kA).status == HealthStatus::kHealthy);

  // A sustained burst of 5% errors (50x the budget of a 99.9% objective):
  // the 5-minute window exceeds at once, the hour only once enough of it
  // is spent (the blip still counts in it: 30 + 5t errors of 6000 > 1.44%).
  w.Take();
  auto fired = w.MinutesUntil(AlertSeverity::kPage, 40, kA, 100, 5);
  REQUIRE(fired);
  CHECK(*fired > 10);
  CHECK(*fired <= 20);
  const auto health = w.slo->Health(kA);
  CHECK(health.status == HealthStatus::kDegraded);
  CHECK_FALSE(health.alerts.empty());
  REQUIRE(health.open_incident);
  REQUIRE(health.availability);
  CHECK(*health.availability == Approx(0.95));
}

TEST_CASE("slo: the page's event carries both burn rates over the factor, and resolves", "[slo]") {
  World w;
  w.Minutes(30, kA, 100, 0);
  w.Take();
  auto fired = w.MinutesUntil(AlertSeverity::kPage, 30, kA, 100, 20);  // 20% errors
  REQUIRE(fired);
  const auto page = [](const std::vector<AlertEvent>& es) {
    for (const auto& e : es)
      if (e.severity == AlertSeverity::kPage) return e;
    return AlertEvent{};
  };
  // Recreate the firing minute's event from the monitor's report is not
  // possible after the fact; check the fired state through health instead.
  auto h = w.slo->Health(kA);
  REQUIRE(h.open_incident);
  const std::int64_t incident = *h.open_incident;

  // Errors stop. The page resolves once the 5-minute window recovers,
  // while the hour still remembers the burst.
  std::optional<int> resolved_after;
  AlertEvent resolved;
  for (int m = 1; m <= 10 && !resolved_after; ++m) {
    w.Minute(kA, 100, 0);
    auto es = w.Take();
    if (World::Has(es, SloIndicator::kAvailability, AlertSeverity::kPage, AlertTransition::kResolved)) {
      resolved_after = m;
      resolved = page(es);
    }
  }
  REQUIRE(resolved_after);
  CHECK(*resolved_after >= 4);
  CHECK(*resolved_after <= 6);
  CHECK(resolved.transition == AlertTransition::kResolved);
  CHECK(resolved.short_burn_rate <= resolved.factor);
  CHECK(resolved.long_burn_rate > resolved.factor);  // the hour has not forgotten
  CHECK(resolved.incident_id == incident);
  CHECK(resolved.tenant == kA);
  CHECK(AlertEventType(resolved) == "alert.resolved");
  auto json = ToJson(resolved);
  CHECK(json.at("transition").as_string() == "resolved");
  CHECK(json.at("tenant").as_string() == kA.str());

  // The ticket (30-minute window) resolves later; then the incident closes.
  for (int m = 0; m < 40; ++m) w.Minute(kA, 100, 0);
  auto after = w.slo->Health(kA);
  CHECK(after.status == HealthStatus::kHealthy);
  CHECK(after.alerts.empty());
  CHECK_FALSE(after.open_incident);
  auto report = w.slo->MonthlyIncidents(kA, 2024y / March);
  REQUIRE(report);
  REQUIRE(report->incidents.size() == 1);
  CHECK(report->incidents[0].incident.id == incident);
  CHECK(report->incidents[0].incident.resolved_at);
  CHECK(report->incidents[0].incident.severity == AlertSeverity::kPage);
}

TEST_CASE("slo: a slow burn fires the ticket and never the page", "[slo]") {
  World w;
  // 1% errors: 10x the budget, over the ticket's 6x, under the page's 14.4x.
  bool ticket = false, page = false;
  for (int m = 0; m < 8 * 60; ++m) {
    w.Minute(kA, 100, 1);
    for (const auto& e : w.Take()) {
      if (e.transition != AlertTransition::kFired) continue;
      if (e.severity == AlertSeverity::kTicket) {
        ticket = true;
        CHECK(e.long_burn_rate > 6.0);
        CHECK(e.short_burn_rate > 6.0);
        CHECK(e.long_burn_rate < 14.4);
      }
      if (e.severity == AlertSeverity::kPage) page = true;
    }
  }
  CHECK(ticket);
  CHECK_FALSE(page);
  // Another tenant with the same tier and clean traffic stays healthy.
  w.Minute(kB, 100, 0);
  CHECK(w.slo->Health(kB).status == HealthStatus::kHealthy);
  CHECK(w.slo->Health(kA).status == HealthStatus::kDegraded);
}

TEST_CASE("slo: too few requests never alert; latency is judged on its own", "[slo]") {
  World w;
  // Every request fails, but one request in the whole window is not a
  // signal (min_requests is 10).
  w.Minute(kA, 1, 1);
  CHECK(w.Take().empty());
  CHECK(w.slo->Health(kA).status == HealthStatus::kHealthy);

  // Slow but successful requests fire the latency alert, not availability.
  World l;
  bool latency = false, availability = false;
  for (int m = 0; m < 30; ++m) {
    l.Minute(kA, 100, 0, /*slow=*/30);
    for (const auto& e : l.Take()) {
      if (e.indicator == SloIndicator::kLatency) latency = true;
      if (e.indicator == SloIndicator::kAvailability) availability = true;
    }
  }
  CHECK(latency);
  CHECK_FALSE(availability);
  auto h = l.slo->Health(kA);
  REQUIRE(h.latency);
  CHECK(*h.latency == Approx(0.7));
  REQUIRE(h.availability);
  CHECK(*h.availability == Approx(1.0));
}

TEST_CASE("slo: per-tenant objectives override the tier's, durably", "[slo]") {
  World w;
  SloObjective strict{0.99999, 0.99, 300ms};
  REQUIRE(w.slo->SetObjective(kA, strict));
  CHECK(w.slo->ObjectiveOf(kA).availability == strict.availability);
  CHECK(w.slo->ObjectiveOf(kB).availability == 0.999);  // standard tier's default
  CHECK(w.slo->SetObjective(kA, {1.0, 0.99, 300ms}).error().code == Errc::kInvalidArgument);
  CHECK(w.slo->SetObjective(kA, {0.99, 0.0, 300ms}).error().code == Errc::kInvalidArgument);
  CHECK(w.slo->SetObjective(kA, {0.99, 0.99, 0ms}).error().code == Errc::kInvalidArgument);
  w.Reopen();
  CHECK(w.slo->ObjectiveOf(kA).availability == strict.availability);

  // 0.1% errors: nothing for a 99.9% tenant, a page for the 99.999% one.
  for (int m = 0; m < 20; ++m) {
    w.Minute(kA, 1000, 1);
    w.Minute(kB, 1000, 1);
  }
  CHECK(w.slo->Health(kA).status == HealthStatus::kDegraded);
  CHECK(w.slo->Health(kB).status == HealthStatus::kHealthy);
  REQUIRE(w.slo->ClearObjective(kA));
  CHECK(w.slo->ObjectiveOf(kA).availability == 0.999);

  // Tiers pick objectives: the free tier's 99% tolerates 1% errors.
  World t;
  for (int m = 0; m < 30; ++m) t.Minute(kA, 100, 1, 0, "free");
  CHECK(t.slo->Health(kA).status == HealthStatus::kHealthy);
  CHECK(t.slo->ObjectiveOf(kA).availability == 0.99);
}

TEST_CASE("slo: incidents are reported per tenant per month across the boundary", "[slo]") {
  World w;
  w.clock.Set(sys_days{2024y / January / 31} + 23h);
  w.Minutes(30, kA, 100, 0);  // 23:00-23:30 healthy
  // 23:30: a total outage opens an incident within minutes.
  std::optional<TimePoint> opened;
  for (int m = 0; m < 10 && !opened; ++m) {
    const TimePoint at = w.clock.Now();
    w.Minute(kA, 100, 100);
    if (!w.Take().empty()) opened = at;
  }
  REQUIRE(opened);
  w.Minutes(60, kA, 100, 100);  // the outage lasts past midnight
  for (int guard = 0; guard < 240 && w.slo->Health(kA).open_incident; ++guard) w.Minute(kA, 100, 0);
  REQUIRE_FALSE(w.slo->Health(kA).open_incident);
  // A second incident in February, for another tenant too.
  w.clock.Set(sys_days{2024y / February / 10} + 12h);
  for (int m = 0; m < 15; ++m) {
    w.Minute(kA, 100, 100);
    w.Minute(kB, 100, 100);
  }
  for (int m = 0; m < 120; ++m) {
    w.Minute(kA, 100, 0);
    w.Minute(kB, 100, 0);
  }

  auto jan = w.slo->MonthlyIncidents(kA, 2024y / January);
  auto feb = w.slo->MonthlyIncidents(kA, 2024y / February);
  auto mar = w.slo->MonthlyIncidents(kA, 2024y / March);
  REQUIRE(jan);
  REQUIRE(feb);
  REQUIRE(mar);
  REQUIRE(jan->incidents.size() == 1);
  const Incident& first = jan->incidents[0].incident;
  REQUIRE(first.resolved_at);
  const TimePoint midnight = sys_days{2024y / February / 1};
  CHECK(first.opened_at < midnight);
  CHECK(*first.resolved_at > midnight);
  // January: opened there, its minutes up to midnight.
  CHECK(jan->count == 1);
  const double before = duration<double, std::ratio<60>>(midnight - first.opened_at).count();
  const double after = duration<double, std::ratio<60>>(*first.resolved_at - midnight).count();
  CHECK(jan->total_minutes == Approx(before));
  // February: the carried-over part (not counted again) plus the second incident.
  CHECK(feb->count == 1);
  REQUIRE(feb->incidents.size() == 2);
  CHECK(feb->incidents[0].incident.id == first.id);
  CHECK(feb->incidents[0].minutes_in_month == Approx(after));
  const Incident& second = feb->incidents[1].incident;
  REQUIRE(second.resolved_at);
  const double second_minutes =
      duration<double, std::ratio<60>>(*second.resolved_at - second.opened_at).count();
  CHECK(feb->total_minutes == Approx(after + second_minutes));
  CHECK(mar->count == 0);
  CHECK(mar->incidents.empty());
  CHECK(ToJson(*feb).at("month").as_string() == "2024-02");

  // The operator's report lists each tenant with incidents in the month.
  auto all = w.slo->MonthlyIncidentsAll(2024y / February);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].tenant == kA);
  CHECK((*all)[1].tenant == kB);
  CHECK((*all)[1].count == 1);
  auto jan_all = w.slo->MonthlyIncidentsAll(2024y / January);
  REQUIRE(jan_all);
  REQUIRE(jan_all->size() == 1);  // tenant B had none in January
  CHECK(w.slo->MonthlyIncidents(kA, year_month{2024y, month{13}}).error().code ==
        Errc::kInvalidArgument);
  CHECK(w.slo->MonthlyIncidents(TenantId(), 2024y / March).error().code == Errc::kInvalidArgument);
}

TEST_CASE("slo: health states and the operator's summary", "[slo]") {
  World w;
  const TenantId c = Tid("000000000000000c");
  const TenantId d = Tid("000000000000000d");
  for (int m = 0; m < 20; ++m) {
    w.Minute(kA, 100, 0);
    w.Minute(kB, 100, 50);  // failing: degraded
    w.Minute(c, 100, 50);   // failing, but quarantined
    w.Minute(d, 100, 0);    // suspended
  }
  w.states = [&](const TenantId& t) -> std::optional<TenantState> {
    if (t == c) return TenantState::kQuarantined;
    if (t == d) return TenantState::kSuspended;
    return std::nullopt;
  };
  CHECK(w.slo->Health(kA).status == HealthStatus::kHealthy);
  CHECK(w.slo->Health(kB).status == HealthStatus::kDegraded);
  CHECK(w.slo->Health(c).status == HealthStatus::kQuarantined);
  CHECK(w.slo->Health(d).status == HealthStatus::kSuspended);
  // The state passed in wins over the lookup.
  CHECK(w.slo->Health(d, TenantState::kActive).status == HealthStatus::kHealthy);
  CHECK(w.slo->Health(kB, TenantState::kSuspended).status == HealthStatus::kSuspended);
  // A tenant never seen is healthy and has no numbers.
  auto unseen = w.slo->Health(Tid("00000000000000ee"));
  CHECK(unseen.status == HealthStatus::kHealthy);
  CHECK_FALSE(unseen.availability);

  auto summary = w.slo->Summary();
  CHECK(summary.healthy == 1);
  CHECK(summary.degraded == 1);
  CHECK(summary.quarantined == 1);
  CHECK(summary.suspended == 1);
  REQUIRE(summary.tenants.size() == 4);
  CHECK(summary.tenants[0].tenant == kA);
  auto json = ToJson(summary);
  CHECK(json.at("degraded").as_int64() == 1);

  std::vector<Tenant> tenants(2);
  tenants[0].id = kB;
  tenants[0].state = TenantState::kActive;
  tenants[1].id = d;
  tenants[1].state = TenantState::kActive;  // the snapshot says active
  auto given = w.slo->Summary(tenants);
  CHECK(given.degraded == 1);
  CHECK(given.healthy == 1);
  CHECK(given.suspended == 0);
}

TEST_CASE("slo: an open incident survives a restart and is resolved once nothing fires", "[slo]") {
  World w;
  for (int m = 0; m < 10; ++m) w.Minute(kA, 100, 100);
  auto h = w.slo->Health(kA);
  REQUIRE(h.open_incident);
  const auto id = *h.open_incident;
  w.Reopen();
  CHECK(w.slo->Health(kA).open_incident == id);  // adopted from the database
  REQUIRE(w.slo->Evaluate());  // no traffic since the restart: nothing fires
  CHECK_FALSE(w.slo->Health(kA).open_incident);
  auto report = w.slo->MonthlyIncidents(kA, 2024y / March);
  REQUIRE(report);
  REQUIRE(report->incidents.size() == 1);
  CHECK(report->incidents[0].incident.resolved_at);
}

TEST_CASE("slo: concurrent recording through probes loses nothing", "[slo][concurrency]") {
  World w;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  auto probe = w.slo->Probe(kA, "standard");
  REQUIRE(probe);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) probe->Record(/*success=*/i % 10 != t, 1ms);
    });
  // Evaluations drain while the threads record.
  for (int i = 0; i < 20; ++i) REQUIRE(w.slo->Evaluate());
  for (auto& t : threads) t.join();
  REQUIRE(w.slo->Evaluate());
  auto h = w.slo->Health(kA);
  REQUIRE(h.availability);
  CHECK(*h.availability == Approx(0.9).epsilon(1e-12));
}

TEST_CASE("slo: options are validated", "[slo]") {
  TempDir dir;
  auto open = [&](auto mutate) {
    SloOptions o;
    o.incidents_path = (dir.path() / "i.db").string();
    mutate(o);
    return SloMonitor::Open(std::move(o));
  };
  CHECK(open([](SloOptions&) {}));
  CHECK(open([](SloOptions& o) { o.incidents_path.clear(); }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.clock = nullptr; }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.rules.clear(); }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.rules[0].short_window = o.rules[0].long_window; }).error().code ==
        Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.rules[0].short_window = 90s; }).error().code ==
        Errc::kInvalidArgument);  // not a multiple of the 60 s bucket
  CHECK(open([](SloOptions& o) { o.rules[0].factor = 0; }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.bucket_width = 0s; }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.min_requests = 0; }).error().code == Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.tiers["gold"] = {1.5, 0.99, 300ms}; }).error().code ==
        Errc::kInvalidArgument);
  CHECK(open([](SloOptions& o) { o.default_objective.latency = std::nan(""); }).error().code ==
        Errc::kInvalidArgument);
  SloOptions ok;
  ok.incidents_path = (dir.path() / "j.db").string();
  auto slo = SloMonitor::Open(std::move(ok));
  REQUIRE(slo);
  CHECK((*slo)->Probe(TenantId(), "standard").error().code == Errc::kInvalidArgument);
  SloProbe none;
  none.Record(false, 1s);  // a default probe ignores records
  CHECK_FALSE(none.valid());
}

}  // namespace tenancy

// Noisy-tenant quarantine on a manual clock: who is quarantined and who is
// not, thresholds just below and above, the reduced budget, automatic and
// manual release, tenants the policy must not touch, and restarts.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "governance/quota_world.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/quarantine.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/store.hpp"

using namespace tenancy;
using namespace std::chrono;

namespace {

struct World : testing::DirectoryOnManualClock {
  std::unique_ptr<Quotas> quotas;
  std::unique_ptr<QuarantinePolicy> policy;

  explicit World(QuarantineOptions o = Options()) : DirectoryOnManualClock(TimePoint{seconds{1'780'000'000}}) {
    quotas = std::move(Quotas::Open(QuotaOptionsHere(), *directory).value());
    Plan plan;
    plan.limits.emplace("api.requests", Limit::Rate(100, seconds(1), 100));
    REQUIRE(quotas->SetPlan("standard", plan));
    OpenPolicy(o);
  }

  static QuarantineOptions Options() {
    QuarantineOptions o;
    o.window = seconds(60);
    o.min_requests = 100;
    o.sustain = seconds(30);
    o.cooldown = seconds(120);
    o.rate_factor = 0.1;
    return o;
  }

  void OpenPolicy(QuarantineOptions o) {
    policy.reset();
    o.clock = &clock;
    o.quotas = quotas.get();
    auto p = QuarantinePolicy::Open(o, *directory);
    REQUIRE(p);
    policy = std::move(*p);
  }

  TenantState State(const TenantId& id) { return directory->Get(id).value()->state; }

  // `total` requests of which `throttled` were denied and `errors` failed.
  void Traffic(const TenantId& id, int total, int throttled, int errors = 0,
               nanoseconds each = milliseconds(1)) {
    for (int i = 0; i < total; ++i)
      policy->Observe(id, {each, i < errors, i < throttled});
  }

  QuarantineReport Tick(seconds step = seconds(10)) {
    clock.Advance(step);
    auto r = policy->Evaluate();
    REQUIRE(r);
    CHECK(r->errors.empty());
    return *r;
  }
};

bool Contains(const std::vector<TenantId>& ids, const TenantId& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

TEST_CASE("A noisy tenant is quarantined after the sustain time; a quiet neighbour is not",
          "[quarantine]") {
  World w;
  auto noisy = w.Provision("noisy");
  auto quiet = w.Provision("quiet");
  auto noisy_rate = w.quotas->Resolve(noisy.id, "api.requests").value();
  auto quiet_rate = w.quotas->Resolve(quiet.id, "api.requests").value();

  // t = 10 s: first breach; 20 s, 30 s: still sustaining; 40 s: 30 s sustained.
  for (int tick = 1; tick <= 3; ++tick) {
    w.Traffic(noisy.id, 200, 180);
    w.Traffic(quiet.id, 200, 2);
    auto report = w.Tick();
    CHECK(report.quarantined.empty());
    CHECK(w.State(noisy.id) == TenantState::kActive);
  }
  w.Traffic(noisy.id, 200, 180);
  w.Traffic(quiet.id, 200, 2);
  auto report = w.Tick();
  REQUIRE(report.quarantined.size() == 1);
  CHECK(report.quarantined.front() == noisy.id);
  CHECK(w.State(noisy.id) == TenantState::kQuarantined);
  CHECK(w.State(quiet.id) == TenantState::kActive);
  CHECK(w.policy->IsQuarantined(noisy.id));
  CHECK_FALSE(w.policy->IsQuarantined(quiet.id));
  CHECK_FALSE(w.policy->IsReadOnly(noisy.id));  // read_only is off

  // The reason names the metric, its value and the threshold, in the history.
  auto history = w.directory->History(noisy.id).value();
  REQUIRE(history.back().to == TenantState::kQuarantined);
  const std::string& reason = history.back().reason;
  CHECK(reason.find("throttled ratio 0.9 > 0.5") != std::string::npos);
  CHECK(reason.find("800 requests") != std::string::npos);

  auto listed = w.policy->Quarantined();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].tenant == noisy.id);
  CHECK(listed[0].since == w.clock.Now());
  CHECK(listed[0].reason == reason);
  CHECK_FALSE(listed[0].manual);
  CHECK(listed[0].at_entry.requests == 800);
  CHECK(listed[0].at_entry.throttled == 720);

  // The budget: a tenth of the rate and burst, through the existing handle.
  auto d = noisy_rate.TryConsume(0);
  CHECK(d.limit == 10);
  int allowed = 0;
  for (int i = 0; i < 50; ++i) allowed += noisy_rate.TryConsume().allowed ? 1 : 0;
  CHECK(allowed == 10);
  CHECK(quiet_rate.TryConsume(0).limit == 100);
}

TEST_CASE("Thresholds: equal is not past, just above is; too few requests are not judged",
          "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  World w(o);
  auto at = w.Provision("at");
  auto above = w.Provision("above");
  auto few = w.Provision("few");
  auto enough = w.Provision("enough");
  w.Traffic(at.id, 200, 100);       // 0.50: not past 0.5
  w.Traffic(above.id, 200, 101);    // 0.505
  w.Traffic(few.id, 99, 0, 99);     // every request failed, but only 99
  w.Traffic(enough.id, 100, 0, 51); // 100 requests, error ratio 0.51
  auto report = w.Tick();
  CHECK_FALSE(Contains(report.quarantined, at.id));
  CHECK(Contains(report.quarantined, above.id));
  CHECK_FALSE(Contains(report.quarantined, few.id));
  CHECK(Contains(report.quarantined, enough.id));
  CHECK(w.policy->Metrics(at.id)->throttled_ratio == 0.5);
  CHECK(w.policy->Metrics(few.id)->error_ratio == 1.0);
  auto history = w.directory->History(enough.id).value();
  CHECK(history.back().reason.find("error ratio 0.51 > 0.5") != std::string::npos);
}

TEST_CASE("A breach must be sustained without interruption", "[quarantine]") {
  World w;
  auto t = w.Provision("flappy");
  w.Traffic(t.id, 200, 200);
  w.Tick();  // breach starts
  w.Traffic(t.id, 200, 200);
  w.Tick();
  // Quiet long enough for the window to forget the noise: the clock resets.
  w.Tick(seconds(61));
  w.Traffic(t.id, 200, 200);
  w.Tick();
  w.Traffic(t.id, 200, 200);
  CHECK(w.Tick(seconds(29)).quarantined.empty());  // 29 s since the new breach
  w.Traffic(t.id, 200, 200);
  CHECK(w.Tick(seconds(1)).quarantined.size() == 1);
}

TEST_CASE("Time share judges a tenant against its neighbours, never alone", "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  o.thresholds.throttled_ratio.reset();
  o.thresholds.error_ratio.reset();
  o.thresholds.time_share = 0.6;
  World w(o);
  auto hog = w.Provision("hog");
  auto lone = w.Provision("lone");
  w.Traffic(lone.id, 500, 0, 0, milliseconds(50));
  CHECK(w.Tick().quarantined.empty());  // alone: 100% of the time, nobody hurt
  w.Tick(seconds(61));                  // forget it
  w.Traffic(hog.id, 200, 0, 0, milliseconds(70));  // 14 s
  w.Traffic(lone.id, 200, 0, 0, milliseconds(30)); // 6 s
  auto report = w.Tick();
  CHECK(report.quarantined == std::vector<TenantId>{hog.id});
  CHECK(w.policy->Metrics(hog.id)->time_share == Approx(0.7));
  CHECK(w.directory->History(hog.id).value().back().reason.find("time share 0.7 > 0.6") !=
        std::string::npos);
}

TEST_CASE("Automatic release after the cool-down, not a moment before", "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  o.cooldown = seconds(120);
  World w(o);
  auto t = w.Provision("noisy");
  auto rate = w.quotas->Resolve(t.id, "api.requests").value();
  w.Traffic(t.id, 200, 200);
  REQUIRE(w.Tick().quarantined.size() == 1);
  CHECK(rate.TryConsume(0).limit == 10);

  // Still noisy for a while: no release however long.
  for (int i = 0; i < 20; ++i) {
    w.Traffic(t.id, 200, 200);
    CHECK(w.Tick().released.empty());
  }
  // Calm (too few requests to judge once the window has moved on).
  w.Tick(seconds(60));  // window empties: calm from here
  CHECK(w.Tick(seconds(119)).released.empty());
  auto report = w.Tick(seconds(1));
  CHECK(report.released == std::vector<TenantId>{t.id});
  CHECK(w.State(t.id) == TenantState::kActive);
  CHECK(w.policy->Quarantined().empty());
  CHECK(rate.TryConsume(0).limit == 100);
  auto history = w.directory->History(t.id).value();
  CHECK(history.back().from == TenantState::kQuarantined);
  CHECK(history.back().reason.find("quarantine ended") != std::string::npos);
}

TEST_CASE("Manual release and manual quarantine", "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  o.cooldown = seconds(10);
  o.read_only = true;
  World w(o);
  auto noisy = w.Provision("noisy");
  auto calm = w.Provision("calm");
  w.Traffic(noisy.id, 200, 200);
  REQUIRE(w.Tick().quarantined.size() == 1);
  CHECK(w.policy->IsReadOnly(noisy.id));
  CHECK(w.policy->Release(noisy.id, "").error().code == Errc::kInvalidArgument);
  REQUIRE(w.policy->Release(noisy.id, "customer fixed their retry loop"));
  CHECK(w.State(noisy.id) == TenantState::kActive);
  CHECK_FALSE(w.policy->IsReadOnly(noisy.id));
  CHECK(w.directory->History(noisy.id).value().back().reason ==
        "quarantine released by operator: customer fixed their retry loop");
  CHECK(w.policy->Release(noisy.id, "again").error().code == Errc::kFailedPrecondition);

  // An operator's quarantine is never released by the cool-down.
  REQUIRE(w.policy->Quarantine(calm.id, "abuse report #42"));
  CHECK(w.State(calm.id) == TenantState::kQuarantined);
  for (int i = 0; i < 5; ++i) CHECK(w.Tick(seconds(60)).released.empty());
  auto listed = w.policy->Quarantined();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].manual);
  CHECK(listed[0].reason == "quarantined by operator: abuse report #42");
  CHECK(w.policy->Quarantine(calm.id, "twice").error().code == Errc::kFailedPrecondition);
  CHECK(w.policy->Quarantine(TenantId::Generate(), "who").error().code == Errc::kTenantUnknown);
}

TEST_CASE("Suspended tenants are not touched; operators' moves are respected", "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  World w(o);
  auto suspended = w.Provision("suspended");
  auto moved = w.Provision("moved");
  REQUIRE(w.directory->ChangeState(suspended.id, TenantState::kSuspended, "unpaid"));
  w.Traffic(suspended.id, 500, 500);
  w.Traffic(moved.id, 500, 500);
  auto report = w.Tick();
  CHECK(report.quarantined == std::vector<TenantId>{moved.id});
  CHECK(w.State(suspended.id) == TenantState::kSuspended);
  CHECK(w.directory->History(suspended.id).value().back().reason == "unpaid");

  // An operator suspends the quarantined tenant through the directory: the
  // policy lets go (and restores its rates) instead of releasing it.
  REQUIRE(w.directory->ChangeState(moved.id, TenantState::kSuspended, "fraud"));
  w.Tick(seconds(600));
  CHECK(w.State(moved.id) == TenantState::kSuspended);
  CHECK(w.policy->Quarantined().empty());
  CHECK(w.quotas->RateFactor(moved.id) == 1.0);
}

TEST_CASE("A reopened policy adopts quarantined tenants and restores their budget",
          "[quarantine]") {
  auto o = World::Options();
  o.sustain = seconds(0);
  o.cooldown = seconds(30);
  World w(o);
  auto t = w.Provision("noisy");
  auto other = w.Provision("other");
  w.Traffic(t.id, 200, 200);
  REQUIRE(w.Tick().quarantined.size() == 1);
  REQUIRE(w.directory->ChangeState(other.id, TenantState::kQuarantined, "by hand"));
  // A restart: fresh quotas state (factors are not persisted) and policy.
  REQUIRE(w.quotas->SetRateFactor(t.id, 1));
  w.OpenPolicy(o);
  CHECK(w.quotas->RateFactor(t.id) == Approx(0.1));
  CHECK(w.quotas->RateFactor(other.id) == Approx(0.1));
  auto listed = w.policy->Quarantined();
  REQUIRE(listed.size() == 2);
  for (const auto& q : listed) {
    if (q.tenant == t.id) {
      CHECK_FALSE(q.manual);
      CHECK(q.reason.find("throttled ratio") != std::string::npos);
    } else {
      CHECK(q.manual);  // not our reason: an operator's
      CHECK(q.reason == "by hand");
    }
  }
  // The automatic one is released after its cool-down; the manual one stays.
  w.Tick(seconds(10));
  auto report = w.Tick(seconds(30));
  CHECK(report.released == std::vector<TenantId>{t.id});
  CHECK(w.State(other.id) == TenantState::kQuarantined);
}

TEST_CASE("Observations from many threads are all counted", "[quarantine][concurrency]") {
  World w;
  auto t = w.Provision("busy");
  auto probe = w.policy->Probe(t.id);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 10'000; ++k) {
        const Observation o{microseconds(10), k % 10 == 0, k % 4 == 0};
        if (i % 2 == 0)
          probe.Observe(o);
        else
          w.policy->Observe(t.id, o);
      }
    });
  // Evaluations racing with the observers lose nothing either.
  for (int i = 0; i < 20; ++i) REQUIRE(w.policy->Evaluate());
  for (auto& th : threads) th.join();
  REQUIRE(w.policy->Evaluate());
  auto m = w.policy->Metrics(t.id).value();
  CHECK(m.requests == 40'000);
  CHECK(m.errors == 4'000);
  CHECK(m.throttled == 10'000);
  CHECK(m.elapsed == milliseconds(400));
}

TEST_CASE("Invalid policy options are refused naming the field", "[quarantine]") {
  World w;
  const std::pair<std::function<void(QuarantineOptions&)>, std::string> cases[] = {
      {[](auto& o) { o.window = seconds(0); }, "window"},
      {[](auto& o) { o.min_requests = -1; }, "min_requests"},
      {[](auto& o) { o.sustain = seconds(-1); }, "sustain"},
      {[](auto& o) { o.cooldown = seconds(-1); }, "cooldown"},
      {[](auto& o) { o.rate_factor = 0; }, "rate_factor"},
      {[](auto& o) { o.rate_factor = 2; }, "rate_factor"},
      {[](auto& o) { o.thresholds.error_ratio = 1.5; }, "error_ratio"},
      {[](auto& o) { o.thresholds.time_share = std::nan(""); }, "time_share"},
      {[](auto& o) { o.clock = nullptr; }, "clock"},
  };
  for (const auto& [mutate, field] : cases) {
    INFO(field);
    QuarantineOptions o = World::Options();
    o.clock = &w.clock;
    mutate(o);
    auto p = QuarantinePolicy::Open(o, *w.directory);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::kInvalidArgument);
    CHECK(p.error().message.find(field) != std::string::npos);
  }
}

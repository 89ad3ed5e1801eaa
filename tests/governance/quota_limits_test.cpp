// Quota limits on a manual clock: GCRA boundaries, calendar periods in the
// tenant's time zone (DST days included), gauges, unknown limits, plans and
// overrides, validation, tenant separation and the quarantine factor.
#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <random>
#include <string>

#include "support/catch_tenancy.hpp"
#include "governance/quota_limits.hpp"
#include "governance/quota_world.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/store.hpp"

using namespace tenancy;
using namespace std::chrono;
using std::chrono::nanoseconds;

namespace {

using testing::Utc;

// A store, a directory and quotas on one manual clock, under a temp dir.
struct World : testing::DirectoryOnManualClock {
  std::unique_ptr<Quotas> quotas;

  World() : DirectoryOnManualClock(Utc(2026, 3, 15, 12)) {
    auto opened = Quotas::Open(QuotaOptionsHere(), *directory);
    REQUIRE(opened);
    quotas = std::move(*opened);
  }

  Tenant Provision(const std::string& slug, const std::string& tier = "standard") {
    return DirectoryOnManualClock::Provision(slug, tier);
  }

  TenantContext Context(const Tenant& t) {
    auto ctx = directory->MintContext(t.id, Principal{"tester", PrincipalKind::kService}, {}, "r");
    REQUIRE(ctx);
    return *ctx;
  }

  void Plan(const std::string& tier, const std::string& name, const Limit& limit) {
    tenancy::Plan p;
    p.limits.emplace(name, limit);
    REQUIRE(quotas->SetPlan(tier, p));
  }
};

QuotaDecision Take(Quotas& q, const TenantId& t, std::string_view limit, std::int64_t n = 1) {
  auto d = q.TryConsume(t, limit, n);
  REQUIRE(d);
  return *d;
}

}  // namespace

TEST_CASE("Rate: the burst passes at once, one more waits exactly one emission interval",
          "[quota][rate]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "api.requests", Limit::Rate(10, seconds(1), 5));  // T = 100 ms
  auto h = w.quotas->Resolve(t.id, "api.requests");
  REQUIRE(h);

  for (int i = 0; i < 5; ++i) {
    auto d = h->TryConsume();
    CHECK(d.allowed);
    CHECK(d.limited);
    CHECK(d.kind == LimitKind::kRate);
    CHECK(d.limit == 5);
    CHECK(d.remaining == 4 - i);
  }
  auto denied = h->TryConsume();
  CHECK_FALSE(denied.allowed);
  CHECK(denied.remaining == 0);
  CHECK(denied.retry_after == milliseconds(100));
  CHECK(denied.reset_after == milliseconds(500));
  CHECK(denied.refill_every == milliseconds(100));

  w.clock.Advance(milliseconds(99));
  denied = h->TryConsume();
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == milliseconds(1));

  w.clock.Advance(milliseconds(1));
  auto refilled = h->TryConsume();
  CHECK(refilled.allowed);
  CHECK(refilled.remaining == 0);
  CHECK_FALSE(h->TryConsume().allowed);

  // Idle for far longer than needed: the bucket holds the burst, not more.
  w.clock.Advance(seconds(60));
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += h->TryConsume().allowed ? 1 : 0;
  CHECK(allowed == 5);
}

TEST_CASE("Rate: n units, n = 0 asks without taking, n beyond the burst never fits",
          "[quota][rate]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "api.requests", Limit::Rate(4, seconds(1)));  // burst = amount = 4
  auto h = w.quotas->Resolve(t.id, "api.requests").value();

  auto peek = h.TryConsume(0);
  CHECK(peek.allowed);
  CHECK(peek.remaining == 4);
  CHECK(h.TryConsume(0).remaining == 4);

  auto three = h.TryConsume(3);
  CHECK(three.allowed);
  CHECK(three.remaining == 1);
  auto two = h.TryConsume(2);
  CHECK_FALSE(two.allowed);
  CHECK(two.remaining == 1);                          // a denial takes nothing
  CHECK(two.retry_after == milliseconds(250));        // one more cell must drain
  CHECK(h.TryConsume(1).allowed);

  auto huge = h.TryConsume(5);
  CHECK_FALSE(huge.allowed);
  CHECK(huge.retry_after == kNever);
  auto negative = h.TryConsume(-1);
  CHECK_FALSE(negative.allowed);
  CHECK(negative.retry_after == kNever);
  auto by_name = w.quotas->TryConsume(t.id, "api.requests", -1);
  REQUIRE_FALSE(by_name);
  CHECK(by_name.error().code == Errc::kInvalidArgument);
}

TEST_CASE("Rate: Consume reports a denial as kResourceExhausted with the retry-after",
          "[quota][rate]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "api.requests", Limit::Rate(2, seconds(1), 1));
  auto ctx = w.Context(t);
  REQUIRE(w.quotas->Consume(ctx, "api.requests"));
  auto denied = w.quotas->Consume(ctx, "api.requests");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == Errc::kResourceExhausted);
  CHECK(denied.error().message.find("api.requests") != std::string::npos);
  CHECK(denied.error().message.find("retry after 500 ms") != std::string::npos);
}

TEST_CASE("Unknown limits are unlimited until a plan names them; handles follow", "[quota]") {
  World w;
  auto t = w.Provision("acme");
  auto d = Take(*w.quotas, t.id, "exports.daily", 1'000'000);
  CHECK(d.allowed);
  CHECK_FALSE(d.limited);
  CHECK(d.remaining == std::numeric_limits<std::int64_t>::max());

  auto h = w.quotas->Resolve(t.id, "exports.daily").value();
  CHECK_FALSE(h.TryConsume().limited);
  w.Plan("standard", "exports.daily", Limit::Periodic(2, CalendarPeriod::kDay));
  CHECK(h.TryConsume().allowed);
  CHECK(h.TryConsume().allowed);
  auto denied = h.TryConsume();
  CHECK_FALSE(denied.allowed);
  CHECK(denied.limited);
  CHECK(denied.limit == 2);

  auto bad = w.quotas->TryConsume(t.id, "Bad Name");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
  auto nobody = w.quotas->TryConsume(TenantId::Generate(), "api.requests");
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().code == Errc::kTenantUnknown);
}

TEST_CASE("Periodic: a month ends at the tenant's local midnight (America/Sao_Paulo)",
          "[quota][periodic]") {
  World w;
  auto t = w.Provision("acme");
  REQUIRE(w.quotas->SetTimeZone(t.id, "America/Sao_Paulo"));
  w.Plan("standard", "rides.booked", Limit::Periodic(3, CalendarPeriod::kMonth));
  // 31 March 23:30 in São Paulo (-03) is already April in UTC.
  w.clock.Set(Utc(2026, 4, 1, 2, 30));
  for (int i = 0; i < 3; ++i) CHECK(Take(*w.quotas, t.id, "rides.booked").allowed);
  auto denied = Take(*w.quotas, t.id, "rides.booked");
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == minutes(30));
  auto usage = w.quotas->Usage(t.id, "rides.booked").value();
  CHECK(usage.used == 3);
  CHECK(usage.period.start == Utc(2026, 3, 1, 3));
  CHECK(usage.period.end == Utc(2026, 4, 1, 3));

  w.clock.Set(Utc(2026, 4, 1, 2, 59, 59));
  CHECK_FALSE(Take(*w.quotas, t.id, "rides.booked").allowed);
  w.clock.Set(Utc(2026, 4, 1, 3));
  auto fresh = Take(*w.quotas, t.id, "rides.booked");
  CHECK(fresh.allowed);
  CHECK(fresh.remaining == 2);
  CHECK(fresh.reset_after == Utc(2026, 5, 1, 3) - Utc(2026, 4, 1, 3));
}

TEST_CASE("Periodic: days follow DST (Berlin's 23-hour day, New York's 25-hour day)",
          "[quota][periodic]") {
  World w;
  auto berlin = w.Provision("berlin");
  auto ny = w.Provision("ny");
  REQUIRE(w.quotas->SetTimeZone(berlin.id, "Europe/Berlin"));
  REQUIRE(w.quotas->SetTimeZone(ny.id, "America/New_York"));
  w.Plan("standard", "sms.sent", Limit::Periodic(1, CalendarPeriod::kDay));

  w.clock.Set(Utc(2026, 3, 28, 23));  // 29 March 00:00 CET
  CHECK(Take(*w.quotas, berlin.id, "sms.sent").allowed);
  w.clock.Set(Utc(2026, 3, 29, 21, 59, 59));  // 23:59:59 CEST, same local day
  auto denied = Take(*w.quotas, berlin.id, "sms.sent");
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == seconds(1));
  w.clock.Set(Utc(2026, 3, 29, 22));
  CHECK(Take(*w.quotas, berlin.id, "sms.sent").allowed);

  w.clock.Set(Utc(2026, 11, 1, 4));  // 1 November 00:00 EDT
  CHECK(Take(*w.quotas, ny.id, "sms.sent").allowed);
  w.clock.Set(Utc(2026, 11, 2, 4, 30));  // 23:30 EST: 24.5 hours later, same day
  auto late = Take(*w.quotas, ny.id, "sms.sent");
  CHECK_FALSE(late.allowed);
  CHECK(late.retry_after == minutes(30));
  w.clock.Set(Utc(2026, 11, 2, 5));
  CHECK(Take(*w.quotas, ny.id, "sms.sent").allowed);
}

TEST_CASE("Periodic: a zone change applies from the next period", "[quota][periodic]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "rides.booked", Limit::Periodic(1, CalendarPeriod::kDay));
  w.clock.Set(Utc(2026, 6, 10, 12));
  CHECK(Take(*w.quotas, t.id, "rides.booked").allowed);  // UTC day
  REQUIRE(w.quotas->SetTimeZone(t.id, "Asia/Kolkata"));
  CHECK(w.quotas->TimeZoneOf(t.id).value().name() == "Asia/Kolkata");
  auto d = Take(*w.quotas, t.id, "rides.booked");
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == hours(12));  // the running UTC day keeps its end
  w.clock.Set(Utc(2026, 6, 11));
  CHECK(Take(*w.quotas, t.id, "rides.booked").allowed);
  auto next = w.quotas->Usage(t.id, "rides.booked").value();
  CHECK(next.period.end == Utc(2026, 6, 11, 18, 30));  // Kolkata's midnight

  for (std::string_view bad : {"Mars/Olympus", "../../etc/passwd", "/usr/share/zoneinfo/UTC"}) {
    auto r = w.quotas->SetTimeZone(t.id, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
  CHECK(w.quotas->SetTimeZone(TenantId::Generate(), "UTC").error().code == Errc::kTenantUnknown);
}

TEST_CASE("Gauge: a bounded level, falls always allowed, never below zero", "[quota][gauge]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "vehicles", Limit::Gauge(3));
  for (int i = 0; i < 3; ++i) {
    auto d = w.quotas->TryAdjust(t.id, "vehicles", +1);
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(d->remaining == 2 - i);
  }
  auto full = w.quotas->TryAdjust(t.id, "vehicles", +1).value();
  CHECK_FALSE(full.allowed);
  CHECK(full.retry_after == kNever);
  CHECK(w.quotas->Usage(t.id, "vehicles").value().used == 3);
  CHECK(w.quotas->TryAdjust(t.id, "vehicles", -2).value().allowed);
  CHECK(w.quotas->TryConsume(t.id, "vehicles").value().allowed);  // consuming a gauge raises it
  CHECK(w.quotas->Usage(t.id, "vehicles").value().used == 2);

  auto below = w.quotas->TryAdjust(t.id, "vehicles", -3);
  REQUIRE_FALSE(below);
  CHECK(below.error().code == Errc::kInvalidArgument);
  CHECK(w.quotas->Usage(t.id, "vehicles").value().used == 2);

  // SetLevel reports what is, even above the limit; rises stay denied.
  REQUIRE(w.quotas->SetLevel(t.id, "vehicles", 7));
  CHECK_FALSE(w.quotas->TryAdjust(t.id, "vehicles", +1).value().allowed);
  CHECK(w.quotas->TryAdjust(t.id, "vehicles", -1).value().allowed);
  CHECK(w.quotas->SetLevel(t.id, "vehicles", -1).error().code == Errc::kInvalidArgument);

  w.Plan("standard", "api.requests", Limit::Rate(1, seconds(1)));
  auto wrong = w.quotas->TryAdjust(t.id, "api.requests", 1);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::kFailedPrecondition);
}

TEST_CASE("Unconfigured gauges still track their level", "[quota][gauge]") {
  World w;
  auto t = w.Provision("acme");
  REQUIRE(w.quotas->TryAdjust(t.id, "drivers", +5).value().allowed);
  CHECK(w.quotas->Usage(t.id, "drivers").value().used == 5);
  w.Plan("standard", "drivers", Limit::Gauge(6));
  CHECK(w.quotas->TryAdjust(t.id, "drivers", +1).value().allowed);
  CHECK_FALSE(w.quotas->TryAdjust(t.id, "drivers", +1).value().allowed);
}

TEST_CASE("Overrides beat plans, and clearing one restores the plan", "[quota][plans]") {
  World w;
  auto t = w.Provision("acme");
  auto other = w.Provision("other");
  w.Plan("standard", "rides.booked", Limit::Periodic(2, CalendarPeriod::kMonth));
  auto h = w.quotas->Resolve(t.id, "rides.booked").value();
  REQUIRE(w.quotas->SetOverride(t.id, "rides.booked", Limit::Periodic(5, CalendarPeriod::kMonth)));
  CHECK(w.quotas->EffectiveLimits(t.id).value().at("rides.booked").amount == 5);
  CHECK(w.quotas->EffectiveLimits(other.id).value().at("rides.booked").amount == 2);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += h.TryConsume().allowed ? 1 : 0;
  CHECK(allowed == 5);
  int others = 0;
  for (int i = 0; i < 10; ++i) others += Take(*w.quotas, other.id, "rides.booked").allowed ? 1 : 0;
  CHECK(others == 2);

  REQUIRE(w.quotas->ClearOverride(t.id, "rides.booked"));
  REQUIRE(w.quotas->ClearOverride(t.id, "rides.booked"));  // absent: fine
  auto back = h.TryConsume();
  CHECK_FALSE(back.allowed);
  CHECK(back.limit == 2);
  CHECK(back.remaining == 0);  // usage kept: 5 used of 2
}

TEST_CASE("A tier change reaches the tenant's existing handles", "[quota][plans]") {
  World w;
  auto t = w.Provision("acme", "free");
  w.Plan("free", "api.requests", Limit::Rate(1, seconds(1)));
  w.Plan("premium", "api.requests", Limit::Rate(100, seconds(1)));
  auto h = w.quotas->Resolve(w.Context(t), "api.requests").value();
  CHECK(h.TryConsume(0).limit == 1);
  TenantUpdate up;
  up.tier = "premium";
  REQUIRE(w.directory->Update(t.id, up));
  auto ctx = w.Context(t);  // a fresh snapshot carries the new tier
  auto d = w.quotas->TryConsume(ctx, "api.requests").value();
  CHECK(d.limit == 100);
  CHECK(h.TryConsume(0).limit == 100);
}

TEST_CASE("Tenant A's consumption never touches tenant B's", "[quota]") {
  World w;
  auto a = w.Provision("alpha");
  auto b = w.Provision("bravo");
  tenancy::Plan both;
  both.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kMonth));
  both.limits.emplace("api.requests", Limit::Rate(5, seconds(1)));
  both.limits.emplace("vehicles", Limit::Gauge(4));
  REQUIRE(w.quotas->SetPlan("standard", both));
  CHECK(Take(*w.quotas, a.id, "rides.booked", 10).allowed);
  CHECK(Take(*w.quotas, a.id, "api.requests", 5).allowed);
  CHECK(w.quotas->TryAdjust(a.id, "vehicles", 4).value().allowed);
  CHECK_FALSE(Take(*w.quotas, a.id, "rides.booked").allowed);

  auto rides = Take(*w.quotas, b.id, "rides.booked", 0);
  CHECK(rides.remaining == 10);
  CHECK(Take(*w.quotas, b.id, "api.requests", 0).remaining == 5);
  CHECK(w.quotas->Usage(b.id, "vehicles").value().used == 0);
  CHECK(Take(*w.quotas, b.id, "rides.booked", 10).allowed);
}

TEST_CASE("Invalid plans and overrides are refused, naming the field, and change nothing",
          "[quota][plans]") {
  World w;
  auto t = w.Provision("acme");
  w.Plan("standard", "api.requests", Limit::Rate(10, seconds(1)));
  const tenancy::Plan before = w.quotas->GetPlan("standard").value();

  struct Case {
    Limit limit;
    std::string field;
  };
  Limit gauge_with_interval = Limit::Gauge(3);
  gauge_with_interval.interval = seconds(5);
  Limit rate_with_period = Limit::Rate(1, seconds(1));
  rate_with_period.period = CalendarPeriod::kDay;
  Limit bad_kind = Limit::Gauge(3);
  bad_kind.kind = static_cast<LimitKind>(9);
  Limit bad_period = Limit::Periodic(3, CalendarPeriod::kDay);
  bad_period.period = static_cast<CalendarPeriod>(7);
  const Case cases[] = {
      {Limit::Rate(0, seconds(1)), "amount"},
      {Limit::Rate(10, seconds(0)), "interval"},
      {Limit::Rate(10, seconds(1), -1), "burst"},
      {Limit::Rate(2'000'000'000, seconds(1)), "amount"},  // > 1 per ns
      {Limit::Rate(1, hours(24 * 300), 1'000'000), "burst"},  // 100 years of tolerance
      {Limit::Periodic(-1, CalendarPeriod::kDay), "amount"},
      {Limit::Periodic(10, CalendarPeriod::kDay, {0.9, 0.8}), "soft_thresholds"},
      {Limit::Periodic(10, CalendarPeriod::kDay, {0.0}), "soft_thresholds"},
      {Limit::Periodic(10, CalendarPeriod::kDay, {1.5}), "soft_thresholds"},
      {Limit::Gauge(10, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}), "soft_thresholds"},
      {gauge_with_interval, "interval"},
      {rate_with_period, "period"},
      {bad_kind, "kind"},
      {bad_period, "period"},
  };
  for (const auto& c : cases) {
    INFO(c.field);
    tenancy::Plan p;
    p.limits.emplace("api.requests", c.limit);
    auto r = w.quotas->SetPlan("standard", p);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(r.error().message.find(c.field) != std::string::npos);
    CHECK(r.error().message.find("api.requests") != std::string::npos);
    auto o = w.quotas->SetOverride(t.id, "api.requests", c.limit);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::kInvalidArgument);
  }
  tenancy::Plan bad_name;
  bad_name.limits.emplace("Api Requests", Limit::Rate(1, seconds(1)));
  CHECK(w.quotas->SetPlan("standard", bad_name).error().code == Errc::kInvalidArgument);
  CHECK(w.quotas->SetPlan("Not A Tier", before).error().code == Errc::kInvalidArgument);
  CHECK(w.quotas->SetOverride(TenantId::Generate(), "x", Limit::Gauge(1)).error().code ==
        Errc::kTenantUnknown);
  CHECK(w.quotas->GetPlan("standard").value() == before);
  CHECK(Take(*w.quotas, t.id, "api.requests", 0).limit == 10);
}

TEST_CASE("The rate factor scales rates through existing handles and leaves amounts alone",
          "[quota][rate]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("api.requests", Limit::Rate(10, seconds(1), 10));  // T = 100 ms
  p.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kMonth));
  REQUIRE(w.quotas->SetPlan("standard", p));
  auto h = w.quotas->Resolve(t.id, "api.requests").value();
  REQUIRE(w.quotas->SetRateFactor(t.id, 0.2));
  CHECK(w.quotas->RateFactor(t.id) == 0.2);
  auto first = h.TryConsume();
  CHECK(first.limit == 2);  // burst 10 * 0.2
  CHECK(h.TryConsume().allowed);
  auto denied = h.TryConsume();
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after == milliseconds(500));  // T / 0.2
  CHECK(Take(*w.quotas, t.id, "rides.booked", 10).allowed);

  REQUIRE(w.quotas->SetRateFactor(t.id, 1));
  CHECK(h.TryConsume(0).limit == 10);
  for (double bad : {0.0, -1.0, 1.5, std::nan("")})
    CHECK(w.quotas->SetRateFactor(t.id, bad).error().code == Errc::kInvalidArgument);
}

TEST_CASE("The rate path's reciprocal division equals integer division over its whole domain",
          "[quota][rate]") {
  // The hot path divides by multiplying with 1/T (DivideByEmission). Any
  // rounding it gets wrong would misreport `remaining` by one: check it
  // against `/` at the edges of its domain (quotients up to a burst's
  // largest size, numerators up to the largest tolerance) and at random
  // points of it.
  std::mt19937_64 rng(20261127);
  std::size_t checked = 0, wrong = 0;
  std::vector<std::int64_t> divisors = {1, 2, 3, 7, 999'999'999, 1'000'000'000, quota::kMaxInterval};
  for (int i = 0; i < 200; ++i)
    divisors.push_back(std::uniform_int_distribution<std::int64_t>(1, quota::kMaxInterval)(rng));
  for (std::int64_t d : divisors) {
    quota::Params p;
    p.emission = d;
    p.inv_emission = 1.0 / static_cast<double>(d);
    const std::int64_t top = d > quota::kMaxTolerance / quota::kMaxAmount
                                 ? quota::kMaxTolerance
                                 : std::min(quota::kMaxTolerance, quota::kMaxAmount * d);
    std::vector<std::int64_t> xs = {0, 1, d - 1, d, d + 1, top, top - 1, (top / d) * d,
                                    (top / d) * d - 1};
    for (int i = 0; i < 500; ++i)
      xs.push_back(std::uniform_int_distribution<std::int64_t>(0, top)(rng));
    for (int i = 0; i < 100; ++i) {  // exact multiples and their neighbours
      const std::int64_t q = std::uniform_int_distribution<std::int64_t>(0, top / d)(rng);
      for (std::int64_t x : {q * d - 1, q * d, q * d + 1})
        if (x >= 0 && x <= top) xs.push_back(x);
    }
    for (std::int64_t x : xs) {
      if (x < 0 || x > top) continue;
      ++checked;
      if (quota::DivideByEmission(x, p) != x / d) {
        ++wrong;
        UNSCOPED_INFO("x = " << x << ", T = " << d);
      }
    }
  }
  CHECK(wrong == 0);
  CHECK(checked > 100'000);
}


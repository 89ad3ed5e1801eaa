// Quota hot paths beside the cheapest thing they could be: one atomic add.
//
//   BM_Quota_TryConsume                   QuotaHandle::TryConsume on a rate limit (GCRA:
//                                         seqlock read of the parameters, SystemClock read,
//                                         CAS loop on the theoretical arrival time)
//   BM_Quota_TryConsumePeriodic           QuotaHandle::TryConsume on a monthly amount
//                                         (period check, CAS loop on the used count)
//   BM_Quota_TryConsume*_Baseline         std::atomic<int64_t>::fetch_add on one shared counter
//
// The same two on a ManualClock (reading it is one atomic load), to show the
// cost of the algorithm apart from the clock; and the clock read alone:
//
//   BM_Quota_TryConsumeManualClock        rate limit, time from a ManualClock
//   BM_Quota_TryConsumePeriodicManualClock periodic limit, time from a ManualClock
//   BM_Quota_TryConsume*TickingClock       the same on a TickingClock (the wall clock
//                                         read from memory, 1 ms resolution: what a server uses)
//   BM_Quota_ClockNow                     SystemClock().Now() through the Clock interface
//
// Each runs on 1 and 2 threads sharing one tenant's limit (and one counter
// for the baseline), so contention is measured alike. The limits are large
// enough never to deny: the allowed path is the one every request takes.
#include <benchmark/benchmark.h>

#include <atomic>

#include "bench_support.hpp"
#include "tenancy/quota.hpp"

namespace tenancy::bench {
namespace {

struct QuotaWorld {
  World world;
  std::unique_ptr<Quotas> quotas;
  QuotaHandle rate;
  QuotaHandle periodic;

  QuotaWorld(std::string_view name, Clock& clock) : world(name) {
    const Tenant t = world.Provision("bench", IsolationModel::kShared);
    QuotaOptions o;
    o.path = (world.dir / "quotas.db").string();
    o.clock = &clock;
    quotas = Must(Quotas::Open(o, *world.directory), "open quotas");
    Plan plan;
    // One unit per nanosecond with a burst of ~11 days of units: never denies.
    plan.limits.emplace("api.requests",
                        Limit::Rate(1'000'000'000, std::chrono::seconds(1), 1'000'000'000'000'000));
    plan.limits.emplace("rides.booked",
                        Limit::Periodic(1'000'000'000'000'000, CalendarPeriod::kMonth, {0.8}));
    Must(quotas->SetPlan("standard", plan), "plan");
    rate = Must(quotas->Resolve(t.id, "api.requests"), "resolve rate");
    periodic = Must(quotas->Resolve(t.id, "rides.booked"), "resolve periodic");
  }
};

QuotaWorld& Quota() {
  static QuotaWorld w("quota", SystemClock());
  return w;
}

QuotaWorld& QuotaOnManualClock() {
  static ManualClock clock;
  static QuotaWorld w("quota_manual", clock);
  return w;
}

// What a server passes: the wall clock read from memory (1 ms resolution).
QuotaWorld& QuotaOnTickingClock() {
  static TickingClock clock;
  static QuotaWorld w("quota_ticking", clock);
  return w;
}

std::atomic<std::int64_t> g_counter{0};

void Consume(benchmark::State& state, const QuotaHandle& h) {
  std::int64_t denied = 0;
  for (auto _ : state) {
    const QuotaDecision d = h.TryConsume();
    denied += d.allowed ? 0 : 1;
    benchmark::DoNotOptimize(d);
  }
  if (denied != 0) state.SkipWithError("a limit denied: the benchmark measured the wrong path");
}

void Baseline(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(g_counter.fetch_add(1, std::memory_order_relaxed));
}

void BM_Quota_TryConsume(benchmark::State& state) { Consume(state, Quota().rate); }
void BM_Quota_TryConsume_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_TryConsumePeriodic(benchmark::State& state) { Consume(state, Quota().periodic); }
void BM_Quota_TryConsumePeriodic_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_TryConsumeManualClock(benchmark::State& state) {
  Consume(state, QuotaOnManualClock().rate);
}
void BM_Quota_TryConsumeManualClock_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_TryConsumePeriodicManualClock(benchmark::State& state) {
  Consume(state, QuotaOnManualClock().periodic);
}
void BM_Quota_TryConsumePeriodicManualClock_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_TryConsumeTickingClock(benchmark::State& state) {
  Consume(state, QuotaOnTickingClock().rate);
}
void BM_Quota_TryConsumeTickingClock_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_TryConsumePeriodicTickingClock(benchmark::State& state) {
  Consume(state, QuotaOnTickingClock().periodic);
}
void BM_Quota_TryConsumePeriodicTickingClock_Baseline(benchmark::State& state) { Baseline(state); }
void BM_Quota_ClockNow(benchmark::State& state) {
  const Clock& clock = SystemClock();
  for (auto _ : state) benchmark::DoNotOptimize(clock.Now());
}
void BM_Quota_ClockNow_Baseline(benchmark::State& state) { Baseline(state); }

BENCHMARK(BM_Quota_TryConsume)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsume_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodic)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodic_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumeManualClock)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumeManualClock_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodicManualClock)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodicManualClock_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumeTickingClock)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumeTickingClock_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodicTickingClock)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_TryConsumePeriodicTickingClock_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Quota_ClockNow)->Threads(1);
BENCHMARK(BM_Quota_ClockNow_Baseline)->Threads(1);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

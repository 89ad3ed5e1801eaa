// Telemetry's record paths beside plain C++, single-threaded and with two
// threads recording at once:
//
//   BM_Metrics_CounterAdd               CounterCell::Add(1) on one tenant's series: the
//                                       thread's stripe, one relaxed atomic add
//   BM_Metrics_CounterAdd_Baseline      std::atomic<uint64_t>::fetch_add(1, relaxed) on one
//                                       counter (shared by the threads)
//   BM_Metrics_HistogramObserve         HistogramCell::Observe(v) into the 11 default latency
//                                       buckets, v cycling over 16 values across them: the
//                                       bucket search, a relaxed add, the sum's CAS
//   BM_Metrics_HistogramObserve_Baseline  the same shape as the counter's baseline: one
//                                       relaxed atomic add per value (the floor of any
//                                       histogram that counts in shared memory)
//   BM_Log_Line                         Logger::Info with a tenant, request id, trace id, a
//                                       message and 4 fields (string, integer, double,
//                                       bool) rendered to one JSON line and handed to a
//                                       sink that discards it
//   BM_Log_Line_Baseline                snprintf of the same content (same keys, values,
//                                       an ISO time from gmtime_r) into a stack buffer:
//                                       no escaping, no redaction, no sink
//
// The logger reads a ManualClock: the line's cost, not the clock's, is
// measured (the server passes a TickingClock, one load).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>

#include "bench_support.hpp"
#include "tenancy/log.hpp"
#include "tenancy/metrics.hpp"

namespace tenancy::bench {
namespace {

TenantId BenchTenant(int n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "tn_%016x", n);
  return Must(TenantId::Parse(buf), "tenant id");
}

// -- metrics --

struct MetricsWorld {
  std::unique_ptr<MetricsRegistry> registry = std::make_unique<MetricsRegistry>();
  CounterCell* counter = nullptr;
  HistogramCell* histogram = nullptr;

  MetricsWorld() {
    // A realistic registry: the standard instruments for a few hundred
    // tenants, so the cells sit among others as in a server.
    auto m = Must(TenantRequestMetrics::Register(*registry), "register");
    const int tenants = SmokeMode() ? 20 : 500;
    for (int t = 0; t < tenants; ++t) (void)m.For(BenchTenant(t));
    const auto cells = m.For(BenchTenant(tenants / 2));
    counter = cells.by_class[1];
    histogram = cells.latency;
  }
};

MetricsWorld& Metrics() {
  static MetricsWorld w;
  return w;
}

// 16 latencies spread over the default buckets (0.005 … 10 s) and past them.
constexpr double kLatencies[16] = {0.001, 0.004, 0.007, 0.012, 0.02,  0.03, 0.06, 0.09,
                                   0.2,   0.3,   0.7,   1.5,   3.0,   6.0,  9.0,  20.0};

void BM_Metrics_CounterAdd(benchmark::State& state) {
  CounterCell* cell = Metrics().counter;
  for (auto _ : state) cell->Add(1);
  state.SetItemsProcessed(state.iterations());
}

std::atomic<std::uint64_t> g_baseline_counter{0};

void BM_Metrics_CounterAdd_Baseline(benchmark::State& state) {
  for (auto _ : state) g_baseline_counter.fetch_add(1, std::memory_order_relaxed);
  state.SetItemsProcessed(state.iterations());
}

void BM_Metrics_HistogramObserve(benchmark::State& state) {
  HistogramCell* cell = Metrics().histogram;
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 5;
  for (auto _ : state) {
    cell->Observe(kLatencies[i++ & 15]);
  }
  state.SetItemsProcessed(state.iterations());
}

std::atomic<std::uint64_t> g_baseline_buckets[16];

void BM_Metrics_HistogramObserve_Baseline(benchmark::State& state) {
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 5;
  for (auto _ : state) {
    // The value picks the word, as a bucket would.
    benchmark::DoNotOptimize(kLatencies[i & 15]);
    g_baseline_buckets[i++ & 15].fetch_add(1, std::memory_order_relaxed);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Metrics_CounterAdd);
BENCHMARK(BM_Metrics_CounterAdd)->Threads(2);
BENCHMARK(BM_Metrics_CounterAdd_Baseline);
BENCHMARK(BM_Metrics_CounterAdd_Baseline)->Threads(2);
BENCHMARK(BM_Metrics_HistogramObserve);
BENCHMARK(BM_Metrics_HistogramObserve)->Threads(2);
BENCHMARK(BM_Metrics_HistogramObserve_Baseline);
BENCHMARK(BM_Metrics_HistogramObserve_Baseline)->Threads(2);

// -- logs --

class DiscardSink final : public LogSink {
 public:
  void Write(const LogLine& line) noexcept override { benchmark::DoNotOptimize(line.text.data()); }
};

struct LogWorld {
  ManualClock clock{FromUnixMillis(1'709'287'507'123)};
  std::unique_ptr<Logger> logger;
  TenantId tenant = BenchTenant(7);
  LogWorld() {
    logger = Must(Logger::Create({.clock = &clock, .sinks = {std::make_shared<DiscardSink>()}}),
                  "logger");
  }
};

LogWorld& Logs() {
  static LogWorld w;
  return w;
}

constexpr const char* kRequestId = "req-7f3a9c2e41d0";
constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

void BM_Log_Line(benchmark::State& state) {
  LogWorld& w = Logs();
  std::int64_t n = 0;
  for (auto _ : state) {
    w.logger->Info(LogScope(w.tenant, kRequestId, kTraceId), "ride booked",
                   {{"ride", "r-000123"}, {"seats", ++n}, {"km", 12.4}, {"paid", true}});
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Log_Line_Baseline(benchmark::State& state) {
  LogWorld& w = Logs();
  char buf[512];
  std::int64_t n = 0;
  for (auto _ : state) {
    const std::time_t secs = static_cast<std::time_t>(ToUnixMillis(w.clock.Now()) / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    const int len = std::snprintf(
        buf, sizeof buf,
        "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"level\":\"info\",\"tenant\":\"%s\","
        "\"request_id\":\"%s\",\"trace_id\":\"%s\",\"msg\":\"%s\",\"fields\":{\"ride\":\"%s\","
        "\"seats\":%lld,\"km\":%g,\"paid\":%s}}",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        static_cast<int>(ToUnixMillis(w.clock.Now()) % 1000), w.tenant.str().c_str(), kRequestId,
        kTraceId, "ride booked", "r-000123", static_cast<long long>(++n), 12.4, "true");
    benchmark::DoNotOptimize(len);
    benchmark::DoNotOptimize(buf);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Log_Line);
BENCHMARK(BM_Log_Line_Baseline);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

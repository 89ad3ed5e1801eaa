// Metering's record path beside plain C++, single-threaded and with two
// threads recording at once:
//
//   BM_Meter_Record                 MeterHandle::Add(1) on one (tenant, meter): the
//                                   hour read from the system clock, the hour-slot check,
//                                   one atomic add on this thread's stripe
//   BM_Meter_Record_Baseline        std::atomic<int64_t>::fetch_add(1) on one counter
//                                   (shared by the threads, as one meter would be)
//   BM_Meter_RecordByName           Metering::Record(tenant, meter, 1) over 1000 tenants x
//                                   4 meters in a fixed pseudo-random order
//   BM_Meter_RecordByName_Baseline  std::unordered_map<std::string, int64_t> find + add
//                                   over the same keys, prebuilt; one map per thread (no
//                                   sharing at all: the floor, not a rival design)
//
// The Metering runs as in production: system clock, background flush every
// second into a WAL SQLite file.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "bench_support.hpp"
#include "tenancy/metering.hpp"

namespace tenancy::bench {
namespace {

constexpr int kMeterCount = 4;
constexpr const char* kMeters[kMeterCount] = {"rides.booked", "km.driven", "api.requests",
                                              "storage.bytes"};
constexpr std::size_t kOrderLength = 1 << 14;  // a power of two
constexpr int kMaxThreads = 2;

int TenantCount() { return SmokeMode() ? 50 : 1000; }

struct Key {
  std::uint32_t tenant;
  std::uint32_t meter;
};

// The sequence of (tenant, meter) pairs each by-name benchmark walks; thread
// t starts at a different offset.
std::vector<Key> KeyOrder() {
  std::vector<Key> order(kOrderLength);
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& k : order) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    k.tenant = static_cast<std::uint32_t>((x >> 33) % static_cast<std::uint64_t>(TenantCount()));
    k.meter = static_cast<std::uint32_t>((x >> 17) % kMeterCount);
  }
  return order;
}

TenantId BenchTenant(int n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "tn_%016x", n);
  return Must(TenantId::Parse(buf), "tenant id");
}

struct MeterWorld {
  std::filesystem::path dir = ScratchRoot::Sub("metering");
  std::unique_ptr<Metering> metering;
  MeterHandle rides;
  std::vector<TenantId> tenants;
  std::vector<Key> order = KeyOrder();

  MeterWorld() {
    const auto start = std::chrono::steady_clock::now();
    MeteringOptions o;
    o.path = (dir / "usage.db").string();
    metering = Must(Metering::Open(o), "open metering");
    for (int t = 0; t < TenantCount(); ++t) tenants.push_back(BenchTenant(t));
    for (const auto& tenant : tenants)
      for (const char* meter : kMeters) Must(metering->Record(tenant, meter, 0), "resolve");
    rides = Must(metering->Resolve(tenants[0], "rides.booked"), "handle");
    ReportSetup("metering: " + std::to_string(tenants.size() * kMeterCount) + " meters",
                SecondsSince(start));
  }
};

MeterWorld& World() {
  static MeterWorld world;
  return world;
}

// The baseline's keys and maps: "tn_…/meter" strings, one map per thread.
struct MapWorld {
  std::vector<std::string> keys;  // tenant * kMeterCount + meter
  std::vector<std::unordered_map<std::string, std::int64_t>> maps;
  std::vector<Key> order = KeyOrder();

  MapWorld() {
    for (int t = 0; t < TenantCount(); ++t)
      for (const char* meter : kMeters) keys.push_back(BenchTenant(t).str() + "/" + meter);
    maps.resize(kMaxThreads);
    for (auto& m : maps)
      for (const auto& k : keys) m.emplace(k, 0);
  }
};

MapWorld& Maps() {
  static MapWorld world;
  return world;
}

void BM_Meter_Record(benchmark::State& state) {
  const MeterHandle handle = World().rides;
  for (auto _ : state) {
    auto r = handle.Add(1);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

std::atomic<std::int64_t> g_counter{0};

void BM_Meter_Record_Baseline(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_counter.fetch_add(1));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Meter_RecordByName(benchmark::State& state) {
  MeterWorld& w = World();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * (kOrderLength / 2);
  for (auto _ : state) {
    const Key k = w.order[i++ & (kOrderLength - 1)];
    auto r = w.metering->Record(w.tenants[k.tenant], kMeters[k.meter], 1);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Meter_RecordByName_Baseline(benchmark::State& state) {
  MapWorld& w = Maps();
  auto& map = w.maps[static_cast<std::size_t>(state.thread_index())];
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * (kOrderLength / 2);
  for (auto _ : state) {
    const Key k = w.order[i++ & (kOrderLength - 1)];
    auto it = map.find(w.keys[k.tenant * kMeterCount + k.meter]);
    it->second += 1;
    benchmark::DoNotOptimize(it->second);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Meter_Record);
BENCHMARK(BM_Meter_Record)->Threads(2);
BENCHMARK(BM_Meter_Record_Baseline);
BENCHMARK(BM_Meter_Record_Baseline)->Threads(2);
BENCHMARK(BM_Meter_RecordByName);
BENCHMARK(BM_Meter_RecordByName)->Threads(2);
BENCHMARK(BM_Meter_RecordByName_Baseline);
BENCHMARK(BM_Meter_RecordByName_Baseline)->Threads(2);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

// Directory benchmarks: lookups on the request path (by id and by slug)
// against a plain std::unordered_map<std::string, Tenant> holding the same
// tenants, read with the same pre-shuffled key sequence.
//
// The world — 100k shared-model tenants (2k with TENANCY_BENCH_SMOKE=1),
// provisioned through Directory::Provision — is built once per process; how
// long that took is printed on stderr as a "setup:" line.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_support.hpp"

namespace tenancy::bench {
namespace {

std::size_t DirectoryTenants() { return SmokeMode() ? 2'000 : 100'000; }

class DirectoryWorld {
 public:
  static DirectoryWorld& Get() {
    static DirectoryWorld w;
    return w;
  }

  World world{"directory"};
  // The same tenants and the same shuffled order for library and baseline.
  std::vector<TenantId> ids;
  std::vector<std::string> id_keys;
  std::vector<std::string> slugs;
  std::unordered_map<std::string, Tenant> by_id;
  std::unordered_map<std::string, Tenant> by_slug;

 private:
  DirectoryWorld() {
    const std::size_t n = DirectoryTenants();
    std::vector<Tenant> tenants;
    tenants.reserve(n);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i)
      tenants.push_back(world.Provision(Key("tenant-", i), IsolationModel::kShared));
    const double took = SecondsSince(start);
    char each[32];
    std::snprintf(each, sizeof each, "%.0f", took * 1e6 / static_cast<double>(n));
    ReportSetup("directory_bench provisioned " + std::to_string(n) +
                    " shared tenants through Directory::Provision (" + each + " us each)",
                took);

    std::shuffle(tenants.begin(), tenants.end(), std::mt19937_64(1234));
    by_id.reserve(n);
    by_slug.reserve(n);
    for (const auto& t : tenants) {
      ids.push_back(t.id);
      id_keys.push_back(t.id.str());
      slugs.push_back(t.slug);
    }
    // Insert in provisioning order (as the index was filled), look up in
    // the shuffled one.
    std::vector<const Tenant*> in_order;
    for (const auto& t : tenants) in_order.push_back(&t);
    std::sort(in_order.begin(), in_order.end(),
              [](const Tenant* a, const Tenant* b) { return a->slug < b->slug; });
    for (const Tenant* t : in_order) {
      by_id.emplace(t->id.str(), *t);
      by_slug.emplace(t->slug, *t);
    }
  }
};

void BM_Directory_LookupById(benchmark::State& state) {
  auto& w = DirectoryWorld::Get();
  const Directory& dir = *w.world.directory;
  const auto& keys = w.ids;
  std::size_t i = 0, missed = 0;
  for (auto _ : state) {
    auto r = dir.Get(keys[i]);
    missed += !r;
    benchmark::DoNotOptimize(r);
    if (++i == keys.size()) i = 0;
  }
  if (missed) state.SkipWithError("Directory::Get missed a provisioned tenant");
  state.counters["tenants"] = static_cast<double>(keys.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Directory_LookupById_Baseline(benchmark::State& state) {
  auto& w = DirectoryWorld::Get();
  const auto& map = w.by_id;
  const auto& keys = w.id_keys;
  std::size_t i = 0, missed = 0;
  for (auto _ : state) {
    auto it = map.find(keys[i]);
    const Tenant* t = it == map.end() ? nullptr : &it->second;
    missed += t == nullptr;
    benchmark::DoNotOptimize(t);
    if (++i == keys.size()) i = 0;
  }
  if (missed) state.SkipWithError("baseline map missed a tenant");
  state.counters["tenants"] = static_cast<double>(keys.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Directory_LookupBySlug(benchmark::State& state) {
  auto& w = DirectoryWorld::Get();
  const Directory& dir = *w.world.directory;
  const auto& keys = w.slugs;
  std::size_t i = 0, missed = 0;
  for (auto _ : state) {
    auto r = dir.GetBySlug(keys[i]);
    missed += !r;
    benchmark::DoNotOptimize(r);
    if (++i == keys.size()) i = 0;
  }
  if (missed) state.SkipWithError("Directory::GetBySlug missed a provisioned tenant");
  state.counters["tenants"] = static_cast<double>(keys.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Directory_LookupBySlug_Baseline(benchmark::State& state) {
  auto& w = DirectoryWorld::Get();
  const auto& map = w.by_slug;
  const auto& keys = w.slugs;
  std::size_t i = 0, missed = 0;
  for (auto _ : state) {
    auto it = map.find(keys[i]);
    const Tenant* t = it == map.end() ? nullptr : &it->second;
    missed += t == nullptr;
    benchmark::DoNotOptimize(t);
    if (++i == keys.size()) i = 0;
  }
  if (missed) state.SkipWithError("baseline map missed a tenant");
  state.counters["tenants"] = static_cast<double>(keys.size());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Directory_LookupById)->UseRealTime();
BENCHMARK(BM_Directory_LookupById_Baseline)->UseRealTime();
BENCHMARK(BM_Directory_LookupBySlug)->UseRealTime();
BENCHMARK(BM_Directory_LookupBySlug_Baseline)->UseRealTime();

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

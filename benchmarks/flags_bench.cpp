// Feature flags and rules beside the plain C++ they replace.
//
//   BM_Flags_Static              FlagSet::GetBool of a flag without targeting
//   BM_Flags_Static_Baseline     std::unordered_map<std::string, bool>::find of the same key
//   BM_Flags_Targeted            GetBool of a flag whose targeting tests the tenant's tier
//                                and the rider's zone (one context reused across calls;
//                                $flagd and targetingKey bound over it, not copied)
//   BM_Flags_Targeted_Baseline   the same decision in plain C++ over the same JSON context
//   BM_Flags_Fractional          GetString of a 3-way fractional rollout (MurmurHash3 bucketing)
//   BM_Flags_Fractional_Baseline a map lookup plus a modulo over std::hash of the key
//   BM_Flags_TenantLayered       FlagStore::For(tenant) then GetBool (tenant set over platform)
//   BM_Flags_TenantLayered_Baseline two map lookups (tenant map, then platform map)
//   BM_Rules_Guard               Rule::Test of a workflow guard (and / in / >=)
//   BM_Rules_Guard_Baseline      the same guard in plain C++ over the same JSON data
//
// Goals (issue #5): static flag < 100 ns, targeted flag < 1 µs.
#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include <string>
#include <unordered_map>

#include "bench_support.hpp"
#include "tenancy/flags.hpp"
#include "tenancy/rules.hpp"

namespace tenancy::bench {
namespace {

constexpr std::string_view kFlags = R"({
  "flags": {
    "static-flag": {"state": "ENABLED", "variants": {"on": true, "off": false},
                    "defaultVariant": "on"},
    "targeted-flag": {"state": "ENABLED", "variants": {"on": true, "off": false},
                      "defaultVariant": "off",
                      "targeting": {"if": [{"and": [
                          {"==": [{"var": "tenant.tier"}, "enterprise"]},
                          {"in": [{"var": "zone"}, ["north", "east", "harbour"]]}]},
                        "on", "off"]}},
    "rollout": {"state": "ENABLED", "variants": {"a": "a", "b": "b", "c": "c"},
                "defaultVariant": "a",
                "targeting": {"fractional": [["a", 50], ["b", 30], ["c", 20]]}}
  }
})";

const FlagSet& Flags() {
  static const FlagSet set = Must(FlagSet::Parse(kFlags), "flag set");
  return set;
}

const std::shared_ptr<const Tenant>& BenchTenant() {
  static const auto tenant = [] {
    auto t = std::make_shared<Tenant>();
    t->id = TenantId::Generate();
    t->slug = "acme";
    t->tier = "enterprise";
    return std::shared_ptr<const Tenant>(std::move(t));
  }();
  return tenant;
}

boost::json::object RiderContext() {
  return WithTenant(*BenchTenant(), boost::json::object{{"targetingKey", "rider-42"}, {"zone", "harbour"}});
}

void BM_Flags_Static(benchmark::State& state) {
  const FlagSet& flags = Flags();
  for (auto _ : state) {
    auto d = flags.GetBool("static-flag", false);
    benchmark::DoNotOptimize(d.value);
  }
}
BENCHMARK(BM_Flags_Static);

void BM_Flags_Static_Baseline(benchmark::State& state) {
  const std::unordered_map<std::string, bool> flags = {
      {"static-flag", true}, {"targeted-flag", false}, {"rollout", false}};
  const std::string key = "static-flag";
  for (auto _ : state) {
    auto it = flags.find(key);
    bool value = it != flags.end() && it->second;
    benchmark::DoNotOptimize(value);
  }
}
BENCHMARK(BM_Flags_Static_Baseline);

void BM_Flags_Targeted(benchmark::State& state) {
  const FlagSet& flags = Flags();
  const boost::json::object context = RiderContext();
  for (auto _ : state) {
    auto d = flags.GetBool("targeted-flag", false, context);
    if (!d.value) state.SkipWithError("targeting did not match");
    benchmark::DoNotOptimize(d.value);
  }
}
BENCHMARK(BM_Flags_Targeted);

void BM_Flags_Targeted_Baseline(benchmark::State& state) {
  const boost::json::object context = RiderContext();
  for (auto _ : state) {
    bool on = false;
    const auto* tenant = context.if_contains("tenant");
    const auto* zone = context.if_contains("zone");
    if (tenant && tenant->is_object() && zone && zone->is_string()) {
      const auto* tier = tenant->as_object().if_contains("tier");
      const auto& z = zone->get_string();
      on = tier && tier->is_string() && tier->get_string() == "enterprise" &&
           (z == "north" || z == "east" || z == "harbour");
    }
    if (!on) state.SkipWithError("baseline did not match");
    benchmark::DoNotOptimize(on);
  }
}
BENCHMARK(BM_Flags_Targeted_Baseline);

void BM_Flags_Fractional(benchmark::State& state) {
  const FlagSet& flags = Flags();
  const boost::json::object context = RiderContext();
  for (auto _ : state) {
    auto d = flags.GetString("rollout", "a", context);
    benchmark::DoNotOptimize(d.value.data());
  }
}
BENCHMARK(BM_Flags_Fractional);

void BM_Flags_Fractional_Baseline(benchmark::State& state) {
  const std::unordered_map<std::string, int> weights = {{"rollout", 100}};
  const boost::json::object context = RiderContext();
  static const char* const kVariants[] = {"a", "b", "c"};
  for (auto _ : state) {
    const auto& key = context.at("targetingKey").get_string();
    const std::size_t bucket = std::hash<std::string_view>{}(key) % weights.at("rollout");
    const char* variant = kVariants[bucket < 50 ? 0 : bucket < 80 ? 1 : 2];
    benchmark::DoNotOptimize(variant);
  }
}
BENCHMARK(BM_Flags_Fractional_Baseline);

void BM_Flags_TenantLayered(benchmark::State& state) {
  FlagStore store;
  store.SetPlatform(Flags());
  store.SetTenant(BenchTenant()->id,
                  Must(FlagSet::Parse(R"({"flags": {"static-flag": {"state": "ENABLED",
                         "variants": {"on": true, "off": false}, "defaultVariant": "off"}}})"),
                       "tenant flags"));
  for (auto _ : state) {
    auto d = store.For(BenchTenant()).GetBool("static-flag", true);
    if (d.value) state.SkipWithError("tenant override not applied");
    benchmark::DoNotOptimize(d.value);
  }
}
BENCHMARK(BM_Flags_TenantLayered);

void BM_Flags_TenantLayered_Baseline(benchmark::State& state) {
  const std::unordered_map<std::string, std::unordered_map<std::string, bool>> tenants = {
      {BenchTenant()->id.str(), {{"static-flag", false}}}};
  const std::unordered_map<std::string, bool> platform = {{"static-flag", true}};
  const std::string tenant = BenchTenant()->id.str();
  const std::string key = "static-flag";
  for (auto _ : state) {
    bool value = true;
    auto t = tenants.find(tenant);
    if (t != tenants.end() && t->second.contains(key)) {
      value = t->second.at(key);
    } else if (auto p = platform.find(key); p != platform.end()) {
      value = p->second;
    }
    if (value) state.SkipWithError("tenant override not applied");
    benchmark::DoNotOptimize(value);
  }
}
BENCHMARK(BM_Flags_TenantLayered_Baseline);

const boost::json::value& GuardData() {
  static const boost::json::value data = boost::json::parse(
      R"({"ride": {"seats": 6, "zone": "east", "state": "requested"}, "driver": {"rating": 4.7}})");
  return data;
}

void BM_Rules_Guard(benchmark::State& state) {
  const Rule guard = Must(Rule::Parse(R"({"and": [
      {">=": [{"var": "ride.seats"}, 4]},
      {"in": [{"var": "ride.zone"}, ["north", "east"]]},
      {">=": [{"var": "driver.rating"}, 4.5]},
      {"==": [{"var": "ride.state"}, "requested"]}]})"),
                          "guard rule");
  const auto& data = GuardData();
  for (auto _ : state) {
    auto ok = guard.Test(data);
    if (!ok || !*ok) state.SkipWithError("guard did not pass");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Rules_Guard);

void BM_Rules_Guard_Baseline(benchmark::State& state) {
  const auto& data = GuardData();
  for (auto _ : state) {
    const auto& ride = data.at("ride").as_object();
    const auto& zone = ride.at("zone").get_string();
    bool ok = ride.at("seats").to_number<double>() >= 4 && (zone == "north" || zone == "east") &&
              data.at("driver").at("rating").to_number<double>() >= 4.5 &&
              ride.at("state").get_string() == "requested";
    if (!ok) state.SkipWithError("baseline guard did not pass");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Rules_Guard_Baseline);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

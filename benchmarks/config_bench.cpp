// Per-tenant configuration on the request path, beside plain C++:
//
//   BM_Config_SnapshotRead           ConfigReader::Get() + GetInt("dispatch.radius_m")
//   BM_Config_SnapshotRead_Baseline  std::unordered_map<std::string, int64_t>::find
//                                    on the same key (a prebuilt std::string)
//   BM_Config_SnapshotRead_AtomicSharedPtr
//                                    the scheme not taken: std::atomic<std::shared_ptr>
//                                    load (libstdc++ 12: an internal spin lock and
//                                    two reference-count updates) + GetInt
//   BM_Config_SnapshotByTenant       Config::Snapshot(tenant) + GetInt (no handle:
//                                    map lookup under a shared lock, slot lock, copy)
//   BM_Config_PricingRule            Quote() with surge rules and a JsonLogic rule
//   BM_Config_PricingRule_Baseline   the same fare in plain C++ arithmetic
//   BM_Config_ZoneLookup             ZoneSet::ZonesAt over 50 zones of 24-gon polygons
//   BM_Config_ZoneLookup_Baseline    a linear scan of the 50 bounding boxes alone
//                                    (no exact test): the floor of any box-first lookup
//
// The read benchmarks also run on 2 threads, where a shared atomic
// reference count would bounce between cores.
#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cmath>
#include <random>
#include <unordered_map>

#include "bench_support.hpp"
#include "tenancy/config.hpp"

namespace tenancy::bench {
namespace {

constexpr int kZones = 50;
constexpr int kZoneVertices = 24;

// 50 zones: 24-gons of radius 0.008° in a 10 × 5 grid of 0.02° cells.
std::string ZonesJson() {
  std::string out = R"({"type": "FeatureCollection", "features": [)";
  for (int z = 0; z < kZones; ++z) {
    const double cx = 13.30 + 0.02 * (z % 10) + 0.01, cy = 52.40 + 0.02 * (z / 10) + 0.01;
    boost::json::array ring;
    for (int i = 0; i <= kZoneVertices; ++i) {
      const double a = 2 * M_PI * (i % kZoneVertices) / kZoneVertices;
      ring.push_back(boost::json::array{cx + 0.008 * std::cos(a), cy + 0.008 * std::sin(a)});
    }
    std::string id = "zone-";
    id += std::to_string(z);
    boost::json::object feature{{"type", "Feature"},
                                {"properties", {{"id", id}}},
                                {"geometry", {{"type", "Polygon"}, {"coordinates", boost::json::array{ring}}}}};
    if (z) out += ',';
    out += boost::json::serialize(feature);
  }
  out += "]}";
  return out;
}

constexpr std::string_view kPricing = R"({"currency": "EUR", "base_fare": 250, "per_km": 120,
  "per_minute": 30, "minimum_fare": 600,
  "surge": [{"zones": ["zone-3", "zone-7"], "days": ["fri", "sat"], "from": "22:00", "to": "02:00", "multiplier": 1.5},
            {"zones": ["zone-12"], "from": "07:00", "to": "09:30", "multiplier": 1.25}],
  "rule": {"if": [{">": [{"var": "distance_m"}, 30000]}, {"-": [{"var": "fare"}, 300]},
                  {"==": [{"var": "zone"}, "zone-12"]}, {"+": [{"var": "fare"}, 150]},
                  {"*": [{"var": "fare"}, 0.95]}]}})";

struct ConfigWorld {
  std::filesystem::path dir = ScratchRoot::Sub("config");
  std::unique_ptr<Config> config;
  Tenant tenant;

  ConfigWorld() {
    const auto start = std::chrono::steady_clock::now();
    ConfigSchema schema;
    Must(schema.Add(SettingSpec::Integer("dispatch.radius_m", 1500, 100, 50'000, "Search radius.")),
         "schema");
    ConfigOptions o;
    o.path = (dir / "config.db").string();
    config = Must(Config::Open(o, std::move(schema)), "open config");
    tenant.id = TenantId::Generate();
    tenant.tier = "standard";
    tenant.revision = 1;
    Must(config->SetTier("standard", boost::json::parse(R"({"dispatch.radius_m": 2000})").as_object(), "bench"),
         "tier");
    boost::json::object patch;
    patch["zones"] = boost::json::parse(ZonesJson());
    patch["pricing"] = boost::json::parse(kPricing);
    patch["dispatch.radius_m"] = 2500;
    Must(config->SetTenant(tenant, patch, "bench"), "tenant");
    ReportSetup("config world (50 zones, pricing rule)", SecondsSince(start));
  }
};

ConfigWorld& World() {
  static ConfigWorld w;
  return w;
}

void BM_Config_SnapshotRead(benchmark::State& state) {
  ConfigReader reader = World().config->Reader(World().tenant);  // one per thread
  for (auto _ : state) {
    auto radius = reader.Get().GetInt("dispatch.radius_m");
    benchmark::DoNotOptimize(radius);
  }
}

void BM_Config_SnapshotRead_Baseline(benchmark::State& state) {
  static const std::unordered_map<std::string, std::int64_t> map = [] {
    std::unordered_map<std::string, std::int64_t> m;
    for (const auto& key : World().config->schema().Keys()) m.emplace(key, 1);
    m["dispatch.radius_m"] = 2500;
    return m;
  }();
  const std::string key = "dispatch.radius_m";  // built once, as a caller's constant would be
  for (auto _ : state) {
    benchmark::DoNotOptimize(key);  // hash it every time, as a lookup by a caller's key must
    auto it = map.find(key);
    benchmark::DoNotOptimize(it);
  }
}

void BM_Config_SnapshotRead_AtomicSharedPtr(benchmark::State& state) {
  static std::atomic<std::shared_ptr<const ConfigSnapshot>> published{
      World().config->Snapshot(World().tenant)};
  for (auto _ : state) {
    auto snapshot = published.load(std::memory_order_acquire);
    auto radius = snapshot->GetInt("dispatch.radius_m");
    benchmark::DoNotOptimize(radius);
  }
}

void BM_Config_SnapshotByTenant(benchmark::State& state) {
  auto& w = World();
  for (auto _ : state) {
    auto radius = w.config->Snapshot(w.tenant)->GetInt("dispatch.radius_m");
    benchmark::DoNotOptimize(radius);
  }
}

// Trips cycling over zones, weekdays and times, built once.
std::vector<TripFacts> Trips() {
  std::vector<TripFacts> trips;
  static const char* zones[] = {"zone-3", "zone-12", "zone-20", ""};
  for (int i = 0; i < 256; ++i)
    trips.push_back({.distance_m = 1'000 + (i * 997) % 40'000,
                     .duration_s = 120 + (i * 37) % 3'000,
                     .zone = zones[i % 4],
                     .weekday = static_cast<Weekday>(i % 7),
                     .local_minute = (i * 53) % 1440});
  return trips;
}

void BM_Config_PricingRule(benchmark::State& state) {
  const auto snapshot = World().config->Snapshot(World().tenant);
  const Pricing& pricing = snapshot->pricing();
  const auto trips = Trips();
  std::size_t i = 0;
  for (auto _ : state) {
    auto q = Quote(pricing, trips[i++ & 255]);
    benchmark::DoNotOptimize(q);
  }
}

// The same fare as the rule above, written in C++ by hand.
void BM_Config_PricingRule_Baseline(benchmark::State& state) {
  const auto trips = Trips();
  auto in_window = [](const TripFacts& t, unsigned days, int from, int to) {
    const unsigned d = static_cast<unsigned>(t.weekday), prev = (d + 6) % 7;
    if (from < to) return ((days >> d) & 1u) && t.local_minute >= from && t.local_minute < to;
    return (((days >> d) & 1u) && t.local_minute >= from) || (((days >> prev) & 1u) && t.local_minute < to);
  };
  std::size_t i = 0;
  for (auto _ : state) {
    const TripFacts& t = trips[i++ & 255];
    const std::int64_t subtotal = 250 + (120 * t.distance_m + 500) / 1000 + (30 * t.duration_s + 30) / 60;
    int milli = 1000;
    if ((t.zone == "zone-3" || t.zone == "zone-7") && in_window(t, 0x30, 22 * 60, 2 * 60)) milli = 1500;
    if (t.zone == "zone-12" && in_window(t, 0x7f, 7 * 60, 9 * 60 + 30) && milli < 1250) milli = 1250;
    const std::int64_t surged = (subtotal * milli + 500) / 1000;
    std::int64_t fare;
    if (t.distance_m > 30'000) {
      fare = surged - 300;
    } else if (t.zone == "zone-12") {
      fare = surged + 150;
    } else {
      fare = static_cast<std::int64_t>(std::round(surged * 0.95));
    }
    const std::int64_t total = std::max<std::int64_t>(std::max<std::int64_t>(fare, 0), 600);
    FareQuote q;
    q.subtotal = subtotal;
    q.surge_milli = milli;
    q.surged = surged;
    q.total = total;
    q.currency = "EUR";
    benchmark::DoNotOptimize(q);
  }
}

std::vector<std::pair<double, double>> Points() {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> lon(13.29, 13.51), lat(52.39, 52.51);
  std::vector<std::pair<double, double>> points(1024);
  for (auto& p : points) p = {lon(rng), lat(rng)};
  return points;
}

void BM_Config_ZoneLookup(benchmark::State& state) {
  const auto snapshot = World().config->Snapshot(World().tenant);
  const ZoneSet& zones = snapshot->zones();
  if (zones.size() != kZones) Die("zones", "the world lacks its zones");
  const auto points = Points();
  std::vector<std::string_view> out;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    const auto& [x, y] = points[i++ & 1023];
    hits += zones.ZonesAt(x, y, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}

void BM_Config_ZoneLookup_Baseline(benchmark::State& state) {
  const auto snapshot = World().config->Snapshot(World().tenant);
  const ZoneSet& zones = snapshot->zones();
  std::vector<ZoneBox> boxes;
  std::vector<std::string_view> ids = zones.Ids();
  for (auto id : ids) boxes.push_back(*zones.BoxOf(id));
  const auto points = Points();
  std::vector<std::string_view> out;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    const auto& [x, y] = points[i++ & 1023];
    out.clear();
    for (std::size_t z = 0; z < boxes.size(); ++z) {
      const ZoneBox& b = boxes[z];
      if (x >= b.min_lon && x <= b.max_lon && y >= b.min_lat && y <= b.max_lat) out.push_back(ids[z]);
    }
    hits += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_Config_SnapshotRead)->Threads(1)->Threads(2);
BENCHMARK(BM_Config_SnapshotRead_Baseline)->Threads(1)->Threads(2);
BENCHMARK(BM_Config_SnapshotRead_AtomicSharedPtr)->Threads(1)->Threads(2);
BENCHMARK(BM_Config_SnapshotByTenant)->Threads(1)->Threads(2);
BENCHMARK(BM_Config_PricingRule);
BENCHMARK(BM_Config_PricingRule_Baseline);
BENCHMARK(BM_Config_ZoneLookup);
BENCHMARK(BM_Config_ZoneLookup_Baseline);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

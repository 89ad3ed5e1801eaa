// Metrics: registration rules, the exposition checked against the format's
// grammar (a strict parser), hostile label values, histograms, the tenant
// cap and its overflow row, tenant views, and real threads.
#include <boost/json/serialize.hpp>

#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "ops/telemetry_prom_parser.hpp"
#include "support/catch_tenancy.hpp"
#include "tenancy/metrics.hpp"

namespace tenancy {
namespace {

using testing::ParsePrometheus;
using testing::PromSample;

TenantId Tenant(int n) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "tn_%016x", n);
  return TenantId::Parse(buf).value();
}

std::unique_ptr<MetricsRegistry> Registry(std::size_t cap = 1000, std::size_t stripes = 4) {
  auto r = MetricsRegistry::Create({.max_tenants_per_metric = cap, .stripes = stripes});
  REQUIRE(r);
  return std::move(*r);
}

// The samples of `name` whose labels include every pair of `match`.
std::vector<PromSample> Find(const testing::PromText& text, const std::string& family,
                             const std::string& name,
                             const std::map<std::string, std::string>& match = {}) {
  std::vector<PromSample> out;
  for (const auto& s : text.at(family).samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) ok = false;
    }
    if (ok) out.push_back(s);
  }
  return out;
}

double ValueOf(const testing::PromText& text, const std::string& family,
               const std::map<std::string, std::string>& labels, const std::string& name = {}) {
  const auto found = Find(text, family, name.empty() ? family : name, labels);
  REQUIRE(found.size() == 1);
  return found[0].value;
}

TEST_CASE("Metric and label names follow the exposition format's grammar", "[metrics]") {
  for (const char* good : {"a", "_", ":", "http_requests_total", "ns:sub_total", "A9_:b", "x_"})
    CHECK(IsValidMetricName(good));
  for (const char* bad : {"", "9a", "a-b", "a b", "__reserved", "é", "a.b", "a{b}", "a\n"})
    CHECK_FALSE(IsValidMetricName(bad));
  CHECK_FALSE(IsValidMetricName(std::string(kMaxMetricNameBytes + 1, 'a')));
  for (const char* good : {"a", "_", "status_class", "A9"}) CHECK(IsValidLabelName(good));
  for (const char* bad : {"", "9a", "a:b", "__name__", "a-b", "ü"}) CHECK_FALSE(IsValidLabelName(bad));

  auto reg = Registry();
  const auto invalid = [&](MetricSpec spec) {
    auto c = reg->AddCounter(std::move(spec));
    REQUIRE_FALSE(c);
    return c.error().code == Errc::kInvalidArgument;
  };
  CHECK(invalid({.name = "1bad"}));
  CHECK(invalid({.name = "__bad"}));
  CHECK(invalid({.name = "ok", .labels = {{"bad-name", {"x"}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"__x", {"x"}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"tenant", {"x"}}}}));  // reserved
  CHECK(invalid({.name = "ok", .labels = {{"a", {"x"}}, {"a", {"y"}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"a", {}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"a", {"x", "x"}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"a", {""}}}}));
  CHECK(invalid({.name = "ok", .labels = {{"a", {"\xff\xfe"}}}}));  // not UTF-8
  CHECK(invalid({.name = "ok", .help = "\xc3"}));
  CHECK(invalid({.name = "ok", .unit_scale = 0}));
  CHECK(invalid({.name = "ok", .unit_scale = NAN}));
  CHECK(invalid({.name = "ok", .buckets = {1, 2}}));  // buckets on a counter
  {
    std::vector<std::string> v32;
    for (int i = 0; i < 32; ++i) v32.push_back("v" + std::to_string(i));
    CHECK(invalid({.name = "ok", .labels = {{"a", v32}, {"b", v32}, {"c", {"x", "y"}}}}));
  }
  const auto bad_histogram = [&](MetricSpec spec) {
    auto h = reg->AddHistogram(std::move(spec));
    return !h && h.error().code == Errc::kInvalidArgument;
  };
  CHECK(bad_histogram({.name = "h", .buckets = {1, 1}}));
  CHECK(bad_histogram({.name = "h", .buckets = {2, 1}}));
  CHECK(bad_histogram({.name = "h", .buckets = {1, INFINITY}}));
  CHECK(bad_histogram({.name = "h", .buckets = {NAN}}));
  CHECK(bad_histogram({.name = "h", .labels = {{"le", {"x"}}}}));
  CHECK(bad_histogram({.name = "h", .unit_scale = 2}));
  CHECK_FALSE(reg->AddGauge({.name = "g", .buckets = {1}}));
  // Nothing half-registered by the failures above.
  CHECK(reg->stats().families == 0);
  REQUIRE(reg->AddCounter({.name = "ok"}));
}

TEST_CASE("Registration refuses names that collide in the exposition", "[metrics]") {
  auto reg = Registry();
  REQUIRE(reg->AddHistogram({.name = "latency"}));
  for (const char* taken : {"latency", "latency_bucket", "latency_sum", "latency_count"}) {
    auto c = reg->AddCounter({.name = taken});
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::kAlreadyExists);
  }
  REQUIRE(reg->AddCounter({.name = "rides_count"}));
  auto h = reg->AddHistogram({.name = "rides"});  // would own rides_count
  REQUIRE_FALSE(h);
  CHECK(h.error().code == Errc::kAlreadyExists);
  CHECK(reg->stats().families == 2);

  CHECK_FALSE(MetricsRegistry::Create({.max_tenants_per_metric = 0}));
  CHECK_FALSE(MetricsRegistry::Create({.max_tenants_per_metric = 1'000'001}));
  CHECK_FALSE(MetricsRegistry::Create({.stripes = 65}));
}

TEST_CASE("Counters and gauges expose per tenant, labels and scale", "[metrics]") {
  auto reg = Registry();
  Counter* rides = reg->AddCounter({.name = "rides_total",
                                    .help = "Rides.",
                                    .labels = {{"channel", {"app", "web"}}}})
                       .value();
  Counter* cpu = reg->AddCounter({.name = "cpu_seconds_total", .unit_scale = 1e-9}).value();
  Gauge* bytes = reg->AddGauge({.name = "storage_bytes", .help = "Bytes."}).value();
  const TenantId a = Tenant(1), b = Tenant(2);

  rides->For(a, {"app"}).value()->Add(3);
  rides->For(a, {"web"}).value()->Add(1);
  rides->For(b, {"app"}).value()->Add(7);
  rides->For(TenantId{}, {"web"}).value()->Add(2);  // platform row
  cpu->For(a).value()->Add(1'500'000'000);          // 1.5 s in ns
  bytes->For(b).value()->Set(1e12);
  bytes->For(a).value()->Add(-5);

  auto wrong = rides->For(a, {"tv"});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::kInvalidArgument);
  CHECK_FALSE(rides->For(a));               // one value missing
  CHECK_FALSE(rides->For(a, {"app", "x"}));  // one too many

  const std::string text = reg->ExposePrometheus();
  const auto parsed = ParsePrometheus(text);
  CHECK(parsed.order == std::vector<std::string>{"rides_total", "cpu_seconds_total", "storage_bytes"});
  CHECK(parsed.at("rides_total").type == "counter");
  CHECK(parsed.at("rides_total").help == "Rides.");
  CHECK(parsed.at("storage_bytes").type == "gauge");
  CHECK(ValueOf(parsed, "rides_total", {{"tenant", a.str()}, {"channel", "app"}}) == 3);
  CHECK(ValueOf(parsed, "rides_total", {{"tenant", a.str()}, {"channel", "web"}}) == 1);
  CHECK(ValueOf(parsed, "rides_total", {{"tenant", b.str()}, {"channel", "app"}}) == 7);
  CHECK(ValueOf(parsed, "rides_total", {{"tenant", b.str()}, {"channel", "web"}}) == 0);
  CHECK(ValueOf(parsed, "cpu_seconds_total", {{"tenant", a.str()}}) == Approx(1.5));
  CHECK(ValueOf(parsed, "storage_bytes", {{"tenant", b.str()}}) == 1e12);
  CHECK(ValueOf(parsed, "storage_bytes", {{"tenant", a.str()}}) == -5);
  // The platform row carries no tenant label and comes first.
  const auto& first = parsed.at("rides_total").samples.front();
  CHECK_FALSE(first.labels.contains("tenant"));
  CHECK(first.labels.at("channel") == "app");
  CHECK(Find(parsed, "rides_total", "rides_total", {{"channel", "web"}}).size() == 3);
  // Series appear in tenant id order.
  CHECK(text.find("tenant=\"" + a.str()) < text.find("tenant=\"" + b.str()));
}

TEST_CASE("Hostile label values and HELP text are escaped and parse back intact", "[metrics]") {
  const std::vector<std::string> hostile = {
      "quote\"inside", "back\\slash", "new\nline", "end\\", "\\\"\n\\n", "ünïcödé 🚀 日本",
      "} 1\nevil_metric 666", "tab\tcr\r"};
  auto reg = Registry();
  Counter* c = reg->AddCounter({.name = "hostile_total",
                                .help = "Help with \\ backslash\nand a second line \"quoted\"",
                                .labels = {{"v", hostile}}})
                   .value();
  const TenantId t = Tenant(9);
  for (std::size_t i = 0; i < hostile.size(); ++i) c->For(t, {hostile[i]}).value()->Add(i + 1);

  const std::string text = reg->ExposePrometheus();
  const auto parsed = ParsePrometheus(text);  // throws on any grammar fault
  CHECK(parsed.families.size() == 1);        // no injected family
  CHECK(parsed.at("hostile_total").help ==
        "Help with \\ backslash\nand a second line \"quoted\"");
  for (std::size_t i = 0; i < hostile.size(); ++i)
    CHECK(ValueOf(parsed, "hostile_total", {{"tenant", t.str()}, {"v", hostile[i]}}) ==
          static_cast<double>(i + 1));
  // Exactly HELP, TYPE and one line per value: the newlines stayed escaped.
  CHECK(std::count(text.begin(), text.end(), '\n') == static_cast<long>(2 + hostile.size()));
}

TEST_CASE("Histograms: cumulative buckets, +Inf equals the count, sum, edges", "[metrics]") {
  auto reg = Registry();
  Histogram* h = reg->AddHistogram({.name = "latency_seconds",
                                    .help = "Latency.",
                                    .labels = {{"route", {"a", "b"}}},
                                    .buckets = {0.1, 0.5, 1}})
                     .value();
  const TenantId t = Tenant(3);
  HistogramCell* cell = h->For(t, {"a"}).value();
  const std::vector<double> values = {0.05, 0.1, 0.1000001, 0.5, 0.7, 1, 2, 100, -3, NAN};
  double sum = 0;
  for (double v : values) {
    cell->Observe(v);
    if (!std::isnan(v)) sum += v;
  }
  const auto parsed = ParsePrometheus(reg->ExposePrometheus());
  CHECK(parsed.at("latency_seconds").type == "histogram");
  const auto le = [&](const char* bound) {
    return ValueOf(parsed, "latency_seconds", {{"tenant", t.str()}, {"route", "a"}, {"le", bound}},
                   "latency_seconds_bucket");
  };
  CHECK(le("0.1") == 3);  // -3, 0.05, 0.1 (le is inclusive)
  CHECK(le("0.5") == 5);
  CHECK(le("1") == 7);
  CHECK(le("+Inf") == 9);  // NaN was ignored
  const double count = ValueOf(parsed, "latency_seconds", {{"tenant", t.str()}, {"route", "a"}},
                               "latency_seconds_count");
  CHECK(count == 9);
  CHECK(ValueOf(parsed, "latency_seconds", {{"tenant", t.str()}, {"route", "a"}},
                "latency_seconds_sum") == Approx(sum));
  // The other label combination exists with zeros, and its buckets are in
  // ascending order ending with +Inf.
  const auto b = Find(parsed, "latency_seconds", "latency_seconds_bucket", {{"route", "b"}});
  REQUIRE(b.size() == 4);
  CHECK(b.back().labels.at("le") == "+Inf");
  for (const auto& s : b) CHECK(s.value == 0);

  // Cumulative and +Inf == count in the snapshot too, for many values.
  HistogramCell* other = h->For(t, {"b"}).value();
  for (int i = 0; i < 1000; ++i) other->Observe(i / 500.0);
  const auto snap = other->Snapshot();
  REQUIRE(snap.cumulative.size() == 4);
  for (std::size_t i = 1; i < snap.cumulative.size(); ++i)
    CHECK(snap.cumulative[i] >= snap.cumulative[i - 1]);
  CHECK(snap.cumulative.back() == snap.count);
  CHECK(snap.count == 1000);
  CHECK(snap.cumulative[0] == 51);  // 0/500 … 50/500
  CHECK(snap.sum == Approx(999.0 * 1000 / 2 / 500));

  // An infinite observation makes the sum +Inf, rendered as the format says.
  other->Observe(INFINITY);
  const std::string text = reg->ExposePrometheus();
  CHECK(text.find("latency_seconds_sum{tenant=\"" + t.str() + "\",route=\"b\"} +Inf\n") !=
        std::string::npos);
}

TEST_CASE("Gauges render non-finite values per the format", "[metrics]") {
  auto reg = Registry();
  Gauge* g = reg->AddGauge({.name = "g", .labels = {{"k", {"nan", "pinf", "ninf"}}}}).value();
  const TenantId t = Tenant(4);
  g->For(t, {"nan"}).value()->Set(NAN);
  g->For(t, {"pinf"}).value()->Set(INFINITY);
  g->For(t, {"ninf"}).value()->Set(-INFINITY);
  const std::string text = reg->ExposePrometheus();
  CHECK(text.find("k=\"nan\"} NaN\n") != std::string::npos);
  CHECK(text.find("k=\"pinf\"} +Inf\n") != std::string::npos);
  CHECK(text.find("k=\"ninf\"} -Inf\n") != std::string::npos);
  const auto parsed = ParsePrometheus(text);
  CHECK(std::isnan(ValueOf(parsed, "g", {{"k", "nan"}})));
  // The JSON view uses strings for them (JSON has no such numbers).
  const std::string view = boost::json::serialize(reg->TenantView(t));
  CHECK(view.find("\"NaN\"") != std::string::npos);
  CHECK(view.find("\"-Inf\"") != std::string::npos);
}

TEST_CASE("Past the cap, tenants fold into one overflow series and totals are conserved",
          "[metrics][overflow]") {
  constexpr int kCap = 3;
  constexpr int kTenants = 10;
  auto reg = Registry(kCap);
  Counter* c = reg->AddCounter({.name = "req_total"}).value();
  Histogram* h = reg->AddHistogram({.name = "lat", .buckets = {1}}).value();
  std::uint64_t total = 0;
  for (int i = 1; i <= kTenants; ++i) {
    c->For(Tenant(i)).value()->Add(static_cast<std::uint64_t>(i));
    h->For(Tenant(i)).value()->Observe(i);
    total += static_cast<std::uint64_t>(i);
  }
  // Folded tenants resolving again are not counted twice.
  for (int i = 1; i <= kTenants; ++i) c->For(Tenant(i)).value()->Add(0);
  CHECK(c->tenant_rows() == kCap);
  CHECK(c->folded_tenants() == kTenants - kCap);
  CHECK(reg->stats().folded_tenants == 2 * (kTenants - kCap));
  // Further tenants never add rows.
  for (int i = 100; i < 200; ++i) c->For(Tenant(i)).value()->Add(0);
  CHECK(c->tenant_rows() == kCap);
  CHECK(c->folded_tenants() == kTenants - kCap + 100);

  const auto parsed = ParsePrometheus(reg->ExposePrometheus());
  const auto& samples = parsed.at("req_total").samples;
  CHECK(samples.size() == kCap + 1);
  double sum = 0;
  for (const auto& s : samples) sum += s.value;
  CHECK(sum == static_cast<double>(total));
  // The first kCap tenants kept their rows; the rest sum into _overflow.
  CHECK(ValueOf(parsed, "req_total", {{"tenant", Tenant(1).str()}}) == 1);
  CHECK(ValueOf(parsed, "req_total", {{"tenant", std::string(kOverflowTenant)}}) ==
        static_cast<double>(total - 1 - 2 - 3));
  CHECK(ValueOf(parsed, "lat", {{"tenant", std::string(kOverflowTenant)}}, "lat_count") ==
        kTenants - kCap);
  CHECK(Find(parsed, "req_total", "req_total", {{"tenant", Tenant(5).str()}}).empty());
  // A folded tenant's view is empty: the overflow row mixes tenants.
  CHECK(reg->TenantView(Tenant(5)).at("metrics").as_array().empty());
  CHECK(reg->TenantView(Tenant(1)).at("metrics").as_array().size() == 2);
}

TEST_CASE("A tenant's view holds its own series only, under concurrent writers",
          "[metrics][isolation]") {
  auto reg = Registry(100, 4);
  Counter* c =
      reg->AddCounter({.name = "hits_total", .labels = {{"kind", {"x", "y"}}}}).value();
  Histogram* h = reg->AddHistogram({.name = "dur", .buckets = {0.5}}).value();
  const TenantId a = Tenant(0xA), b = Tenant(0xB);
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> views{0};
  std::barrier start(5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const TenantId& me = t % 2 == 0 ? a : b;
      CounterCell* cell = c->For(me, {t < 2 ? "x" : "y"}).value();
      HistogramCell* hc = h->For(me).value();
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        cell->Add();
        hc->Observe(t);
      }
    });
  }
  threads.emplace_back([&] {
    start.arrive_and_wait();
    // Read A's view while B (and A) write; B must never appear.
    while (!done.load()) {
      const std::string view = boost::json::serialize(reg->TenantView(a));
      if (view.find(b.str()) != std::string::npos) FAIL("tenant B in A's view: " << view);
      ++views;
    }
  });
  for (int t = 0; t < 4; ++t) threads[t].join();
  done = true;
  threads.back().join();
  CHECK(views.load() > 0);

  const auto va = reg->TenantView(a);
  CHECK(va.at("tenant").as_string() == a.str());
  const std::string sa = boost::json::serialize(va);
  CHECK(sa.find(b.str()) == std::string::npos);
  const auto& metrics = va.at("metrics").as_array();
  REQUIRE(metrics.size() == 2);
  // A wrote kind=x (thread 0) and kind=y (thread 2).
  const auto& series = metrics[0].at("series").as_array();
  REQUIRE(series.size() == 2);
  CHECK(series[0].at("labels").at("kind").as_string() == "x");
  CHECK(series[0].at("value").to_number<std::int64_t>() == kPerThread);
  CHECK(series[1].at("value").to_number<std::int64_t>() == kPerThread);
  const auto& hist = metrics[1].at("series").as_array()[0];
  CHECK(hist.at("count").to_number<std::int64_t>() == 2 * kPerThread);
  CHECK(hist.at("buckets").as_array().back().at("le").as_string() == "+Inf");
  CHECK(hist.at("buckets").as_array().back().at("count").to_number<std::int64_t>() ==
        2 * kPerThread);
  // Thread 0 observed 0 (≤ 0.5), thread 2 observed 2 (> 0.5).
  CHECK(hist.at("buckets").as_array()[0].at("count").to_number<std::int64_t>() == kPerThread);
  CHECK(hist.at("sum").to_number<double>() == Approx(2.0 * kPerThread));
  // A stranger's view is empty.
  CHECK(reg->TenantView(Tenant(0xC)).at("metrics").as_array().empty());
  CHECK(reg->TenantView(TenantId{}).at("metrics").as_array().empty());
}

TEST_CASE("4 threads x 100k increments lose nothing", "[metrics][concurrency]") {
  // More threads than stripes too: two threads share a stripe's word.
  for (const std::size_t stripes : {std::size_t{1}, std::size_t{2}, std::size_t{16}}) {
    auto reg = Registry(1000, stripes);
    Counter* c = reg->AddCounter({.name = "n_total"}).value();
    Histogram* h = reg->AddHistogram({.name = "v", .buckets = {10}}).value();
    const TenantId t = Tenant(42);
    constexpr int kThreads = 4, kAdds = 100'000;
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        CounterCell* cell = c->For(t).value();
        HistogramCell* hc = h->For(t).value();
        start.arrive_and_wait();
        for (int k = 0; k < kAdds; ++k) {
          cell->Add();
          hc->Observe(1.0);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(c->For(t).value()->Value() == std::uint64_t{kThreads} * kAdds);
    const auto snap = h->For(t).value()->Snapshot();
    CHECK(snap.count == std::uint64_t{kThreads} * kAdds);
    CHECK(snap.sum == static_cast<double>(kThreads) * kAdds);  // exact in a double
    const auto parsed = ParsePrometheus(reg->ExposePrometheus());
    CHECK(ValueOf(parsed, "n_total", {{"tenant", t.str()}}) == kThreads * kAdds);
  }
}

TEST_CASE("Threads racing to resolve new tenants respect the cap and conserve totals",
          "[metrics][overflow][concurrency]") {
  constexpr int kCap = 50, kThreads = 4, kTenantsPerThread = 100;
  auto reg = Registry(kCap);
  Counter* c = reg->AddCounter({.name = "x_total"}).value();
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kTenantsPerThread; ++i) {
        // Every thread touches every tenant, in a different order.
        const int n = (i * 7 + t * 13) % kTenantsPerThread;
        c->For(Tenant(n)).value()->Add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(c->tenant_rows() == kCap);
  CHECK(c->folded_tenants() == kTenantsPerThread - kCap);
  const auto parsed = ParsePrometheus(reg->ExposePrometheus());
  double sum = 0;
  for (const auto& s : parsed.at("x_total").samples) sum += s.value;
  CHECK(sum == kThreads * kTenantsPerThread);
  CHECK(parsed.at("x_total").samples.size() == kCap + 1);
}

TEST_CASE("The standard per-tenant request instruments", "[metrics][requests]") {
  auto reg = Registry();
  auto m = TenantRequestMetrics::Register(*reg);
  REQUIRE(m);
  const TenantId t = Tenant(7);
  const auto cells = m->For(t);
  using std::chrono::milliseconds;
  TenantRequestMetrics::RecordRequest(cells, 200, milliseconds(3), milliseconds(1));
  TenantRequestMetrics::RecordRequest(cells, 201, milliseconds(30), milliseconds(2));
  TenantRequestMetrics::RecordRequest(cells, 404, milliseconds(2), milliseconds(0));
  TenantRequestMetrics::RecordRequest(cells, 503, milliseconds(2000), milliseconds(500));
  TenantRequestMetrics::RecordRequest(cells, 42, milliseconds(1), milliseconds(0));
  cells.storage_bytes->Set(4096);

  const auto parsed = ParsePrometheus(reg->ExposePrometheus());
  const std::string id = t.str();
  CHECK(ValueOf(parsed, "tenancy_requests_total", {{"tenant", id}, {"status_class", "2xx"}}) == 2);
  CHECK(ValueOf(parsed, "tenancy_requests_total", {{"tenant", id}, {"status_class", "4xx"}}) == 1);
  CHECK(ValueOf(parsed, "tenancy_requests_total", {{"tenant", id}, {"status_class", "5xx"}}) == 1);
  CHECK(ValueOf(parsed, "tenancy_requests_total", {{"tenant", id}, {"status_class", "other"}}) ==
        1);
  CHECK(ValueOf(parsed, "tenancy_request_errors_total", {{"tenant", id}}) == 2);
  CHECK(ValueOf(parsed, "tenancy_request_duration_seconds", {{"tenant", id}},
                "tenancy_request_duration_seconds_count") == 5);
  CHECK(ValueOf(parsed, "tenancy_request_duration_seconds", {{"tenant", id}, {"le", "0.005"}},
                "tenancy_request_duration_seconds_bucket") == 3);
  CHECK(ValueOf(parsed, "tenancy_request_duration_seconds", {{"tenant", id}},
                "tenancy_request_duration_seconds_sum") == Approx(2.036));
  CHECK(ValueOf(parsed, "tenancy_cpu_seconds_total", {{"tenant", id}}) == Approx(0.503));
  CHECK(ValueOf(parsed, "tenancy_storage_bytes", {{"tenant", id}}) == 4096);
  CHECK(parsed.at("tenancy_cpu_seconds_total").type == "counter");
  CHECK(parsed.at("tenancy_storage_bytes").type == "gauge");

  // Registering twice collides; another prefix does not.
  auto again = TenantRequestMetrics::Register(*reg);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kAlreadyExists);
  CHECK(TenantRequestMetrics::Register(*reg, {.prefix = "edge_"}));
  CHECK_FALSE(TenantRequestMetrics::Register(*reg, {.prefix = "9bad_"}));
}

}  // namespace
}  // namespace tenancy

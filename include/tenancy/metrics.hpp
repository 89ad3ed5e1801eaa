// tenancy/metrics.hpp — per-tenant counters, gauges and histograms with
// bounded cardinality, exposed in the Prometheus text format.
//
//   tenancy::MetricsRegistry registry;
//   auto* rides = registry.AddCounter({.name = "rides_booked_total",
//                                      .help = "Rides booked.",
//                                      .labels = {{"channel", {"app", "web"}}}}).value();
//   tenancy::CounterCell* cell = rides->For(tenant_id, {"app"}).value();  // once
//   cell->Add();                                            // per ride: one atomic add
//   std::string text = registry.ExposePrometheus();         // GET /metrics
//   boost::json::object mine = registry.TenantView(tenant_id);  // the tenant's dashboard
//
// Families and series. A family (one name, one type, one HELP text) holds a
// row of series per tenant: one series per combination of the family's
// fixed labels. Fixed labels are declared at registration with every value
// they may take, so a family's cardinality is known up front: at most
// `max_tenants_per_metric` tenant rows (plus the platform row and the
// overflow row) times the label combinations. Every series carries the
// label `tenant="<tenant id>"`; the platform row (an empty TenantId: work
// not attributed to any tenant, e.g. requests for an unknown host) has no
// tenant label.
//
// Bounded cardinality. The first `max_tenants_per_metric` distinct tenants
// that resolve a family get their own row; every later tenant resolves to
// the family's overflow row, exposed as `tenant="_overflow"`. Nothing is
// lost (the overflow row counts what those tenants record, so totals over a
// family are conserved) and memory never grows past the cap. The folded
// tenants are counted per family (exactly up to kMaxFoldedTracked distinct
// tenants, then a lower bound). Rows are never removed: an offboarded
// tenant's row stays until the process restarts.
//
// The record path. `For` resolves a cell once (a shared lock and a hash
// lookup); the caller keeps the pointer. `CounterCell::Add` and
// `HistogramCell::Observe` then cost one or two relaxed atomic operations on
// a per-thread stripe of the row (the approach of metering.hpp): no lock,
// no allocation, no system call, and threads recording into one tenant do
// not share a cache line. `GaugeCell` holds one value (a gauge is set, and
// a set cannot be striped).
//
// Exposition. `ExposePrometheus` renders text format 0.0.4: `# HELP` and
// `# TYPE` once per family (in registration order), series ordered platform
// row, tenants by id, overflow; label values escaped (`\\`, `\"`, `\n`),
// HELP escaped (`\\`, `\n`); histograms as cumulative `_bucket{le="..."}`
// lines ending in `le="+Inf"`, then `_sum` and `_count`; non-finite values
// as `+Inf`, `-Inf`, `NaN`. A scrape reads the atomics while writers add,
// so each series is a moment's value; a histogram's `_count` always equals
// its `+Inf` bucket (both come from the same read), its `_sum` may include
// an observation or two more or fewer.
//
// Thread safety: a registry, its families and cells may be used from any
// number of threads at once. REQUIRES: the registry outlives every family
// and cell pointer taken from it.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

// The media type of ExposePrometheus's text, for the HTTP Content-Type.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
// The tenant label value of a family's overflow row.
inline constexpr std::string_view kOverflowTenant = "_overflow";
// Limits checked at registration.
inline constexpr std::size_t kMaxMetricNameBytes = 200;
inline constexpr std::size_t kMaxHelpBytes = 1024;
inline constexpr std::size_t kMaxLabelValueBytes = 128;
inline constexpr std::size_t kMaxLabelCombinations = 1024;  // per family
inline constexpr std::size_t kMaxHistogramBuckets = 64;     // finite bounds; +Inf is implied
inline constexpr std::size_t kMaxFoldedTracked = 65536;     // folded tenants counted exactly

// True for a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, at most
// kMaxMetricNameBytes, not starting with `__` (reserved by Prometheus).
TENANCY_EXPORT bool IsValidMetricName(std::string_view name) noexcept;
// True for a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
TENANCY_EXPORT bool IsValidLabelName(std::string_view name) noexcept;

enum class MetricType : std::uint8_t { kCounter = 0, kGauge = 1, kHistogram = 2 };
// "counter", "gauge", "histogram": the words of the `# TYPE` line.
TENANCY_EXPORT std::string_view ToString(MetricType type) noexcept;

// A fixed label: its name and every value it may take (1–256 distinct,
// non-empty UTF-8 values of at most kMaxLabelValueBytes).
struct LabelDimension {
  std::string name{};
  std::vector<std::string> values{};
};

struct MetricSpec {
  std::string name{};  // see IsValidMetricName; unique in the registry
  std::string help{};  // UTF-8, at most kMaxHelpBytes; may be empty
  // Fixed labels, in the order they are rendered (after `tenant`). The
  // names `tenant` and (for histograms) `le` are reserved. The product of
  // the value counts is at most kMaxLabelCombinations.
  std::vector<LabelDimension> labels{};
  // Counters only: the exposed value is the integer count times this
  // positive, finite scale, so a counter of seconds can count nanoseconds
  // (scale 1e-9) and stay one integer add.
  double unit_scale = 1.0;
  // Histograms only: finite, strictly increasing upper bounds; `+Inf` is
  // implied. Empty: DefaultLatencyBuckets().
  std::vector<double> buckets{};
};

// Prometheus's default buckets, in seconds: 0.005 … 10.
TENANCY_EXPORT std::vector<double> DefaultLatencyBuckets();

namespace detail::metrics {
class Family;
// Each thread adds to one stripe, handed out round-robin on its first use.
// Constant-initialized, so reading it is one thread-pointer-relative load.
inline std::atomic<unsigned> next_stripe{0};
inline thread_local unsigned thread_stripe = ~0u;
inline unsigned ThreadStripe() noexcept {
  unsigned s = thread_stripe;
  if (s == ~0u) [[unlikely]]
    s = thread_stripe = next_stripe.fetch_add(1, std::memory_order_relaxed) & 0xFFFFu;
  return s;
}
}  // namespace detail::metrics

// One counter series (one tenant, one label combination). Owned by its
// family; never moves.
class CounterCell {
 public:
  // Adds `n` (in the family's unit; see MetricSpec::unit_scale). Wraps
  // modulo 2^64, which Prometheus reads as a counter reset.
  void Add(std::uint64_t n = 1) noexcept {
    base_[(detail::metrics::ThreadStripe() & mask_) * stride_].fetch_add(n,
                                                                        std::memory_order_relaxed);
  }
  // The sum over the stripes, in counts (not scaled).
  TENANCY_EXPORT std::uint64_t Value() const noexcept;

  CounterCell(std::atomic<std::uint64_t>* base, std::uint32_t stride, std::uint32_t mask) noexcept
      : base_(base), stride_(stride), mask_(mask) {}
  CounterCell(const CounterCell&) = delete;
  CounterCell& operator=(const CounterCell&) = delete;

 private:
  std::atomic<std::uint64_t>* base_;
  std::uint32_t stride_;  // words between stripes
  std::uint32_t mask_;    // stripes - 1
};

// One gauge series. Owned by its family; never moves.
class GaugeCell {
 public:
  void Set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

  GaugeCell() = default;
  GaugeCell(const GaugeCell&) = delete;
  GaugeCell& operator=(const GaugeCell&) = delete;

 private:
  std::atomic<double> value_{0.0};
};

// What a histogram series held at one moment.
struct HistogramSnapshot {
  std::vector<double> bounds{};           // finite upper bounds, ascending
  std::vector<std::uint64_t> cumulative{};  // per bound, then +Inf (== count)
  double sum = 0.0;
  std::uint64_t count = 0;
};

// One histogram series. Owned by its family; never moves.
class HistogramCell {
 public:
  // Counts `v` in the first bucket whose bound is >= v (the `le` rule) and
  // adds it to the sum. A NaN is ignored: it would poison the sum forever.
  void Observe(double v) noexcept {
    if (v != v) [[unlikely]]
      return;
    std::uint32_t i = 0;
    while (i < bucket_count_ && v > bounds_[i]) ++i;
    std::atomic<std::uint64_t>* stripe =
        base_ + (detail::metrics::ThreadStripe() & mask_) * stride_;
    stripe[i].fetch_add(1, std::memory_order_relaxed);
    // The sum word is this stripe's: other threads rarely touch it, so the
    // compare-exchange almost never retries.
    std::atomic<std::uint64_t>& sum = stripe[bucket_count_ + 1];
    std::uint64_t old = sum.load(std::memory_order_relaxed);
    while (!sum.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                      std::memory_order_relaxed)) {
    }
  }
  TENANCY_EXPORT HistogramSnapshot Snapshot() const;

  HistogramCell(std::atomic<std::uint64_t>* base, std::uint32_t stride, std::uint32_t mask,
                const double* bounds, std::uint32_t bucket_count) noexcept
      : base_(base), bounds_(bounds), stride_(stride), mask_(mask), bucket_count_(bucket_count) {}
  HistogramCell(const HistogramCell&) = delete;
  HistogramCell& operator=(const HistogramCell&) = delete;

 private:
  // Per stripe: bucket_count + 1 bucket counts (the last is +Inf), then
  // the sum as the bits of a double.
  std::atomic<std::uint64_t>* base_;
  const double* bounds_;
  std::uint32_t stride_;
  std::uint32_t mask_;
  std::uint32_t bucket_count_;
};

// A family's view common to all types. Owned by the registry.
class TENANCY_EXPORT MetricFamily {
 public:
  virtual ~MetricFamily();
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const noexcept;
  MetricType type() const noexcept;
  // Distinct tenants folded into the overflow row so far (a lower bound
  // once more than kMaxFoldedTracked were folded).
  std::uint64_t folded_tenants() const noexcept;
  // Tenants with a row of their own (at most max_tenants_per_metric).
  std::size_t tenant_rows() const;

 protected:
  explicit MetricFamily(std::unique_ptr<detail::metrics::Family> impl);
  std::unique_ptr<detail::metrics::Family> impl_;
  friend class MetricsRegistry;
};

class TENANCY_EXPORT Counter final : public MetricFamily {
 public:
  // The cell of `tenant` (its own row, the overflow row past the cap, or
  // the platform row for an empty id) for `label_values`, one per declared
  // label in declaration order. Errors: kInvalidArgument when the values do
  // not match the declared labels (wrong count, undeclared value).
  Result<CounterCell*> For(const TenantId& tenant,
                           std::initializer_list<std::string_view> label_values = {});
  Result<CounterCell*> For(const TenantId& tenant, const std::vector<std::string_view>& label_values);

 private:
  using MetricFamily::MetricFamily;
  friend class MetricsRegistry;
};

class TENANCY_EXPORT Gauge final : public MetricFamily {
 public:
  // As Counter::For.
  Result<GaugeCell*> For(const TenantId& tenant,
                         std::initializer_list<std::string_view> label_values = {});
  Result<GaugeCell*> For(const TenantId& tenant, const std::vector<std::string_view>& label_values);

 private:
  using MetricFamily::MetricFamily;
  friend class MetricsRegistry;
};

class TENANCY_EXPORT Histogram final : public MetricFamily {
 public:
  // As Counter::For.
  Result<HistogramCell*> For(const TenantId& tenant,
                             std::initializer_list<std::string_view> label_values = {});
  Result<HistogramCell*> For(const TenantId& tenant,
                             const std::vector<std::string_view>& label_values);

 private:
  using MetricFamily::MetricFamily;
  friend class MetricsRegistry;
};

struct MetricsOptions {
  // Tenant rows per family before tenants fold into the overflow row;
  // 1–1,000,000. Memory per tenant row is about 64 bytes × stripes per
  // started 8 words of the row (8 words: 8 label combinations of a
  // counter, or one combination of a histogram with up to 6 bounds).
  std::size_t max_tenants_per_metric = 1000;
  // Stripes per row: concurrent threads add to different cache lines.
  // 0: the hardware threads rounded up to a power of two, at most 16.
  // Otherwise 1–64, rounded up to a power of two.
  std::size_t stripes = 0;
};

struct MetricsStats {
  std::size_t families = 0;
  std::size_t tenant_rows = 0;           // over all families
  std::uint64_t folded_tenants = 0;      // summed over families
};

class TENANCY_EXPORT MetricsRegistry {
 public:
  // A registry with default options.
  MetricsRegistry();
  // Errors: kInvalidArgument (an option out of range).
  static Result<std::unique_ptr<MetricsRegistry>> Create(MetricsOptions options);
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family; the pointer lives as long as the registry. Errors:
  // kInvalidArgument (a malformed or reserved name, label or value, bad
  // scale or buckets, too many combinations; the message says which),
  // kAlreadyExists (the name, or a histogram's `_bucket`/`_sum`/`_count`
  // name, collides with a registered family).
  Result<Counter*> AddCounter(MetricSpec spec);
  Result<Gauge*> AddGauge(MetricSpec spec);
  Result<Histogram*> AddHistogram(MetricSpec spec);

  // Every family in the Prometheus text format 0.0.4 (see the top).
  std::string ExposePrometheus() const;

  // The series of `tenant` only, for that tenant's dashboard:
  //   {"tenant": "<id>", "metrics": [
  //     {"name", "type", "help", "series": [{"labels": {...}, "value": n}]},
  //     {"name", "type": "histogram", "help", "series": [{"labels": {...},
  //       "buckets": [{"le": 0.005, "count": n}, ..., {"le": "+Inf", "count": n}],
  //       "sum": x, "count": n}]}]}
  // Counts are cumulative as in the exposition. Families in which the tenant
  // has no row of its own (never resolved, or folded into the overflow row,
  // whose numbers mix tenants) are left out. Non-finite numbers are the
  // strings "+Inf", "-Inf", "NaN". An empty id yields an empty list.
  boost::json::object TenantView(const TenantId& tenant) const;

  MetricsStats stats() const;

 private:
  struct Impl;
  template <class F>
  Result<F*> Add(MetricSpec spec, MetricType type);
  std::unique_ptr<Impl> impl_;
};

// The per-tenant instruments tenancyd records into for every request:
//   <prefix>requests_total{tenant, status_class="1xx"…"5xx"|"other"}  counter
//   <prefix>request_errors_total{tenant}                      counter (5xx and "other")
//   <prefix>request_duration_seconds{tenant}                  histogram
//   <prefix>cpu_seconds_total{tenant}                         counter (counted in ns)
//   <prefix>storage_bytes{tenant}                             gauge
// The error ratio is request_errors_total / requests_total.
struct TenantRequestMetricsOptions {
  std::string prefix = "tenancy_";          // must keep the names valid
  std::vector<double> latency_buckets{};    // empty: DefaultLatencyBuckets()
};

class TENANCY_EXPORT TenantRequestMetrics {
 public:
  // One tenant's cells, resolved together; keep them beside the tenant's
  // other per-request state, or resolve per request (five lookups).
  struct Cells {
    CounterCell* by_class[6] = {};  // 1xx, 2xx, 3xx, 4xx, 5xx, other
    CounterCell* errors = nullptr;
    HistogramCell* latency = nullptr;
    CounterCell* cpu_ns = nullptr;
    GaugeCell* storage_bytes = nullptr;
  };

  // Registers the five families. Errors: those of MetricsRegistry::Add*.
  static Result<TenantRequestMetrics> Register(MetricsRegistry& registry,
                                               TenantRequestMetricsOptions options = {});

  // The cells of `tenant` (empty id: the platform row). Never fails.
  Cells For(const TenantId& tenant) const;

  // Records one finished request: its HTTP status (100–599; anything else
  // counts as "other" and as an error), wall time and CPU time.
  static void RecordRequest(const Cells& cells, int http_status, std::chrono::nanoseconds latency,
                            std::chrono::nanoseconds cpu) noexcept;

  Counter* requests() const noexcept { return requests_; }
  Counter* errors() const noexcept { return errors_; }
  Histogram* latency() const noexcept { return latency_; }
  Counter* cpu() const noexcept { return cpu_; }
  Gauge* storage() const noexcept { return storage_; }

 private:
  Counter* requests_ = nullptr;
  Counter* errors_ = nullptr;
  Histogram* latency_ = nullptr;
  Counter* cpu_ = nullptr;
  Gauge* storage_ = nullptr;
};

}  // namespace tenancy

// The registry: option and name validation, registration, statistics.
#include <algorithm>
#include <bit>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>

#include "ops/log_utf8.hpp"
#include "ops/metrics_family.hpp"

namespace tenancy {

namespace {

bool IsAlpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr std::size_t kMaxLabelDimensions = 16;
constexpr std::size_t kMaxLabelValues = 256;

std::uint32_t StripeCount(std::size_t asked) {
  std::size_t n = asked;
  if (n == 0) n = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  return static_cast<std::uint32_t>(std::bit_ceil(n));
}

Result<void> CheckLabels(const MetricSpec& spec, MetricType type) {
  if (spec.labels.size() > kMaxLabelDimensions)
    return Fail(Errc::kInvalidArgument, "metric '" + spec.name + "' declares more than 16 labels");
  std::set<std::string_view> names;
  std::size_t combinations = 1;
  for (const auto& d : spec.labels) {
    if (!IsValidLabelName(d.name))
      return Fail(Errc::kInvalidArgument,
                  "metric '" + spec.name +
                      "': a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __");
    if (d.name == "tenant" || (type == MetricType::kHistogram && d.name == "le"))
      return Fail(Errc::kInvalidArgument,
                  "metric '" + spec.name + "': label '" + d.name + "' is reserved");
    if (!names.insert(d.name).second)
      return Fail(Errc::kInvalidArgument,
                  "metric '" + spec.name + "': label '" + d.name + "' is declared twice");
    if (d.values.empty() || d.values.size() > kMaxLabelValues)
      return Fail(Errc::kInvalidArgument, "metric '" + spec.name + "': label '" + d.name +
                                              "' needs 1 to 256 values");
    std::set<std::string_view> values;
    for (const auto& v : d.values) {
      if (v.empty() || v.size() > kMaxLabelValueBytes || !detail::IsValidUtf8(v))
        return Fail(Errc::kInvalidArgument,
                    "metric '" + spec.name + "': label '" + d.name +
                        "' has a value that is empty, longer than 128 bytes or not UTF-8");
      if (!values.insert(v).second)
        return Fail(Errc::kInvalidArgument, "metric '" + spec.name + "': label '" + d.name +
                                                "' lists a value twice");
    }
    combinations *= d.values.size();
    if (combinations > kMaxLabelCombinations)
      return Fail(Errc::kInvalidArgument, "metric '" + spec.name +
                                              "': more than 1024 label combinations");
  }
  return {};
}

Result<void> CheckSpec(MetricSpec& spec, MetricType type) {
  if (!IsValidMetricName(spec.name))
    return Fail(Errc::kInvalidArgument,
                "a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*, hold at most 200 bytes and "
                "not start with __");
  if (spec.help.size() > kMaxHelpBytes || !detail::IsValidUtf8(spec.help))
    return Fail(Errc::kInvalidArgument,
                "metric '" + spec.name + "': help is longer than 1024 bytes or not UTF-8");
  if (auto r = CheckLabels(spec, type); !r) return r;
  if (type == MetricType::kCounter) {
    if (!std::isfinite(spec.unit_scale) || spec.unit_scale <= 0)
      return Fail(Errc::kInvalidArgument,
                  "metric '" + spec.name + "': unit_scale must be positive and finite");
  } else if (spec.unit_scale != 1.0) {
    return Fail(Errc::kInvalidArgument,
                "metric '" + spec.name + "': unit_scale applies to counters only");
  }
  if (type == MetricType::kHistogram) {
    if (spec.buckets.empty()) spec.buckets = DefaultLatencyBuckets();
    if (spec.buckets.size() > kMaxHistogramBuckets)
      return Fail(Errc::kInvalidArgument,
                  "metric '" + spec.name + "': more than 64 histogram buckets");
    for (std::size_t i = 0; i < spec.buckets.size(); ++i) {
      if (!std::isfinite(spec.buckets[i]))
        return Fail(Errc::kInvalidArgument, "metric '" + spec.name +
                                                "': bucket bounds must be finite (+Inf is implied)");
      if (i > 0 && !(spec.buckets[i] > spec.buckets[i - 1]))
        return Fail(Errc::kInvalidArgument,
                    "metric '" + spec.name + "': bucket bounds must be strictly increasing");
    }
  } else if (!spec.buckets.empty()) {
    return Fail(Errc::kInvalidArgument,
                "metric '" + spec.name + "': buckets apply to histograms only");
  }
  return {};
}

// The names a family occupies in the exposition: a histogram also owns its
// `_bucket`, `_sum` and `_count` series names.
std::vector<std::string> OccupiedNames(const std::string& name, MetricType type) {
  if (type != MetricType::kHistogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

}  // namespace

bool IsValidMetricName(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxMetricNameBytes || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c)))) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxMetricNameBytes || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c)))) return false;
  }
  return true;
}

std::string_view ToString(MetricType type) noexcept {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}


MetricsRegistry::MetricsRegistry() : impl_(std::make_unique<Impl>()) {
  impl_->max_tenants = MetricsOptions{}.max_tenants_per_metric;
  impl_->stripes = StripeCount(0);
}

MetricsRegistry::~MetricsRegistry() = default;

Result<std::unique_ptr<MetricsRegistry>> MetricsRegistry::Create(MetricsOptions options) {
  if (options.max_tenants_per_metric < 1 || options.max_tenants_per_metric > 1'000'000)
    return Fail(Errc::kInvalidArgument, "max_tenants_per_metric must be 1 to 1,000,000");
  if (options.stripes > 64) return Fail(Errc::kInvalidArgument, "stripes must be 0 to 64");
  auto registry = std::make_unique<MetricsRegistry>();
  registry->impl_->max_tenants = options.max_tenants_per_metric;
  registry->impl_->stripes = StripeCount(options.stripes);
  return registry;
}

template <class F>
Result<F*> MetricsRegistry::Add(MetricSpec spec, MetricType type) {
  if (auto r = CheckSpec(spec, type); !r) return r.error();
  const auto names = OccupiedNames(spec.name, type);
  std::lock_guard lock(impl_->mu);
  for (const auto& n : names)
    if (impl_->occupied.contains(n))
      return Fail(Errc::kAlreadyExists,
                  "metric '" + spec.name + "' collides with a registered family's '" + n + "'");
  auto family = std::make_unique<detail::metrics::Family>(std::move(spec), type,
                                                          impl_->max_tenants, impl_->stripes);
  auto* view = new F(std::move(family));
  impl_->families.emplace_back(view);
  impl_->occupied.insert(names.begin(), names.end());
  return view;
}

Result<Counter*> MetricsRegistry::AddCounter(MetricSpec spec) {
  return Add<Counter>(std::move(spec), MetricType::kCounter);
}
Result<Gauge*> MetricsRegistry::AddGauge(MetricSpec spec) {
  return Add<Gauge>(std::move(spec), MetricType::kGauge);
}
Result<Histogram*> MetricsRegistry::AddHistogram(MetricSpec spec) {
  return Add<Histogram>(std::move(spec), MetricType::kHistogram);
}

MetricsStats MetricsRegistry::stats() const {
  MetricsStats s;
  std::lock_guard lock(impl_->mu);
  s.families = impl_->families.size();
  for (const auto& f : impl_->families) {
    s.tenant_rows += f->tenant_rows();
    s.folded_tenants += f->folded_tenants();
  }
  return s;
}

}  // namespace tenancy

// Reading cells (summing stripes) and resolving them through the typed
// family views.
#include <vector>

#include "ops/metrics_family.hpp"

namespace tenancy {

std::uint64_t CounterCell::Value() const noexcept {
  std::uint64_t sum = 0;
  for (std::uint32_t s = 0; s <= mask_; ++s)
    sum += base_[s * stride_].load(std::memory_order_relaxed);
  return sum;
}

HistogramSnapshot HistogramCell::Snapshot() const {
  HistogramSnapshot out;
  out.bounds.assign(bounds_, bounds_ + bucket_count_);
  std::vector<std::uint64_t> counts(bucket_count_ + 1, 0);
  for (std::uint32_t s = 0; s <= mask_; ++s) {
    const std::atomic<std::uint64_t>* stripe = base_ + s * stride_;
    for (std::uint32_t i = 0; i <= bucket_count_; ++i)
      counts[i] += stripe[i].load(std::memory_order_relaxed);
    out.sum += std::bit_cast<double>(stripe[bucket_count_ + 1].load(std::memory_order_relaxed));
  }
  // Cumulative from the one read of the counts: the +Inf bucket is the count
  // by construction, whatever writers do meanwhile.
  out.cumulative.resize(counts.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) out.cumulative[i] = running += counts[i];
  out.count = running;
  return out;
}

MetricFamily::MetricFamily(std::unique_ptr<detail::metrics::Family> impl)
    : impl_(std::move(impl)) {}
MetricFamily::~MetricFamily() = default;
const std::string& MetricFamily::name() const noexcept { return impl_->name(); }
MetricType MetricFamily::type() const noexcept { return impl_->type(); }
std::uint64_t MetricFamily::folded_tenants() const noexcept { return impl_->folded(); }
std::size_t MetricFamily::tenant_rows() const { return impl_->tenant_rows(); }

namespace {

template <class Cell, class Pick>
Result<Cell*> ResolveCell(detail::metrics::Family& family, const TenantId& tenant,
                          std::span<const std::string_view> labels, Pick pick) {
  auto r = family.Resolve(tenant, labels);
  if (!r) return r.error();
  return pick(*r->first)[r->second].get();
}

}  // namespace

Result<CounterCell*> Counter::For(const TenantId& tenant,
                                  std::initializer_list<std::string_view> label_values) {
  return ResolveCell<CounterCell>(*impl_, tenant, {label_values.begin(), label_values.size()},
                                  [](detail::metrics::Row& r) -> auto& { return r.counters; });
}
Result<CounterCell*> Counter::For(const TenantId& tenant,
                                  const std::vector<std::string_view>& label_values) {
  return ResolveCell<CounterCell>(*impl_, tenant, label_values,
                                  [](detail::metrics::Row& r) -> auto& { return r.counters; });
}

Result<GaugeCell*> Gauge::For(const TenantId& tenant,
                              std::initializer_list<std::string_view> label_values) {
  return ResolveCell<GaugeCell>(*impl_, tenant, {label_values.begin(), label_values.size()},
                                [](detail::metrics::Row& r) -> auto& { return r.gauges; });
}
Result<GaugeCell*> Gauge::For(const TenantId& tenant,
                              const std::vector<std::string_view>& label_values) {
  return ResolveCell<GaugeCell>(*impl_, tenant, label_values,
                                [](detail::metrics::Row& r) -> auto& { return r.gauges; });
}

Result<HistogramCell*> Histogram::For(const TenantId& tenant,
                                      std::initializer_list<std::string_view> label_values) {
  return ResolveCell<HistogramCell>(*impl_, tenant, {label_values.begin(), label_values.size()},
                                    [](detail::metrics::Row& r) -> auto& { return r.histograms; });
}
Result<HistogramCell*> Histogram::For(const TenantId& tenant,
                                      const std::vector<std::string_view>& label_values) {
  return ResolveCell<HistogramCell>(*impl_, tenant, label_values,
                                    [](detail::metrics::Row& r) -> auto& { return r.histograms; });
}

}  // namespace tenancy

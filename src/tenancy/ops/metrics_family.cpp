// A family's rows: creation, the tenant cap and overflow folding, label
// combinations.
#include "ops/metrics_family.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <new>

namespace tenancy::detail::metrics {

Words::Words(std::size_t count) {
  void* raw = ::operator new(count * sizeof(std::atomic<std::uint64_t>), std::align_val_t{64});
  data_ = static_cast<std::atomic<std::uint64_t>*>(raw);
  for (std::size_t i = 0; i < count; ++i) new (&data_[i]) std::atomic<std::uint64_t>(0);
}

Words::~Words() { ::operator delete(static_cast<void*>(data_), std::align_val_t{64}); }

Family::Family(MetricSpec spec, MetricType type, std::size_t max_tenants, std::uint32_t stripes)
    : spec_(std::move(spec)), type_(type), max_tenants_(max_tenants), stripes_(stripes) {
  for (const auto& d : spec_.labels) combinations_ *= d.values.size();
  // A histogram combination: one count per finite bound, the +Inf count and
  // the sum.
  words_per_combo_ = type_ == MetricType::kHistogram ? spec_.buckets.size() + 2 : 1;
  stride_ = (combinations_ * words_per_combo_ + 7) / 8 * 8;
}

std::unique_ptr<Row> Family::MakeRow(RowKind kind, std::string tenant) const {
  auto row = std::make_unique<Row>();
  row->kind = kind;
  row->tenant = std::move(tenant);
  const auto mask = stripes_ - 1;
  const auto stride = static_cast<std::uint32_t>(stride_);
  switch (type_) {
    case MetricType::kGauge:
      for (std::size_t c = 0; c < combinations_; ++c)
        row->gauges.push_back(std::make_unique<GaugeCell>());
      break;
    case MetricType::kCounter:
      row->words = std::make_unique<Words>(stride_ * stripes_);
      for (std::size_t c = 0; c < combinations_; ++c)
        row->counters.push_back(
            std::make_unique<CounterCell>(row->words->data() + c, stride, mask));
      break;
    case MetricType::kHistogram:
      row->words = std::make_unique<Words>(stride_ * stripes_);
      for (std::size_t c = 0; c < combinations_; ++c)
        row->histograms.push_back(std::make_unique<HistogramCell>(
            row->words->data() + c * words_per_combo_, stride, mask, spec_.buckets.data(),
            static_cast<std::uint32_t>(spec_.buckets.size())));
      break;
  }
  return row;
}

Row* Family::Special(std::unique_ptr<Row>& slot, RowKind kind) {
  {
    std::shared_lock lock(mu_);
    if (slot) return slot.get();
  }
  std::unique_lock lock(mu_);
  if (!slot) slot = MakeRow(kind, {});
  return slot.get();
}

Result<std::pair<Row*, std::size_t>> Family::Resolve(
    const TenantId& tenant, std::span<const std::string_view> label_values) {
  if (label_values.size() != spec_.labels.size())
    return Fail(Errc::kInvalidArgument, "metric '" + spec_.name + "' takes " +
                                            std::to_string(spec_.labels.size()) +
                                            " label values, got " +
                                            std::to_string(label_values.size()));
  // Mixed radix over the dimensions, first dimension most significant.
  std::size_t combo = 0;
  for (std::size_t d = 0; d < label_values.size(); ++d) {
    const auto& values = spec_.labels[d].values;
    const auto it = std::find(values.begin(), values.end(), label_values[d]);
    if (it == values.end())
      return Fail(Errc::kInvalidArgument, "metric '" + spec_.name + "': label '" +
                                              spec_.labels[d].name +
                                              "' has no declared value of that name");
    combo = combo * values.size() + static_cast<std::size_t>(it - values.begin());
  }

  if (tenant.empty()) return std::pair{Special(platform_, RowKind::kPlatform), combo};

  const std::uint64_t hash = std::hash<TenantId>{}(tenant);
  {
    std::shared_lock lock(mu_);
    if (auto it = rows_.find(tenant); it != rows_.end()) return std::pair{it->second.get(), combo};
    if (rows_.size() >= max_tenants_ && overflow_ &&
        (folded_.size() >= kMaxFoldedTracked || folded_.contains(hash)))
      return std::pair{overflow_.get(), combo};
  }
  std::unique_lock lock(mu_);
  if (auto it = rows_.find(tenant); it != rows_.end()) return std::pair{it->second.get(), combo};
  if (rows_.size() < max_tenants_) {
    auto [it, inserted] = rows_.emplace(tenant, MakeRow(RowKind::kTenant, tenant.str()));
    (void)inserted;
    return std::pair{it->second.get(), combo};
  }
  if (!overflow_) overflow_ = MakeRow(RowKind::kOverflow, {});
  if (folded_.size() < kMaxFoldedTracked && folded_.insert(hash).second)
    folded_count_.fetch_add(1, std::memory_order_relaxed);
  return std::pair{overflow_.get(), combo};
}

std::vector<const Row*> Family::Rows() const {
  std::vector<const Row*> out;
  std::shared_lock lock(mu_);
  out.reserve(rows_.size() + 2);
  if (platform_) out.push_back(platform_.get());
  const std::size_t first_tenant = out.size();
  for (const auto& [id, row] : rows_) out.push_back(row.get());
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first_tenant), out.end(),
            [](const Row* a, const Row* b) { return a->tenant < b->tenant; });
  if (overflow_) out.push_back(overflow_.get());
  return out;
}

const Row* Family::Find(const TenantId& tenant) const {
  std::shared_lock lock(mu_);
  const auto it = rows_.find(tenant);
  return it == rows_.end() ? nullptr : it->second.get();
}

std::vector<std::string_view> Family::Combination(std::size_t combo) const {
  std::vector<std::string_view> out(spec_.labels.size());
  for (std::size_t d = spec_.labels.size(); d-- > 0;) {
    const auto& values = spec_.labels[d].values;
    out[d] = values[combo % values.size()];
    combo /= values.size();
  }
  return out;
}

std::size_t Family::tenant_rows() const {
  std::shared_lock lock(mu_);
  return rows_.size();
}

}  // namespace tenancy::detail::metrics

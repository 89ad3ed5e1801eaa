// One metric family's storage: a row of cells per tenant, the platform row
// and the overflow row, and the bounded map from tenant to row.
//
// Layout. A row is one block of 64-byte aligned words per stripe; a stripe
// holds every label combination's words (a counter: one word; a histogram:
// its bucket counts, +Inf count and sum), padded to whole cache lines, so
// two threads on different stripes never share a line. Cells point into the
// block and never move; rows are never freed before the family.
//
// Thread safety: Resolve and the readers take the family's lock (shared for
// known tenants, exclusive to create a row); cells are used without it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tenancy/metrics.hpp"

namespace tenancy::detail::metrics {

enum class RowKind : std::uint8_t { kPlatform = 0, kTenant = 1, kOverflow = 2 };

// Zeroed 64-byte aligned atomic words, freed with the row.
class Words {
 public:
  explicit Words(std::size_t count);
  ~Words();
  Words(const Words&) = delete;
  Words& operator=(const Words&) = delete;
  std::atomic<std::uint64_t>* data() const noexcept { return data_; }

 private:
  std::atomic<std::uint64_t>* data_;
};

struct Row {
  RowKind kind = RowKind::kTenant;
  std::string tenant;  // the id for kTenant; empty otherwise
  std::unique_ptr<Words> words;                          // counters and histograms
  std::vector<std::unique_ptr<CounterCell>> counters;    // one per combination
  std::vector<std::unique_ptr<HistogramCell>> histograms;
  std::vector<std::unique_ptr<GaugeCell>> gauges;
};

class Family {
 public:
  // REQUIRES: spec validated by the registry; stripes a power of two.
  Family(MetricSpec spec, MetricType type, std::size_t max_tenants, std::uint32_t stripes);

  // The row of `tenant` (creating it, or folding it into overflow) and the
  // combination index of `label_values`. kInvalidArgument for label values
  // that do not match the declaration.
  Result<std::pair<Row*, std::size_t>> Resolve(const TenantId& tenant,
                                               std::span<const std::string_view> label_values);

  // Rows in exposition order: platform, tenants by id, overflow. The rows
  // stay valid for the family's life; their cells are read without a lock.
  std::vector<const Row*> Rows() const;
  // The tenant's own row, or null.
  const Row* Find(const TenantId& tenant) const;

  // The label values of combination `combo`, one per dimension.
  std::vector<std::string_view> Combination(std::size_t combo) const;

  const std::string& name() const noexcept { return spec_.name; }
  const std::string& help() const noexcept { return spec_.help; }
  const std::vector<LabelDimension>& labels() const noexcept { return spec_.labels; }
  const std::vector<double>& bounds() const noexcept { return spec_.buckets; }
  double unit_scale() const noexcept { return spec_.unit_scale; }
  MetricType type() const noexcept { return type_; }
  std::size_t combinations() const noexcept { return combinations_; }
  std::uint64_t folded() const noexcept { return folded_count_.load(std::memory_order_relaxed); }
  std::size_t tenant_rows() const;

 private:
  std::unique_ptr<Row> MakeRow(RowKind kind, std::string tenant) const;
  Row* Special(std::unique_ptr<Row>& slot, RowKind kind);

  const MetricSpec spec_;
  const MetricType type_;
  const std::size_t max_tenants_;
  const std::uint32_t stripes_;
  std::size_t combinations_ = 1;
  std::size_t words_per_combo_ = 1;
  std::size_t stride_ = 8;  // words per stripe, a multiple of 8

  mutable std::shared_mutex mu_;
  std::unordered_map<TenantId, std::unique_ptr<Row>> rows_;
  std::unique_ptr<Row> platform_;
  std::unique_ptr<Row> overflow_;
  // Hashes of the tenants folded into overflow (bounded): a folded tenant
  // resolving again is answered under the shared lock and counted once.
  std::unordered_set<std::uint64_t> folded_;
  std::atomic<std::uint64_t> folded_count_{0};
};

}  // namespace tenancy::detail::metrics

namespace tenancy {

// The registry's state, shared by its .cpp files.
struct MetricsRegistry::Impl {
  std::size_t max_tenants = 0;
  std::uint32_t stripes = 1;
  mutable std::mutex mu;  // registration and the family list (never shrinks)
  std::vector<std::unique_ptr<MetricFamily>> families;
  std::set<std::string, std::less<>> occupied;  // names taken in the exposition
};

}  // namespace tenancy

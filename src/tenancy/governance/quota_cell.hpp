// One tenant's state for one limit: the object a QuotaHandle points at.
//
// Hot path (TryConsume): read the parameters through a seqlock (plain loads,
// retried only while a writer republishes them), read the clock, then one
// compare-and-swap loop on one atomic: the theoretical arrival time for a
// rate, the used count for a periodic limit, the level for a gauge. Slow
// paths take the cell's mutex: the period rollover (once per period), soft
// thresholds (once per threshold and period), reconfiguration.
//
// Thread safety: every member function may be called from any thread.
// Configure and Restore are called by the owner under its configuration
// lock; the owner's callbacks are invoked outside the cell's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "governance/quota_limits.hpp"
#include "tenancy/quota.hpp"

namespace tenancy::quota {

// A cell's durable state, as written to and read from the database.
struct UsageRow {
  TenantId tenant{};
  std::string limit{};
  std::int64_t kind = kUnlimited;
  std::int64_t period_start_ms = 0;
  std::int64_t period_end_ms = 0;
  std::int64_t used = 0;          // periodic: this period; gauge (and unlimited): the level
  std::uint32_t thresholds = 0;   // bit i: soft threshold i fired (this period / crossing)
  std::int64_t version = 0;       // grows with every snapshot; stale writes lose
};

// What a cell asks of its owner on slow paths.
class CellOwner {
 public:
  // Writes one snapshot now (soft-threshold marks). False on failure.
  virtual bool Persist(const UsageRow& row) noexcept = 0;
  // Delivers events to the application. Called with no lock held.
  virtual void Emit(const std::vector<QuotaEvent>& events) noexcept = 0;

 protected:
  ~CellOwner() = default;
};

}  // namespace tenancy::quota

namespace tenancy::detail {

class QuotaCell {
 public:
  QuotaCell(quota::CellOwner& owner, Clock& clock, TenantId tenant, std::string limit);
  QuotaCell(const QuotaCell&) = delete;
  QuotaCell& operator=(const QuotaCell&) = delete;

  QuotaDecision TryConsume(std::int64_t n) noexcept;
  Result<QuotaDecision> Adjust(std::int64_t delta);
  Result<void> SetLevel(std::int64_t level);
  QuotaUsage Usage();

  // Publishes the parameters of `limit` (null: unlimited) scaled by
  // `factor`, with `zone` for the periods that start from now on. A change
  // of kind, or of a periodic limit's calendar unit, starts afresh.
  void Configure(const Limit* limit, double factor, const TimeZone& zone);
  // Adopts a stored row read when the cell was created (a periodic row only
  // if its period is still running).
  void Restore(const quota::UsageRow& row);

  // A snapshot for the write-behind, if anything changed since the last.
  std::optional<quota::UsageRow> SnapshotIfChanged();
  // The write of a snapshot failed: make the next SnapshotIfChanged retry.
  void WriteFailed();

  const TenantId& tenant() const noexcept { return tenant_; }
  const std::string& limit() const noexcept { return limit_; }

 private:
  quota::Params ReadParams() const noexcept;
  void PublishLocked(const quota::Params& p) noexcept;
  QuotaDecision Rate(const quota::Params& p, std::int64_t now, std::int64_t n) noexcept;
  QuotaDecision Periodic(const quota::Params& p, std::int64_t now, std::int64_t n) noexcept;
  Result<QuotaDecision> Gauge(const quota::Params& p, std::int64_t delta);
  std::int64_t Rollover(std::int64_t now);
  void CrossThresholds();
  void Rearm();
  void RecomputeMarksLocked() noexcept;
  quota::UsageRow SnapshotLocked();
  // The clock in nanoseconds; one load when the clock exposes its counter.
  std::int64_t NowNs() const noexcept {
    if (clock_counter_) return clock_counter_->load(std::memory_order_acquire);
    return clock_.Now().time_since_epoch().count();
  }

  // -- hot, written by every consumer --
  alignas(64) std::atomic<std::int64_t> tat_{0};  // rate: theoretical arrival time (ns)
  std::atomic<std::int64_t> used_{0};             // periodic: used; gauge: level
  // -- read-mostly: parameters (seqlock) and the marks the hot path checks --
  alignas(64) std::atomic<std::uint32_t> seq_{0};
  std::atomic<std::int64_t> kind_{quota::kUnlimited};
  std::atomic<std::int64_t> amount_{0};
  std::atomic<std::int64_t> emission_{0};
  std::atomic<std::int64_t> tolerance_{0};
  std::atomic<double> inv_emission_{0};
  std::atomic<std::int64_t> period_end_{INT64_MIN};  // periodic: ns; rolls over at or past it
  std::atomic<std::int64_t> next_threshold_{INT64_MAX};  // level at which a mark fires
  std::atomic<std::int64_t> rearm_below_{INT64_MIN};     // gauge: a fall below re-arms a mark

  // -- cold --
  alignas(64) quota::CellOwner& owner_;
  Clock& clock_;
  const std::atomic<TimePoint::duration::rep>* const clock_counter_ = clock_.Counter();
  const TenantId tenant_;
  const std::string limit_;

  std::mutex mu_;  // slow paths; guards everything below
  CalendarPeriod period_ = CalendarPeriod::kMonth;
  TimeZone zone_{};
  std::int64_t period_start_ = 0;  // ns
  std::vector<double> fractions_{};
  std::vector<std::int64_t> units_{};
  std::uint32_t fired_ = 0;
  std::int64_t version_ = 0;
  // What the last snapshot held, to skip unchanged cells when flushing.
  std::int64_t written_kind_ = quota::kUnlimited, written_used_ = 0, written_end_ = INT64_MIN;
  std::uint32_t written_fired_ = 0;
};

}  // namespace tenancy::detail

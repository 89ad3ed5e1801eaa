// The slow paths of a quota cell: configuration, period rollover, soft
// thresholds, and the snapshots the write-behind persists.
#include <algorithm>

#include "governance/quota_cell.hpp"

namespace tenancy::detail {
namespace {

constexpr std::int64_t kPeriodic = static_cast<std::int64_t>(LimitKind::kPeriodic);
constexpr std::int64_t kGauge = static_cast<std::int64_t>(LimitKind::kGauge);
constexpr std::int64_t kRate = static_cast<std::int64_t>(LimitKind::kRate);

TimePoint FromNs(std::int64_t ns) { return TimePoint{std::chrono::nanoseconds{ns}}; }
std::int64_t ToNs(TimePoint t) { return t.time_since_epoch().count(); }

// Unlimited cells track a level (TryAdjust on a name no plan limits yet),
// so they persist like gauges.
bool KeepsLevel(std::int64_t kind) { return kind == kGauge || kind == quota::kUnlimited; }

}  // namespace

// Called when now has reached the period's end: starts the period that
// holds `now` in the tenant's zone. Returns its end.
std::int64_t QuotaCell::Rollover(std::int64_t now) {
  std::lock_guard lock(mu_);
  const std::int64_t end = period_end_.load(std::memory_order_relaxed);
  if (now < end) return end;  // another caller rolled over first
  const TimeSpan span = period_ == CalendarPeriod::kDay ? zone_.DayAt(FromNs(now))
                                                        : zone_.MonthAt(FromNs(now));
  used_.store(0, std::memory_order_relaxed);
  fired_ = 0;
  period_start_ = ToNs(span.start);
  RecomputeMarksLocked();
  const std::int64_t next_end = ToNs(span.end);
  period_end_.store(next_end, std::memory_order_release);
  return next_end;
}

void QuotaCell::RecomputeMarksLocked() noexcept {
  std::int64_t next = INT64_MAX, rearm = INT64_MIN;
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if ((fired_ >> i) & 1U)
      rearm = std::max(rearm, units_[i]);
    else
      next = std::min(next, units_[i]);
  }
  next_threshold_.store(next, std::memory_order_relaxed);
  rearm_below_.store(kind_.load(std::memory_order_relaxed) == kGauge ? rearm : INT64_MIN,
                     std::memory_order_relaxed);
}

// A consumer saw usage reach the next mark. Marks are set (and written
// through) under the mutex, so each fires once however many threads race;
// the events go out after the lock is released.
void QuotaCell::CrossThresholds() {
  std::vector<QuotaEvent> events;
  quota::UsageRow row;
  {
    std::lock_guard lock(mu_);
    const std::int64_t kind = kind_.load(std::memory_order_relaxed);
    if (kind != kPeriodic && kind != kGauge) return;
    const std::int64_t level = used_.load(std::memory_order_relaxed);
    const std::int64_t amount = amount_.load(std::memory_order_relaxed);
    const TimePoint now = clock_.Now();
    for (std::size_t i = 0; i < units_.size(); ++i) {
      if (((fired_ >> i) & 1U) || units_[i] > level) continue;
      fired_ |= 1U << i;
      QuotaEvent e;
      e.tenant = tenant_;
      e.limit = limit_;
      e.kind = static_cast<LimitKind>(kind);
      e.threshold = fractions_[i];
      e.used = level;
      e.amount = amount;
      if (kind == kPeriodic)
        e.period = {FromNs(period_start_), FromNs(period_end_.load(std::memory_order_relaxed))};
      e.at = now;
      events.push_back(std::move(e));
    }
    if (events.empty()) return;
    RecomputeMarksLocked();
    row = SnapshotLocked();
  }
  // Remembered before anyone hears of it: a restart must not repeat it.
  if (!owner_.Persist(row)) WriteFailed();
  owner_.Emit(events);
}

// A gauge fell below a mark that fired: that mark may fire again.
void QuotaCell::Rearm() {
  std::lock_guard lock(mu_);
  const std::int64_t level = used_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < units_.size(); ++i)
    if (units_[i] > level) fired_ &= ~(1U << i);
  RecomputeMarksLocked();
}

void QuotaCell::Configure(const Limit* limit, double factor, const TimeZone& zone) {
  std::lock_guard lock(mu_);
  const quota::Params p = quota::Compute(limit, factor);
  const std::int64_t old_kind = kind_.load(std::memory_order_relaxed);
  const CalendarPeriod old_period = period_;
  zone_ = zone;
  if (limit != nullptr) period_ = limit->period;

  const bool same_kind = old_kind == p.kind || (KeepsLevel(old_kind) && KeepsLevel(p.kind));
  if (!same_kind || (p.kind == kPeriodic && period_ != old_period)) {
    // A different meaning: start afresh (a periodic limit rolls over on
    // its next use).
    tat_.store(0, std::memory_order_relaxed);
    if (!(KeepsLevel(old_kind) && KeepsLevel(p.kind))) used_.store(0, std::memory_order_relaxed);
    period_end_.store(INT64_MIN, std::memory_order_release);
    period_start_ = 0;
    fired_ = 0;
  }

  // Soft thresholds keep their fired state by value, so editing the list
  // neither repeats nor loses an event.
  std::vector<double> fractions = limit ? limit->soft_thresholds : std::vector<double>{};
  std::uint32_t fired = 0;
  for (std::size_t i = 0; i < fractions.size(); ++i) {
    for (std::size_t j = 0; j < fractions_.size(); ++j)
      if (fractions_[j] == fractions[i] && ((fired_ >> j) & 1U)) fired |= 1U << i;
  }
  fractions_ = std::move(fractions);
  fired_ = fired;
  units_.clear();
  for (double f : fractions_) units_.push_back(quota::ThresholdUnits(f, p.amount));
  PublishLocked(p);
  RecomputeMarksLocked();
}

void QuotaCell::Restore(const quota::UsageRow& row) {
  std::lock_guard lock(mu_);
  version_ = row.version;
  const std::int64_t kind = kind_.load(std::memory_order_relaxed);
  const bool level = KeepsLevel(kind) && KeepsLevel(row.kind);
  // A row edited by hand must not overflow the conversion to nanoseconds.
  constexpr std::int64_t kMaxMs = INT64_MAX / 1'000'000;
  const bool sane = row.period_start_ms >= 0 && row.period_end_ms > row.period_start_ms &&
                    row.period_end_ms <= kMaxMs;
  const std::int64_t end_ns = sane ? row.period_end_ms * 1'000'000 : INT64_MIN;
  const bool running = sane && kind == kPeriodic && row.kind == kPeriodic &&
                       clock_.Now().time_since_epoch().count() < end_ns;
  if (!level && !running) return;
  used_.store(std::max<std::int64_t>(0, row.used), std::memory_order_relaxed);
  fired_ = row.thresholds & ((units_.size() >= 32) ? ~0U : ((1U << units_.size()) - 1));
  if (running) {
    period_start_ = row.period_start_ms * 1'000'000;
    period_end_.store(end_ns, std::memory_order_release);
  }
  written_kind_ = row.kind;
  written_used_ = row.used;
  written_end_ = running ? end_ns : INT64_MIN;
  written_fired_ = fired_;
  RecomputeMarksLocked();
}

quota::UsageRow QuotaCell::SnapshotLocked() {
  quota::UsageRow row;
  row.tenant = tenant_;
  row.limit = limit_;
  row.kind = kind_.load(std::memory_order_relaxed);
  row.used = used_.load(std::memory_order_relaxed);
  const std::int64_t end = period_end_.load(std::memory_order_relaxed);
  if (row.kind == kPeriodic && end != INT64_MIN) {
    row.period_start_ms = period_start_ / 1'000'000;
    row.period_end_ms = end / 1'000'000;
  }
  row.thresholds = fired_;
  row.version = ++version_;
  written_kind_ = row.kind;
  written_used_ = row.used;
  written_end_ = row.kind == kPeriodic ? end : INT64_MIN;
  written_fired_ = fired_;
  return row;
}

std::optional<quota::UsageRow> QuotaCell::SnapshotIfChanged() {
  std::lock_guard lock(mu_);
  const std::int64_t kind = kind_.load(std::memory_order_relaxed);
  if (kind == kRate) return std::nullopt;  // rates are not durable
  const std::int64_t end = kind == kPeriodic ? period_end_.load(std::memory_order_relaxed) : INT64_MIN;
  if (kind == written_kind_ && used_.load(std::memory_order_relaxed) == written_used_ &&
      end == written_end_ && fired_ == written_fired_)
    return std::nullopt;
  return SnapshotLocked();
}

void QuotaCell::WriteFailed() {
  std::lock_guard lock(mu_);
  written_kind_ = INT64_MIN;  // differs from every kind: the next flush writes again
}

}  // namespace tenancy::detail

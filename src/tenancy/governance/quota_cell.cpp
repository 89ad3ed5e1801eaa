// The consumption paths of a quota cell: GCRA for rates, a bounded counter
// for periodic amounts, a bounded level for gauges.
#include "governance/quota_cell.hpp"

#include <algorithm>

namespace tenancy::detail {
namespace {

using std::chrono::nanoseconds;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

QuotaDecision Unlimited() noexcept { return QuotaDecision{}; }

QuotaDecision Never(LimitKind kind, std::int64_t limit, std::int64_t remaining) noexcept {
  QuotaDecision d;
  d.allowed = false;
  d.limited = true;
  d.kind = kind;
  d.limit = limit;
  d.remaining = std::max<std::int64_t>(0, remaining);
  d.retry_after = kNever;
  return d;
}

}  // namespace

QuotaCell::QuotaCell(quota::CellOwner& owner, Clock& clock, TenantId tenant, std::string limit)
    : owner_(owner), clock_(clock), tenant_(std::move(tenant)), limit_(std::move(limit)) {}

inline quota::Params QuotaCell::ReadParams() const noexcept {
  // Seqlock reader: a writer makes seq_ odd while it stores, so an even,
  // unchanged seq_ around the loads proves they belong together.
  for (;;) {
    const std::uint32_t before = seq_.load(std::memory_order_acquire);
    quota::Params p{kind_.load(std::memory_order_relaxed), amount_.load(std::memory_order_relaxed),
                    emission_.load(std::memory_order_relaxed),
                    tolerance_.load(std::memory_order_relaxed),
                    inv_emission_.load(std::memory_order_relaxed)};
    std::atomic_thread_fence(std::memory_order_acquire);
    if ((before & 1U) == 0 && seq_.load(std::memory_order_relaxed) == before) return p;
  }
}

void QuotaCell::PublishLocked(const quota::Params& p) noexcept {
  const std::uint32_t s = seq_.load(std::memory_order_relaxed);
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  kind_.store(p.kind, std::memory_order_relaxed);
  amount_.store(p.amount, std::memory_order_relaxed);
  emission_.store(p.emission, std::memory_order_relaxed);
  tolerance_.store(p.tolerance, std::memory_order_relaxed);
  inv_emission_.store(p.inv_emission, std::memory_order_relaxed);
  seq_.store(s + 2, std::memory_order_release);
}

inline QuotaDecision QuotaCell::TryConsume(std::int64_t n) noexcept {
  const quota::Params p = ReadParams();
  if (n < 0) {
    auto d = Never(p.kind == quota::kUnlimited ? LimitKind::kRate : static_cast<LimitKind>(p.kind),
                   p.kind == quota::kUnlimited ? kMax : p.amount, 0);
    d.limited = p.kind != quota::kUnlimited;
    return d;
  }
  switch (p.kind) {
    case static_cast<std::int64_t>(LimitKind::kRate): return Rate(p, NowNs(), n);
    case static_cast<std::int64_t>(LimitKind::kPeriodic): return Periodic(p, NowNs(), n);
    case static_cast<std::int64_t>(LimitKind::kGauge): {
      auto d = Gauge(p, n);
      return d ? *d : Never(LimitKind::kGauge, p.amount, 0);
    }
    default: return Unlimited();
  }
}

// GCRA. The bucket is full when tat <= now; taking n cells moves tat by
// n * T; a request conforms when the new tat is at most `tolerance`
// (burst * T) ahead of now. So exactly `burst` units pass at once, and one
// more every T after that.
inline QuotaDecision QuotaCell::Rate(const quota::Params& p, std::int64_t now,
                                       std::int64_t n) noexcept {
  if (n > p.amount) return Never(LimitKind::kRate, p.amount, 0);
  QuotaDecision d;
  d.limited = true;
  d.kind = LimitKind::kRate;
  d.limit = p.amount;
  d.refill_every = nanoseconds(p.emission);
  const std::int64_t increment = p.emission * n;  // <= tolerance: no overflow
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t base = std::max(tat, now);
    const std::int64_t next = base + increment;
    const std::int64_t allow_at = next - p.tolerance;
    if (allow_at > now) {
      d.allowed = false;
      d.retry_after = nanoseconds(allow_at - now);
      d.remaining = std::max<std::int64_t>(0, (now + p.tolerance - base) / p.emission);
      d.reset_after = nanoseconds(base - now);
      return d;
    }
    // n == 0 only asks; writing max(tat, now) back would change nothing.
    if (n == 0 || tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
      d.remaining = quota::DivideByEmission(now + p.tolerance - next, p);
      d.reset_after = nanoseconds(next - now);
      return d;
    }
  }
}

inline QuotaDecision QuotaCell::Periodic(const quota::Params& p, std::int64_t now,
                                         std::int64_t n) noexcept {
  std::int64_t end = period_end_.load(std::memory_order_acquire);
  if (now >= end) end = Rollover(now);
  QuotaDecision d;
  d.limited = true;
  d.kind = LimitKind::kPeriodic;
  d.limit = p.amount;
  d.reset_after = nanoseconds(std::max<std::int64_t>(0, end - now));
  std::int64_t used = used_.load(std::memory_order_relaxed);
  if (n > p.amount) return Never(LimitKind::kPeriodic, p.amount, p.amount - used);
  for (;;) {
    if (used > p.amount - n) {
      d.allowed = false;
      d.retry_after = d.reset_after;
      d.remaining = std::max<std::int64_t>(0, p.amount - used);
      return d;
    }
    if (n == 0) break;
    if (used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed)) break;
  }
  d.remaining = p.amount - used - n;
  if (n > 0 && used + n >= next_threshold_.load(std::memory_order_relaxed)) CrossThresholds();
  return d;
}

Result<QuotaDecision> QuotaCell::Gauge(const quota::Params& p, std::int64_t delta) {
  const bool limited = p.kind == static_cast<std::int64_t>(LimitKind::kGauge);
  if (!limited && p.kind != quota::kUnlimited)
    return Fail(Errc::kFailedPrecondition, "limit '" + limit_ + "' is a " +
                                               std::string(ToString(static_cast<LimitKind>(p.kind))) +
                                               ", not a gauge");
  std::int64_t level = used_.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  for (;;) {
    if (__builtin_add_overflow(level, delta, &next))
      return Fail(Errc::kInvalidArgument, "the level of '" + limit_ + "' would overflow");
    if (next < 0)
      return Fail(Errc::kInvalidArgument, "the level of '" + limit_ + "' would fall below zero");
    if (limited && delta > 0 && next > p.amount)
      return Never(LimitKind::kGauge, p.amount, p.amount - level);
    if (used_.compare_exchange_weak(level, next, std::memory_order_relaxed)) break;
  }
  QuotaDecision d;
  d.kind = LimitKind::kGauge;
  if (limited) {
    d.limited = true;
    d.limit = p.amount;
    d.remaining = std::max<std::int64_t>(0, p.amount - next);
  }
  if (delta > 0 && next >= next_threshold_.load(std::memory_order_relaxed)) CrossThresholds();
  if (delta < 0 && next < rearm_below_.load(std::memory_order_relaxed)) Rearm();
  return d;
}

Result<QuotaDecision> QuotaCell::Adjust(std::int64_t delta) { return Gauge(ReadParams(), delta); }

Result<void> QuotaCell::SetLevel(std::int64_t level) {
  const quota::Params p = ReadParams();
  if (level < 0) return Fail(Errc::kInvalidArgument, "a level must not be negative");
  if (p.kind != quota::kUnlimited && p.kind != static_cast<std::int64_t>(LimitKind::kGauge))
    return Fail(Errc::kFailedPrecondition, "limit '" + limit_ + "' is a " +
                                               std::string(ToString(static_cast<LimitKind>(p.kind))) +
                                               ", not a gauge");
  const std::int64_t before = used_.exchange(level, std::memory_order_relaxed);
  if (level > before && level >= next_threshold_.load(std::memory_order_relaxed)) CrossThresholds();
  if (level < before && level < rearm_below_.load(std::memory_order_relaxed)) Rearm();
  return {};
}

QuotaUsage QuotaCell::Usage() {
  const QuotaDecision d = TryConsume(0);
  QuotaUsage u;
  u.limited = d.limited;
  u.kind = d.kind;
  u.limit = d.limit;
  u.remaining = d.remaining;
  const quota::Params p = ReadParams();
  if (p.kind == static_cast<std::int64_t>(LimitKind::kRate)) {
    u.used = p.amount - std::min(p.amount, d.remaining);
  } else {
    u.used = used_.load(std::memory_order_relaxed);
  }
  if (p.kind == static_cast<std::int64_t>(LimitKind::kPeriodic)) {
    std::lock_guard lock(mu_);
    u.period = {TimePoint{std::chrono::nanoseconds{period_start_}},
                TimePoint{std::chrono::nanoseconds{period_end_.load(std::memory_order_relaxed)}}};
  }
  return u;
}

}  // namespace tenancy::detail

namespace tenancy {

// Beside the cell, not with the other QuotaHandle members in
// quota_consume.cpp, so the whole decision inlines into this one call.
// An empty handle fails closed: it denies, it never grants.
QuotaDecision QuotaHandle::TryConsume(std::int64_t n) const noexcept {
  if (!cell_) {
    QuotaDecision d;
    d.allowed = false;
    d.retry_after = kNever;
    return d;
  }
  return cell_->TryConsume(n);
}

}  // namespace tenancy

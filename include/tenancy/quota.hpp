// tenancy/quota.hpp — quotas and rate limits per tenant.
//
// Each tier has a plan: named limits such as "api.requests" (a rate),
// "rides.booked" (an amount per calendar month) or "vehicles" (a gauge). A
// tenant gets its tier's plan, with per-tenant overrides on top. Three kinds:
//
//   rate      GCRA (the generic cell rate algorithm): `amount` units per
//             `interval`, up to `burst` at once. State is one atomic
//             theoretical arrival time; not durable (a restart refills).
//   periodic  `amount` units per calendar day or month in the tenant's time
//             zone (SetTimeZone; UTC by default), so "per day" ends at the
//             tenant's local midnight, DST days included.
//   gauge     a level (vehicles, drivers, bytes) that may not exceed
//             `amount`: TryAdjust(+n / -n) and SetLevel.
//
//   auto quotas = tenancy::Quotas::Open({.path = "./data/quotas.db"}, *directory).value();
//   quotas->SetPlan("standard", {.limits = {
//       {"api.requests", tenancy::Limit::Rate(100, std::chrono::seconds(1), 200)},
//       {"rides.booked", tenancy::Limit::Periodic(10'000, tenancy::CalendarPeriod::kMonth,
//                                                 {0.8, 1.0})},
//       {"vehicles", tenancy::Limit::Gauge(50, {0.9})}}});
//   auto d = quotas->TryConsume(ctx, "api.requests");   // Result<QuotaDecision>
//   if (d && !d->allowed) return TooManyRequests(d->retry_after);
//
// Hot path: resolve a QuotaHandle once per tenant and limit; its TryConsume
// is a compare-and-swap loop on one atomic integer (plus the clock read and
// a lock-free read of the limit's parameters): no lock, no system call, no
// allocation. A handle stays valid across plan, override, time-zone and
// quarantine changes: it points at the tenant's state for that limit, whose
// parameters are republished in place.
//
// Denial is a value (QuotaDecision::allowed == false, with retry_after),
// not an error; `Consume` is the error-returning form (kResourceExhausted).
//
// Unknown limits: a name no plan or override configures is unlimited. The
// decision says so (`limited == false`, remaining = limit = INT64_MAX), so
// a typo is visible to a caller who looks, and adding the limit to a plan
// later takes effect at once, also through existing handles.
//
// Soft thresholds (fractions of a periodic or gauge limit, e.g. 0.8 and 1.0)
// call QuotaOptions::on_event once when usage reaches them: once per period
// for periodic limits, once per upward crossing for gauges (re-armed when
// the level falls back below). Which thresholds fired is written to the
// database before the callback runs, so a restart does not repeat them.
//
// Durability (write-behind): periodic usage and gauge levels are counted in
// memory and written to the SQLite file at QuotaOptions::path every
// `flush_interval`, by Flush(), and by Close() or destruction. A clean
// restart loses nothing; a crash loses at most the last interval's counts
// (a tenant may then get up to one interval's worth again). Writing through
// would put a database write on every call, which the hot path cannot
// afford. Plans, overrides and time zones are written through.
//
// Quarantine (quarantine.hpp) multiplies a tenant's rate limits by a factor
// (SetRateFactor); existing handles see the reduced rate at once.
//
// Thread safety: Quotas and QuotaHandle are safe to use from any thread.
// Counts are exact under concurrent callers: N threads racing for a
// periodic limit of A units get exactly A allowed in total. The event
// callback runs on the consuming thread, outside every lock of this module.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"
#include "tenancy/time_zone.hpp"

namespace tenancy {

enum class LimitKind : std::uint8_t { kRate = 0, kPeriodic = 1, kGauge = 2 };
enum class CalendarPeriod : std::uint8_t { kDay = 0, kMonth = 1 };

// "rate", "periodic", "gauge"; "day", "month".
TENANCY_EXPORT std::string_view ToString(LimitKind kind) noexcept;
TENANCY_EXPORT std::string_view ToString(CalendarPeriod period) noexcept;

// True for a limit name: 1-64 of [a-z0-9._-], starting with a letter or digit.
TENANCY_EXPORT bool IsValidLimitName(std::string_view name) noexcept;

// One limit. Build with the factories; fields not used by a kind must keep
// their defaults (validation refuses anything else, so a misplaced setting
// is not silently ignored).
struct Limit {
  LimitKind kind = LimitKind::kRate;
  // rate: units per `interval` (>= 1); periodic: units per period (>= 0);
  // gauge: the highest level (>= 0).
  std::int64_t amount = 0;
  // rate only: the window `amount` refers to, 1 ns .. 366 days.
  std::chrono::nanoseconds interval{std::chrono::seconds{1}};
  // rate only: units that may be taken at once when idle; 0 means `amount`.
  std::int64_t burst = 0;
  // periodic only.
  CalendarPeriod period = CalendarPeriod::kMonth;
  // periodic and gauge: fractions in (0, 1], strictly ascending, at most 8.
  std::vector<double> soft_thresholds{};

  static Limit Rate(std::int64_t amount, std::chrono::nanoseconds interval,
                    std::int64_t burst = 0) {
    return {LimitKind::kRate, amount, interval, burst, CalendarPeriod::kMonth, {}};
  }
  static Limit Periodic(std::int64_t amount, CalendarPeriod period,
                        std::vector<double> soft_thresholds = {}) {
    return {LimitKind::kPeriodic, amount, std::chrono::seconds{1}, 0, period,
            std::move(soft_thresholds)};
  }
  static Limit Gauge(std::int64_t max, std::vector<double> soft_thresholds = {}) {
    return {LimitKind::kGauge, max, std::chrono::seconds{1}, 0, CalendarPeriod::kMonth,
            std::move(soft_thresholds)};
  }
  friend bool operator==(const Limit&, const Limit&) = default;
};

// The limits of one tier, by name.
struct Plan {
  std::map<std::string, Limit, std::less<>> limits{};
  friend bool operator==(const Plan&, const Plan&) = default;
};

// retry_after when waiting cannot help: n exceeds the limit itself, or a
// gauge is full (levels fall only when the caller lowers them).
inline constexpr std::chrono::nanoseconds kNever = std::chrono::nanoseconds::max();

// The answer to a consumption request. A denial consumes nothing.
struct QuotaDecision {
  bool allowed = true;
  // False when no limit of that name is configured for the tenant (then
  // allowed, and limit = remaining = INT64_MAX).
  bool limited = false;
  LimitKind kind = LimitKind::kRate;
  // rate: the burst (units at once); periodic: the amount per period;
  // gauge: the highest level. Quarantine lowers a rate's burst.
  std::int64_t limit = std::numeric_limits<std::int64_t>::max();
  // Units that could still be taken now, after this request.
  std::int64_t remaining = std::numeric_limits<std::int64_t>::max();
  // When denied: the wait after which the same request would be allowed
  // (rate: until enough cells have drained; periodic: until the period
  // ends), or kNever. Zero when allowed.
  std::chrono::nanoseconds retry_after{0};
  // rate: until the burst is whole again; periodic: until the period ends;
  // gauge: zero. For RateLimit-Reset style headers.
  std::chrono::nanoseconds reset_after{0};
  // rate: one unit is refilled every this long (the period over the
  // amount), e.g. for spreading a throttled caller's retries one unit
  // apart; zero for other kinds and unlimited names.
  std::chrono::nanoseconds refill_every{0};

  explicit operator bool() const noexcept { return allowed; }
};

// The state of one limit for one tenant, as an operator sees it.
struct QuotaUsage {
  bool limited = false;
  LimitKind kind = LimitKind::kRate;
  std::int64_t used = 0;  // rate: units in the bucket; periodic: this period; gauge: the level
  std::int64_t limit = std::numeric_limits<std::int64_t>::max();
  std::int64_t remaining = std::numeric_limits<std::int64_t>::max();
  TimeSpan period{};  // periodic only: the current period
};

// A soft threshold was reached.
struct QuotaEvent {
  TenantId tenant{};
  std::string limit{};  // the limit's name
  LimitKind kind = LimitKind::kPeriodic;
  double threshold = 0;    // the fraction reached, e.g. 0.8
  std::int64_t used = 0;   // usage or level when it was reached
  std::int64_t amount = 0; // the limit's amount then
  TimeSpan period{};       // periodic only
  TimePoint at{};
};

struct QuotaOptions {
  // The SQLite file for plans, overrides, time zones and usage; created on
  // first use. May be the directory's control database.
  std::string path{};
  // Source of time for every decision. Never null; must outlive Quotas.
  Clock* clock = &SystemClock();
  // How often usage is written behind; zero: only by Flush() and Close().
  std::chrono::milliseconds flush_interval{1000};
  // Called once per soft threshold reached (see above). May be empty.
  std::function<void(const QuotaEvent&)> on_event{};
  // Where tenants' time zones are read from.
  std::string zoneinfo_dir{kZoneInfoDir};
};

namespace detail {
class QuotaCell;
}

// A resolved (tenant, limit). Cheap to copy. REQUIRES: the Quotas that made
// it outlives every use (handles do not keep it open).
class TENANCY_EXPORT QuotaHandle {
 public:
  QuotaHandle() = default;  // an empty handle; REQUIRES valid() before use

  // Takes `n` units (n = 0 asks without taking). Rate and periodic limits
  // as described above; on a gauge, raises the level by n. REQUIRES n >= 0;
  // a negative n is denied (retry_after = kNever), never granted.
  QuotaDecision TryConsume(std::int64_t n = 1) const noexcept;

  // Gauges (and unconfigured names, whose level is then still tracked):
  // moves the level by `delta`. A rise past the limit is denied (the level
  // is unchanged); a fall is always allowed. kInvalidArgument when the level
  // would fall below zero or overflow; kFailedPrecondition on a rate or
  // periodic limit.
  Result<QuotaDecision> TryAdjust(std::int64_t delta) const;
  // Gauges: sets the level (>= 0), even above the limit (it reports what
  // is). Errors as TryAdjust.
  Result<void> SetLevel(std::int64_t level) const;

  QuotaUsage Usage() const;
  const TenantId& tenant() const noexcept;
  const std::string& limit() const noexcept;
  bool valid() const noexcept { return cell_ != nullptr; }

 private:
  friend class Quotas;
  explicit QuotaHandle(std::shared_ptr<detail::QuotaCell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<detail::QuotaCell> cell_;
};

class TENANCY_EXPORT Quotas {
 public:
  // Opens (creating) the database and loads plans, overrides and time zones.
  // REQUIRES: `directory` outlives the Quotas. Errors: kInvalidArgument
  // (empty path, zero clock), kStorage.
  static Result<std::unique_ptr<Quotas>> Open(QuotaOptions options, Directory& directory);
  // Flushes (errors ignored; call Close to see them).
  ~Quotas();
  Quotas(const Quotas&) = delete;
  Quotas& operator=(const Quotas&) = delete;

  // Stops the background writer and writes all usage. Later calls do
  // nothing. REQUIRES: no other call runs or follows (handles included).
  Result<void> Close();
  // Writes usage that changed since the last write. kStorage on failure.
  Result<void> Flush();

  // -- plans, overrides, time zones (persisted at once; handles see the
  //    change at once) --

  // Replaces the tier's plan. kInvalidArgument naming the tier, limit and
  // field at fault; nothing changes then.
  Result<void> SetPlan(std::string_view tier, const Plan& plan);
  // The tier's plan; an empty plan when none was set.
  Result<Plan> GetPlan(std::string_view tier) const;
  // A limit for one tenant that beats its tier's plan. Errors as SetPlan,
  // plus kTenantUnknown.
  Result<void> SetOverride(const TenantId& tenant, std::string_view limit, const Limit& value);
  // Back to the plan. Clearing an absent override is not an error.
  Result<void> ClearOverride(const TenantId& tenant, std::string_view limit);
  // The limits in force for the tenant (plan merged with overrides),
  // quarantine factor not applied.
  Result<std::map<std::string, Limit, std::less<>>> EffectiveLimits(const TenantId& tenant) const;

  // The tenant's IANA time zone for periodic limits (UTC by default). A
  // period already running keeps its end; the next one follows the new
  // zone. kInvalidArgument for a malformed or unknown zone, kTenantUnknown.
  Result<void> SetTimeZone(const TenantId& tenant, std::string_view zone);
  Result<TimeZone> TimeZoneOf(const TenantId& tenant) const;

  // -- consumption --

  // The handle of a tenant's limit. kInvalidArgument for a malformed name;
  // kTenantUnknown for unknown or deleted tenants.
  Result<QuotaHandle> Resolve(const TenantContext& ctx, std::string_view limit);
  Result<QuotaHandle> Resolve(const TenantId& tenant, std::string_view limit);

  // Resolve + QuotaHandle::TryConsume. kInvalidArgument for a malformed
  // name or n < 0; kTenantUnknown. A denial is a decision, not an error.
  Result<QuotaDecision> TryConsume(const TenantContext& ctx, std::string_view limit,
                                   std::int64_t n = 1);
  Result<QuotaDecision> TryConsume(const TenantId& tenant, std::string_view limit,
                                   std::int64_t n = 1);
  // As TryConsume, but a denial is kResourceExhausted whose message names
  // the limit and the retry-after in milliseconds.
  Result<QuotaDecision> Consume(const TenantContext& ctx, std::string_view limit,
                                std::int64_t n = 1);

  // Gauges by name; see QuotaHandle.
  Result<QuotaDecision> TryAdjust(const TenantId& tenant, std::string_view limit,
                                  std::int64_t delta);
  Result<void> SetLevel(const TenantId& tenant, std::string_view limit, std::int64_t level);
  Result<QuotaUsage> Usage(const TenantId& tenant, std::string_view limit);

  // -- quarantine --

  // Multiplies the tenant's rate limits by `factor` in (0, 1] (1 restores
  // them): the emission interval is divided by it and the burst multiplied
  // (at least 1). Not persisted: the quarantine policy re-applies it when
  // it opens. kInvalidArgument, kTenantUnknown.
  Result<void> SetRateFactor(const TenantId& tenant, double factor);
  double RateFactor(const TenantId& tenant) const;

 private:
  struct Impl;
  explicit Quotas(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

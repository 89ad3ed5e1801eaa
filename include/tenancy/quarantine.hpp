// tenancy/quarantine.hpp — noisy-tenant quarantine.
//
// A QuarantinePolicy watches each tenant's requests and moves a tenant that
// keeps hurting its neighbours to `TenantState::kQuarantined`: reduced rate
// limits (its rates multiplied by `rate_factor` through Quotas) and, if
// configured, read-only. It watches three metrics over a sliding window:
//
//   throttled ratio  requests denied by a limit / all requests
//   error ratio      requests that failed / all requests
//   time share       the tenant's request time / all tenants' request time
//                    (judged only while at least two tenants are active:
//                    a lone tenant has no neighbour to hurt)
//
// A tenant is past a threshold when its value is strictly greater than it,
// with at least `min_requests` requests in the window (so a tenant with three
// requests, one of them failed, is not judged). It is quarantined once it
// has stayed past a threshold for `sustain`; the reason written to the
// directory names the metric, its value and the threshold. It is released
// by Release (an operator), or automatically once every metric has stayed
// under its threshold for `cooldown`. Every transition goes through
// Directory::ChangeState, so Directory::History records it with its reason.
//
//   auto policy = tenancy::QuarantinePolicy::Open({.quotas = quotas.get()}, *directory).value();
//   // per request, after the handler ran:
//   probe.Observe({.elapsed = took, .error = failed, .throttled = denied});
//   // every few seconds (or evaluate_every):
//   policy->Evaluate();
//
// Only active tenants are quarantined: a suspended, provisioning or
// offboarding tenant is never touched. A tenant that an operator moves out
// of quarantine through the directory directly is dropped from the policy
// (its rates restored) at the next evaluation. When the policy opens, it
// adopts the tenants the directory lists as quarantined and re-applies their
// reduced rates.
//
// Thread safety: all methods may be called from any thread. Observe through
// a QuarantineProbe is lock-free (four relaxed atomic additions at most);
// Observe by id takes one striped shared lock. Evaluate calls are serialized.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/export.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

// One finished request.
struct Observation {
  std::chrono::nanoseconds elapsed{0};  // time spent serving it (negative counts as 0)
  bool error = false;                   // it failed (the server's fault or the tenant's)
  bool throttled = false;               // a quota or rate limit denied it
};

// Each threshold is a ratio in [0, 1]; empty: not judged.
struct QuarantineThresholds {
  std::optional<double> throttled_ratio = 0.5;
  std::optional<double> error_ratio = 0.5;
  std::optional<double> time_share = 0.5;
};

struct QuarantineOptions {
  QuarantineThresholds thresholds{};
  // The sliding window the metrics cover (> 0).
  std::chrono::nanoseconds window{std::chrono::seconds{60}};
  // Fewer requests than this in the window: the tenant is not judged.
  std::int64_t min_requests = 100;
  // How long a tenant must stay past a threshold before quarantine (>= 0).
  std::chrono::nanoseconds sustain{std::chrono::seconds{30}};
  // Automatic release after every metric stayed under its threshold this
  // long; empty: release is manual only. Manual quarantines are only ever
  // released manually.
  std::optional<std::chrono::nanoseconds> cooldown{std::chrono::minutes{5}};
  // Quarantined tenants' rate limits are multiplied by this, in (0, 1].
  double rate_factor = 0.1;
  // Quarantined tenants may only read (IsReadOnly answers true).
  bool read_only = false;
  // Where rate_factor is applied; may be null (then no budget change).
  // Must outlive the policy.
  Quotas* quotas = nullptr;
  // Source of time. Never null; must outlive the policy.
  Clock* clock = &SystemClock();
  // > 0: a background thread calls Evaluate this often. Zero: the caller does.
  std::chrono::milliseconds evaluate_every{0};
};

// A tenant's metrics over the window, as of an evaluation.
struct QuarantineMetrics {
  std::int64_t requests = 0;
  std::int64_t errors = 0;
  std::int64_t throttled = 0;
  std::chrono::nanoseconds elapsed{0};
  double throttled_ratio = 0;
  double error_ratio = 0;
  double time_share = 0;  // 0 while fewer than two tenants are active
};

struct QuarantinedTenant {
  TenantId tenant{};
  TimePoint since{};
  std::string reason{};        // as recorded in the directory
  bool manual = false;         // by Quarantine() (or adopted without our reason)
  QuarantineMetrics at_entry{};  // the metrics that put it there
  QuarantineMetrics current{};   // as of the last evaluation
};

// What one evaluation did.
struct QuarantineReport {
  std::vector<TenantId> quarantined{};
  std::vector<TenantId> released{};
  std::vector<Error> errors{};  // transitions that failed (retried next time)
};

namespace detail {
struct TenantTraffic;
}

// A tenant's observation point, resolved once. Cheap to copy. REQUIRES: the
// policy that made it outlives every use.
class TENANCY_EXPORT QuarantineProbe {
 public:
  QuarantineProbe() = default;
  void Observe(const Observation& o) const noexcept;
  bool valid() const noexcept { return traffic_ != nullptr; }

 private:
  friend class QuarantinePolicy;
  explicit QuarantineProbe(std::shared_ptr<detail::TenantTraffic> t) : traffic_(std::move(t)) {}
  std::shared_ptr<detail::TenantTraffic> traffic_;
};

class TENANCY_EXPORT QuarantinePolicy {
 public:
  // Validates the options (kInvalidArgument naming the field) and adopts
  // the tenants the directory holds as quarantined. REQUIRES: `directory`
  // outlives the policy.
  static Result<std::unique_ptr<QuarantinePolicy>> Open(QuarantineOptions options,
                                                        Directory& directory);
  ~QuarantinePolicy();
  QuarantinePolicy(const QuarantinePolicy&) = delete;
  QuarantinePolicy& operator=(const QuarantinePolicy&) = delete;

  // Counts one finished request of `tenant`.
  void Observe(const TenantId& tenant, const Observation& o);
  // The lock-free form for a tenant seen often.
  QuarantineProbe Probe(const TenantId& tenant);

  // Closes the window up to now, then quarantines and releases per the
  // policy. Errors of single transitions are in the report; the call itself
  // fails only when the directory cannot be read.
  Result<QuarantineReport> Evaluate();

  // An operator's quarantine (released only by Release). kInvalidArgument
  // for an empty reason; kFailedPrecondition unless the tenant is active;
  // kTenantUnknown.
  Result<void> Quarantine(const TenantId& tenant, std::string_view reason);
  // An operator's release: back to active, rates restored. kInvalidArgument
  // for an empty reason; kFailedPrecondition when not quarantined.
  Result<void> Release(const TenantId& tenant, std::string_view reason);

  // The quarantined tenants, ordered by id.
  std::vector<QuarantinedTenant> Quarantined() const;
  bool IsQuarantined(const TenantId& tenant) const;
  // True when the tenant is quarantined and the policy is read-only.
  bool IsReadOnly(const TenantId& tenant) const;
  // The tenant's metrics as of the last evaluation; empty if never seen.
  std::optional<QuarantineMetrics> Metrics(const TenantId& tenant) const;

 private:
  struct Impl;
  explicit QuarantinePolicy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

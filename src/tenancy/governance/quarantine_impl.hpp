// The state behind QuarantinePolicy: per-tenant traffic counters (striped
// map; the counters themselves are atomics the request path adds to), the
// evaluator's sliding windows, and the quarantine records.
//
// Lock order: eval_mu → a stripe's mutex → records_mu. Directory and
// Quotas calls happen under eval_mu only (never under a stripe or
// records_mu), so the request path never waits on storage.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "tenancy/quarantine.hpp"

namespace tenancy::detail {

// One tenant's counters since the last evaluation, plus its window (the
// evaluator's, guarded by eval_mu).
struct TenantTraffic {
  explicit TenantTraffic(TenantId t) : tenant(std::move(t)) {}
  const TenantId tenant;

  alignas(64) std::atomic<std::int64_t> requests{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<std::int64_t> throttled{0};
  std::atomic<std::int64_t> elapsed_ns{0};
  alignas(64) std::atomic<bool> quarantined{false};
  std::atomic<bool> read_only{false};

  // -- evaluator only (eval_mu) --
  struct Bucket {
    std::int64_t at_ns, requests, errors, throttled, elapsed_ns;
  };
  std::deque<Bucket> window;
  std::optional<std::int64_t> breach_since;  // past a threshold since (ns)
  std::optional<std::int64_t> calm_since;    // quarantined and under every threshold since (ns)
  std::optional<QuarantineMetrics> metrics;  // as of the last evaluation (records_mu for readers)
};

}  // namespace tenancy::detail

namespace tenancy {

// The prefix of every automatic quarantine's reason ("noisy tenant: ").
std::string_view QuarantineAutoPrefix() noexcept;

struct QuarantinePolicy::Impl {
  Impl(QuarantineOptions o, Directory& d) : options(std::move(o)), directory(d), clock(*options.clock) {}

  QuarantineOptions options;
  Directory& directory;
  Clock& clock;

  static constexpr std::size_t kStripes = 64;
  struct Stripe {
    mutable std::shared_mutex mu;
    std::unordered_map<TenantId, std::shared_ptr<detail::TenantTraffic>> tenants;
  };
  std::array<Stripe, kStripes> stripes;

  std::mutex eval_mu;  // one evaluation (or operator transition) at a time

  mutable std::mutex records_mu;
  std::map<TenantId, QuarantinedTenant> records;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread evaluator;

  Stripe& StripeOf(const TenantId& id) { return stripes[std::hash<TenantId>{}(id) % kStripes]; }
  const Stripe& StripeOf(const TenantId& id) const {
    return stripes[std::hash<TenantId>{}(id) % kStripes];
  }
  std::shared_ptr<detail::TenantTraffic> Traffic(const TenantId& id);  // creates
  std::shared_ptr<detail::TenantTraffic> Find(const TenantId& id) const;

  // REQUIRES eval_mu. The directory transition plus the budget change.
  Result<void> EnterLocked(const TenantId& id, std::string reason, const QuarantineMetrics& m,
                           bool manual);
  Result<void> LeaveLocked(const TenantId& id, std::string_view reason);
  // REQUIRES eval_mu. Drops the record and restores the rates of a tenant
  // someone else moved out of quarantine.
  void ForgetLocked(const TenantId& id);
  Result<QuarantineReport> EvaluateLocked();
};

}  // namespace tenancy

// Governance on the request path (design.md §2 steps 5 and 7, §5): the
// admission and accounting plug-ins that put the library's quotas,
// quarantine and metering in front of and behind every tenant request.
//
// Admission, in order (the first refusal wins):
//   1. read-only quarantine: a quarantined tenant (its state, or the
//      policy's verdict) whose platform quarantines read-only may only
//      read: anything but GET/HEAD, or a route marked reads_only, answers
//      403 `tenant_read_only`;
//   2. the `api.requests` rate of the tenant's plan: 429 `rate_limited`
//      with `Retry-After` (whole seconds, rounded up). The refused
//      connection's next request is then not read before the tenant's next
//      free slot (Connection::hold_reading, at most kMaxReadHold): slots are
//      one refilled unit apart, so a flood waits in its own sockets and its
//      connections wake one per unit instead of crowding the I/O threads
//      other tenants are served by (D59).
// Accounting, per request resolved to a tenant:
//   - meters `api.requests` for requests that got a context inside the
//     tenant and were not throttled (what invoices bill: anonymous traffic
//     and other tenants' credentials are nobody's bill);
//   - tells the quarantine policy (elapsed, error = status ≥ 500,
//     throttled = 429), for the same in-tenant requests, throttled ones
//     included: anonymous traffic cannot get a tenant quarantined;
//   - keeps per-tenant counters: requests, server errors, throttled,
//     latency sum and maximum (LoadOf).
//
// Each tenant's quota handle, meter handle and quarantine probe are
// resolved once and cached, so the steady state costs a shared-lock map
// lookup, a compare-and-swap (the rate), an atomic add (the meter) and a
// few relaxed atomic adds; no allocation, no system call.
//
// Thread safety: Admit and Record are called concurrently from the I/O
// threads; everything here is thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "middleware/accounting.hpp"
#include "middleware/admission.hpp"
#include "tenancy/metering.hpp"
#include "tenancy/quarantine.hpp"
#include "tenancy/quota.hpp"

namespace tenancyd {

// A tenant's request counters since the process started.
struct TenantLoad {
  std::uint64_t requests = 0;
  std::uint64_t server_errors = 0;  // status >= 500
  std::uint64_t client_errors = 0;  // 400..499
  std::uint64_t throttled = 0;      // 429
  std::chrono::nanoseconds latency_sum{0};
  std::chrono::nanoseconds latency_max{0};
};

struct GovernanceParts {
  tenancy::Quotas* quotas = nullptr;               // REQUIRED
  tenancy::QuarantinePolicy* quarantine = nullptr; // REQUIRED
  tenancy::Metering* metering = nullptr;           // REQUIRED
  // Refuse writes of quarantined tenants (see above).
  bool quarantine_read_only = true;
  // Hold a rate-limited caller's connection (see above). Off only where
  // one connection carries several tenants' requests (a pooling proxy).
  bool hold_throttled_connections = true;
};

// The longest a throttled connection is held.
inline constexpr std::chrono::nanoseconds kMaxReadHold = std::chrono::seconds{1};

class Governance final : public Admission, public Accounting {
 public:
  // REQUIRES: the parts outlive this object.
  explicit Governance(GovernanceParts parts);
  ~Governance() override;

  AdmissionVerdict Admit(const tenancy::TenantContext& ctx, const Route& route) override;
  void Record(const AccountingRecord& record) noexcept override;

  // The tenant's counters; nullopt when it sent nothing yet.
  std::optional<TenantLoad> LoadOf(const tenancy::TenantId& tenant) const;

 private:
  struct Entry;
  // The tenant's cached handles, made on first use; null when the tenant
  // cannot be resolved (unknown to the quotas).
  std::shared_ptr<Entry> EntryFor(const tenancy::TenantId& tenant) const;
  std::shared_ptr<Entry> Find(const tenancy::TenantId& tenant) const;

  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<tenancy::TenantId, std::shared_ptr<Entry>> entries;
  };

  GovernanceParts parts_;
  mutable std::array<Shard, kShards> shards_;
};

// Whole seconds to wait for a denial's retry_after, rounded up, at least 1;
// an hour for kNever (waiting will not help; come back much later).
std::chrono::seconds RetryAfterSeconds(std::chrono::nanoseconds retry_after) noexcept;

}  // namespace tenancyd

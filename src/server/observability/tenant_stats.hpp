// One tenant's live figures, as the request path leaves them: its metric
// cells and SLO probe (resolved once, on the tenant's first request), the
// counters the dashboard and the success metrics read (requests, server
// errors, CPU time, last request, first booked ride) and two rings of
// requests and errors per minute over the last hour.
//
// Only requests inside the tenant count (the caller got a context in it:
// the tenant's own credentials, or an operator impersonating): anonymous
// traffic aimed at a tenant, or another tenant's credential, can neither
// inflate its figures nor page its on-call (the same rule as metering and
// quarantine, governance.hpp).
//
// Thread safety: the atomics are updated from any request thread with
// relaxed order (each figure is a moment's value); `synced_*` belong to
// whoever holds the activity book's mutex (observability.cpp); the table is
// sharded behind shared mutexes and its entries never move or die before
// the table does.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tenancy/metrics.hpp"
#include "tenancy/slo.hpp"
#include "tenancy/tenant.hpp"

namespace tenancyd {

// Counts per minute over the last hour, lock-free. Each of the 60 slots is
// one 64-bit word: the minute it counts (minutes since the epoch, upper 40
// bits) and its count (lower 24 bits, saturating at 16,777,215). Adding to
// a slot that still holds a minute an hour old restarts it, so stale
// minutes never show; one compare-exchange per add, retried only when two
// threads add to the same tenant in the same instant.
class MinuteRing {
 public:
  static constexpr std::size_t kMinutes = 60;

  void Add(std::int64_t minute) noexcept;
  // The counts of the kMinutes minutes ending with `now_minute`, oldest
  // first.
  std::array<std::uint64_t, kMinutes> Last(std::int64_t now_minute) const noexcept;

 private:
  static constexpr unsigned kCountBits = 24;
  static constexpr std::uint64_t kCountMask = (std::uint64_t{1} << kCountBits) - 1;
  std::array<std::atomic<std::uint64_t>, kMinutes> slots_{};
};

struct TenantStats {
  explicit TenantStats(tenancy::TenantId id) : tenant(std::move(id)) {}
  TenantStats(const TenantStats&) = delete;
  TenantStats& operator=(const TenantStats&) = delete;

  const tenancy::TenantId tenant;
  // Resolved once; the cells may be the families' overflow row when the
  // tenant is past the metrics' tenant cap (so per-tenant figures below
  // never read them back).
  tenancy::TenantRequestMetrics::Cells cells{};
  tenancy::SloProbe probe{};

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> server_errors{0};  // status >= 500
  std::atomic<std::uint64_t> cpu_ns{0};
  // The last request of the tenant's own callers (an impersonating
  // operator's do not count: support reading a dormant tenant does not
  // make it active). 0: none since start.
  std::atomic<std::int64_t> last_request_ms{0};
  std::atomic<std::int64_t> first_ride_ms{0};    // 0: none seen by this process
  MinuteRing requests_per_minute;
  MinuteRing errors_per_minute;
  // The storage bytes last added to cells.storage_bytes (the storage pass).
  std::atomic<std::int64_t> storage_shown{0};

  // -- under the activity book's mutex --
  std::uint64_t synced_requests = 0;
  std::uint64_t synced_cpu_ns = 0;
  bool offboarded = false;  // its durable figures were dropped: never again
  // -- under the SLO evaluation's mutex: the tier the probe was made for --
  std::string probe_tier{};
};

// Tenant id → its stats, made on first use.
class TenantStatsTable {
 public:
  // The tenant's stats, or null.
  TenantStats* Find(const tenancy::TenantId& tenant) const;
  // Inserts `made` unless a racing thread won; returns the table's entry.
  TenantStats& Insert(std::unique_ptr<TenantStats> made);
  // Every entry at the moment of the call.
  std::vector<TenantStats*> All() const;

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<tenancy::TenantId, std::unique_ptr<TenantStats>> entries;
  };
  Shard& ShardOf(const tenancy::TenantId& tenant) const {
    return shards_[std::hash<tenancy::TenantId>{}(tenant) % kShards];
  }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace tenancyd

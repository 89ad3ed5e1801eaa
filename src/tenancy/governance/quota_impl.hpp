// The state behind Quotas: configuration (plans, overrides, time zones,
// rate factors), per-tenant cells, the database and the write-behind.
//
// Lock order (never taken the other way round):
//   config_mu → tenants_mu → TenantCells::mu → QuotaCell's mutex → db_mu
//   cells_mu and flush_mu are taken alone (flush_mu before db_mu).
// The event callback runs with none of them held.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/string_map.hpp"
#include "governance/quota_cell.hpp"
#include "governance/quota_store.hpp"
#include "tenancy/quota.hpp"

namespace tenancy {

// One tenant's cells, by limit name.
struct TenantCells {
  explicit TenantCells(TenantId tenant) : id(std::move(tenant)) {}
  const TenantId id;
  // The revision of the tenant snapshot `tier` came from: a context minted
  // before a tier change cannot move the tier back.
  std::atomic<std::int64_t> revision{-1};
  mutable std::shared_mutex mu;
  std::string tier;                                       // guarded by mu
  StringMap<std::shared_ptr<detail::QuotaCell>> cells;    // guarded by mu
};

struct Quotas::Impl final : quota::CellOwner {
  Impl(QuotaOptions o, Directory& d) : options(std::move(o)), directory(d), clock(*options.clock) {}

  QuotaOptions options;
  Directory& directory;
  Clock& clock;

  std::mutex db_mu;
  std::unique_ptr<quota::QuotaStore> db;  // guarded by db_mu

  mutable std::mutex config_mu;
  std::map<std::string, Plan, std::less<>> plans;   // by tier
  std::map<TenantId, quota::Limits> overrides;
  std::map<TenantId, TimeZone> zones;               // absent: UTC
  std::map<TenantId, double> factors;               // absent: 1

  mutable std::shared_mutex tenants_mu;
  std::unordered_map<TenantId, std::shared_ptr<TenantCells>> tenants;

  std::mutex cells_mu;
  std::vector<std::shared_ptr<detail::QuotaCell>> all_cells;  // for the write-behind

  std::mutex flush_mu;  // one flush at a time
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mu
  bool closed = false;    // guarded by stop_mu
  std::thread writer;

  // quota::CellOwner
  bool Persist(const quota::UsageRow& row) noexcept override;
  void Emit(const std::vector<QuotaEvent>& events) noexcept override;

  // The cells of the tenant in `snapshot`, created or brought up to its tier.
  Result<std::shared_ptr<TenantCells>> TenantFor(const Tenant& snapshot);
  // The cell of (tenant, limit), created (and restored from the database)
  // on first use.
  Result<std::shared_ptr<detail::QuotaCell>> CellFor(const Tenant& snapshot, std::string_view limit);
  // The tenant as the directory knows it now; kTenantUnknown when deleted.
  Result<std::shared_ptr<const Tenant>> Lookup(const TenantId& id) const;

  // REQUIRES config_mu. The limit in force (override, else plan), or null.
  const Limit* EffectiveLocked(const TenantId& id, std::string_view tier,
                               std::string_view limit) const;
  double FactorLocked(const TenantId& id) const;
  TimeZone ZoneLocked(const TenantId& id) const;
  // REQUIRES config_mu. Republishes every cell of the tenant.
  void ReconfigureLocked(TenantCells& tenant);
  // REQUIRES config_mu. ReconfigureLocked for the tenant's cells, if any.
  void ReconfigureTenantLocked(const TenantId& id);

  Result<void> FlushNow();
  void WriterLoop();
};

}  // namespace tenancy

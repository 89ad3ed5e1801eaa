// Consumption by name and through handles: finding (or creating) the
// tenant's cell for a limit, then delegating to it.
#include <chrono>

#include "governance/quota_impl.hpp"

namespace tenancy {
namespace {

Result<void> CheckLimitName(std::string_view limit) {
  if (IsValidLimitName(limit)) return {};
  return Fail(Errc::kInvalidArgument,
              "invalid limit name (expected 1-64 of [a-z0-9._-], starting with a letter or digit)");
}

Result<void> CheckUnits(std::int64_t n) {
  if (n >= 0) return {};
  return Fail(Errc::kInvalidArgument, "n must not be negative");
}

}  // namespace

Result<std::shared_ptr<const Tenant>> Quotas::Impl::Lookup(const TenantId& id) const {
  auto t = directory.Get(id);
  if (!t) return t.error();
  if ((*t)->state == TenantState::kDeleted)
    return Fail(Errc::kTenantUnknown, "tenant '" + id.str() + "' is deleted");
  return t;
}

Result<std::shared_ptr<TenantCells>> Quotas::Impl::TenantFor(const Tenant& snapshot) {
  if (snapshot.state == TenantState::kDeleted || snapshot.id.empty())
    return Fail(Errc::kTenantUnknown, "tenant '" + snapshot.id.str() + "' is deleted");
  {
    std::shared_lock lock(tenants_mu);
    auto it = tenants.find(snapshot.id);
    if (it != tenants.end() &&
        it->second->revision.load(std::memory_order_acquire) >= snapshot.revision)
      return it->second;
  }
  // First sight of the tenant, or a newer snapshot (its tier may differ).
  std::lock_guard config(config_mu);
  std::shared_ptr<TenantCells> tenant;
  {
    std::unique_lock lock(tenants_mu);
    auto& slot = tenants[snapshot.id];
    if (!slot) slot = std::make_shared<TenantCells>(snapshot.id);
    tenant = slot;
  }
  bool tier_changed = false;
  {
    std::unique_lock lock(tenant->mu);
    if (tenant->revision.load(std::memory_order_relaxed) < snapshot.revision) {
      tier_changed = tenant->tier != snapshot.tier;
      tenant->tier = snapshot.tier;
      tenant->revision.store(snapshot.revision, std::memory_order_release);
    }
  }
  if (tier_changed) ReconfigureLocked(*tenant);
  return tenant;
}

Result<std::shared_ptr<detail::QuotaCell>> Quotas::Impl::CellFor(const Tenant& snapshot,
                                                                 std::string_view limit) {
  if (auto ok = CheckLimitName(limit); !ok) return ok.error();
  auto tenant = TenantFor(snapshot);
  if (!tenant) return tenant.error();
  {
    std::shared_lock lock((*tenant)->mu);
    auto it = (*tenant)->cells.find(limit);
    if (it != (*tenant)->cells.end()) return it->second;
  }
  // Created under config_mu, so no plan change can slip between reading the
  // limit and publishing the cell.
  std::lock_guard config(config_mu);
  std::unique_lock lock((*tenant)->mu);
  auto it = (*tenant)->cells.find(limit);
  if (it != (*tenant)->cells.end()) return it->second;
  Result<std::optional<quota::UsageRow>> stored;
  {
    std::lock_guard db_lock(db_mu);
    stored = db->LoadUsage(snapshot.id, limit);
  }
  if (!stored) return stored.error();
  auto cell = std::make_shared<detail::QuotaCell>(*this, clock, snapshot.id, std::string(limit));
  cell->Configure(EffectiveLocked(snapshot.id, (*tenant)->tier, limit), FactorLocked(snapshot.id),
                  ZoneLocked(snapshot.id));
  if (*stored) cell->Restore(**stored);
  (*tenant)->cells.emplace(std::string(limit), cell);
  {
    std::lock_guard cells_lock(cells_mu);
    all_cells.push_back(cell);
  }
  return cell;
}

Result<QuotaHandle> Quotas::Resolve(const TenantContext& ctx, std::string_view limit) {
  auto cell = impl_->CellFor(ctx.tenant(), limit);
  if (!cell) return cell.error();
  return QuotaHandle(std::move(*cell));
}

Result<QuotaHandle> Quotas::Resolve(const TenantId& tenant, std::string_view limit) {
  auto t = impl_->Lookup(tenant);
  if (!t) return t.error();
  auto cell = impl_->CellFor(**t, limit);
  if (!cell) return cell.error();
  return QuotaHandle(std::move(*cell));
}

Result<QuotaDecision> Quotas::TryConsume(const TenantContext& ctx, std::string_view limit,
                                         std::int64_t n) {
  if (auto ok = CheckUnits(n); !ok) return ok.error();
  auto cell = impl_->CellFor(ctx.tenant(), limit);
  if (!cell) return cell.error();
  return QuotaHandle(std::move(*cell)).TryConsume(n);
}

Result<QuotaDecision> Quotas::TryConsume(const TenantId& tenant, std::string_view limit,
                                         std::int64_t n) {
  if (auto ok = CheckUnits(n); !ok) return ok.error();
  auto handle = Resolve(tenant, limit);
  if (!handle) return handle.error();
  return handle->TryConsume(n);
}

Result<QuotaDecision> Quotas::Consume(const TenantContext& ctx, std::string_view limit,
                                      std::int64_t n) {
  auto d = TryConsume(ctx, limit, n);
  if (!d || d->allowed) return d;
  std::string when = d->retry_after == kNever
                         ? "the request exceeds the limit itself"
                         : "retry after " +
                               std::to_string(std::chrono::ceil<std::chrono::milliseconds>(
                                                  d->retry_after)
                                                  .count()) +
                               " ms";
  return Fail(Errc::kResourceExhausted,
              "quota '" + std::string(limit) + "' exhausted (" + std::string(ToString(d->kind)) +
                  " limit " + std::to_string(d->limit) + "); " + when);
}

Result<QuotaDecision> Quotas::TryAdjust(const TenantId& tenant, std::string_view limit,
                                        std::int64_t delta) {
  auto handle = Resolve(tenant, limit);
  if (!handle) return handle.error();
  return handle->TryAdjust(delta);
}

Result<void> Quotas::SetLevel(const TenantId& tenant, std::string_view limit, std::int64_t level) {
  auto handle = Resolve(tenant, limit);
  if (!handle) return handle.error();
  return handle->SetLevel(level);
}

Result<QuotaUsage> Quotas::Usage(const TenantId& tenant, std::string_view limit) {
  auto handle = Resolve(tenant, limit);
  if (!handle) return handle.error();
  return handle->Usage();
}

// -- QuotaHandle --
// An empty handle fails closed: it denies, it never grants.

namespace {
const TenantId kNoTenant{};
const std::string kNoLimit{};
Error EmptyHandle() { return Fail(Errc::kFailedPrecondition, "empty quota handle"); }
}  // namespace

Result<QuotaDecision> QuotaHandle::TryAdjust(std::int64_t delta) const {
  if (!cell_) return EmptyHandle();
  return cell_->Adjust(delta);
}
Result<void> QuotaHandle::SetLevel(std::int64_t level) const {
  if (!cell_) return EmptyHandle();
  return cell_->SetLevel(level);
}
QuotaUsage QuotaHandle::Usage() const { return cell_ ? cell_->Usage() : QuotaUsage{}; }
const TenantId& QuotaHandle::tenant() const noexcept { return cell_ ? cell_->tenant() : kNoTenant; }
const std::string& QuotaHandle::limit() const noexcept { return cell_ ? cell_->limit() : kNoLimit; }

}  // namespace tenancy

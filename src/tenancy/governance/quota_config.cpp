// Quotas' configuration: plans per tier, per-tenant overrides, time zones
// and quarantine's rate factors. Each change is validated, written to the
// database, then republished to the affected cells under config_mu, so a
// handle sees it at its next call.
#include <cmath>

#include "governance/quota_impl.hpp"

namespace tenancy {
namespace {

std::string Where(std::string_view owner_kind, std::string_view owner, std::string_view limit) {
  return std::string(owner_kind) + " '" + std::string(owner) + "' limit '" + std::string(limit) +
         "'";
}

Result<void> CheckLimitName(std::string_view limit) {
  if (IsValidLimitName(limit)) return {};
  return Fail(Errc::kInvalidArgument,
              "invalid limit name (expected 1-64 of [a-z0-9._-], starting with a letter or digit)");
}

}  // namespace

const Limit* Quotas::Impl::EffectiveLocked(const TenantId& id, std::string_view tier,
                                           std::string_view limit) const {
  if (auto o = overrides.find(id); o != overrides.end())
    if (auto l = o->second.find(limit); l != o->second.end()) return &l->second;
  if (auto p = plans.find(tier); p != plans.end())
    if (auto l = p->second.limits.find(limit); l != p->second.limits.end()) return &l->second;
  return nullptr;
}

double Quotas::Impl::FactorLocked(const TenantId& id) const {
  auto it = factors.find(id);
  return it == factors.end() ? 1.0 : it->second;
}

TimeZone Quotas::Impl::ZoneLocked(const TenantId& id) const {
  auto it = zones.find(id);
  return it == zones.end() ? TimeZone() : it->second;
}

void Quotas::Impl::ReconfigureLocked(TenantCells& tenant) {
  std::shared_lock lock(tenant.mu);
  const double factor = FactorLocked(tenant.id);
  const TimeZone zone = ZoneLocked(tenant.id);
  for (auto& [name, cell] : tenant.cells)
    cell->Configure(EffectiveLocked(tenant.id, tenant.tier, name), factor, zone);
}

void Quotas::Impl::ReconfigureTenantLocked(const TenantId& id) {
  std::shared_ptr<TenantCells> tenant;
  {
    std::shared_lock lock(tenants_mu);
    auto it = tenants.find(id);
    if (it == tenants.end()) return;
    tenant = it->second;
  }
  ReconfigureLocked(*tenant);
}

Result<void> Quotas::SetPlan(std::string_view tier, const Plan& plan) {
  if (!IsValidTier(tier))
    return Fail(Errc::kInvalidArgument, "invalid tier name (expected 1-32 of [a-z0-9_-])");
  for (const auto& [name, limit] : plan.limits) {
    if (!IsValidLimitName(name))
      return Fail(Errc::kInvalidArgument,
                  "plan '" + std::string(tier) + "': invalid limit name (expected 1-64 of "
                  "[a-z0-9._-], starting with a letter or digit)");
    if (auto ok = quota::Validate(limit, Where("plan", tier, name)); !ok) return ok;
  }
  std::lock_guard config(impl_->config_mu);
  {
    std::lock_guard db(impl_->db_mu);
    if (auto r = impl_->db->SavePlan(tier, plan); !r) return r;
  }
  impl_->plans[std::string(tier)] = plan;
  std::vector<std::shared_ptr<TenantCells>> affected;
  {
    std::shared_lock lock(impl_->tenants_mu);
    for (const auto& [id, tenant] : impl_->tenants) {
      std::shared_lock tenant_lock(tenant->mu);
      if (tenant->tier == tier) affected.push_back(tenant);
    }
  }
  for (const auto& tenant : affected) impl_->ReconfigureLocked(*tenant);
  return {};
}

Result<Plan> Quotas::GetPlan(std::string_view tier) const {
  if (!IsValidTier(tier))
    return Fail(Errc::kInvalidArgument, "invalid tier name (expected 1-32 of [a-z0-9_-])");
  std::lock_guard config(impl_->config_mu);
  auto it = impl_->plans.find(tier);
  return it == impl_->plans.end() ? Plan{} : it->second;
}

Result<void> Quotas::SetOverride(const TenantId& tenant, std::string_view limit,
                                 const Limit& value) {
  if (auto ok = CheckLimitName(limit); !ok) return ok;
  if (auto ok = quota::Validate(value, Where("override of tenant", tenant.str(), limit)); !ok)
    return ok;
  if (auto t = impl_->Lookup(tenant); !t) return t.error();
  std::lock_guard config(impl_->config_mu);
  {
    std::lock_guard db(impl_->db_mu);
    if (auto r = impl_->db->SaveOverride(tenant, limit, value); !r) return r;
  }
  impl_->overrides[tenant].insert_or_assign(std::string(limit), value);
  impl_->ReconfigureTenantLocked(tenant);
  return {};
}

Result<void> Quotas::ClearOverride(const TenantId& tenant, std::string_view limit) {
  if (auto ok = CheckLimitName(limit); !ok) return ok;
  std::lock_guard config(impl_->config_mu);
  {
    std::lock_guard db(impl_->db_mu);
    if (auto r = impl_->db->DeleteOverride(tenant, limit); !r) return r;
  }
  if (auto it = impl_->overrides.find(tenant); it != impl_->overrides.end()) {
    if (auto l = it->second.find(limit); l != it->second.end()) it->second.erase(l);
    if (it->second.empty()) impl_->overrides.erase(it);
  }
  impl_->ReconfigureTenantLocked(tenant);
  return {};
}

Result<std::map<std::string, Limit, std::less<>>> Quotas::EffectiveLimits(
    const TenantId& tenant) const {
  auto t = impl_->Lookup(tenant);
  if (!t) return t.error();
  std::lock_guard config(impl_->config_mu);
  std::map<std::string, Limit, std::less<>> out;
  if (auto p = impl_->plans.find((*t)->tier); p != impl_->plans.end()) out = p->second.limits;
  if (auto o = impl_->overrides.find(tenant); o != impl_->overrides.end())
    for (const auto& [name, limit] : o->second) out.insert_or_assign(name, limit);
  return out;
}

Result<void> Quotas::SetTimeZone(const TenantId& tenant, std::string_view zone) {
  auto tz = TimeZone::Load(zone, impl_->options.zoneinfo_dir);
  if (!tz) return tz.error();
  if (auto t = impl_->Lookup(tenant); !t) return t.error();
  std::lock_guard config(impl_->config_mu);
  {
    std::lock_guard db(impl_->db_mu);
    if (auto r = impl_->db->SaveTimeZone(tenant, zone); !r) return r;
  }
  impl_->zones.insert_or_assign(tenant, std::move(*tz));
  impl_->ReconfigureTenantLocked(tenant);
  return {};
}

Result<TimeZone> Quotas::TimeZoneOf(const TenantId& tenant) const {
  if (auto t = impl_->Lookup(tenant); !t) return t.error();
  std::lock_guard config(impl_->config_mu);
  return impl_->ZoneLocked(tenant);
}

Result<void> Quotas::SetRateFactor(const TenantId& tenant, double factor) {
  if (!std::isfinite(factor) || factor < quota::kMinRateFactor || factor > 1)
    return Fail(Errc::kInvalidArgument, "rate factor must be between 0.000001 and 1");
  if (auto t = impl_->Lookup(tenant); !t) return t.error();
  std::lock_guard config(impl_->config_mu);
  if (factor == 1)
    impl_->factors.erase(tenant);
  else
    impl_->factors.insert_or_assign(tenant, factor);
  impl_->ReconfigureTenantLocked(tenant);
  return {};
}

double Quotas::RateFactor(const TenantId& tenant) const {
  std::lock_guard config(impl_->config_mu);
  return impl_->FactorLocked(tenant);
}

}  // namespace tenancy

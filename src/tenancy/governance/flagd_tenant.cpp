// Flags per tenant: the tenant's attributes in the context, tenant overrides
// over the platform's flags, and the store that swaps sets atomically.
#include <utility>

#include "tenancy/flags.hpp"

namespace tenancy {

boost::json::object WithTenant(const Tenant& tenant, boost::json::object context) {
  context["tenant"] = boost::json::object{{"id", tenant.id.str()}, {"slug", tenant.slug}, {"tier", tenant.tier}};
  return context;
}

boost::json::object WithTenant(const TenantContext& ctx, boost::json::object context) {
  return WithTenant(ctx.tenant(), std::move(context));
}

TenantFlags::TenantFlags(FlagSet platform, FlagSet overrides, std::shared_ptr<const Tenant> tenant)
    : platform_(std::move(platform)), overrides_(std::move(overrides)), tenant_(std::move(tenant)) {}

const FlagSet& TenantFlags::SourceOf(std::string_view key) const noexcept {
  return overrides_.Contains(key) ? overrides_ : platform_;
}

void FlagStore::SetPlatform(FlagSet set) {
  std::lock_guard lock(mu_);
  std::swap(platform_, set);  // the old set dies with `set`, after the lock is released
}

void FlagStore::SetTenant(const TenantId& tenant, FlagSet overrides) {
  std::lock_guard lock(mu_);
  std::swap(tenants_[tenant], overrides);  // as above
}

void FlagStore::ClearTenant(const TenantId& tenant) {
  std::lock_guard lock(mu_);
  tenants_.erase(tenant);
}

FlagSet FlagStore::Platform() const {
  std::lock_guard lock(mu_);
  return platform_;
}

FlagSet FlagStore::Overrides(const TenantId& tenant) const {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? FlagSet() : it->second;
}

TenantFlags FlagStore::For(const TenantContext& ctx) const { return For(ctx.tenant_snapshot()); }

TenantFlags FlagStore::For(std::shared_ptr<const Tenant> tenant) const {
  FlagSet platform, overrides;
  {
    std::lock_guard lock(mu_);
    platform = platform_;
    if (auto it = tenants_.find(tenant->id); it != tenants_.end()) overrides = it->second;
  }
  return TenantFlags(std::move(platform), std::move(overrides), std::move(tenant));
}

}  // namespace tenancy

// The read side: tier views (cached), per-tenant publication slots that
// follow the tenant's tier, Snapshot and Reader.
#include <algorithm>

#include "governance/config_impl.hpp"

namespace tenancy::detail::config {

const Layer* ConfigImpl::TierLayer(std::string_view tier) const {
  auto it = tiers_.find(tier);
  return it == tiers_.end() ? nullptr : &it->second;
}

const Layer* ConfigImpl::TenantLayer(std::string_view tenant_id) const {
  auto it = tenants_.find(tenant_id);
  return it == tenants_.end() ? nullptr : &it->second;
}

std::shared_ptr<const ConfigSnapshot> ConfigImpl::TierView(const std::string& tier) {
  if (auto it = tier_views_.find(tier); it != tier_views_.end()) return it->second;
  const Layer* layer = TierLayer(tier);
  Merged m = Merge(*schema_data_, &platform_, layer, nullptr);
  auto issues = CrossCheck(*schema_data_, m.values);
  auto view = SnapshotAccess::Make(schema_data_, std::move(m.values), std::move(m.sources), tier,
                                   {platform_.version, layer ? layer->version : 0, 0},
                                   std::move(issues));
  tier_views_.emplace(tier, view);
  return view;
}

std::shared_ptr<const ConfigSnapshot> ConfigImpl::TenantView(const std::string& tenant_id,
                                                             const std::string& tier) {
  const Layer* layer = TenantLayer(tenant_id);
  // A tenant without overrides shares its tier's snapshot: no memory per
  // tenant beyond the slot.
  if (!layer) return TierView(tier);
  const Layer* tier_layer = TierLayer(tier);
  Merged m = Merge(*schema_data_, &platform_, tier_layer, layer);
  auto issues = CrossCheck(*schema_data_, m.values);
  return SnapshotAccess::Make(schema_data_, std::move(m.values), std::move(m.sources), tier,
                              {platform_.version, tier_layer ? tier_layer->version : 0, layer->version},
                              std::move(issues));
}

void ConfigImpl::Publish(Slot& slot) {
  std::string tier;
  {
    std::lock_guard g(slot.mu);
    tier = slot.tier;  // stable: only changed under mu_, which we hold
  }
  std::shared_ptr<const ConfigSnapshot> view = TenantView(slot.tenant_id, tier);
  {
    std::lock_guard g(slot.mu);
    slot.current.swap(view);
    slot.version.fetch_add(1, std::memory_order_release);
  }
  // The previous snapshot (in `view`) is released here, outside the lock.
}

void ConfigImpl::PublishAll(const std::function<bool(const Slot&)>& affected) {
  std::vector<std::shared_ptr<Slot>> slots;
  {
    std::shared_lock g(slots_mu_);
    slots.reserve(slots_.size());
    for (const auto& [id, slot] : slots_) slots.push_back(slot);
  }
  for (const auto& slot : slots) {
    bool hit = false;
    {
      std::lock_guard g(slot->mu);
      hit = affected(*slot);
    }
    if (hit) Publish(*slot);
  }
}

std::shared_ptr<Slot> ConfigImpl::FindSlot(std::string_view tenant_id) const {
  std::shared_lock g(slots_mu_);
  auto it = slots_.find(tenant_id);
  return it == slots_.end() ? nullptr : it->second;
}

std::shared_ptr<Slot> ConfigImpl::SlotFor(const Tenant& tenant) {
  const std::string& id = tenant.id.str();
  std::lock_guard lock(mu_);
  std::shared_ptr<Slot> slot = FindSlot(id);
  if (slot) {
    {
      std::lock_guard g(slot->mu);
      if (slot->tier == tenant.tier || tenant.revision < slot->revision) {
        slot->revision = std::max(slot->revision, tenant.revision);
        return slot;
      }
      // A newer revision in another tier: the tenant moved.
      slot->tier = tenant.tier;
      slot->revision = tenant.revision;
    }
    if (auto it = tenants_.find(id); it != tenants_.end()) it->second.tier = tenant.tier;
    Publish(*slot);
    return slot;
  }
  // A new slot is published before it can be found: a reader never sees
  // one without a snapshot.
  slot = std::make_shared<Slot>();
  slot->tenant_id = id;
  slot->tier = tenant.tier;
  slot->revision = tenant.revision;
  if (auto it = tenants_.find(id); it != tenants_.end()) it->second.tier = tenant.tier;
  Publish(*slot);
  std::unique_lock g(slots_mu_);
  slots_.emplace(id, slot);
  return slot;
}

std::shared_ptr<const ConfigSnapshot> ConfigImpl::Snapshot(const Tenant& tenant) {
  if (tenant.id.empty()) return TierSnapshot(tenant.tier);
  std::shared_ptr<Slot> slot = FindSlot(tenant.id.str());
  if (slot) {
    std::lock_guard g(slot->mu);
    if (slot->tier == tenant.tier || tenant.revision < slot->revision) {
      slot->revision = std::max(slot->revision, tenant.revision);
      return slot->current;
    }
  }
  slot = SlotFor(tenant);
  std::lock_guard g(slot->mu);
  return slot->current;
}

std::shared_ptr<const ConfigSnapshot> ConfigImpl::TierSnapshot(std::string_view tier) {
  std::lock_guard lock(mu_);
  return TierView(std::string(tier));
}

ConfigReader ConfigImpl::Reader(const Tenant& tenant) {
  if (tenant.id.empty()) {
    // No tenant: a slot of its own holding the tier view, never updated.
    auto slot = std::make_shared<Slot>();
    slot->current = TierSnapshot(tenant.tier);
    slot->tier = tenant.tier;
    return ConfigReader(std::move(slot));
  }
  return ConfigReader(SlotFor(tenant));
}

}  // namespace tenancy::detail::config

namespace tenancy {

ConfigReader::ConfigReader(std::shared_ptr<detail::config::Slot> slot)
    : slot_(std::move(slot)), version_(&slot_->version), seen_(0) {}

void ConfigReader::Refresh() {
  std::lock_guard g(slot_->mu);
  cached_ = slot_->current;
  seen_ = slot_->version.load(std::memory_order_relaxed);
}

}  // namespace tenancy

// The directory's in-memory index: tenant snapshots by id, slug and domain.
//
// Thread safety: lookups take a shared lock; Put/Remove an exclusive one.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/string_map.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

class TenantIndex {
 public:
  using Snapshot = std::shared_ptr<const Tenant>;

  Snapshot ById(std::string_view id) const { return Find(by_id_, id); }
  Snapshot BySlug(std::string_view slug) const { return Find(by_slug_, slug); }
  Snapshot ByDomain(std::string_view domain) const { return Find(by_domain_, domain); }

  // Replaces the tenant's entry (by id), re-keying its slug and domain.
  // Deleted tenants stay findable by id only.
  void Put(Snapshot t) {
    std::unique_lock lock(mu_);
    if (auto old = by_id_.find(t->id.str()); old != by_id_.end()) Unlink(*old->second);
    if (t->state != TenantState::kDeleted) {
      by_slug_[t->slug] = t;
      if (t->custom_domain) by_domain_[*t->custom_domain] = t;
      ++live_;
    }
    by_id_[t->id.str()] = std::move(t);
  }

  std::size_t live() const {
    std::shared_lock lock(mu_);
    return live_;
  }

 private:
  using Map = StringMap<Snapshot>;

  Snapshot Find(const Map& map, std::string_view key) const {
    std::shared_lock lock(mu_);
    auto it = map.find(key);
    return it == map.end() ? nullptr : it->second;
  }

  void Unlink(const Tenant& t) {
    if (t.state == TenantState::kDeleted) return;
    if (auto it = by_slug_.find(t.slug); it != by_slug_.end() && it->second->id == t.id)
      by_slug_.erase(it);
    if (t.custom_domain)
      if (auto it = by_domain_.find(*t.custom_domain); it != by_domain_.end() && it->second->id == t.id)
        by_domain_.erase(it);
    --live_;
  }

  mutable std::shared_mutex mu_;
  Map by_id_, by_slug_, by_domain_;
  std::size_t live_ = 0;
};

}  // namespace tenancy

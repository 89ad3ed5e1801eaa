// The per-tenant cache shared by governance admission and accounting.
#include "middleware/governance.hpp"

#include <mutex>

#include "middleware/governance_entry.hpp"

namespace tenancyd {

Governance::Governance(GovernanceParts parts) : parts_(parts) {}
Governance::~Governance() = default;

std::shared_ptr<Governance::Entry> Governance::Find(const tenancy::TenantId& tenant) const {
  const Shard& shard = shards_[std::hash<tenancy::TenantId>{}(tenant) % kShards];
  std::shared_lock lock(shard.mu);
  auto it = shard.entries.find(tenant);
  return it == shard.entries.end() ? nullptr : it->second;
}

std::shared_ptr<Governance::Entry> Governance::EntryFor(const tenancy::TenantId& tenant) const {
  if (auto found = Find(tenant)) return found;
  // Resolve outside the lock: the library calls may touch their databases.
  auto rate = parts_.quotas->Resolve(tenant, kApiRequests);
  if (!rate) return nullptr;
  auto meter = parts_.metering->Resolve(tenant, kApiRequests);
  auto entry = std::make_shared<Entry>();
  entry->rate = std::move(*rate);
  if (meter) entry->meter = std::move(*meter);
  entry->probe = parts_.quarantine->Probe(tenant);
  Shard& shard = shards_[std::hash<tenancy::TenantId>{}(tenant) % kShards];
  std::unique_lock lock(shard.mu);
  // A racing thread may have won; its entry (and counters) are kept.
  auto [it, inserted] = shard.entries.try_emplace(tenant, std::move(entry));
  return it->second;
}

std::optional<TenantLoad> Governance::LoadOf(const tenancy::TenantId& tenant) const {
  auto entry = Find(tenant);
  if (!entry) return std::nullopt;
  return entry->Load();
}

std::chrono::seconds RetryAfterSeconds(std::chrono::nanoseconds retry_after) noexcept {
  if (retry_after == tenancy::kNever) return std::chrono::hours{1};
  auto s = std::chrono::ceil<std::chrono::seconds>(retry_after);
  return s < std::chrono::seconds{1} ? std::chrono::seconds{1} : s;
}

}  // namespace tenancyd

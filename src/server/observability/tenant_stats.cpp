// The per-minute rings and the table of per-tenant stats.
#include "observability/tenant_stats.hpp"

#include <mutex>

namespace tenancyd {

void MinuteRing::Add(std::int64_t minute) noexcept {
  if (minute < 0) return;  // before 1970: a broken clock, not traffic
  const auto m = static_cast<std::uint64_t>(minute);
  std::atomic<std::uint64_t>& slot = slots_[m % kMinutes];
  std::uint64_t seen = slot.load(std::memory_order_relaxed);
  for (;;) {
    std::uint64_t next;
    if ((seen >> kCountBits) == m) {
      if ((seen & kCountMask) == kCountMask) return;  // saturated
      next = seen + 1;
    } else {
      next = (m << kCountBits) | 1;  // an hour-old minute: start over
    }
    if (slot.compare_exchange_weak(seen, next, std::memory_order_relaxed)) return;
  }
}

std::array<std::uint64_t, MinuteRing::kMinutes> MinuteRing::Last(
    std::int64_t now_minute) const noexcept {
  std::array<std::uint64_t, kMinutes> out{};
  for (std::size_t i = 0; i < kMinutes; ++i) {
    const std::int64_t minute = now_minute - static_cast<std::int64_t>(kMinutes - 1 - i);
    if (minute < 0) continue;
    const auto m = static_cast<std::uint64_t>(minute);
    const std::uint64_t v = slots_[m % kMinutes].load(std::memory_order_relaxed);
    if ((v >> kCountBits) == m) out[i] = v & kCountMask;
  }
  return out;
}

TenantStats* TenantStatsTable::Find(const tenancy::TenantId& tenant) const {
  Shard& shard = ShardOf(tenant);
  std::shared_lock lock(shard.mu);
  auto it = shard.entries.find(tenant);
  return it == shard.entries.end() ? nullptr : it->second.get();
}

TenantStats& TenantStatsTable::Insert(std::unique_ptr<TenantStats> made) {
  Shard& shard = ShardOf(made->tenant);
  std::unique_lock lock(shard.mu);
  const tenancy::TenantId key = made->tenant;
  auto [it, inserted] = shard.entries.try_emplace(key, std::move(made));
  return *it->second;
}

std::vector<TenantStats*> TenantStatsTable::All() const {
  std::vector<TenantStats*> out;
  for (Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    for (auto& [id, stats] : shard.entries) out.push_back(stats.get());
  }
  return out;
}

}  // namespace tenancyd

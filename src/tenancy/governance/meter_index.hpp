// The index from "tn_…/meter" keys to series numbers behind Record-by-name:
// an insert-only open-addressing hash table whose lookups take no lock and
// write no shared memory, so threads recording by name do not bounce a lock's
// cache line between cores (a reader-writer lock would, on every lookup).
//
// Each slot holds the top 32 bits of the key's hash and the series number
// (+1; 0 marks an empty slot) in one atomic word. A lookup probes linearly
// and compares the stored key only when the hash bits match. Writers,
// serialized by the caller, publish a slot with a release store after the
// series' key is in place, so a reader that sees the slot sees the key.
// Growing builds a table twice the size and publishes it whole; readers
// still on the old one may miss the newest keys, which is why a miss must
// be confirmed under the writers' lock. Old tables are kept until the index
// is destroyed (all of them together are smaller than the current one):
// nothing is freed under a reader's feet, and nothing is ever removed.
//
// Thread safety: Find from any thread at any time; Insert by one writer at
// a time (the caller's lock).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace tenancy::detail::meter {

class SeriesIndex {
 public:
  SeriesIndex() { Grow(kInitialSlots); }

  // The hash of (tenant, meter), without building the joined key.
  static std::uint64_t Hash(std::string_view tenant, std::string_view meter) noexcept {
    const std::hash<std::string_view> h;
    return h(meter) ^ (h(tenant) * 0x9e37'79b9'7f4a'7c15ull);
  }

  // The series whose key `matches`, or nullopt (possibly a key inserted
  // just now). matches(series) compares the lookup's key with the one a
  // published series was inserted with.
  template <class Matches>
  std::optional<std::uint32_t> Find(std::uint64_t hash, const Matches& matches) const noexcept {
    const Table* t = current_.load(std::memory_order_acquire);
    const std::uint64_t tag = hash & kTagMask;
    for (std::size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
      const std::uint64_t slot = t->slots[i].load(std::memory_order_acquire);
      if (slot == 0) return std::nullopt;
      if ((slot & kTagMask) == tag && matches(SeriesOf(slot))) return SeriesOf(slot);
    }
  }

  // Adds a key known to be absent. REQUIRES: the writers' lock; `series`
  // equals the number of keys inserted so far, and its key is in place.
  void Insert(std::uint64_t hash, std::uint32_t series) {
    if ((hashes_.size() + 1) * 2 > capacity_) Grow(capacity_ * 2);
    hashes_.push_back(hash);
    Place(*current_.load(std::memory_order_relaxed), hash, series);
  }

 private:
  static constexpr std::size_t kInitialSlots = 1024;
  static constexpr std::uint64_t kTagMask = 0xffff'ffff'0000'0000ull;

  struct Table {
    explicit Table(std::size_t n)
        : mask(n - 1), slots(std::make_unique<std::atomic<std::uint64_t>[]>(n)) {}
    std::size_t mask;
    std::unique_ptr<std::atomic<std::uint64_t>[]> slots;
  };

  static std::uint32_t SeriesOf(std::uint64_t slot) noexcept {
    return static_cast<std::uint32_t>(slot) - 1;
  }

  static void Place(Table& t, std::uint64_t hash, std::uint32_t series) noexcept {
    std::size_t i = hash & t.mask;
    while (t.slots[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & t.mask;
    t.slots[i].store((hash & kTagMask) | (std::uint64_t{series} + 1), std::memory_order_release);
  }

  void Grow(std::size_t slots) {
    auto next = std::make_unique<Table>(slots);
    for (std::uint32_t series = 0; series < hashes_.size(); ++series)
      Place(*next, hashes_[series], series);
    capacity_ = slots;
    current_.store(next.get(), std::memory_order_release);
    tables_.push_back(std::move(next));
  }

  std::atomic<Table*> current_{nullptr};
  std::size_t capacity_ = 0;
  std::vector<std::uint64_t> hashes_;  // by series: rebuilds the table when it grows
  std::vector<std::unique_ptr<Table>> tables_;
};

}  // namespace tenancy::detail::meter

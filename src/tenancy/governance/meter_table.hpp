// The in-process side of metering: one series per (tenant, meter), each a
// row of striped atomic counters with two hour slots, and the sums drained
// from them that wait for the database.
//
// Layout. Series are numbered densely and stored in chunks of kChunkSeries.
// A chunk holds, per series, its hot header (the hour each slot counts for,
// a dirty bit) and its names; and one StripeBlock per stripe: the counters
// of all the chunk's series for that stripe, contiguous. A thread always
// adds to its own stripe, so two threads adding to one meter touch
// different cache lines, and a stripe costs 16 bytes per series rather than
// a padded line each. Chunks are allocated once and never move: handles
// point straight into them.
//
// Hours. A series counts hour h in slot h % 2, whose header says which hour
// the slot holds. The first add of a new hour finds the slot labelled with
// an older hour (h - 2 or older) and, under the series' lock, moves what is
// left there to the pending sums before relabelling it (Retag). A drain
// empties both slots into the pending sums under their current labels
// without relabelling, so a late add to a drained slot is still counted in
// the right hour by the next drain.
//
// Flushing. Drain() takes the pending sums and everything in the counters
// (series whose dirty bit is set); Restore() gives a batch back when
// writing it failed. The dirty bit is set after the add and cleared before
// the counters are emptied, both sequentially consistent, so a drain that
// misses an add always leaves the bit set for the next one.
//
// Thread safety: everything is safe from any thread. The record path takes
// no lock (except Retag, once per series per hour); Resolve of a known pair
// takes none either (see meter_index.hpp), creating a series takes the
// table's lock; Drain is meant for one caller at a time (the flusher
// serializes it).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "governance/meter_hours.hpp"
#include "governance/meter_index.hpp"
#include "tenancy/metering.hpp"

namespace tenancy::detail::meter {

inline constexpr std::uint32_t kChunkBits = 10;
inline constexpr std::uint32_t kChunkSeries = std::uint32_t{1} << kChunkBits;
inline constexpr std::int64_t kNoHour = std::numeric_limits<std::int64_t>::min();

// One series' counters in one stripe: slot = hour % 2.
struct Cell {
  std::atomic<std::int64_t> slot[2] = {0, 0};
};

struct alignas(64) StripeBlock {
  std::array<Cell, kChunkSeries> cells;
};

struct SeriesHot {
  std::atomic<std::int64_t> hour[2] = {kNoHour, kNoHour};  // what each slot counts for
  std::atomic<bool> dirty{false};                          // added to since the last drain
};

struct SeriesName {
  TenantId tenant;
  std::string meter;
};

// "tn_…/meter": '/' never occurs in a tenant id or a meter name, so the key
// is unambiguous. Kept inline beside the series so an index probe compares
// it without chasing a heap pointer.
inline constexpr std::size_t kKeyBytes = 32 + 1 + kMaxMeterNameBytes;
struct SeriesKey {
  std::uint8_t size = 0;
  char bytes[kKeyBytes];
  std::string_view view() const noexcept { return {bytes, size}; }
};

// Adds without wrapping: sums stop at the int64 maximum (the documented
// limit; with kMaxMeterAmount per record it is never reached in practice).
inline std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return std::numeric_limits<std::int64_t>::max();
  return out;
}

class MeterTable {
 public:
  // (series, hour) -> amount, ordered so a batch is written in key order.
  using Batch = std::map<std::pair<std::uint32_t, std::int64_t>, std::int64_t>;

  // REQUIRES: stripes is a power of two; max_series <= 2^26.
  MeterTable(Clock& clock, std::size_t stripes, std::size_t max_series);
  ~MeterTable();
  MeterTable(const MeterTable&) = delete;
  MeterTable& operator=(const MeterTable&) = delete;

  // The handle of (tenant, meter), creating the series on first use.
  // kInvalidArgument, kResourceExhausted, kFailedPrecondition (closed).
  Result<MeterHandle> Resolve(const TenantId& tenant, std::string_view meter);

  // The record path (MeterHandle::Add). REQUIRES: 0 <= amount <= kMaxMeterAmount.
  Result<void> Add(SeriesHot& hot, StripeBlock* blocks, std::uint32_t series,
                   std::int64_t amount);

  // Everything counted so far, plus what an earlier failed write gave back;
  // the table keeps nothing of it.
  Batch Drain();
  // Gives back a batch that could not be written; it joins the next drain.
  void Restore(Batch batch);

  // The names of a series. REQUIRES: series came from a handle or a batch.
  const SeriesName& Name(std::uint32_t series) const noexcept;

  void Close() noexcept { hot_.closed.store(true, std::memory_order_relaxed); }
  bool closed() const noexcept { return hot_.closed.load(std::memory_order_relaxed); }
  std::size_t series_count() const noexcept { return count_.load(std::memory_order_acquire); }
  std::size_t pending_count() const;
  const HourSource& hours() const noexcept { return hot_.hours; }

 private:
  struct Chunk;

  void Retag(SeriesHot& hot, StripeBlock* blocks, std::uint32_t series, unsigned slot,
             std::int64_t hour);
  std::int64_t TakeSlot(StripeBlock* blocks, std::uint32_t index, unsigned slot) noexcept;
  MeterHandle HandleOf(std::uint32_t series) noexcept;
  std::optional<std::uint32_t> Find(std::string_view tenant, std::string_view meter,
                                    std::uint64_t hash) const noexcept;
  Chunk* ChunkOf(std::uint32_t series) const noexcept {
    return chunks_[series >> kChunkBits].load(std::memory_order_acquire);
  }

  // Read on every add; kept apart from the fields that locks and drains
  // write, so adds do not miss on a line another core keeps dirtying.
  struct alignas(64) Hot {
    Hot(Clock& clock, std::size_t stripe_count)
        : hours(clock), stripes(static_cast<unsigned>(stripe_count)),
          stripe_mask(static_cast<unsigned>(stripe_count - 1)) {}
    HourSource hours;
    unsigned stripes;
    unsigned stripe_mask;
    std::atomic<bool> closed{false};
  } hot_;

  alignas(64) std::size_t max_series_;
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;  // directory; entries set once
  std::atomic<std::uint32_t> count_{0};            // published series

  std::mutex create_mu_;  // creating series: index inserts, chunks, names
  SeriesIndex index_;
  std::vector<std::unique_ptr<Chunk>> owned_;

  // Retag and Drain of a series hold its lock (series % size).
  std::array<std::mutex, 64> series_mu_;

  mutable std::mutex pending_mu_;
  Batch pending_;
};

}  // namespace tenancy::detail::meter

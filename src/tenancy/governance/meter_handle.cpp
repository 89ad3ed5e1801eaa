// The record path: MeterHandle::Add and the table's part of it. Kept apart
// so what runs per record can be read in one place.
#include <string>

#include "governance/meter_table.hpp"

namespace tenancy {
namespace detail::meter {
namespace {

// Each thread adds to one stripe, handed out round-robin on its first add,
// so up to `stripes` concurrent threads never share a counter's line.
unsigned ThreadStripe() noexcept {
  static std::atomic<unsigned> next{0};
  thread_local unsigned stripe = next.fetch_add(1, std::memory_order_relaxed);
  return stripe;
}

}  // namespace

Result<void> MeterTable::Add(SeriesHot& hot, StripeBlock* blocks, std::uint32_t series,
                             std::int64_t amount) {
  if (closed()) [[unlikely]]
    return Fail(Errc::kFailedPrecondition, "metering is closed");
  const std::int64_t hour = hot_.hours.Current();
  const unsigned slot = static_cast<unsigned>(hour) & 1u;
  if (hot.hour[slot].load(std::memory_order_acquire) != hour) [[unlikely]]
    Retag(hot, blocks, series, slot, hour);
  Cell& cell = blocks[ThreadStripe() & hot_.stripe_mask].cells[series & (kChunkSeries - 1)];
  // Sequentially consistent with the dirty bit (see meter_table.hpp); on
  // x86 this is the same locked add a relaxed one compiles to.
  cell.slot[slot].fetch_add(amount);
  if (!hot.dirty.load()) hot.dirty.store(true);
  return {};
}

}  // namespace detail::meter

Result<void> MeterHandle::Add(std::int64_t amount) const {
  if (amount < 0 || amount > kMaxMeterAmount) [[unlikely]]
    return Fail(Errc::kInvalidArgument, "a meter amount is between 0 and 2^40; got " +
                                            std::to_string(amount));
  if (table_ == nullptr) [[unlikely]]
    return Fail(Errc::kFailedPrecondition, "empty meter handle");
  return table_->Add(*hot_, blocks_, series_, amount);
}

}  // namespace tenancy

#include "governance/meter_table.hpp"

#include <cstring>

namespace tenancy::detail::meter {

// A series' hot header and its key share a cache line (for keys of up to
// 39 bytes, e.g. any meter name of up to 19 characters): a lookup by name
// compares the key on the very line the add then reads.
struct alignas(64) SeriesHead {
  SeriesHot hot;
  SeriesKey key;
};

struct MeterTable::Chunk {
  explicit Chunk(std::size_t stripes) : blocks(std::make_unique<StripeBlock[]>(stripes)) {}
  std::array<SeriesHead, kChunkSeries> heads;
  std::array<SeriesName, kChunkSeries> names;
  std::unique_ptr<StripeBlock[]> blocks;  // one per stripe
};

MeterTable::MeterTable(Clock& clock, std::size_t stripes, std::size_t max_series)
    : hot_(clock, stripes),
      max_series_(max_series),
      chunks_(std::make_unique<std::atomic<Chunk*>[]>((max_series + kChunkSeries - 1) >>
                                                      kChunkBits)) {}

MeterTable::~MeterTable() = default;

MeterHandle MeterTable::HandleOf(std::uint32_t series) noexcept {
  Chunk* c = ChunkOf(series);
  return MeterHandle(this, &c->heads[series & (kChunkSeries - 1)].hot, c->blocks.get(), series);
}

// Compares the stored "tenant/meter" piecewise: the lookup never joins the
// two into one buffer.
std::optional<std::uint32_t> MeterTable::Find(std::string_view tenant, std::string_view meter,
                                              std::uint64_t hash) const noexcept {
  return index_.Find(hash, [&](std::uint32_t series) {
    const std::string_view key = ChunkOf(series)->heads[series & (kChunkSeries - 1)].key.view();
    return key.size() == tenant.size() + 1 + meter.size() && key.starts_with(tenant) &&
           key[tenant.size()] == '/' && key.ends_with(meter);
  });
}

Result<MeterHandle> MeterTable::Resolve(const TenantId& tenant, std::string_view meter) {
  if (closed()) return Fail(Errc::kFailedPrecondition, "metering is closed");
  if (tenant.empty() || tenant.str().size() > 32)
    return Fail(Errc::kInvalidArgument, "a meter needs a tenant id");
  if (meter.empty() || meter.size() > kMaxMeterNameBytes)
    return Fail(Errc::kInvalidArgument, "a meter name is 1-64 characters of [a-z0-9_.]");
  const std::string_view id = tenant.str();
  const std::uint64_t hash = SeriesIndex::Hash(id, meter);
  // A known key was valid when it was inserted: no need to check it again.
  if (auto series = Find(id, meter, hash)) return HandleOf(*series);

  if (!IsValidMeterName(meter))
    return Fail(Errc::kInvalidArgument, "a meter name is 1-64 characters of [a-z0-9_.]");
  std::lock_guard lock(create_mu_);
  if (auto series = Find(id, meter, hash)) return HandleOf(*series);  // raced, or a newer table
  const std::uint32_t series = count_.load(std::memory_order_relaxed);
  if (series >= max_series_)
    return Fail(Errc::kResourceExhausted,
                "metering holds max_series (tenant, meter) pairs; no new meter can be added");
  Chunk* chunk = ChunkOf(series);
  if (chunk == nullptr) {
    owned_.push_back(std::make_unique<Chunk>(hot_.stripes));
    chunk = owned_.back().get();
    chunks_[series >> kChunkBits].store(chunk, std::memory_order_release);
  }
  const std::uint32_t index = series & (kChunkSeries - 1);
  SeriesKey& stored = chunk->heads[index].key;
  std::memcpy(stored.bytes, id.data(), id.size());
  stored.bytes[id.size()] = '/';
  std::memcpy(stored.bytes + id.size() + 1, meter.data(), meter.size());
  stored.size = static_cast<std::uint8_t>(id.size() + 1 + meter.size());
  chunk->names[index].tenant = tenant;
  chunk->names[index].meter.assign(meter);
  index_.Insert(hash, series);  // publishes the key to lock-free lookups
  // Publishes the names to Drain, which reads them without the lock.
  count_.store(series + 1, std::memory_order_release);
  return HandleOf(series);
}

const SeriesName& MeterTable::Name(std::uint32_t series) const noexcept {
  return ChunkOf(series)->names[series & (kChunkSeries - 1)];
}

std::int64_t MeterTable::TakeSlot(StripeBlock* blocks, std::uint32_t index,
                                  unsigned slot) noexcept {
  std::int64_t sum = 0;
  for (unsigned s = 0; s < hot_.stripes; ++s)
    sum = SaturatingAdd(sum, blocks[s].cells[index].slot[slot].exchange(0));
  return sum;
}

void MeterTable::Retag(SeriesHot& hot, StripeBlock* blocks, std::uint32_t series, unsigned slot,
                       std::int64_t hour) {
  std::lock_guard lock(series_mu_[series % series_mu_.size()]);
  const std::int64_t old = hot.hour[slot].load(std::memory_order_relaxed);
  if (old == hour) return;  // another thread got here first
  if (old != kNoHour) {
    // What is left of the older hour: adds since the last drain.
    if (const std::int64_t rest = TakeSlot(blocks, series & (kChunkSeries - 1), slot); rest != 0) {
      std::lock_guard pending(pending_mu_);
      auto& v = pending_[{series, old}];
      v = SaturatingAdd(v, rest);
    }
  }
  hot.hour[slot].store(hour, std::memory_order_release);
}

MeterTable::Batch MeterTable::Drain() {
  Batch batch;
  const std::uint32_t count = count_.load(std::memory_order_acquire);
  for (std::uint32_t series = 0; series < count; ++series) {
    Chunk* chunk = ChunkOf(series);
    const std::uint32_t index = series & (kChunkSeries - 1);
    SeriesHot& hot = chunk->heads[index].hot;
    if (!hot.dirty.exchange(false)) continue;
    std::lock_guard lock(series_mu_[series % series_mu_.size()]);
    for (unsigned slot = 0; slot < 2; ++slot) {
      const std::int64_t hour = hot.hour[slot].load(std::memory_order_relaxed);
      if (hour == kNoHour) continue;
      if (const std::int64_t sum = TakeSlot(chunk->blocks.get(), index, slot); sum != 0) {
        auto& v = batch[{series, hour}];
        v = SaturatingAdd(v, sum);
      }
    }
  }
  std::lock_guard pending(pending_mu_);
  for (const auto& [key, amount] : pending_) {
    auto& v = batch[key];
    v = SaturatingAdd(v, amount);
  }
  pending_.clear();
  return batch;
}

void MeterTable::Restore(Batch batch) {
  std::lock_guard pending(pending_mu_);
  for (const auto& [key, amount] : batch) {
    auto& v = pending_[key];
    v = SaturatingAdd(v, amount);
  }
}

std::size_t MeterTable::pending_count() const {
  std::lock_guard pending(pending_mu_);
  return pending_.size();
}

}  // namespace tenancy::detail::meter

// Quotas' lifecycle and durability: opening, the write-behind thread,
// Flush, Close, and the write-through of soft-threshold marks.
#include "governance/quota_impl.hpp"

namespace tenancy {

Quotas::Quotas(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Quotas::~Quotas() { (void)Close(); }

Result<std::unique_ptr<Quotas>> Quotas::Open(QuotaOptions options, Directory& directory) {
  if (options.path.empty()) return Fail(Errc::kInvalidArgument, "QuotaOptions::path is empty");
  if (options.clock == nullptr) return Fail(Errc::kInvalidArgument, "QuotaOptions::clock is null");
  if (options.flush_interval.count() < 0)
    return Fail(Errc::kInvalidArgument, "QuotaOptions::flush_interval is negative");
  auto impl = std::make_unique<Impl>(std::move(options), directory);
  auto db = quota::QuotaStore::Open(impl->options.path);
  if (!db) return db.error();
  impl->db = std::move(*db);

  auto plans = impl->db->LoadPlans();
  if (!plans) return plans.error();
  impl->plans = std::move(*plans);
  auto overrides = impl->db->LoadOverrides();
  if (!overrides) return overrides.error();
  impl->overrides = std::move(*overrides);
  auto zones = impl->db->LoadTimeZones();
  if (!zones) return zones.error();
  for (const auto& [tenant, name] : *zones) {
    auto zone = TimeZone::Load(name, impl->options.zoneinfo_dir);
    // A zone that vanished from the system (tzdata removed it) falls back
    // to UTC rather than failing every tenant.
    if (zone) impl->zones.emplace(tenant, std::move(*zone));
  }

  if (impl->options.flush_interval.count() > 0) {
    Impl* raw = impl.get();
    impl->writer = std::thread([raw] { raw->WriterLoop(); });
  }
  return std::unique_ptr<Quotas>(new Quotas(std::move(impl)));
}

void Quotas::Impl::WriterLoop() {
  std::unique_lock lock(stop_mu);
  while (!stopping) {
    stop_cv.wait_for(lock, options.flush_interval, [this] { return stopping; });
    if (stopping) break;
    lock.unlock();
    (void)FlushNow();  // a failed write is retried at the next interval
    lock.lock();
  }
}

Result<void> Quotas::Close() {
  {
    std::lock_guard lock(impl_->stop_mu);
    if (impl_->closed) return {};
    impl_->closed = true;
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  return impl_->FlushNow();
}

Result<void> Quotas::Flush() { return impl_->FlushNow(); }

Result<void> Quotas::Impl::FlushNow() {
  std::lock_guard flushing(flush_mu);
  std::vector<std::shared_ptr<detail::QuotaCell>> cells;
  {
    std::lock_guard lock(cells_mu);
    cells = all_cells;
  }
  std::vector<quota::UsageRow> rows;
  std::vector<detail::QuotaCell*> owners;
  for (const auto& cell : cells) {
    if (auto row = cell->SnapshotIfChanged()) {
      rows.push_back(std::move(*row));
      owners.push_back(cell.get());
    }
  }
  if (rows.empty()) return {};
  Result<void> written;
  {
    std::lock_guard lock(db_mu);
    written = db->SaveUsage(rows);
  }
  if (!written)
    for (auto* cell : owners) cell->WriteFailed();
  return written;
}

bool Quotas::Impl::Persist(const quota::UsageRow& row) noexcept {
  try {
    std::lock_guard lock(db_mu);
    return static_cast<bool>(db->SaveUsage(std::span(&row, 1)));
  } catch (...) {  // allocation failure: the next flush retries
    return false;
  }
}

void Quotas::Impl::Emit(const std::vector<QuotaEvent>& events) noexcept {
  if (!options.on_event) return;
  for (const auto& e : events) {
    try {
      options.on_event(e);
    } catch (...) {
      // The callback's failure is its own; the consumer's decision stands.
    }
  }
}

}  // namespace tenancy

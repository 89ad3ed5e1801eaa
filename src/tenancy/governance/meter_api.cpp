// The Metering class (metering.hpp): the in-process table, the usage
// database and the thread that moves counts from one to the other.
#include <algorithm>
#include <bit>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "governance/meter_db.hpp"
#include "governance/meter_table.hpp"

namespace tenancy {

using detail::meter::EventOutcome;
using detail::meter::HourIndex;
using detail::meter::HourStart;
using detail::meter::HourStartMillis;
using detail::meter::MeterDb;
using detail::meter::MeterTable;

struct Metering::Impl {
  MeteringOptions options;
  std::unique_ptr<MeterTable> table;

  // The connection, the flush (drain + write) and the stats: one writer at
  // a time, so a drained batch is written or restored before the next drain.
  mutable std::mutex db_mu;
  std::unique_ptr<MeterDb> db;
  std::int64_t pruned_hour = detail::meter::kNoHour;
  std::uint64_t flushes = 0;
  std::uint64_t failed_flushes = 0;
  Errc last_flush_error = Errc::kOk;

  std::mutex close_mu;  // one Close at a time joins the thread
  std::mutex thread_mu;
  std::condition_variable wake;
  bool stop = false;
  std::thread flusher;

  // REQUIRES: db_mu held.
  Result<void> FlushLocked();
  void PruneEventsLocked();
  void RunFlusher();
  Result<UsageReport> Report(const TenantId* tenant, TimePoint from, TimePoint to,
                             std::string_view meter);
};

namespace {

std::size_t StripeCount(std::size_t asked) {
  if (asked != 0) return std::bit_ceil(asked);
  const std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  return std::clamp<std::size_t>(std::bit_ceil(2 * threads), 2, 64);
}

Result<void> CheckOptions(const MeteringOptions& o) {
  if (o.path.empty()) return Fail(Errc::kInvalidArgument, "metering needs a database path");
  if (o.clock == nullptr) return Fail(Errc::kInvalidArgument, "metering needs a clock");
  if (o.flush_interval.count() < 0)
    return Fail(Errc::kInvalidArgument, "flush_interval must not be negative");
  if (o.event_retention < std::chrono::hours{1})
    return Fail(Errc::kInvalidArgument, "event_retention must be at least one hour");
  if (o.stripes > 256) return Fail(Errc::kInvalidArgument, "stripes must be at most 256");
  if (o.max_series == 0 || o.max_series > (std::size_t{1} << 26))
    return Fail(Errc::kInvalidArgument, "max_series must be between 1 and 2^26");
  if (o.busy_timeout.count() < 0 || o.busy_timeout > std::chrono::hours{1})
    return Fail(Errc::kInvalidArgument, "busy_timeout must be between 0 and one hour");
  return {};
}

Result<void> CheckAmount(std::int64_t amount) {
  if (amount < 0 || amount > kMaxMeterAmount)
    return Fail(Errc::kInvalidArgument,
                "a meter amount is between 0 and 2^40; got " + std::to_string(amount));
  return {};
}

// Query bounds: TimePoint counts nanoseconds in 64 bits and ends in April
// 2262; stopping at 2262-01-01 leaves room to round `to` up to its hour.
Result<void> CheckPeriod(TimePoint from, TimePoint to) {
  using namespace std::chrono;
  static const TimePoint kEnd = sys_days{year{2262} / January / 1};
  if (from > to) return Fail(Errc::kInvalidArgument, "the period ends before it starts");
  if (from < TimePoint{} || to > kEnd)
    return Fail(Errc::kInvalidArgument, "a usage period lies within the years 1970-2261");
  return {};
}

}  // namespace

Result<std::unique_ptr<Metering>> Metering::Open(MeteringOptions options) {
  if (auto r = CheckOptions(options); !r) return r.error();
  auto db = MeterDb::Open(options.path, options.busy_timeout);
  if (!db) return db.error();
  auto impl = std::make_unique<Impl>();
  impl->table = std::make_unique<MeterTable>(*options.clock, StripeCount(options.stripes),
                                             options.max_series);
  impl->db = std::move(*db);
  impl->options = std::move(options);
  std::unique_ptr<Metering> metering(new Metering(std::move(impl)));
  if (metering->impl_->options.flush_interval.count() > 0) {
    Impl* p = metering->impl_.get();
    p->flusher = std::thread([p] { p->RunFlusher(); });
  }
  return metering;
}

Metering::Metering(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Metering::~Metering() { (void)Close(); }

void Metering::Impl::RunFlusher() {
  std::unique_lock lock(thread_mu);
  while (!wake.wait_for(lock, options.flush_interval, [this] { return stop; })) {
    lock.unlock();
    {
      // A failure keeps the counts pending; the next round retries them.
      std::lock_guard db_lock(db_mu);
      (void)FlushLocked();
    }
    lock.lock();
  }
}

Result<void> Metering::Impl::FlushLocked() {
  MeterTable::Batch batch = table->Drain();
  if (!batch.empty()) {
    std::vector<detail::meter::HourlyDelta> deltas;
    deltas.reserve(batch.size());
    for (const auto& [key, amount] : batch) {
      const auto& name = table->Name(key.first);
      deltas.push_back({name.tenant.str(), name.meter, HourStartMillis(key.second), amount});
    }
    if (auto r = db->AddHourly(deltas); !r) {
      table->Restore(std::move(batch));
      ++failed_flushes;
      last_flush_error = r.error().code;
      return r;
    }
  }
  ++flushes;
  last_flush_error = Errc::kOk;
  PruneEventsLocked();
  return {};
}

// Once per clock hour. A failure only delays pruning to the next flush.
void Metering::Impl::PruneEventsLocked() {
  const TimePoint now = options.clock->Now();
  const std::int64_t hour = HourIndex(now);
  if (hour == pruned_hour) return;
  if (db->PruneEvents(ToUnixMillis(now - options.event_retention))) pruned_hour = hour;
}

Result<MeterHandle> Metering::Resolve(const TenantId& tenant, std::string_view meter) {
  return impl_->table->Resolve(tenant, meter);
}

Result<void> Metering::Record(const TenantId& tenant, std::string_view meter,
                              std::int64_t amount) {
  if (auto r = CheckAmount(amount); !r) return r;
  auto handle = impl_->table->Resolve(tenant, meter);
  if (!handle) return handle.error();
  return handle->Add(amount);
}

Result<bool> Metering::RecordEvent(const TenantId& tenant, std::string_view meter,
                                   std::int64_t amount, std::string_view event_id) {
  if (impl_->table->closed()) return Fail(Errc::kFailedPrecondition, "metering is closed");
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "a meter needs a tenant id");
  if (!IsValidMeterName(meter))
    return Fail(Errc::kInvalidArgument, "a meter name is 1-64 characters of [a-z0-9_.]");
  if (auto r = CheckAmount(amount); !r) return r.error();
  if (!IsValidEventId(event_id))
    return Fail(Errc::kInvalidArgument,
                "an event id is 1-128 visible ASCII characters (no spaces or control characters)");
  std::lock_guard lock(impl_->db_mu);
  const TimePoint now = impl_->options.clock->Now();
  auto outcome = impl_->db->AddEvent(tenant, event_id, meter, amount,
                                     HourStartMillis(HourIndex(now)), ToUnixMillis(now));
  if (!outcome) return outcome.error();
  switch (*outcome) {
    case EventOutcome::kCounted: return true;
    case EventOutcome::kDuplicate: return false;
    case EventOutcome::kConflict: break;
  }
  return Fail(Errc::kConflict, "this event id was already counted with another meter or amount");
}

Result<void> Metering::Flush() {
  std::lock_guard lock(impl_->db_mu);
  return impl_->FlushLocked();
}

Result<UsageReport> Metering::Impl::Report(const TenantId* tenant, TimePoint from, TimePoint to,
                                           std::string_view meter) {
  if (!meter.empty() && !IsValidMeterName(meter))
    return Fail(Errc::kInvalidArgument, "a meter name is 1-64 characters of [a-z0-9_.]");
  if (auto r = CheckPeriod(from, to); !r) return r.error();
  UsageReport report;
  const std::int64_t first = HourIndex(from);
  std::int64_t end = HourIndex(to);  // rounded up below: hours overlapping [from, to)
  if (from == to)
    end = first;
  else if (HourStart(end) < to)
    ++end;
  report.from = HourStart(first);
  report.to = HourStart(end);
  std::lock_guard lock(db_mu);
  if (auto r = FlushLocked(); !r) return r.error();
  auto records = db->Read(tenant, meter, HourStartMillis(first), HourStartMillis(end));
  if (!records) return records.error();
  report.records = std::move(*records);
  for (const auto& r : report.records) {
    if (report.totals.empty() || report.totals.back().tenant != r.tenant ||
        report.totals.back().meter != r.meter)
      report.totals.push_back({r.tenant, r.meter, 0});
    auto& total = report.totals.back().amount;
    total = detail::meter::SaturatingAdd(total, r.amount);
  }
  return report;
}

Result<UsageReport> Metering::Query(const TenantId& tenant, TimePoint from, TimePoint to,
                                    std::string_view meter) {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "a usage query needs a tenant id");
  return impl_->Report(&tenant, from, to, meter);
}

Result<UsageReport> Metering::QueryAllTenants(TimePoint from, TimePoint to,
                                              std::string_view meter) {
  return impl_->Report(nullptr, from, to, meter);
}

Result<void> Metering::Close() {
  impl_->table->Close();
  {
    std::lock_guard close(impl_->close_mu);
    {
      std::lock_guard lock(impl_->thread_mu);
      impl_->stop = true;
    }
    impl_->wake.notify_all();
    if (impl_->flusher.joinable()) impl_->flusher.join();
  }
  return Flush();
}

MeteringStats Metering::stats() const {
  MeteringStats s;
  s.series = impl_->table->series_count();
  s.pending_records = impl_->table->pending_count();
  std::lock_guard lock(impl_->db_mu);
  s.flushes = impl_->flushes;
  s.failed_flushes = impl_->failed_flushes;
  s.last_flush_error = impl_->last_flush_error;
  return s;
}

}  // namespace tenancy

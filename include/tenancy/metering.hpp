// tenancy/metering.hpp — usage metering: named counters per tenant, flushed
// to durable hourly usage records, queried and exported for billing.
//
//   auto metering = tenancy::Metering::Open({.path = "./data/usage.db"}).value();
//   auto rides = metering->Resolve(tenant_id, "rides.booked").value();  // once
//   (void)rides.Add(1);                                 // per ride: one atomic add
//   (void)metering->Record(tenant_id, "km.driven", 12'400);  // by name: metres
//   auto counted = metering->RecordEvent(tenant_id, "api.requests", 1, "req-7f3a");
//   auto march = metering->Query(tenant_id, march_start, april_start).value();
//   std::string csv = tenancy::UsageToCsv(march);
//
// Meters. A meter is a name (`[a-z0-9_.]{1,64}`, e.g. "rides.booked",
// "km.driven", "storage.bytes") counted separately for each tenant. Amounts
// are non-negative integers in the meter's smallest unit, which the
// application chooses once per meter and keeps (metres for "km.driven",
// bytes for "storage.bytes"); the library stores and sums them, it does not
// know units. A meter exists once something recorded it; there is no
// registration. Meters are counters only (no gauges): negative amounts are
// refused.
//
// Where counts go. `MeterHandle::Add` and `Record` add to in-process
// counters striped over cache lines (one atomic add, no lock, no
// allocation, no system call on the way). A background thread drains them
// every `flush_interval` into one SQLite transaction that adds each
// (tenant, meter, hour) total to its durable hourly record. `Close()` (and
// the destructor) flushes a last time. Counts recorded since the last
// successful flush live only in memory: a process crash loses at most that
// much (by default one second's worth). A flush that fails (disk full, the
// database locked by another process) keeps its counts pending in memory
// and the next flush retries them; a count is never dropped and never added
// twice.
//
// Hours. Every count lands in the UTC hour (of the configured clock) in
// which it was recorded, even when no flush happens for hours: the
// counters of a meter carry the hour they accumulate for (two alternating
// hour slots), and the first record of a new hour moves the older slot's
// remainder aside before reusing it. The one exception is a record whose
// thread stalls between reading the clock and adding for longer than an
// hour (or across a clock step of two hours or more): it is counted, in the
// newer hour.
//
// Idempotent events. `RecordEvent` counts a report once per (tenant, event
// id), however often the sender retries it, across flushes and restarts:
// the event id is stored in the same transaction as the hourly increment,
// before the call returns. Event ids are kept for at least
// `event_retention` (default 35 days); flushes prune older ones, at most
// once per clock hour. A retry arriving after its id was pruned is counted
// again. The same event id with another meter or amount is refused
// with kConflict (a sender bug, not a retry).
//
// Queries. `Query` (one tenant) and `QueryAllTenants` (the platform
// operator's billing run) flush first and then read, so they are exact up
// to the moment of the call. A query for one tenant returns that tenant's
// records only. `UsageToCsv` and `UsageToJson` render a report for billing.
//
// Thread safety: a Metering and its handles may be used from any number of
// threads at once. Handles are small values; copy them freely.
// REQUIRES: the Metering outlives every MeterHandle resolved from it.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

inline constexpr std::size_t kMaxMeterNameBytes = 64;
inline constexpr std::size_t kMaxEventIdBytes = 128;
// The largest amount one record may carry (2^40, about 1.1e12). It keeps an
// hourly total far from overflow: reaching 2^63 would take more than eight
// million maximal records of one meter of one tenant in one hour. Sums that
// would pass 2^63 - 1 stay at 2^63 - 1 (they saturate, never wrap).
inline constexpr std::int64_t kMaxMeterAmount = std::int64_t{1} << 40;

// True for a meter name: 1–64 of [a-z0-9_.].
TENANCY_EXPORT bool IsValidMeterName(std::string_view name) noexcept;
// True for an event id: 1–128 visible ASCII characters (0x21–0x7E), e.g. a
// UUID, a ULID or "ride-42:completed". Compared byte for byte.
TENANCY_EXPORT bool IsValidEventId(std::string_view event_id) noexcept;

struct MeteringOptions {
  // The usage database (SQLite, WAL mode); created on first use. Use a file
  // of its own: metering writes often and must not contend with data.
  std::string path{};
  // How often the background thread flushes. Zero: no thread; counts reach
  // the database only through Flush(), Query*() and Close().
  std::chrono::milliseconds flush_interval{1000};
  // Source of time: the hour each count belongs to and event timestamps.
  // Never null; must outlive the Metering.
  Clock* clock = &SystemClock();
  // How long event ids are remembered for RecordEvent (at least one hour).
  std::chrono::hours event_retention{24 * 35};
  // Counter stripes per meter: concurrent threads add to different cache
  // lines. 0: twice the hardware threads, rounded up to a power of two,
  // between 2 and 64. Otherwise 1–256, rounded up to a power of two. Memory
  // per (tenant, meter) is about 16 bytes per stripe plus the names.
  std::size_t stripes = 0;
  // Bound on distinct (tenant, meter) pairs held in memory, 1–2^26; past it
  // resolving a new pair fails with kResourceExhausted. Pairs stay for the
  // life of the Metering.
  std::size_t max_series = std::size_t{1} << 20;
  // How long a write waits for another writer of the same file (another
  // process); a flush that times out is retried, a RecordEvent fails with
  // kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
};

namespace detail::meter {
class MeterTable;
struct SeriesHot;
struct StripeBlock;
}  // namespace detail::meter

// A counter of one meter of one tenant, resolved once and kept by the
// caller. An empty (default-constructed) handle refuses to add.
class TENANCY_EXPORT MeterHandle {
 public:
  MeterHandle() = default;

  // Adds `amount` to the current hour. Costs one atomic add on this
  // thread's stripe and a clock read; the first add of a new hour also
  // moves the meter's older hour aside (a short lock). Errors:
  // kInvalidArgument when amount < 0 or > kMaxMeterAmount;
  // kFailedPrecondition for an empty handle or after Metering::Close().
  Result<void> Add(std::int64_t amount = 1) const;

  explicit operator bool() const noexcept { return table_ != nullptr; }

 private:
  friend class detail::meter::MeterTable;
  MeterHandle(detail::meter::MeterTable* table, detail::meter::SeriesHot* hot,
              detail::meter::StripeBlock* blocks, std::uint32_t series) noexcept
      : table_(table), hot_(hot), blocks_(blocks), series_(series) {}

  detail::meter::MeterTable* table_ = nullptr;
  detail::meter::SeriesHot* hot_ = nullptr;
  detail::meter::StripeBlock* blocks_ = nullptr;  // the stripes of this meter's chunk
  std::uint32_t series_ = 0;                      // index in the table
};

// One hour of one meter of one tenant.
struct UsageRecord {
  TenantId tenant{};
  std::string meter{};
  TimePoint hour_start{};  // UTC, a whole hour
  std::int64_t amount = 0;
};

// The sum of a meter over a report's period.
struct UsageTotal {
  TenantId tenant{};
  std::string meter{};
  std::int64_t amount = 0;
};

struct UsageReport {
  // The hours covered: [from, to), both whole UTC hours. They are the
  // query's bounds widened to whole hours, so that every hour overlapping
  // the asked period is included entire.
  TimePoint from{};
  TimePoint to{};
  // Hours with a non-zero amount, ordered by tenant, meter, hour.
  std::vector<UsageRecord> records{};
  // One per (tenant, meter) present in `records`, in the same order.
  std::vector<UsageTotal> totals{};
};

struct MeteringStats {
  std::size_t series = 0;           // distinct (tenant, meter) pairs in memory
  // (tenant, meter, hour) sums set aside for the next flush: after a failed
  // flush, or moved out of a counter when a new hour began.
  std::size_t pending_records = 0;
  std::uint64_t flushes = 0;        // successful flushes (counts written or not)
  std::uint64_t failed_flushes = 0;
  Errc last_flush_error = Errc::kOk;  // of the latest flush; kOk when it succeeded
};

class TENANCY_EXPORT Metering {
 public:
  // Opens (creating if needed) the usage database and starts the flush
  // thread. Errors: kInvalidArgument (empty path, null clock, an option
  // out of range), kStorage (cannot open or create the file),
  // kDataCorrupted (not a database), kFailedPrecondition (written by a newer
  // version of tenancy).
  static Result<std::unique_ptr<Metering>> Open(MeteringOptions options);
  // Closes (see Close), ignoring a failed last flush: call Close() first to
  // see it.
  ~Metering();
  Metering(const Metering&) = delete;
  Metering& operator=(const Metering&) = delete;

  // The counter of `meter` for `tenant`, created on first use. Resolving the
  // same pair again returns a handle to the same counter. Errors:
  // kInvalidArgument (empty tenant id, malformed meter name),
  // kResourceExhausted (max_series reached), kFailedPrecondition (closed).
  Result<MeterHandle> Resolve(const TenantId& tenant, std::string_view meter);

  // Resolve + Add for callers that keep no handle. A known pair costs a
  // hash lookup that takes no lock and allocates nothing. Errors: those of
  // Resolve and MeterHandle::Add.
  Result<void> Record(const TenantId& tenant, std::string_view meter, std::int64_t amount = 1);

  // Counts `amount` once per (tenant, event_id), durably before returning.
  // Returns true when this call counted it, false when the event was
  // already counted (a retry). Errors: kInvalidArgument (tenant, meter,
  // amount, event id), kConflict (the event id was counted with another
  // meter or amount), kUnavailable / kStorage (not counted; retry),
  // kFailedPrecondition (closed). Much slower than Record (one SQLite
  // transaction per call): use it where senders retry, not per request.
  Result<bool> RecordEvent(const TenantId& tenant, std::string_view meter, std::int64_t amount,
                           std::string_view event_id);

  // Writes every count recorded so far. On failure the counts stay pending
  // and the error is returned (kUnavailable when the file is locked,
  // kStorage, ...); the next flush retries them. Safe beside recording.
  Result<void> Flush();

  // The hourly records of `tenant` for the hours overlapping [from, to),
  // with totals per meter; only `meter` when it is non-empty. Flushes
  // first, so the answer includes every count recorded before the call; if
  // that flush fails, its error is returned. Never returns another tenant's
  // records. Errors: kInvalidArgument (empty tenant id, malformed meter,
  // from > to, a bound outside the years 1970–2261), and those of Flush.
  // from == to yields an empty report.
  Result<UsageReport> Query(const TenantId& tenant, TimePoint from, TimePoint to,
                            std::string_view meter = {});

  // As Query, for every tenant: for the platform operator's billing run,
  // never for a tenant-facing path.
  Result<UsageReport> QueryAllTenants(TimePoint from, TimePoint to, std::string_view meter = {});

  // Stops recording (later Resolve/Record/RecordEvent/Add fail with
  // kFailedPrecondition), stops the flush thread and flushes. A failed
  // flush is returned and the counts stay pending: call Close() again to
  // retry. Records racing with Close may miss its flush (the destructor
  // flushes once more); stop recording first. Flush and queries keep
  // working after Close.
  Result<void> Close();

  MeteringStats stats() const;

 private:
  struct Impl;
  explicit Metering(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// RFC 4180 CSV of a report's hourly records: the header line
// `tenant_id,meter,hour_start,amount`, then one line per record in the
// report's order, CRLF line ends, hours in ISO 8601 UTC
// ("2024-03-01T13:00:00Z"). Totals are not included (sum the rows).
TENANCY_EXPORT std::string UsageToCsv(const UsageReport& report);

// The report as JSON:
//   {"from": "<ISO hour>", "to": "<ISO hour>",
//    "records": [{"tenant_id", "meter", "hour_start": "<ISO hour>", "amount"}, ...],
//    "totals":  [{"tenant_id", "meter", "amount"}, ...]}
// Amounts are JSON integers (exact in readers with 64-bit integers; plain
// JavaScript loses precision above 2^53).
TENANCY_EXPORT boost::json::object UsageToJson(const UsageReport& report);

}  // namespace tenancy

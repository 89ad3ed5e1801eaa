// The usage database: hourly usage records and the event ids that make
// RecordEvent idempotent, in one SQLite file of their own.
//
//   tenancy_usage_hourly  (tenant_id, hour_start, meter) -> amount
//   tenancy_usage_events  (tenant_id, event_id) -> meter, amount, recorded_at
//
// Times are Unix milliseconds, as elsewhere in tenancy; hour_start is a
// multiple of one hour.
//
// Thread safety: none; Metering serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/metering.hpp"

namespace tenancy::detail::meter {

// The file's schema version (PRAGMA user_version).
inline constexpr std::int64_t kMeterSchemaVersion = 1;

struct HourlyDelta {
  std::string_view tenant;
  std::string_view meter;
  std::int64_t hour_start_ms = 0;
  std::int64_t amount = 0;
};

enum class EventOutcome { kCounted, kDuplicate, kConflict };

class MeterDb {
 public:
  // Opens or creates the file and its schema. kDataCorrupted when it is not
  // a database, kFailedPrecondition when a newer version wrote it.
  static Result<std::unique_ptr<MeterDb>> Open(const std::string& path,
                                               std::chrono::milliseconds busy_timeout);

  // Adds every delta to its hourly record, all in one transaction: on error
  // nothing was written.
  Result<void> AddHourly(std::span<const HourlyDelta> deltas);

  // Stores the event id and, when it is new, adds `amount` to the hour, in
  // one transaction. A known id with the same meter and amount is a
  // duplicate (nothing written), with another meter or amount a conflict.
  Result<EventOutcome> AddEvent(const TenantId& tenant, std::string_view event_id,
                                std::string_view meter, std::int64_t amount,
                                std::int64_t hour_start_ms, std::int64_t now_ms);

  // Forgets event ids recorded before `before_ms`.
  Result<void> PruneEvents(std::int64_t before_ms);

  // Hourly records with from_ms <= hour_start < to_ms, of one tenant (or
  // all when null) and one meter (or all when empty), ordered by tenant,
  // meter, hour.
  Result<std::vector<UsageRecord>> Read(const TenantId* tenant, std::string_view meter,
                                        std::int64_t from_ms, std::int64_t to_ms);

 private:
  explicit MeterDb(std::unique_ptr<sqlite::SqliteConnection> conn) : conn_(std::move(conn)) {}
  Result<void> Upsert(const HourlyDelta& d);
  std::unique_ptr<sqlite::SqliteConnection> conn_;
};

}  // namespace tenancy::detail::meter

#include "governance/meter_db.hpp"

#include <optional>

namespace tenancy::detail::meter {
namespace {

// hour_start leads the hourly key after the tenant: a tenant's period is
// one range scan, whatever its meters. The hour index serves the operator's
// all-tenant billing run. Both tables are WITHOUT ROWID: the key is the row.
constexpr const char* kSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS tenancy_usage_hourly (
  tenant_id TEXT NOT NULL,
  hour_start INTEGER NOT NULL,
  meter TEXT NOT NULL,
  amount INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, hour_start, meter)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tenancy_usage_hourly_by_hour ON tenancy_usage_hourly(hour_start);
CREATE TABLE IF NOT EXISTS tenancy_usage_events (
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  meter TEXT NOT NULL,
  amount INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tenancy_usage_events_by_time ON tenancy_usage_events(recorded_at);
PRAGMA user_version = 1;
COMMIT;
)sql";

// Saturates instead of overflowing: SQLite would turn an overflowing
// integer sum into a float.
const std::string kUpsert =
    "INSERT INTO tenancy_usage_hourly (tenant_id, hour_start, meter, amount) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, hour_start, meter) DO UPDATE SET amount = "
    "CASE WHEN amount > 9223372036854775807 - excluded.amount THEN 9223372036854775807 "
    "ELSE amount + excluded.amount END";
const std::string kInsertEvent =
    "INSERT INTO tenancy_usage_events (tenant_id, event_id, meter, amount, recorded_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, event_id) DO NOTHING";
const std::string kGetEvent =
    "SELECT meter, amount FROM tenancy_usage_events WHERE tenant_id = ? AND event_id = ?";
const std::string kPrune = "DELETE FROM tenancy_usage_events WHERE recorded_at < ?";

constexpr const char* kReadColumns =
    "SELECT tenant_id, meter, hour_start, amount FROM tenancy_usage_hourly ";
const std::string kReadTenant = std::string(kReadColumns) +
    "WHERE tenant_id = ? AND hour_start >= ? AND hour_start < ? ORDER BY meter, hour_start";
const std::string kReadTenantMeter = std::string(kReadColumns) +
    "WHERE tenant_id = ? AND hour_start >= ? AND hour_start < ? AND meter = ? ORDER BY hour_start";
const std::string kReadAll = std::string(kReadColumns) +
    "WHERE hour_start >= ? AND hour_start < ? ORDER BY tenant_id, meter, hour_start";
const std::string kReadAllMeter = std::string(kReadColumns) +
    "WHERE hour_start >= ? AND hour_start < ? AND meter = ? ORDER BY tenant_id, hour_start";

struct IntRow final : RowSink {
  std::optional<std::int64_t> value;
  bool OnRow(const RowView& r) override {
    value = r.Int(0);
    return false;
  }
};

struct RecordRows final : RowSink {
  std::vector<UsageRecord> items;
  std::optional<Error> error;
  bool OnRow(const RowView& r) override {
    auto tenant = TenantId::Parse(r.Text(0));
    if (!tenant || r.IsNull(2) || r.IsNull(3)) {
      error = Error(Errc::kDataCorrupted, "the usage database holds a malformed hourly record");
      return false;
    }
    items.push_back({std::move(*tenant), std::string(r.Text(1)),
                     FromUnixMillis(r.Int(2)), r.Int(3)});
    return true;
  }
};

}  // namespace

Result<std::unique_ptr<MeterDb>> MeterDb::Open(const std::string& path,
                                               std::chrono::milliseconds busy_timeout) {
  sqlite::ConnectionOptions options;
  options.busy_timeout = busy_timeout;
  auto conn = sqlite::SqliteConnection::Open(path, /*create=*/true, options);
  if (!conn) return conn.error();
  IntRow version;
  if (auto r = (*conn)->Run("PRAGMA user_version", {}, &version); !r) return r.error();
  const std::int64_t found = version.value.value_or(0);
  if (found > kMeterSchemaVersion)
    return Fail(Errc::kFailedPrecondition,
                "the usage database was written by a newer tenancy (schema version " +
                    std::to_string(found) + ")");
  if (found < kMeterSchemaVersion) {
    if (auto r = (*conn)->ExecScript(kSchema); !r) {
      (void)(*conn)->Rollback();
      return r.error();
    }
  }
  return std::unique_ptr<MeterDb>(new MeterDb(std::move(*conn)));
}

Result<void> MeterDb::Upsert(const HourlyDelta& d) {
  const Param p[] = {d.tenant, d.hour_start_ms, d.meter, d.amount};
  auto r = conn_->Run(kUpsert, p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> MeterDb::AddHourly(std::span<const HourlyDelta> deltas) {
  if (deltas.empty()) return {};
  if (auto r = conn_->Begin(); !r) return r;
  for (const auto& d : deltas) {
    if (auto r = Upsert(d); !r) {
      (void)conn_->Rollback();
      return r;
    }
  }
  if (auto r = conn_->Commit(); !r) {
    (void)conn_->Rollback();
    return r;
  }
  return {};
}

Result<EventOutcome> MeterDb::AddEvent(const TenantId& tenant, std::string_view event_id,
                                       std::string_view meter, std::int64_t amount,
                                       std::int64_t hour_start_ms, std::int64_t now_ms) {
  if (auto r = conn_->Begin(); !r) return r.error();
  auto fail = [&](Error e) -> Result<EventOutcome> {
    (void)conn_->Rollback();
    return e;
  };
  const std::string_view t = tenant.str();
  const Param insert[] = {t, event_id, meter, amount, now_ms};
  auto inserted = conn_->Run(kInsertEvent, insert, nullptr);
  if (!inserted) return fail(inserted.error());
  if (*inserted == 0) {
    // Known id: a retry when it says the same, a sender's bug otherwise.
    struct Row final : RowSink {
      std::string meter;
      std::int64_t amount = -1;
      bool OnRow(const RowView& r) override {
        meter = r.Text(0);
        amount = r.Int(1);
        return false;
      }
    } row;
    const Param key[] = {t, event_id};
    if (auto r = conn_->Run(kGetEvent, key, &row); !r) return fail(r.error());
    (void)conn_->Rollback();  // nothing was written
    return row.meter == meter && row.amount == amount ? EventOutcome::kDuplicate
                                                      : EventOutcome::kConflict;
  }
  if (amount != 0) {
    if (auto r = Upsert({t, meter, hour_start_ms, amount}); !r) return fail(r.error());
  }
  if (auto r = conn_->Commit(); !r) return fail(r.error());
  return EventOutcome::kCounted;
}

Result<void> MeterDb::PruneEvents(std::int64_t before_ms) {
  const Param p[] = {before_ms};
  auto r = conn_->Run(kPrune, p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<std::vector<UsageRecord>> MeterDb::Read(const TenantId* tenant, std::string_view meter,
                                               std::int64_t from_ms, std::int64_t to_ms) {
  RecordRows rows;
  Result<std::int64_t> r = 0;
  if (tenant != nullptr && meter.empty()) {
    const Param p[] = {std::string_view(tenant->str()), from_ms, to_ms};
    r = conn_->Run(kReadTenant, p, &rows);
  } else if (tenant != nullptr) {
    const Param p[] = {std::string_view(tenant->str()), from_ms, to_ms, meter};
    r = conn_->Run(kReadTenantMeter, p, &rows);
  } else if (meter.empty()) {
    const Param p[] = {from_ms, to_ms};
    r = conn_->Run(kReadAll, p, &rows);
  } else {
    const Param p[] = {from_ms, to_ms, meter};
    r = conn_->Run(kReadAllMeter, p, &rows);
  }
  if (!r) return r.error();
  if (rows.error) return *rows.error;
  // The key already confines the scan; this makes a stray row a loud
  // failure rather than another tenant's usage on someone's bill.
  if (tenant != nullptr) {
    for (const auto& rec : rows.items)
      if (rec.tenant != *tenant)
        return Fail(Errc::kInternal, "a usage query returned another tenant's record");
  }
  return std::move(rows.items);
}

}  // namespace tenancy::detail::meter

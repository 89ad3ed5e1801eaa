#include "ops/slo_incidents.hpp"

namespace tenancy::detail::slo {
namespace {

constexpr const char* kSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS tenancy_slo_incidents (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  resolved_at INTEGER,
  severity INTEGER NOT NULL,
  summary TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS tenancy_slo_incidents_by_tenant
  ON tenancy_slo_incidents(tenant_id, opened_at);
CREATE INDEX IF NOT EXISTS tenancy_slo_incidents_by_time ON tenancy_slo_incidents(opened_at);
CREATE TABLE IF NOT EXISTS tenancy_slo_overrides (
  tenant_id TEXT NOT NULL PRIMARY KEY,
  availability REAL NOT NULL,
  latency REAL NOT NULL,
  latency_threshold_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
PRAGMA user_version = 1;
COMMIT;
)sql";

constexpr const char* kIncidentColumns =
    "SELECT id, tenant_id, opened_at, resolved_at, severity, summary FROM tenancy_slo_incidents ";
const std::string kInsert =
    "INSERT INTO tenancy_slo_incidents (tenant_id, opened_at, resolved_at, severity, summary) "
    "VALUES (?, ?, NULL, ?, ?) RETURNING id";
const std::string kUpdate =
    "UPDATE tenancy_slo_incidents SET severity = ?, summary = ? WHERE id = ?";
const std::string kResolve =
    "UPDATE tenancy_slo_incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL";
const std::string kOpen =
    std::string(kIncidentColumns) + "WHERE resolved_at IS NULL ORDER BY tenant_id, opened_at";
const std::string kOverlapTenant = std::string(kIncidentColumns) +
    "WHERE tenant_id = ? AND opened_at < ? AND (resolved_at IS NULL OR resolved_at > ?) "
    "ORDER BY opened_at, id";
const std::string kOverlapAll = std::string(kIncidentColumns) +
    "WHERE opened_at < ? AND (resolved_at IS NULL OR resolved_at > ?) "
    "ORDER BY tenant_id, opened_at, id";
const std::string kOverrides =
    "SELECT tenant_id, availability, latency, latency_threshold_ms FROM tenancy_slo_overrides";
const std::string kSaveOverride =
    "INSERT INTO tenancy_slo_overrides (tenant_id, availability, latency, latency_threshold_ms) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET availability = "
    "excluded.availability, latency = excluded.latency, latency_threshold_ms = "
    "excluded.latency_threshold_ms";
const std::string kDeleteOverride = "DELETE FROM tenancy_slo_overrides WHERE tenant_id = ?";

Error Corrupted() { return Fail(Errc::kDataCorrupted, "the incidents database holds a malformed row"); }

struct IncidentRows final : RowSink {
  std::vector<Incident> items;
  bool bad = false;
  bool OnRow(const RowView& r) override {
    auto tenant = TenantId::Parse(r.Text(1));
    const auto severity = r.Int(4);
    if (!tenant || severity < 0 || severity > 1) {
      bad = true;
      return false;
    }
    Incident i;
    i.id = r.Int(0);
    i.tenant = std::move(*tenant);
    i.opened_at = FromUnixMillis(r.Int(2));
    if (!r.IsNull(3)) i.resolved_at = FromUnixMillis(r.Int(3));
    i.severity = static_cast<AlertSeverity>(severity);
    i.summary = r.Text(5);
    items.push_back(std::move(i));
    return true;
  }
};

}  // namespace

Result<std::unique_ptr<IncidentDb>> IncidentDb::Open(const std::string& path) {
  auto conn = sqlite::SqliteConnection::Open(path, /*create=*/true, {});
  if (!conn) return conn.error();
  struct IntRow final : RowSink {
    std::int64_t value = 0;
    bool OnRow(const RowView& r) override {
      value = r.Int(0);
      return false;
    }
  } version;
  if (auto r = (*conn)->Run("PRAGMA user_version", {}, &version); !r) return r.error();
  if (version.value > kIncidentSchemaVersion)
    return Fail(Errc::kFailedPrecondition,
                "the incidents database was written by a newer tenancy (schema version " +
                    std::to_string(version.value) + ")");
  if (version.value < kIncidentSchemaVersion) {
    if (auto r = (*conn)->ExecScript(kSchema); !r) {
      (void)(*conn)->Rollback();
      return r.error();
    }
  }
  return std::unique_ptr<IncidentDb>(new IncidentDb(std::move(*conn)));
}

Result<std::int64_t> IncidentDb::Open(const TenantId& tenant, std::int64_t at_ms,
                                      AlertSeverity severity, std::string_view summary) {
  struct IdRow final : RowSink {
    std::optional<std::int64_t> id;
    bool OnRow(const RowView& r) override {
      id = r.Int(0);
      return true;  // step to the end so the insert completes
    }
  } row;
  const Param p[] = {std::string_view(tenant.str()), at_ms,
                     static_cast<std::int64_t>(severity), summary};
  if (auto r = conn_->Run(kInsert, p, &row); !r) return r.error();
  if (!row.id) return Fail(Errc::kInternal, "opening an incident returned no id");
  return *row.id;
}

Result<void> IncidentDb::Update(std::int64_t id, AlertSeverity severity, std::string_view summary) {
  const Param p[] = {static_cast<std::int64_t>(severity), summary, id};
  if (auto r = conn_->Run(kUpdate, p, nullptr); !r) return r.error();
  return {};
}

Result<void> IncidentDb::Resolve(std::int64_t id, std::int64_t at_ms) {
  const Param p[] = {at_ms, id};
  if (auto r = conn_->Run(kResolve, p, nullptr); !r) return r.error();
  return {};
}

Result<std::vector<Incident>> IncidentDb::LoadOpen() {
  IncidentRows rows;
  if (auto r = conn_->Run(kOpen, {}, &rows); !r) return r.error();
  if (rows.bad) return Corrupted();
  return std::move(rows.items);
}

Result<std::vector<Incident>> IncidentDb::Overlapping(const TenantId* tenant, std::int64_t from_ms,
                                                      std::int64_t to_ms) {
  IncidentRows rows;
  Result<std::int64_t> r = 0;
  if (tenant) {
    const Param p[] = {std::string_view(tenant->str()), to_ms, from_ms};
    r = conn_->Run(kOverlapTenant, p, &rows);
  } else {
    const Param p[] = {to_ms, from_ms};
    r = conn_->Run(kOverlapAll, p, &rows);
  }
  if (!r) return r.error();
  if (rows.bad) return Corrupted();
  if (tenant) {
    for (const auto& i : rows.items)
      if (i.tenant != *tenant)
        return Fail(Errc::kInternal, "an incident query returned another tenant's incident");
  }
  return std::move(rows.items);
}

Result<std::map<TenantId, SloObjective>> IncidentDb::LoadOverrides() {
  struct Rows final : RowSink {
    std::map<TenantId, SloObjective> out;
    bool bad = false;
    bool OnRow(const RowView& r) override {
      auto tenant = TenantId::Parse(r.Text(0));
      if (!tenant) {
        bad = true;
        return false;
      }
      out[*tenant] = {r.Real(1), r.Real(2), std::chrono::milliseconds{r.Int(3)}};
      return true;
    }
  } rows;
  if (auto r = conn_->Run(kOverrides, {}, &rows); !r) return r.error();
  if (rows.bad) return Corrupted();
  return std::move(rows.out);
}

Result<void> IncidentDb::SaveOverride(const TenantId& tenant, const SloObjective& o) {
  const Param p[] = {std::string_view(tenant.str()), o.availability, o.latency,
                     static_cast<std::int64_t>(o.latency_threshold.count())};
  if (auto r = conn_->Run(kSaveOverride, p, nullptr); !r) return r.error();
  return {};
}

Result<void> IncidentDb::DeleteOverride(const TenantId& tenant) {
  const Param p[] = {std::string_view(tenant.str())};
  if (auto r = conn_->Run(kDeleteOverride, p, nullptr); !r) return r.error();
  return {};
}

}  // namespace tenancy::detail::slo

// The incidents database: incidents per tenant and the per-tenant objective
// overrides, in one SQLite file.
//
//   tenancy_slo_incidents (id) -> tenant_id, opened_at, resolved_at, severity, summary
//   tenancy_slo_overrides (tenant_id) -> availability, latency, latency_threshold_ms
//
// Thread safety: none; SloMonitor serializes every call (db_mu).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/slo.hpp"

namespace tenancy::detail::slo {

inline constexpr std::int64_t kIncidentSchemaVersion = 1;

class IncidentDb {
 public:
  static Result<std::unique_ptr<IncidentDb>> Open(const std::string& path);

  Result<std::int64_t> Open(const TenantId& tenant, std::int64_t at_ms, AlertSeverity severity,
                            std::string_view summary);
  Result<void> Update(std::int64_t id, AlertSeverity severity, std::string_view summary);
  Result<void> Resolve(std::int64_t id, std::int64_t at_ms);
  Result<std::vector<Incident>> LoadOpen();
  // Incidents of `tenant` (or every tenant when null) with opened_at < to
  // and (open, or resolved_at > from), ordered by tenant and opening.
  Result<std::vector<Incident>> Overlapping(const TenantId* tenant, std::int64_t from_ms,
                                            std::int64_t to_ms);

  Result<std::map<TenantId, SloObjective>> LoadOverrides();
  Result<void> SaveOverride(const TenantId& tenant, const SloObjective& o);
  Result<void> DeleteOverride(const TenantId& tenant);

 private:
  explicit IncidentDb(std::unique_ptr<sqlite::SqliteConnection> c) : conn_(std::move(c)) {}
  std::unique_ptr<sqlite::SqliteConnection> conn_;
};

}  // namespace tenancy::detail::slo

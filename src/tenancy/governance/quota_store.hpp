// Persistence of quotas in their SQLite file: plans, overrides and time
// zones (written through), usage rows (written behind, newest version wins).
//
// Thread safety: none; the owner serializes access.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "governance/quota_cell.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/quota.hpp"

namespace tenancy::quota {

using Limits = std::map<std::string, Limit, std::less<>>;

class QuotaStore {
 public:
  static Result<std::unique_ptr<QuotaStore>> Open(const std::string& path);

  Result<std::map<std::string, Plan, std::less<>>> LoadPlans();
  Result<std::map<TenantId, Limits>> LoadOverrides();
  Result<std::map<TenantId, std::string>> LoadTimeZones();

  // Replaces the tier's rows in one transaction.
  Result<void> SavePlan(std::string_view tier, const Plan& plan);
  Result<void> SaveOverride(const TenantId& tenant, std::string_view limit, const Limit& value);
  Result<void> DeleteOverride(const TenantId& tenant, std::string_view limit);
  Result<void> SaveTimeZone(const TenantId& tenant, std::string_view zone);

  Result<std::optional<UsageRow>> LoadUsage(const TenantId& tenant, std::string_view limit);
  // Writes rows in one transaction; a row older than the stored one (by
  // version) is skipped.
  Result<void> SaveUsage(std::span<const UsageRow> rows);

 private:
  explicit QuotaStore(std::unique_ptr<sqlite::SqliteConnection> conn) : conn_(std::move(conn)) {}
  Result<void> InTransaction(const std::function<Result<void>()>& work);
  std::unique_ptr<sqlite::SqliteConnection> conn_;
};

}  // namespace tenancy::quota

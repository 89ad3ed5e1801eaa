// The SQLite Store: a data directory holding the shared database, one file
// per database-model tenant, and pointers to dedicated placements.
//
//   <data_dir>/shared.db               shared-model tables
//   <data_dir>/tenants/<id>.db         database model
//   <placement>/tenant.db + tenant.json  dedicated model (placement defaults
//                                       to <data_dir>/dedicated/<id>)
#pragma once

#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_set>

#include "storage/sqlite/database_pool.hpp"
#include "tenancy/store.hpp"

namespace tenancy::sqlite {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& data_dir, Schema schema,
                                             StoreOptions options);

  std::string_view engine() const noexcept override { return "sqlite"; }
  Result<void> CreateNamespace(const Tenant& tenant) override;
  Result<void> DropNamespace(const Tenant& tenant) override;
  Result<int> SchemaVersion(const Tenant& tenant) override;
  MigrationReport MigrateTenants(std::span<const Tenant> tenants) override;

  // The database file of a database-model or dedicated tenant.
  Result<std::filesystem::path> DatabasePath(const Tenant& tenant) const;
  // Closes this store's idle connections to the tenant's database file and
  // forgets that it was checked; connections still leased close when they
  // are returned. The next Acquire opens the file afresh — after a restore
  // replaced it (sqlite_load.cpp).
  void CloseDatabase(const TenantId& tenant);
  // Where a restore builds a tenant's new database file before it replaces
  // the tenant's: beside it (same directory, so the replacing rename is
  // atomic), under a name DropNamespace also removes.
  static std::filesystem::path ScratchPath(const std::filesystem::path& database);
  std::size_t open_databases() const { return handles_.size(); }

 protected:
  Result<detail::Lease> Acquire(const Tenant& tenant) override;
  std::string QualifiedTable(std::string_view table) const override;

 private:
  SqliteStore(std::filesystem::path data_dir, Schema schema, StoreOptions options);
  ConnectionOptions ConnOptions(bool shared) const;
  // Opens an existing tenant database, migrating it if it is behind.
  Result<std::unique_ptr<SqliteConnection>> OpenTenantDatabase(const std::string& path,
                                                               const TenantId& tenant);
  Result<void> WriteManifest(const Tenant& tenant, const std::filesystem::path& dir) const;

  const std::filesystem::path data_dir_;
  std::shared_ptr<DatabaseHandle> shared_;
  HandleCache handles_;  // database/dedicated tenants' files, by tenant id
  // Tenants whose database this process has seen at the latest version, so
  // reopening after an LRU eviction skips the version check.
  void ForgetCurrent(const TenantId& tenant);
  std::mutex current_mu_;
  std::unordered_set<std::string> current_;
  // Shared-model tenants dropped by this store. Their namespace is the
  // shared database, which stays, so contexts minted before the drop are
  // refused here rather than writing rows for a tenant that is gone.
  mutable std::shared_mutex dropped_mu_;
  std::unordered_set<std::string> dropped_;
};

}  // namespace tenancy::sqlite

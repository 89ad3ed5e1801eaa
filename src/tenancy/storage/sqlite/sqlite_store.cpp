#include "storage/sqlite/sqlite_store.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "storage/sqlite/migrator.hpp"

namespace tenancy::sqlite {
namespace fs = std::filesystem;
namespace {

constexpr const char* kManifestName = "tenant.json";
constexpr const char* kDedicatedDbName = "tenant.db";

Error FsError(const std::error_code& ec, std::string_view doing) {
  return Error(Errc::kStorage, std::string(doing) + ": " + ec.message());
}

// The tenant id recorded in a dedicated placement's manifest, or empty.
std::string ManifestTenant(const fs::path& dir) {
  std::ifstream in(dir / kManifestName);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const std::string key = "\"tenant_id\": \"";
  auto at = s.find(key);
  if (at == std::string::npos) return {};
  auto end = s.find('"', at + key.size());
  return end == std::string::npos ? std::string() : s.substr(at + key.size(), end - at - key.size());
}

// The database and its companions, and what a restore that was cut short
// (a crash) may have left of its scratch file.
void RemoveDatabaseFiles(const fs::path& db) {
  std::error_code ec;
  for (const fs::path& file : {db, SqliteStore::ScratchPath(db)})
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      fs::remove(fs::path(file.string() + suffix), ec);
}

}  // namespace

SqliteStore::SqliteStore(fs::path data_dir, Schema schema, StoreOptions options)
    : Store(std::move(schema), options),
      data_dir_(std::move(data_dir)),
      handles_(options.max_open_databases, ConnOptions(false),
               options.idle_connections_per_database) {}

ConnectionOptions SqliteStore::ConnOptions(bool shared) const {
  ConnectionOptions o;
  o.busy_timeout = options().busy_timeout;
  o.statement_cache_size = options().statement_cache_size;
  o.shared_model = shared;
  return o;
}

Result<std::unique_ptr<Store>> SqliteStore::Open(const fs::path& data_dir, Schema schema,
                                                 StoreOptions options) {
  std::error_code ec;
  fs::create_directories(data_dir / "tenants", ec);
  if (ec) return FsError(ec, "create data directory");
  std::unique_ptr<SqliteStore> store(new SqliteStore(data_dir, std::move(schema), options));
  const std::string shared_path = (data_dir / "shared.db").string();
  {
    // Migrate without the tenant-scoped views: they shadow the tables, so
    // a migration's ALTER TABLE, CREATE INDEX or UPDATE would hit a view.
    auto plain = SqliteConnection::Open(shared_path, /*create=*/true, store->ConnOptions(false));
    if (!plain) return plain.error();
    if (auto r = Migrate(**plain, store->schema()); !r) return r.error();
  }
  auto conn = SqliteConnection::Open(shared_path, /*create=*/false, store->ConnOptions(true));
  if (!conn) return conn.error();
  store->shared_ = std::make_shared<DatabaseHandle>(shared_path, store->ConnOptions(true),
                                                    options.idle_connections_per_database);
  store->shared_->Adopt(std::move(*conn));
  return std::unique_ptr<Store>(std::move(store));
}

std::string SqliteStore::QualifiedTable(std::string_view table) const {
  std::string out = "main.\"";
  out += table;
  out += '"';
  return out;
}

Result<fs::path> SqliteStore::DatabasePath(const Tenant& tenant) const {
  switch (tenant.model) {
    case IsolationModel::kShared: return data_dir_ / "shared.db";
    case IsolationModel::kDatabase: return data_dir_ / "tenants" / (tenant.id.str() + ".db");
    case IsolationModel::kDedicated:
      if (tenant.placement.empty())
        return Fail(Errc::kInvalidArgument, "a dedicated tenant needs a placement directory");
      return fs::path(tenant.placement) / kDedicatedDbName;
  }
  return Fail(Errc::kInternal, "unknown isolation model");
}

Result<std::unique_ptr<SqliteConnection>> SqliteStore::OpenTenantDatabase(const std::string& path,
                                                                          const TenantId& tenant) {
  auto conn = SqliteConnection::Open(path, /*create=*/false, ConnOptions(false));
  if (!conn) return conn.error();
  {
    std::lock_guard lock(current_mu_);
    if (current_.contains(tenant.str())) return conn;  // checked since this process started
  }
  auto version = ReadSchemaVersion(**conn);
  if (!version) return version.error();
  if (*version != schema().latest_version()) {
    if (auto r = Migrate(**conn, schema(), tenant.str()); !r) return r.error();
  }
  std::lock_guard lock(current_mu_);
  current_.insert(tenant.str());
  return conn;
}

void SqliteStore::CloseDatabase(const TenantId& tenant) {
  handles_.Erase(tenant.str());
  ForgetCurrent(tenant);
}

fs::path SqliteStore::ScratchPath(const fs::path& database) {
  return fs::path(database.string() + "-restore");
}

void SqliteStore::ForgetCurrent(const TenantId& tenant) {
  std::lock_guard lock(current_mu_);
  current_.erase(tenant.str());
}

Result<detail::Lease> SqliteStore::Acquire(const Tenant& tenant) {
  if (tenant.state == TenantState::kDeleted)
    return Fail(Errc::kTenantUnknown, "the tenant has been offboarded");
  if (tenant.model == IsolationModel::kShared) {
    {
      std::shared_lock lock(dropped_mu_);
      if (dropped_.contains(tenant.id.str()))
        return Fail(Errc::kTenantUnknown, "the tenant has been offboarded");
    }
    return shared_->Acquire();
  }
  auto handle = handles_.Get(tenant.id.str(), [this, &tenant]() -> Result<HandleCache::Opened> {
    auto path = DatabasePath(tenant);
    if (!path) return path.error();
    auto conn = OpenTenantDatabase(path->string(), tenant.id);
    if (!conn) return conn.error();
    return HandleCache::Opened{std::move(*conn), path->string()};
  });
  if (!handle) return handle.error();
  return (*handle)->Acquire();
}

Result<void> SqliteStore::WriteManifest(const Tenant& tenant, const fs::path& dir) const {
  const fs::path tmp = dir / (std::string(kManifestName) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\n  \"format\": 1,\n  \"tenant_id\": \"" << tenant.id.str() << "\",\n  \"slug\": \""
        << tenant.slug << "\",\n  \"model\": \"dedicated\",\n  \"database\": \"" << kDedicatedDbName
        << "\"\n}\n";
    if (!out) return Fail(Errc::kStorage, "cannot write the placement manifest");
  }
  std::error_code ec;
  fs::rename(tmp, dir / kManifestName, ec);
  if (ec) return FsError(ec, "write placement manifest");
  return {};
}

Result<void> SqliteStore::CreateNamespace(const Tenant& tenant) {
  if (tenant.model == IsolationModel::kShared) return {};
  auto path = DatabasePath(tenant);
  if (!path) return path.error();
  if (tenant.model == IsolationModel::kDedicated) {
    const fs::path dir(tenant.placement);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return FsError(ec, "create placement directory");
    const std::string owner = ManifestTenant(dir);
    if (!owner.empty() && owner != tenant.id.str())
      return Fail(Errc::kAlreadyExists, "the placement directory belongs to another tenant");
    if (fs::exists(*path) && owner.empty())
      return Fail(Errc::kAlreadyExists, "the placement directory holds a foreign database");
    if (auto r = WriteManifest(tenant, dir); !r) return r;
  }
  auto conn = SqliteConnection::Open(path->string(), /*create=*/true, ConnOptions(false));
  if (!conn) return conn.error();
  if (auto r = Migrate(**conn, schema(), tenant.id.str()); !r) return r.error();
  return {};
}

Result<void> SqliteStore::DropNamespace(const Tenant& tenant) {
  if (tenant.model == IsolationModel::kShared) {
    {
      std::unique_lock lock(dropped_mu_);
      dropped_.insert(tenant.id.str());
    }
    auto lease = shared_->Acquire();
    if (!lease) return lease.error();
    auto& conn = static_cast<SqliteConnection&>(**lease);
    auto tables = TenantTables(conn);
    if (!tables) return tables.error();
    if (auto r = conn.Begin(); !r) return r;
    const Param id[] = {std::string_view(tenant.id.str())};
    for (const auto& t : *tables) {
      if (auto r = conn.Run("DELETE FROM " + QualifiedTable(t) + " WHERE tenant_id = ?", id, nullptr);
          !r) {
        (void)conn.Rollback();
        return r.error();
      }
    }
    return conn.Commit();
  }
  auto path = DatabasePath(tenant);
  if (!path) return path.error();
  // A placement whose manifest names another tenant (or none) holds
  // nothing of this one: a provisioning that failed on a taken placement
  // must not take the owner's database with it when it is cleaned up.
  const fs::path dir(tenant.placement);
  if (tenant.model == IsolationModel::kDedicated && ManifestTenant(dir) != tenant.id.str())
    return {};
  handles_.Erase(tenant.id.str());
  ForgetCurrent(tenant.id);
  RemoveDatabaseFiles(*path);
  if (tenant.model == IsolationModel::kDedicated) {
    std::error_code ec;
    fs::remove(dir / kManifestName, ec);
    fs::remove(dir, ec);  // only if now empty: never delete what we did not create
  }
  return {};
}

Result<int> SqliteStore::SchemaVersion(const Tenant& tenant) {
  auto lease = Acquire(tenant);
  if (!lease) return lease.error();
  return ReadSchemaVersion(static_cast<SqliteConnection&>(**lease));
}

MigrationReport SqliteStore::MigrateTenants(std::span<const Tenant> tenants) {
  MigrationReport report;
  auto migrate_one = [&](TenantId id, Result<detail::Lease> lease) {
    const std::string owner = id.str();  // empty for the shared database
    MigrationReport::Entry entry;
    entry.tenant = std::move(id);
    if (!lease) {
      entry.error = lease.error();
      report.entries.push_back(std::move(entry));
      return;
    }
    auto& conn = static_cast<SqliteConnection&>(**lease);
    auto before = ReadSchemaVersion(conn);
    entry.from_version = before ? *before : 0;
    int reached = entry.from_version;
    if (auto r = Migrate(conn, schema(), owner, &reached); !r) entry.error = r.error();
    entry.to_version = reached;
    report.entries.push_back(std::move(entry));
  };
  migrate_one(TenantId{}, shared_->Acquire());
  for (const auto& t : tenants) {
    // A tenant still provisioning gets its namespace migrated when its
    // provisioning resumes; until then its placement may not even be its own.
    if (t.model == IsolationModel::kShared || t.state == TenantState::kDeleted ||
        t.state == TenantState::kProvisioning)
      continue;
    auto path = DatabasePath(t);
    if (!path) {
      migrate_one(t.id, path.error());
      continue;
    }
    // Open the file directly: the LRU's opener would migrate it already.
    auto conn = SqliteConnection::Open(path->string(), /*create=*/false, ConnOptions(false));
    if (!conn) {
      migrate_one(t.id, conn.error());
      continue;
    }
    auto owner = std::make_shared<DatabaseHandle>(path->string(), ConnOptions(false), 1);
    owner->Retire();
    migrate_one(t.id, detail::Lease(std::move(*conn), owner));
    handles_.Erase(t.id.str());  // reopen with the new schema
    ForgetCurrent(t.id);
  }
  return report;
}

}  // namespace tenancy::sqlite

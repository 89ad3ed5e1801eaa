// tenancy/store.hpp — where tenant data lives: engines, namespaces, migrations.
//
// A `Store` is opened from a URL ("sqlite:///var/lib/tenancy" or
// "sqlite:./data"; PostgreSQL joins with the postgres backend) and a
// `Schema` of versioned migrations. It gives every tenant a namespace
// according to the tenant's isolation model:
//
//   shared     one shared database; rows carry tenant_id, first in every
//              primary key, and the library confines every statement to
//              the caller's tenant.
//   database   one database file per tenant under <data_dir>/tenants/,
//              opened through a bounded LRU of handles.
//   dedicated  the tenant's own data directory (its placement), holding its
//              database and a manifest, so it can be served on its own.
//
// Applications reach tenant data only through repositories, transactions
// and the confined raw-SQL path (repository.hpp, transaction.hpp); the
// namespace operations here are for the directory (provisioning and
// offboarding) and for operators (migrations).
//
// Thread safety: a Store is safe to share between threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/detail/connection.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

class FieldCipher;
class TenantContext;
class Transaction;
namespace detail {
class RepositoryCore;
class TenantDump;
}  // namespace detail

// One schema step, applied to every tenant namespace in version order, each
// in its own transaction. The SQL is a script of one or more statements.
// Every table it creates must have a `tenant_id TEXT NOT NULL` column that
// comes first in the primary key; a migration that breaks the rule fails.
struct Migration {
  int version = 0;   // > 0, strictly increasing within a Schema
  std::string name{};  // for reports, e.g. "create vehicles"
  std::string sql{};
  // The PostgreSQL spelling, where it differs (BYTEA for BLOB, DOUBLE
  // PRECISION for REAL, ...). Empty: `sql` is used on PostgreSQL as well.
  std::string postgres_sql{};

  const std::string& SqlFor(std::string_view engine) const noexcept {
    return engine == "postgres" && !postgres_sql.empty() ? postgres_sql : sql;
  }
};

// The ordered migrations of an application. REQUIRES (checked by
// Store::Open): versions strictly increasing and positive, SQL non-empty.
struct Schema {
  std::vector<Migration> migrations{};
  int latest_version() const noexcept {
    return migrations.empty() ? 0 : migrations.back().version;
  }
};

struct StoreOptions {
  // Most database-model tenant databases held open at once (LRU). Default 256.
  std::size_t max_open_databases = 256;
  // Idle connections kept per open database. Default 4.
  std::size_t idle_connections_per_database = 4;
  // How long a statement waits for a lock held by another connection.
  std::chrono::milliseconds busy_timeout{5000};
  // Largest text or blob value accepted in a column. Default 1 MiB.
  std::size_t max_field_bytes = std::size_t{1} << 20;
  // Prepared statements cached per connection. Default 128.
  std::size_t statement_cache_size = 128;

  // Seals and opens encrypted columns (keys.hpp). Required by entities that
  // declare one; must outlive the store. Null: no field encryption.
  const FieldCipher* cipher = nullptr;

  // -- PostgreSQL --
  // The role that owns schemas and runs migrations (DDL), as a connection
  // URL. Empty: the store URL's role does both, which RLS only tolerates
  // when that role neither owns the tables nor bypasses RLS (it will not be
  // able to migrate). The store URL's role serves requests and must not
  // bypass RLS; Store::Open refuses one that does.
  std::string admin_url{};
  // Most connections open to one PostgreSQL server at a time. Default 16.
  std::size_t max_connections = 16;
};

// What a migration pass did, tenant by tenant.
struct MigrationReport {
  struct Entry {
    TenantId tenant{};  // empty for the shared database
    int from_version = 0;
    int to_version = 0;     // the version the namespace is at now
    std::optional<Error> error{};  // set when a migration failed (tenant left at to_version)
  };
  std::vector<Entry> entries{};

  bool ok() const noexcept {
    for (const auto& e : entries)
      if (e.error) return false;
    return true;
  }
};

class TENANCY_EXPORT Store {
 public:
  // Opens the store named by `url`. Creates the data directory and the
  // shared database on first use and migrates the shared database.
  // Errors: kInvalidArgument (bad URL or schema), kMigrationFailed,
  // kStorage (the directory or database cannot be opened).
  static Result<std::unique_ptr<Store>> Open(std::string_view url, Schema schema,
                                             StoreOptions options = {});
  virtual ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // "sqlite" or "postgres".
  virtual std::string_view engine() const noexcept = 0;
  const Schema& schema() const noexcept { return schema_; }
  const StoreOptions& options() const noexcept { return options_; }

  // -- namespaces (for the directory) --

  // Creates and migrates the tenant's namespace; idempotent (resumes a
  // half-done creation). Shared model: nothing to create.
  virtual Result<void> CreateNamespace(const Tenant& tenant) = 0;
  // Removes every row and file of the tenant; idempotent.
  virtual Result<void> DropNamespace(const Tenant& tenant) = 0;
  // The schema version of the tenant's namespace.
  virtual Result<int> SchemaVersion(const Tenant& tenant) = 0;
  // Brings each tenant's namespace (and the shared database) to the latest
  // version. A failure leaves that tenant at its last good version and is
  // reported in its entry; the others go on.
  virtual MigrationReport MigrateTenants(std::span<const Tenant> tenants) = 0;

  // -- units of work --

  // Runs `work` in one transaction in the namespace of the context's tenant.
  // Commits when `work` succeeds, rolls back when it fails (its error is
  // returned) or throws (rethrown). Transactions do not nest.
  Result<void> Transact(const TenantContext& ctx,
                        const std::function<Result<void>(Transaction&)>& work);

 protected:
  // Only repositories and transactions reach connections: handing one to
  // application code would bypass the tenant predicate and raw-SQL checks.
  friend class detail::RepositoryCore;
  // Backup and restore (backup.hpp) read and write a tenant's rows as stored,
  // inside its namespace (src/tenancy/storage/tenant_dump.hpp).
  friend class detail::TenantDump;

  // A connection bound to the tenant's namespace. Errors: kTenantUnknown when
  // the namespace does not exist (never provisioned, or offboarded).
  virtual Result<detail::Lease> Acquire(const Tenant& tenant) = 0;
  // The engine's spelling of a table name in library-written SQL.
  virtual std::string QualifiedTable(std::string_view table) const = 0;
  // Runs one library-written write statement on `conn` once per row of
  // `rows` (rows of `width` parameters, back to back), all or nothing: on
  // failure nothing of the batch is left, and inside a transaction the
  // transaction goes on. `*failed_row` is then the index of the row that
  // failed (rows.size() / width when no row did, e.g. the commit). The
  // default prepares once and loops inside one SAVEPOINT; an engine may
  // override it to send the rows at once (PostgreSQL pipelines them).
  virtual Result<void> RunEach(detail::Connection& conn, const std::string& sql,
                               std::span<const Param> rows, std::size_t width,
                               std::size_t* failed_row);

  Store(Schema schema, StoreOptions options)
      : schema_(std::move(schema)), options_(options) {}

 private:
  Schema schema_;
  StoreOptions options_;
};

}  // namespace tenancy

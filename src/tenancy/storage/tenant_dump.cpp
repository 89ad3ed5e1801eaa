#include "storage/tenant_dump.hpp"

#include "storage/sqlite/sqlite_dump.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#if TENANCY_HAVE_POSTGRES
#include "storage/postgres/pg_dump.hpp"
#endif

namespace tenancy::detail {

DumpReader::~DumpReader() = default;
DumpWriter::~DumpWriter() = default;

namespace {

Error Unsupported(std::string_view what, const Store& store) {
  return Error(Errc::kUnimplemented,
               std::string(what) + " is not supported on the " + std::string(store.engine()) + " engine");
}

}  // namespace

Result<std::unique_ptr<DumpReader>> TenantDump::Read(Store& store, const Tenant& tenant) {
  if (store.engine() == "sqlite") {
    auto lease = store.Acquire(tenant);
    if (!lease) return lease.error();
    return sqlite::OpenDumpReader(std::move(*lease), tenant);
  }
#if TENANCY_HAVE_POSTGRES
  if (store.engine() == "postgres") {
    // Only the admin role reads the version table, so the version is read
    // beside the snapshot, before and after it is taken: when a migration
    // commits in between, the snapshot may be on either side of it, and
    // the reader is opened again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto before = store.SchemaVersion(tenant);
      if (!before) return before.error();
      auto lease = store.Acquire(tenant);
      if (!lease) return lease.error();
      auto reader = pg::OpenDumpReader(std::move(*lease), tenant, *before);
      if (!reader) return reader.error();
      auto after = store.SchemaVersion(tenant);
      if (!after) return after.error();
      if (*after == *before) return reader;
    }
    return Fail(Errc::kUnavailable, "the tenant's schema kept migrating while the backup started");
  }
#endif
  return Unsupported("backup", store);
}

Result<std::unique_ptr<DumpWriter>> TenantDump::Write(Store& store, const Tenant& tenant) {
  if (store.engine() == "sqlite") {
    auto lease = store.Acquire(tenant);
    if (!lease) return lease.error();
    return sqlite::OpenDumpWriter(std::move(*lease), tenant);
  }
#if TENANCY_HAVE_POSTGRES
  if (store.engine() == "postgres") {
    // Acquire first: it migrates a tenant schema this process has not
    // touched yet, so the version read after it is the one written to.
    auto lease = store.Acquire(tenant);
    if (!lease) return lease.error();
    auto version = store.SchemaVersion(tenant);
    if (!version) return version.error();
    return pg::OpenDumpWriter(std::move(*lease), tenant, *version);
  }
#endif
  return Unsupported("restore", store);
}

Result<std::unique_ptr<DumpWriter>> TenantDump::Load(Store& store, const Tenant& tenant) {
  // A database file of its own can be replaced whole; shared-model rows
  // (and PostgreSQL schemas) are written in place, in one transaction.
  auto* sqlite = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (!sqlite || tenant.model == IsolationModel::kShared) return Write(store, tenant);
  auto lease = store.Acquire(tenant);
  if (!lease) return lease.error();
  return sqlite::OpenBulkLoader(*sqlite, std::move(*lease), tenant);
}

}  // namespace tenancy::detail

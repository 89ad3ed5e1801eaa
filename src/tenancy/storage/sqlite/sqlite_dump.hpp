// The SQLite side of TenantDump (storage/tenant_dump.hpp).
#pragma once

#include "storage/tenant_dump.hpp"
#include "tenancy/detail/connection.hpp"

namespace tenancy::sqlite {

// REQUIRES: `lease` holds a SqliteConnection of the tenant's namespace.
Result<std::unique_ptr<detail::DumpReader>> OpenDumpReader(detail::Lease lease, const Tenant& tenant);
Result<std::unique_ptr<detail::DumpWriter>> OpenDumpWriter(detail::Lease lease, const Tenant& tenant);

class SqliteStore;
// A writer that builds a database-model or dedicated tenant's rows in a
// scratch file and replaces the tenant's database with it at Commit
// (sqlite_load.cpp). REQUIRES: the tenant's database was just created and
// holds no rows, and nothing else writes to it meanwhile (a restored tenant
// is kept suspended); `live` leases a connection to it.
Result<std::unique_ptr<detail::DumpWriter>> OpenBulkLoader(SqliteStore& store, detail::Lease live,
                                                           const Tenant& tenant);

}  // namespace tenancy::sqlite

// The PostgreSQL side of TenantDump (storage/tenant_dump.hpp).
//
// The reader is one REPEATABLE READ, READ ONLY transaction: the catalog
// (the tenant tables of the namespace's schema, their columns and primary
// keys) and every row come from its one snapshot. Rows are fetched through
// a cursor in batches bounded by size, never a whole table at once. The
// writer is one READ COMMITTED transaction whose INSERTs go out pipelined,
// a chunk of rows per round trip.
//
// Both run on a leased connection bound to the tenant: app.tenant_id and
// search_path are SET LOCAL in the transaction, so Row-Level Security
// confines every statement, and every statement also names the tenant
// (WHERE tenant_id = $1, or the tenant id the writer binds itself).
#pragma once

#include "storage/tenant_dump.hpp"
#include "tenancy/detail/connection.hpp"

namespace tenancy::pg {

// REQUIRES: `lease` holds a PgConnection bound to the tenant's namespace;
// `schema_version` is the namespace's migration version (read by the caller
// with the admin role, which alone may read the version table).
Result<std::unique_ptr<detail::DumpReader>> OpenDumpReader(detail::Lease lease, const Tenant& tenant,
                                                           int schema_version);
Result<std::unique_ptr<detail::DumpWriter>> OpenDumpWriter(detail::Lease lease, const Tenant& tenant,
                                                           int schema_version);

}  // namespace tenancy::pg

// The SQLite side of TenantDump (storage/tenant_dump.hpp).
#pragma once

#include "storage/tenant_dump.hpp"
#include "tenancy/detail/connection.hpp"

namespace tenancy::sqlite {

// REQUIRES: `lease` holds a SqliteConnection of the tenant's namespace.
Result<std::unique_ptr<detail::DumpReader>> OpenDumpReader(detail::Lease lease, const Tenant& tenant);
Result<std::unique_ptr<detail::DumpWriter>> OpenDumpWriter(detail::Lease lease, const Tenant& tenant);

}  // namespace tenancy::sqlite

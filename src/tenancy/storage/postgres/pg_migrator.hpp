// Applies a Schema to one PostgreSQL schema (a tenant's namespace, or the
// shared one), with Row-Level Security on every tenant table.
//
// Each migration runs in its own transaction with search_path set to the
// schema: the application's SQL, then the checks (tenant_id first in every
// primary key) and the walls (ENABLE + FORCE ROW LEVEL SECURITY, one policy
// `tenant_id = current_setting('app.tenant_id', true)` for reading and
// writing, and grants to the application role), then the version row.
#pragma once

#include <string>
#include <string_view>

#include "storage/postgres/pg_connection.hpp"
#include "tenancy/store.hpp"

namespace tenancy::pg {

// The version recorded in `schema`; 0 when it was never migrated.
// kTenantUnknown when the schema does not exist.
Result<int> ReadSchemaVersion(PgConnection& admin, std::string_view schema);

// Creates `schema` if needed, grants the application role USAGE on it, and
// applies every newer migration. `*reached` gets the last version that
// committed, also on failure.
Result<int> MigrateSchema(PgConnection& admin, std::string_view schema, const Schema& migrations,
                          std::string_view app_role, int* reached = nullptr);

}  // namespace tenancy::pg

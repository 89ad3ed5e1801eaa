// Applies a Schema to one PostgreSQL schema (a tenant's namespace, or the
// shared one), with Row-Level Security on every tenant table.
//
// A migration is the application's SQL, then the checks (tenant_id first in
// every primary key) and the walls (ENABLE + FORCE ROW LEVEL SECURITY, one
// policy `tenant_id = current_setting('app.tenant_id', true)` for reading and
// writing, and grants to the application role), then the version row.
//
// The common case costs one round trip: every pending migration, the checks
// and the walls go to the server as one script in one transaction, and the
// walls touch only tables that lack them (new or recreated tables). When that
// script fails, it is rolled back and the migrations are replayed one
// transaction each, so the error names the migration that failed and the
// ones before it stay applied — the same outcome as applying them one by one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/postgres/pg_connection.hpp"
#include "tenancy/store.hpp"

namespace tenancy::pg {

// The version recorded in `schema`; 0 when it was never migrated.
// kTenantUnknown when the schema does not exist.
Result<int> ReadSchemaVersion(PgConnection& admin, std::string_view schema);

// Creates `schema` if needed, grants the application role USAGE on it, and
// applies every newer migration. `known_version`: the version the caller has
// just read (saves a round trip); empty to read it here. `*reached` gets the
// last version that committed, also on failure.
Result<int> MigrateSchema(PgConnection& admin, std::string_view schema, const Schema& migrations,
                          std::string_view app_role, int* reached = nullptr,
                          std::optional<int> known_version = std::nullopt);

}  // namespace tenancy::pg

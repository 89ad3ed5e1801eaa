// Applies a Schema to one SQLite database and checks the tenant_id rule.
#pragma once

#include <string>
#include <vector>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/store.hpp"

namespace tenancy::sqlite {

// The application's tables: every table but SQLite's and tenancy's own.
Result<std::vector<std::string>> TenantTables(SqliteConnection& conn);

// The version recorded in the database; 0 for a database never migrated.
Result<int> ReadSchemaVersion(SqliteConnection& conn);

// Applies every migration newer than the database's version, each in its
// own transaction. Returns the version reached; on failure, the error (the
// database stays at the last version that succeeded, `*reached`). `owner`:
// the tenant whose own file this is (database and dedicated models), whose
// tables then refuse rows of any other tenant; empty for the shared file.
Result<int> Migrate(SqliteConnection& conn, const Schema& schema, std::string_view owner = {},
                    int* reached = nullptr);

}  // namespace tenancy::sqlite

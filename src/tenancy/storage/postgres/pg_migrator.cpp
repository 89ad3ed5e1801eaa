#include "storage/postgres/pg_migrator.hpp"

#include <chrono>

#include "storage/sql_text.hpp"

namespace tenancy::pg {
namespace {

constexpr const char* kPolicy = "tenancy_tenant_isolation";

constexpr const char* kVersionTable =
    "CREATE TABLE IF NOT EXISTS tenancy_schema_version (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at BIGINT NOT NULL);";

// The checks and the walls, as one server-side block over the current
// schema's catalog rows (found through the relnamespace index):
//  1. fail, naming the table, when a tenant table's primary key does not
//     start with tenant_id;
//  2. Row-Level Security on every tenant table that lacks any part of it (a
//     table a migration created or recreated, or one whose RLS was turned
//     off), with the application role's grants;
//  3. USAGE on sequences the application role cannot use yet.
// Tables that already have everything cost one catalog lookup each.
std::string ChecksAndWalls(PgConnection& admin, std::string_view app_role) {
  const std::string role = admin.Literal(app_role);
  const std::string tables =
      "SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
      " WHERE c.relnamespace = ns AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'tenancy\\_%'";
  return "DO $tenancy$ DECLARE t record; ns oid := to_regnamespace(current_schema()); BEGIN"
         " FOR t IN " + tables +
         " AND NOT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a"
         " ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] WHERE k.conrelid = c.oid"
         " AND k.contype = 'p' AND a.attname = 'tenant_id') LIMIT 1 LOOP"
         " RAISE EXCEPTION 'table ''%'' must have tenant_id first in its primary key', t.relname;"
         " END LOOP;"
         " FOR t IN " + tables +
         " AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity OR NOT EXISTS"
         " (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = '" + kPolicy + "'))"
         " LOOP"
         " EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);"
         " EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);"
         " EXECUTE format('DROP POLICY IF EXISTS " + kPolicy + " ON %I', t.relname);"
         " EXECUTE format('CREATE POLICY " + kPolicy + " ON %I"
         " USING (tenant_id = current_setting(''app.tenant_id'', true))"
         " WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t.relname);"
         " EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t.relname, " + role + ");"
         " END LOOP;"
         // CASE: the planner may test the privilege before the relkind.
         " FOR t IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = ns AND CASE WHEN"
         " c.relkind = 'S' THEN NOT has_sequence_privilege(" + role + ", c.oid, 'USAGE') END LOOP"
         " EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO %I', t.relname, " + role + ");"
         " END LOOP; END $tenancy$;";
}

std::string VersionRow(PgConnection& admin, const Migration& m) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return "INSERT INTO tenancy_schema_version VALUES (" + std::to_string(m.version) + ", " +
         admin.Literal(m.name) + ", " + std::to_string(now_ms) + ");";
}

std::string CreateSchemaScript(std::string_view schema, std::string_view app_role) {
  const std::string q = QuoteIdentifier(schema);
  return "CREATE SCHEMA IF NOT EXISTS " + q + "; GRANT USAGE ON SCHEMA " + q + " TO " +
         QuoteIdentifier(app_role) + ";";
}

// One transaction per migration: slower, but a failure names its migration
// and leaves the earlier ones committed.
Result<int> MigrateOneByOne(PgConnection& admin, std::string_view schema, const Schema& migrations,
                            std::string_view app_role, int version, int* reached) {
  const std::string prologue = "BEGIN; SET LOCAL search_path = " + QuoteIdentifier(schema) + "; " +
                               kVersionTable;
  for (const auto& m : migrations.migrations) {
    if (m.version <= version) continue;
    auto fail = [&](const Error& e) -> Error {
      (void)admin.ExecScript("ROLLBACK");
      return Error(Errc::kMigrationFailed, "migration " + std::to_string(m.version) + " (" +
                                               m.name + ") failed: " + e.message);
    };
    if (auto r = admin.ExecScript(prologue); !r) return fail(r.error());
    if (auto r = admin.ExecScript(m.SqlFor("postgres")); !r) return fail(r.error());
    if (auto r = admin.ExecScript(ChecksAndWalls(admin, app_role) + VersionRow(admin, m) + " COMMIT");
        !r)
      return fail(r.error());
    version = m.version;
    if (reached) *reached = version;
  }
  return version;
}

}  // namespace

Result<int> ReadSchemaVersion(PgConnection& admin, std::string_view schema) {
  auto exists = admin.QueryText("SELECT to_regnamespace(" + admin.Literal(schema) +
                                ") IS NOT NULL, to_regclass(" +
                                admin.Literal(QuoteIdentifier(schema) + ".tenancy_schema_version") +
                                ") IS NOT NULL");
  if (!exists) return exists.error();
  if ((*exists)[0][0] != "t") return Fail(Errc::kTenantUnknown, "the tenant's schema does not exist");
  if ((*exists)[0][1] != "t") return 0;
  auto version = admin.QueryText("SELECT coalesce(max(version), 0) FROM " + QuoteIdentifier(schema) +
                                 ".tenancy_schema_version");
  if (!version) return version.error();
  return std::stoi((*version)[0][0]);
}

Result<int> MigrateSchema(PgConnection& admin, std::string_view schema, const Schema& migrations,
                          std::string_view app_role, int* reached, std::optional<int> known_version) {
  // A schema that exists at a version above 0 was created and granted by
  // the migration that put it there.
  if (!known_version) {
    auto read = ReadSchemaVersion(admin, schema);
    if (read) {
      known_version = *read;
    } else if (read.error().code != Errc::kTenantUnknown) {
      return read.error();
    }
  }
  int version = known_version.value_or(0);
  const bool create = version == 0;
  if (reached) *reached = version;
  if (version > migrations.latest_version())
    return Fail(Errc::kMigrationFailed, "schema version " + std::to_string(version) +
                                            " is newer than this program's " +
                                            std::to_string(migrations.latest_version()));
  if (create) {
    if (auto r = admin.ExecScript(CreateSchemaScript(schema, app_role)); !r) return r.error();
  }
  if (version == migrations.latest_version()) return version;

  // Fast path: everything pending in one script, one transaction.
  std::string script = "BEGIN; SET LOCAL search_path = " + QuoteIdentifier(schema) + "; " + kVersionTable;
  for (const auto& m : migrations.migrations) {
    if (m.version <= version) continue;
    script += m.SqlFor("postgres");
    script += "\n;\n";  // ends a trailing line comment and a statement without ';'

    script += VersionRow(admin, m);
  }
  script += ChecksAndWalls(admin, app_role);
  script += " COMMIT";
  if (admin.ExecScript(script)) {
    if (reached) *reached = migrations.latest_version();
    return migrations.latest_version();
  }
  (void)admin.ExecScript("ROLLBACK");
  return MigrateOneByOne(admin, schema, migrations, app_role, version, reached);
}

}  // namespace tenancy::pg

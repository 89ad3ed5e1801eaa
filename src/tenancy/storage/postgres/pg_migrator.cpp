#include "storage/postgres/pg_migrator.hpp"

#include <chrono>

#include "storage/sql_text.hpp"

namespace tenancy::pg {
namespace {

constexpr const char* kTenantTables =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
    " AND c.relname NOT LIKE 'tenancy\\_%'";

std::string RlsScript(PgConnection& admin, std::string_view schema, std::string_view app_role) {
  return std::string("DO $tenancy$ DECLARE t record; BEGIN FOR t IN ") + kTenantTables +
         " LOOP"
         " EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);"
         " EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);"
         " EXECUTE format('DROP POLICY IF EXISTS tenancy_tenant_isolation ON %I', t.relname);"
         " EXECUTE format('CREATE POLICY tenancy_tenant_isolation ON %I"
         " USING (tenant_id = current_setting(''app.tenant_id'', true))"
         " WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t.relname);"
         " EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t.relname, " +
         admin.Literal(app_role) +
         ");"
         " END LOOP; END $tenancy$;"
         " GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " +
         QuoteIdentifier(schema) + " TO " + QuoteIdentifier(app_role);
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
                          std::string_view app_role, int* reached) {
  const std::string q = QuoteIdentifier(schema);
  if (auto r = admin.ExecScript("CREATE SCHEMA IF NOT EXISTS " + q + "; GRANT USAGE ON SCHEMA " +
                                q + " TO " + QuoteIdentifier(app_role));
      !r)
    return r.error();
  auto current = ReadSchemaVersion(admin, schema);
  if (!current) return current.error();
  int version = *current;
  if (reached) *reached = version;
  if (version > migrations.latest_version())
    return Fail(Errc::kMigrationFailed, "schema version " + std::to_string(version) +
                                            " is newer than this program's " +
                                            std::to_string(migrations.latest_version()));
  for (const auto& m : migrations.migrations) {
    if (m.version <= version) continue;
    auto fail = [&](const Error& e) -> Error {
      (void)admin.ExecScript("ROLLBACK");
      return Error(Errc::kMigrationFailed, "migration " + std::to_string(m.version) + " (" +
                                               m.name + ") failed: " + e.message);
    };
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (auto r = admin.ExecScript(
            "BEGIN; SET LOCAL search_path = " + q +
            "; CREATE TABLE IF NOT EXISTS tenancy_schema_version (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        !r)
      return fail(r.error());
    if (auto r = admin.ExecScript(m.SqlFor("postgres")); !r) return fail(r.error());
    auto bad = admin.QueryText(
        std::string(kTenantTables) +
        " AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        " AND a.attnum = i.indkey[0] WHERE i.indrelid = c.oid AND i.indisprimary"
        " AND a.attname = 'tenant_id')");
    if (!bad) return fail(bad.error());
    if (!bad->empty())
      return fail(Error(Errc::kMigrationFailed, "table '" + (*bad)[0][0] +
                                                    "' must have tenant_id first in its primary key"));
    if (auto r = admin.ExecScript(RlsScript(admin, schema, app_role)); !r) return fail(r.error());
    if (auto r = admin.ExecScript("INSERT INTO tenancy_schema_version VALUES (" +
                                  std::to_string(m.version) + ", " + admin.Literal(m.name) + ", " +
                                  std::to_string(now_ms) + "); COMMIT");
        !r)
      return fail(r.error());
    version = m.version;
    if (reached) *reached = version;
  }
  return version;
}

}  // namespace tenancy::pg

#include "storage/sqlite/migrator.hpp"

#include <string>
#include <vector>

namespace tenancy::sqlite {
namespace {

constexpr const char* kVersionTable =
    "CREATE TABLE IF NOT EXISTS main.tenancy_schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

struct TextColumn final : detail::RowSink {
  std::vector<std::string> values;
  bool OnRow(const RowView& r) override {
    values.emplace_back(r.Text(0));
    return true;
  }
};

// Every application table must carry `tenant_id TEXT NOT NULL` first in its
// primary key.
Result<void> CheckTenantTables(SqliteConnection& conn) {
  auto tables = TenantTables(conn);
  if (!tables) return tables.error();
  for (const auto& table : *tables) {
    struct FirstKey final : detail::RowSink {
      bool tenant_first = false;
      bool OnRow(const RowView& r) override {
        // A nullable or non-text tenant_id would admit rows of no tenant.
        if (r.Int(1) == 1 && r.Text(0) == "tenant_id" && r.Text(2) == "TEXT" && r.Int(3) == 1)
          tenant_first = true;
        return true;
      }
    } key;
    const Param name[] = {std::string_view(table)};
    if (auto r = conn.Run(
            "SELECT name, pk, upper(type), \"notnull\" FROM pragma_table_info(?, 'main')", name,
            &key);
        !r)
      return r.error();
    if (!key.tenant_first)
      return Fail(Errc::kMigrationFailed, "table '" + table +
                                              "' must have tenant_id TEXT NOT NULL first in its "
                                              "primary key");
  }
  return {};
}

// In a tenant's own database file, refuse rows labelled with another
// tenant: raw writes there reach the tables directly, and a row of another
// tenant stored in this file would travel with it on export or model moves.
Result<void> GuardTenantTables(SqliteConnection& conn, std::string_view tenant) {
  auto tables = TenantTables(conn);
  if (!tables) return tables.error();
  std::string script;
  const std::string id(tenant);  // validated: [a-z0-9_] only
  for (const auto& table : *tables) {
    std::string quoted = "\"";
    for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += '"';
    for (const char* when : {"INSERT", "UPDATE OF tenant_id"}) {
      const std::string name = "tenancy_guard_" + table + (when[0] == 'I' ? "_insert" : "_update");
      std::string qname = "\"";
      for (char c : name) qname += c == '"' ? std::string("\"\"") : std::string(1, c);
      qname += '"';
      script += "CREATE TRIGGER IF NOT EXISTS " + qname + " BEFORE " + when + " ON " + quoted +
                " WHEN NEW.tenant_id IS NOT '" + id +
                "' BEGIN SELECT RAISE(ABORT, 'tenant_id must be the tenant of this database'); END;";
    }
  }
  if (script.empty()) return {};
  return conn.ExecScript(script);
}

}  // namespace

Result<std::vector<std::string>> TenantTables(SqliteConnection& conn) {
  TextColumn tables;
  if (auto r = conn.Run("SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT "
                        "LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'tenancy\\_%' ESCAPE '\\'",
                        {}, &tables);
      !r)
    return r.error();
  return std::move(tables.values);
}

Result<int> ReadSchemaVersion(SqliteConnection& conn) {
  struct Version final : detail::RowSink {
    int value = 0;
    bool OnRow(const RowView& r) override {
      value = static_cast<int>(r.Int(0));
      return false;
    }
  } version;
  TextColumn exists;
  if (auto r = conn.Run("SELECT name FROM main.sqlite_schema WHERE name = 'tenancy_schema_version'",
                        {}, &exists);
      !r)
    return r.error();
  if (exists.values.empty()) return 0;
  if (auto r = conn.Run("SELECT coalesce(max(version), 0) FROM main.tenancy_schema_version", {},
                        &version);
      !r)
    return r.error();
  return version.value;
}

Result<int> Migrate(SqliteConnection& conn, const Schema& schema, std::string_view owner,
                    int* reached) {
  auto current = ReadSchemaVersion(conn);
  if (!current) return current.error();
  int version = *current;
  if (reached) *reached = version;
  if (version > schema.latest_version())
    return Fail(Errc::kMigrationFailed, "database schema version " + std::to_string(version) +
                                            " is newer than this program's " +
                                            std::to_string(schema.latest_version()));
  for (const auto& m : schema.migrations) {
    if (m.version <= version) continue;
    auto fail = [&](const Error& e) -> Error {
      (void)conn.Rollback();
      conn.ClearStatementCache();
      return Error(Errc::kMigrationFailed, "migration " + std::to_string(m.version) + " (" +
                                               m.name + ") failed: " + e.message);
    };
    if (auto r = conn.Begin(); !r) return fail(r.error());
    // Another connection (a thread opening the same tenant, another process)
    // may have applied it while BEGIN IMMEDIATE waited: look again under the
    // write lock rather than apply it twice.
    auto now = ReadSchemaVersion(conn);
    if (!now) return fail(now.error());
    if (*now >= m.version) {
      (void)conn.Rollback();
      if (*now > schema.latest_version())
        return Fail(Errc::kMigrationFailed, "database schema version " + std::to_string(*now) +
                                                " is newer than this program's " +
                                                std::to_string(schema.latest_version()));
      version = *now;
      if (reached) *reached = version;
      continue;
    }
    if (auto r = conn.ExecScript(kVersionTable); !r) return fail(r.error());
    if (auto r = conn.ExecScript(m.sql); !r) return fail(r.error());
    if (auto r = CheckTenantTables(conn); !r) return fail(r.error());
    if (!owner.empty())
      if (auto r = GuardTenantTables(conn, owner); !r) return fail(r.error());
    const Param row[] = {std::int64_t{m.version}, std::string_view(m.name),
                         static_cast<std::int64_t>(
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count())};
    if (auto r = conn.Run("INSERT INTO main.tenancy_schema_version(version, name, applied_at) "
                          "VALUES (?, ?, ?)",
                          row, nullptr);
        !r)
      return fail(r.error());
    if (auto r = conn.Commit(); !r) return fail(r.error());
    version = m.version;
    if (reached) *reached = version;
  }
  conn.ClearStatementCache();
  return version;
}

}  // namespace tenancy::sqlite

// Reads and writes one tenant's rows with the SQLite C API directly: the
// statements are built per table, not cached (a backup prepares each once),
// and values are handed on as borrowed Params, so a row costs no
// allocation.
#include "storage/sqlite/sqlite_dump.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>

#include "storage/sqlite/migrator.hpp"
#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::sqlite {
namespace {

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s); }
  void Reset(sqlite3_stmt* next) {
    sqlite3_finalize(s);
    s = next;
  }
};

Result<void> Prepare(sqlite3* db, const std::string& sql, Stmt& out) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return ErrorFromSqlite(db, rc, "prepare");
  }
  out.Reset(s);
  return {};
}

int BindParam(sqlite3_stmt* s, int i, const Param& p) {
  switch (p.index()) {
    case 1: return sqlite3_bind_int64(s, i, std::get<1>(p));
    case 2: return sqlite3_bind_double(s, i, std::get<2>(p));
    case 3: {
      auto v = std::get<3>(p);
      return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    case 4: {
      auto v = std::get<4>(p);
      // A zero-length blob must stay a blob, not become NULL.
      if (v.empty()) return sqlite3_bind_zeroblob(s, i, 0);
      return sqlite3_bind_blob64(s, i, v.data(), v.size(), SQLITE_STATIC);
    }
    default: return sqlite3_bind_null(s, i);
  }
}

// The columns of `table` (tenant_id left out), as pragma_table_info says.
Result<std::vector<detail::DumpColumn>> Columns(sqlite3* db, const std::string& table) {
  Stmt info;
  if (auto r = Prepare(db,
                       "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?, 'main') "
                       "ORDER BY cid",
                       info);
      !r)
    return r.error();
  sqlite3_bind_text(info.s, 1, table.c_str(), static_cast<int>(table.size()), SQLITE_STATIC);
  std::vector<detail::DumpColumn> out;
  int rc;
  while ((rc = sqlite3_step(info.s)) == SQLITE_ROW) {
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(info.s, 0));
    const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(info.s, 1));
    detail::DumpColumn c;
    c.name = name ? name : "";
    c.type = type ? type : "";
    c.not_null = sqlite3_column_int(info.s, 2) != 0;
    // tenant_id is key column 1; the others count from there.
    const int pk = sqlite3_column_int(info.s, 3);
    c.key = pk > 1 ? pk - 1 : 0;
    if (c.name == "tenant_id") continue;
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return ErrorFromSqlite(db, rc, "read table columns");
  return out;
}

class SqliteDumpReader final : public detail::DumpReader {
 public:
  SqliteDumpReader(detail::Lease lease, std::string tenant)
      : lease_(std::move(lease)),
        conn_(static_cast<SqliteConnection&>(*lease_)),
        tenant_(std::move(tenant)) {}
  ~SqliteDumpReader() override {
    stmt_.Reset(nullptr);
    if (conn_.InTransaction()) (void)conn_.Rollback();
  }

  Result<void> Start() {
    // A deferred transaction: its first read fixes the snapshot (WAL), and
    // writers of other connections are not blocked while the backup runs.
    if (auto r = conn_.ExecScript("BEGIN DEFERRED"); !r) return r;
    auto version = ReadSchemaVersion(conn_);
    if (!version) return version.error();
    version_ = *version;
    auto names = TenantTables(conn_);
    if (!names) return names.error();
    std::sort(names->begin(), names->end());
    for (auto& name : *names) {
      auto cols = Columns(conn_.handle(), name);
      if (!cols) return cols.error();
      tables_.push_back({std::move(name), std::move(*cols)});
    }
    return {};
  }

  int schema_version() const noexcept override { return version_; }
  const std::vector<detail::DumpTable>& tables() const noexcept override { return tables_; }

  Result<std::uint64_t> ReadRows(std::size_t index, detail::DumpRowSink& sink) override {
    const auto& table = tables_.at(index);
    std::string sql = "SELECT ";
    std::vector<const detail::DumpColumn*> keys;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) sql += ", ";
      sql += Quote(table.columns[i].name);
      if (table.columns[i].key) keys.push_back(&table.columns[i]);
    }
    if (table.columns.empty()) sql += "1";
    sql += " FROM main." + Quote(table.name) + " WHERE tenant_id = ?";
    std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->key < b->key; });
    for (std::size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : " ORDER BY ") + Quote(keys[i]->name);
    sqlite3* db = conn_.handle();
    if (auto r = Prepare(db, sql, stmt_); !r) return r.error();
    sqlite3_bind_text(stmt_.s, 1, tenant_.c_str(), static_cast<int>(tenant_.size()), SQLITE_STATIC);
    const int n = static_cast<int>(table.columns.size());
    boost::container::small_vector<Param, 16> row(static_cast<std::size_t>(n));
    std::uint64_t count = 0;
    int rc;
    while ((rc = sqlite3_step(stmt_.s)) == SQLITE_ROW) {
      for (int i = 0; i < n; ++i) {
        auto& p = row[static_cast<std::size_t>(i)];
        switch (sqlite3_column_type(stmt_.s, i)) {
          case SQLITE_INTEGER: p = static_cast<std::int64_t>(sqlite3_column_int64(stmt_.s, i)); break;
          case SQLITE_FLOAT: p = sqlite3_column_double(stmt_.s, i); break;
          case SQLITE_TEXT: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.s, i));
            p = std::string_view(t ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt_.s, i)));
            break;
          }
          case SQLITE_BLOB: {
            const auto* b = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.s, i));
            p = BlobView(b, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.s, i)));
            break;
          }
          default: p = std::monostate{}; break;
        }
      }
      if (auto r = sink.OnRow(row); !r) {
        stmt_.Reset(nullptr);
        return r.error();
      }
      ++count;
    }
    if (rc != SQLITE_DONE) {
      auto e = ErrorFromSqlite(db, rc, "read rows of " + table.name);
      stmt_.Reset(nullptr);
      return e;
    }
    stmt_.Reset(nullptr);
    return count;
  }

 private:
  detail::Lease lease_;
  SqliteConnection& conn_;
  std::string tenant_;
  int version_ = 0;
  std::vector<detail::DumpTable> tables_;
  Stmt stmt_;
};

class SqliteDumpWriter final : public detail::DumpWriter {
 public:
  SqliteDumpWriter(detail::Lease lease, std::string tenant)
      : lease_(std::move(lease)),
        conn_(static_cast<SqliteConnection&>(*lease_)),
        tenant_(std::move(tenant)) {}
  ~SqliteDumpWriter() override {
    insert_.Reset(nullptr);
    if (conn_.InTransaction()) (void)conn_.Rollback();
  }

  Result<void> Start() {
    if (auto r = conn_.Begin(); !r) return r;
    // Tables are written one after another: references between them are
    // checked once, at commit, whatever the order.
    if (auto r = conn_.ExecScript("PRAGMA defer_foreign_keys = ON"); !r) return r;
    auto version = ReadSchemaVersion(conn_);
    if (!version) return version.error();
    version_ = *version;
    return {};
  }

  int schema_version() const noexcept override { return version_; }

  Result<void> Clear() override {
    auto tables = TenantTables(conn_);
    if (!tables) return tables.error();
    const Param id[] = {std::string_view(tenant_)};
    for (const auto& t : *tables)
      if (auto r = conn_.Run("DELETE FROM main." + Quote(t) + " WHERE tenant_id = ?", id, nullptr); !r)
        return r.error();
    return {};
  }

  Result<void> Table(const detail::DumpTable& table) override {
    insert_.Reset(nullptr);
    auto existing = Columns(conn_.handle(), table.name);
    if (!existing) return existing.error();
    if (existing->empty())
      return Fail(Errc::kMigrationFailed, "the target has no table '" + table.name + "'");
    for (const auto& c : table.columns)
      if (std::none_of(existing->begin(), existing->end(),
                       [&](const detail::DumpColumn& e) { return e.name == c.name; }))
        return Fail(Errc::kMigrationFailed,
                    "the target's table '" + table.name + "' has no column '" + c.name + "'");
    std::string sql = "INSERT INTO main." + Quote(table.name) + " (tenant_id";
    std::string values = "?";
    for (const auto& c : table.columns) {
      sql += ", " + Quote(c.name);
      values += ", ?";
    }
    sql += ") VALUES (" + values + ")";
    if (auto r = Prepare(conn_.handle(), sql, insert_); !r) return r;
    sqlite3_bind_text(insert_.s, 1, tenant_.c_str(), static_cast<int>(tenant_.size()), SQLITE_STATIC);
    columns_ = table.columns.size();
    table_ = table.name;
    return {};
  }

  Result<void> Insert(std::span<const Param> values) override {
    if (!insert_.s) return Fail(Errc::kInternal, "no table selected");
    if (values.size() != columns_) return Fail(Errc::kInternal, "row has the wrong number of values");
    sqlite3* db = conn_.handle();
    for (std::size_t i = 0; i < values.size(); ++i)
      if (int rc = BindParam(insert_.s, static_cast<int>(i + 2), values[i]); rc != SQLITE_OK)
        return ErrorFromSqlite(db, rc, "bind");
    const int rc = sqlite3_step(insert_.s);
    sqlite3_reset(insert_.s);
    if (rc != SQLITE_DONE) return ErrorFromSqlite(db, rc, "insert into " + table_);
    return {};
  }

  Result<void> Commit() override {
    insert_.Reset(nullptr);
    return conn_.Commit();
  }

 private:
  detail::Lease lease_;
  SqliteConnection& conn_;
  std::string tenant_;
  int version_ = 0;
  Stmt insert_;
  std::size_t columns_ = 0;
  std::string table_;
};

}  // namespace

Result<std::unique_ptr<detail::DumpReader>> OpenDumpReader(detail::Lease lease, const Tenant& tenant) {
  auto reader = std::make_unique<SqliteDumpReader>(std::move(lease), tenant.id.str());
  if (auto r = reader->Start(); !r) return r.error();
  return std::unique_ptr<detail::DumpReader>(std::move(reader));
}

Result<std::unique_ptr<detail::DumpWriter>> OpenDumpWriter(detail::Lease lease, const Tenant& tenant) {
  auto writer = std::make_unique<SqliteDumpWriter>(std::move(lease), tenant.id.str());
  if (auto r = writer->Start(); !r) return r.error();
  return std::unique_ptr<detail::DumpWriter>(std::move(writer));
}

}  // namespace tenancy::sqlite

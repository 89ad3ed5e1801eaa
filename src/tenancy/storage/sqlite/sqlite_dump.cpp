// Reads and writes one tenant's rows with the SQLite C API directly: the
// statements are built per table, not cached (a backup prepares each once),
// and values are handed on as borrowed Params, so a row costs no
// allocation.
#include "storage/sqlite/sqlite_dump.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>

#include "storage/sqlite/dump_rows.hpp"
#include "storage/sqlite/migrator.hpp"
#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::sqlite {
namespace {

using dump::Columns;
using dump::Prepare;
using dump::Quote;
using dump::Stmt;

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
        // The column's value, then its accessors: one statement lookup a
        // value instead of one per call (the statement is this thread's).
        sqlite3_value* v = sqlite3_column_value(stmt_.s, i);
        switch (sqlite3_value_type(v)) {
          case SQLITE_INTEGER: p = static_cast<std::int64_t>(sqlite3_value_int64(v)); break;
          case SQLITE_FLOAT: p = sqlite3_value_double(v); break;
          case SQLITE_TEXT: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
            p = std::string_view(t ? t : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
            break;
          }
          case SQLITE_BLOB: {
            const auto* b = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
            p = BlobView(b, static_cast<std::size_t>(sqlite3_value_bytes(v)));
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
        tenant_(std::move(tenant)),
        rows_(tenant_) {}
  ~SqliteDumpWriter() override {
    rows_.Done();
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
    return rows_.Table(conn_.handle(), table);
  }

  Result<void> Insert(std::span<const Param> values) override {
    return rows_.Insert(conn_.handle(), values);
  }

  Result<void> Commit() override {
    if (auto r = rows_.Flush(conn_.handle()); !r) return r;
    rows_.Done();
    return conn_.Commit();
  }

 private:
  detail::Lease lease_;
  SqliteConnection& conn_;
  std::string tenant_;
  int version_ = 0;
  dump::RowInserter rows_;
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

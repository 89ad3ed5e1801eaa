// Pieces the SQLite dump reader, writer and bulk loader share: statement
// handles, value binding, a table's columns, and the per-table INSERT that
// writes restored rows for one tenant.
//
// Thread safety: each object is used by one thread.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/tenant_dump.hpp"

namespace tenancy::sqlite::dump {

// `name` as a quoted SQL identifier.
std::string Quote(std::string_view name);

// Owns one prepared statement.
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

Result<void> Prepare(sqlite3* db, const std::string& sql, Stmt& out);

// Binds a borrowed value (SQLITE_STATIC: it must outlive the step).
int BindParam(sqlite3_stmt* s, int i, const Param& p);

// The columns of `table` (tenant_id left out), as pragma_table_info says;
// empty when there is no such table.
Result<std::vector<detail::DumpColumn>> Columns(sqlite3* db, const std::string& table);

// One prepared INSERT per table, reused for every row: values are bound
// where they lie (no copies), tenant_id once per table.
class RowInserter {
 public:
  explicit RowInserter(std::string tenant) : tenant_(std::move(tenant)) {}

  // kMigrationFailed when `table` or one of its columns is missing in `db`.
  Result<void> Table(sqlite3* db, const detail::DumpTable& table);
  Result<void> Insert(sqlite3* db, std::span<const Param> values);
  // Finalizes the statement (before COMMIT or closing the database).
  void Done() noexcept { insert_.Reset(nullptr); }
  const std::string& tenant() const noexcept { return tenant_; }

 private:
  std::string tenant_;
  Stmt insert_;
  std::size_t columns_ = 0;
  std::string table_;
};

}  // namespace tenancy::sqlite::dump

// Pieces the SQLite dump reader, writer and bulk loader share: statement
// handles, value binding, a table's columns, and the per-table INSERT that
// writes restored rows for one tenant.
//
// Thread safety: each object is used by one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
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

// The columns of `table` (tenant_id left out), as pragma_table_info says;
// empty when there is no such table.
Result<std::vector<detail::DumpColumn>> Columns(sqlite3* db, const std::string& table);

// Writes a table's rows for one tenant with a prepared multi-row INSERT:
// up to kBatchRows rows a statement, so the per-statement work of SQLite
// (opening cursors, halting, resetting) is paid once per batch, not per row
// — about a third of the cost of a row. A row's text and blobs are copied
// into one reused buffer until its batch is written; tenant_id is bound
// once per statement.
class RowInserter {
 public:
  static constexpr std::size_t kBatchRows = 32;

  explicit RowInserter(std::string tenant) : tenant_(std::move(tenant)) {}

  // Writes what is pending, then selects `table`. kMigrationFailed when it
  // or one of its columns is missing in `db`.
  Result<void> Table(sqlite3* db, const detail::DumpTable& table);
  // Queues one row; writes a full batch. A failing row (a duplicate key)
  // is reported by the Insert or Flush that writes its batch.
  Result<void> Insert(sqlite3* db, std::span<const Param> values);
  // Writes the rows still queued.
  Result<void> Flush(sqlite3* db);
  // Finalizes the statements (before COMMIT or closing the database);
  // drops what is queued.
  void Done() noexcept;
  const std::string& tenant() const noexcept { return tenant_; }

 private:
  // A queued value; text and blobs are at [at, at + size) of bytes_.
  struct Cell {
    int type = SQLITE_NULL;
    std::int64_t i = 0;
    double r = 0;
    std::size_t at = 0, size = 0;
  };
  Result<void> Prepare(sqlite3* db, std::size_t rows, Stmt& out) const;
  // Binds the queued rows to `stmt` (sized for them) and runs it.
  Result<void> Write(sqlite3* db, Stmt& stmt);

  std::string tenant_;
  std::string head_;  // INSERT INTO "t" ("tenant_id", ...) VALUES
  Stmt batch_;        // kBatchRows rows (or fewer, if the table is wide)
  Stmt tail_;         // the rest of a table, once
  std::size_t columns_ = 0;
  std::size_t batch_rows_ = 1;
  std::string table_;
  std::size_t queued_ = 0;  // rows
  std::vector<Cell> cells_;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace tenancy::sqlite::dump

// RawDb: a plain sqlite3 connection on a database file, around the library,
// so tests can check what actually lands on disk and what another process
// (or an attacker with the file) would see.
#pragma once

#include "support/catch_tenancy.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tenancy::testing {

// A plain sqlite3 connection on a database file: no authorizer, no tenant
// predicate — what an attacker with the file (or an operator with the CLI)
// has.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    const int rc = sqlite3_open_v2(path.string().c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) FAIL("raw sqlite3 cannot open " << path << ": " << sqlite3_errstr(rc));
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql` with text parameters; returns the rows, each column as bytes
  // (std::nullopt for NULL).
  using Row = std::vector<std::optional<std::string>>;
  std::vector<Row> Query(const std::string& sql, const std::vector<std::string>& text_params = {},
                         const std::vector<std::pair<int, std::string>>& blob_params = {}) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) FAIL("raw sqlite3 cannot prepare '" << sql << "': " << sqlite3_errmsg(db_));
    for (std::size_t i = 0; i < text_params.size(); ++i)
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), text_params[i].c_str(), -1, SQLITE_TRANSIENT);
    for (const auto& [index, bytes] : blob_params)
      sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    std::vector<Row> rows;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          row.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (!err.empty()) FAIL("raw sqlite3 '" << sql << "': " << err);
    return rows;
  }

  std::int64_t Changes() const { return sqlite3_changes64(db_); }

  // The first column of the first row as text ("" when there is none or it
  // is NULL).
  std::string One(const std::string& sql) {
    const auto rows = Query(sql);
    return rows.empty() || rows[0].empty() || !rows[0][0] ? std::string() : *rows[0][0];
  }
  // Runs `sql` and returns SQLite's result code, for tests that expect a
  // statement to be refused.
  int Exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace tenancy::testing

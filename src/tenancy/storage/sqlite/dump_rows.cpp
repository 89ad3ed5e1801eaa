#include "storage/sqlite/dump_rows.hpp"

#include <algorithm>

#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::sqlite::dump {

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

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

Result<void> RowInserter::Table(sqlite3* db, const detail::DumpTable& table) {
  if (auto r = Flush(db); !r) return r;
  Done();
  auto existing = Columns(db, table.name);
  if (!existing) return existing.error();
  if (existing->empty())
    return Fail(Errc::kMigrationFailed, "the target has no table '" + table.name + "'");
  for (const auto& c : table.columns)
    if (std::none_of(existing->begin(), existing->end(),
                     [&](const detail::DumpColumn& e) { return e.name == c.name; }))
      return Fail(Errc::kMigrationFailed,
                  "the target's table '" + table.name + "' has no column '" + c.name + "'");
  head_ = "INSERT INTO main." + Quote(table.name) + " (tenant_id";
  for (const auto& c : table.columns) head_ += ", " + Quote(c.name);
  head_ += ") VALUES ";
  columns_ = table.columns.size();
  table_ = table.name;
  // Within SQLite's limit on parameters (?1, the tenant, is shared).
  const auto limit = static_cast<std::size_t>(sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
  batch_rows_ = std::clamp<std::size_t>((limit - 1) / std::max<std::size_t>(columns_, 1), 1, kBatchRows);
  return Prepare(db, batch_rows_, batch_);
}

Result<void> RowInserter::Prepare(sqlite3* db, std::size_t rows, Stmt& out) const {
  std::string sql = head_;
  int n = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (?1" : "(?1";
    for (std::size_t c = 0; c < columns_; ++c) sql += ", ?" + std::to_string(++n);
    sql += ')';
  }
  if (auto r = dump::Prepare(db, sql, out); !r) return r;
  sqlite3_bind_text(out.s, 1, tenant_.c_str(), static_cast<int>(tenant_.size()), SQLITE_STATIC);
  return {};
}

Result<void> RowInserter::Insert(sqlite3* db, std::span<const Param> values) {
  if (!batch_.s) return Fail(Errc::kInternal, "no table selected");
  if (values.size() != columns_) return Fail(Errc::kInternal, "row has the wrong number of values");
  for (const Param& p : values) {
    Cell c;
    switch (p.index()) {
      case 1: c.type = SQLITE_INTEGER, c.i = std::get<1>(p); break;
      case 2: c.type = SQLITE_FLOAT, c.r = std::get<2>(p); break;
      case 3:
      case 4: {
        const auto* data = p.index() == 3 ? reinterpret_cast<const std::uint8_t*>(std::get<3>(p).data())
                                          : std::get<4>(p).data();
        c.type = p.index() == 3 ? SQLITE_TEXT : SQLITE_BLOB;
        c.at = bytes_.size();
        c.size = p.index() == 3 ? std::get<3>(p).size() : std::get<4>(p).size();
        bytes_.insert(bytes_.end(), data, data + c.size);
        break;
      }
      default: break;
    }
    cells_.push_back(c);
  }
  if (++queued_ < batch_rows_) return {};
  return Write(db, batch_);
}

Result<void> RowInserter::Flush(sqlite3* db) {
  if (queued_ == 0) return {};
  if (auto r = Prepare(db, queued_, tail_); !r) return r;
  return Write(db, tail_);
}

Result<void> RowInserter::Write(sqlite3* db, Stmt& stmt) {
  for (std::size_t k = 0; k < cells_.size(); ++k) {
    const Cell& c = cells_[k];
    sqlite3_stmt* s = stmt.s;
    const int at = static_cast<int>(k + 2);
    int rc;
    switch (c.type) {
      case SQLITE_INTEGER: rc = sqlite3_bind_int64(s, at, c.i); break;
      case SQLITE_FLOAT: rc = sqlite3_bind_double(s, at, c.r); break;
      case SQLITE_TEXT:
        // A null pointer would bind NULL: an empty text stays text.
        rc = sqlite3_bind_text64(s, at, c.size ? reinterpret_cast<const char*>(bytes_.data() + c.at) : "",
                                 c.size, SQLITE_STATIC, SQLITE_UTF8);
        break;
      case SQLITE_BLOB:
        // A zero-length blob must stay a blob, not become NULL.
        rc = c.size ? sqlite3_bind_blob64(s, at, bytes_.data() + c.at, c.size, SQLITE_STATIC)
                    : sqlite3_bind_zeroblob(s, at, 0);
        break;
      default: rc = sqlite3_bind_null(s, at); break;
    }
    if (rc != SQLITE_OK) return ErrorFromSqlite(db, rc, "bind");
  }
  const int rc = sqlite3_step(stmt.s);
  sqlite3_reset(stmt.s);
  cells_.clear();
  bytes_.clear();
  queued_ = 0;
  if (rc != SQLITE_DONE) return ErrorFromSqlite(db, rc, "insert into " + table_);
  return {};
}

void RowInserter::Done() noexcept {
  batch_.Reset(nullptr);
  tail_.Reset(nullptr);
  cells_.clear();
  bytes_.clear();
  queued_ = 0;
}

}  // namespace tenancy::sqlite::dump

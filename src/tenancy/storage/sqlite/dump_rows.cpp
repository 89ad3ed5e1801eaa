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
  insert_.Reset(nullptr);
  auto existing = Columns(db, table.name);
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
  if (auto r = Prepare(db, sql, insert_); !r) return r;
  sqlite3_bind_text(insert_.s, 1, tenant_.c_str(), static_cast<int>(tenant_.size()), SQLITE_STATIC);
  columns_ = table.columns.size();
  table_ = table.name;
  return {};
}

Result<void> RowInserter::Insert(sqlite3* db, std::span<const Param> values) {
  if (!insert_.s) return Fail(Errc::kInternal, "no table selected");
  if (values.size() != columns_) return Fail(Errc::kInternal, "row has the wrong number of values");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (int rc = BindParam(insert_.s, static_cast<int>(i + 2), values[i]); rc != SQLITE_OK)
      return ErrorFromSqlite(db, rc, "bind");
  const int rc = sqlite3_step(insert_.s);
  sqlite3_reset(insert_.s);
  if (rc != SQLITE_DONE) return ErrorFromSqlite(db, rc, "insert into " + table_);
  return {};
}

}  // namespace tenancy::sqlite::dump

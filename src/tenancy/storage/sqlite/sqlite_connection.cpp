#include "storage/sqlite/sqlite_connection.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "storage/sql_text.hpp"
#include "storage/sqlite/migrator.hpp"
#include "tenancy/transaction.hpp"

namespace tenancy::sqlite {
namespace {

constexpr std::string_view kTenantParam = ":tenant_id";
constexpr const char* kCurrentTenantFn = "tenancy_current_tenant";

class StatementRow final : public RowView {
 public:
  explicit StatementRow(sqlite3_stmt* s) : s_(s) {}
  int size() const noexcept override { return sqlite3_column_count(s_); }
  bool IsNull(int i) const noexcept override { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  std::int64_t Int(int i) const noexcept override { return sqlite3_column_int64(s_, i); }
  double Real(int i) const noexcept override { return sqlite3_column_double(s_, i); }
  std::string_view Text(int i) const noexcept override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string_view();
  }
  BlobView Bytes(int i) const noexcept override {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, i));
    return p ? BlobView(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : BlobView();
  }
  Value Get(int i) const override {
    switch (sqlite3_column_type(s_, i)) {
      case SQLITE_INTEGER: return Int(i);
      case SQLITE_FLOAT: return Real(i);
      case SQLITE_TEXT: return std::string(Text(i));
      case SQLITE_BLOB: {
        auto b = Bytes(i);
        return Blob(b.begin(), b.end());
      }
      default: return std::monostate{};
    }
  }

 private:
  sqlite3_stmt* s_;
};

int Bind(sqlite3_stmt* s, int index, const Param& p) {
  switch (p.index()) {
    case 1: return sqlite3_bind_int64(s, index, std::get<1>(p));
    case 2: return sqlite3_bind_double(s, index, std::get<2>(p));
    case 3: {
      auto v = std::get<3>(p);
      // A null data pointer would bind NULL; an empty string must stay text.
      return sqlite3_bind_text64(s, index, v.data() ? v.data() : "", v.size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
    }
    case 4: {
      auto v = std::get<4>(p);
      return v.empty() ? sqlite3_bind_zeroblob(s, index, 0)
                       : sqlite3_bind_blob64(s, index, v.data(), v.size(), SQLITE_STATIC);
    }
    default: return sqlite3_bind_null(s, index);
  }
}

// Steps a bound statement to the end, feeding rows to `sink`.
int StepAll(sqlite3_stmt* s, detail::RowSink* sink) {
  StatementRow row(s);
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return SQLITE_OK;
    if (rc != SQLITE_ROW) return rc;
    if (sink && !sink->OnRow(row)) return SQLITE_OK;
  }
}

struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() { sqlite3_reset(s); }
};

struct FinalizeOnExit {
  sqlite3_stmt* s;
  ~FinalizeOnExit() { sqlite3_finalize(s); }
};

}  // namespace

Error ErrorFromSqlite(sqlite3* db, int rc, std::string_view doing) {
  std::string msg(doing);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
        return Error(Errc::kAlreadyExists, std::move(msg));
      return Error(Errc::kConflict, std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error(Errc::kUnavailable, std::move(msg));
    case SQLITE_AUTH: return Error(Errc::kPermissionDenied, std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Error(Errc::kDataCorrupted, std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return Error(Errc::kInvalidArgument, std::move(msg));
    case SQLITE_CANTOPEN: return Error(Errc::kStorage, std::move(msg));
    default: return Error(Errc::kStorage, std::move(msg));
  }
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 bool create,
                                                                 const ConnectionOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    if (!create && (rc & 0xff) == SQLITE_CANTOPEN)
      return Fail(Errc::kTenantUnknown, "the tenant's database does not exist");
    return Fail(Errc::kStorage, "cannot open database: " + std::string(sqlite3_errstr(rc)));
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, options));
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  if (auto r = conn->ExecScript(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
      !r)
    return r.error();
  rc = sqlite3_create_function_v2(db, kCurrentTenantFn, 0,
                                  SQLITE_UTF8 | SQLITE_INNOCUOUS,
                                  conn.get(), &CurrentTenantFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorFromSqlite(db, rc, "register function");
  sqlite3_set_authorizer(db, &AuthorizerThunk, conn.get());
  if (options.shared_model) {
    if (auto r = conn->CreateScopedViews(); !r) return r.error();
  }
  return conn;
}

SqliteConnection::~SqliteConnection() {
  ClearStatementCache();
  sqlite3_close_v2(db_);
}

void SqliteConnection::ClearStatementCache() noexcept {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
}

Result<sqlite3_stmt*> SqliteConnection::Prepare(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
  if (cache_.size() >= options_.statement_cache_size) ClearStatementCache();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, "prepare");
  cache_.emplace(sql, stmt);
  return stmt;
}

Result<std::int64_t> SqliteConnection::Run(const std::string& sql, std::span<const Param> params,
                                           detail::RowSink* sink) {
  auto prepared = Prepare(sql);
  if (!prepared) return prepared.error();
  sqlite3_stmt* s = *prepared;
  ResetOnExit reset{s};
  if (static_cast<std::size_t>(sqlite3_bind_parameter_count(s)) != params.size())
    return Fail(Errc::kInternal, "parameter count does not match the statement");
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (int rc = Bind(s, static_cast<int>(i + 1), params[i]); rc != SQLITE_OK)
      return ErrorFromSqlite(db_, rc, "bind");
  }
  if (int rc = StepAll(s, sink); rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, "execute");
  return sqlite3_changes64(db_);
}

Result<std::int64_t> SqliteConnection::RunRaw(std::string_view sql, std::span<const Param> params,
                                              const detail::RawScope& scope, detail::RowSink* sink) {
  if (!MentionsTenantParameter(sql))
    return Fail(Errc::kInvalidArgument, "raw SQL must bind the :tenant_id parameter");
  if (scope.tenant_id.empty()) return Fail(Errc::kInternal, "raw SQL without a tenant");
  if (options_.shared_model && !views_ready_)
    return Fail(Errc::kInternal, "the tenant-scoped views of the shared database are missing");
  // Raw SQL exists only inside Store::Transact. Outside a transaction here
  // means an earlier statement ended it (e.g. INSERT OR ROLLBACK): running
  // on would autocommit what the caller believes is still atomic.
  if (!InTransaction())
    return Fail(Errc::kFailedPrecondition, "the transaction has ended; raw SQL cannot run");
  struct RawMode {
    SqliteConnection* c;
    RawMode(SqliteConnection* conn, std::string_view tenant) : c(conn) {
      c->raw_mode_ = true;
      c->current_tenant_.assign(tenant);
    }
    ~RawMode() {
      c->raw_mode_ = false;
      c->current_tenant_.clear();
    }
  } mode(this, scope.tenant_id);

  sqlite3_stmt* s = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &s, &tail);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_AUTH)
      return Fail(Errc::kPermissionDenied,
                  "raw SQL reaches outside the tenant's namespace: " + std::string(sqlite3_errmsg(db_)));
    if (options_.shared_model && std::strstr(sqlite3_errmsg(db_), "because it is a view"))
      return Fail(Errc::kPermissionDenied,
                  "raw writes are refused in the shared model on SQLite (rows cannot be confined "
                  "per tenant); use a repository, or the database model");
    auto e = ErrorFromSqlite(db_, rc, "raw SQL");
    if (e.code == Errc::kStorage) e.code = Errc::kInvalidArgument;  // syntax and the like
    return e;
  }
  if (!s) return Fail(Errc::kInvalidArgument, "raw SQL is empty");
  FinalizeOnExit finalize{s};
  if (!IsBlankSql(std::string_view(tail, sql.data() + sql.size() - tail)))
    return Fail(Errc::kInvalidArgument, "raw SQL must be a single statement");

  const int count = sqlite3_bind_parameter_count(s);
  std::size_t next = 0;
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(s, i);
    if (name && kTenantParam == name) {
      rc = Bind(s, i, std::string_view(current_tenant_));
    } else if (name == nullptr) {
      if (next >= params.size())
        return Fail(Errc::kInvalidArgument, "raw SQL has more ? placeholders than parameters");
      rc = Bind(s, i, params[next++]);
    } else {
      return Fail(Errc::kInvalidArgument,
                  "raw SQL may use only ? and :tenant_id parameters, not " + std::string(name));
    }
    if (rc != SQLITE_OK) return ErrorFromSqlite(db_, rc, "bind");
  }
  if (next != params.size())
    return Fail(Errc::kInvalidArgument, "raw SQL has fewer ? placeholders than parameters");

  const auto before = sqlite3_total_changes64(db_);
  rc = StepAll(s, sink);
  if (rc != SQLITE_OK) {
    auto e = ErrorFromSqlite(db_, rc, "raw SQL");
    if ((rc & 0xff) == SQLITE_ERROR) e.code = Errc::kInvalidArgument;  // as when preparing
    if ((rc & 0xff) == SQLITE_CONSTRAINT && e.code == Errc::kConflict &&
        std::strstr(sqlite3_errmsg(db_), "tenant_id") != nullptr)
      e.code = Errc::kTenantMismatch;
    return e;
  }
  return sqlite3_total_changes64(db_) - before;
}

Result<void> SqliteConnection::Begin() {
  auto r = Run("BEGIN IMMEDIATE", {}, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> SqliteConnection::Commit() {
  auto r = Run("COMMIT", {}, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> SqliteConnection::Rollback() {
  if (sqlite3_get_autocommit(db_)) return {};  // SQLite may have rolled back already
  auto r = Run("ROLLBACK", {}, nullptr);
  if (!r) return r.error();
  return {};
}

bool SqliteConnection::InTransaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

Result<void> SqliteConnection::ExecScript(std::string_view script) {
  std::string text(script);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Error e = ErrorFromSqlite(nullptr, rc, "script");
    e.message = "script: " + msg;
    return e;
  }
  return {};
}

// Builds a TEMP view over every tenant table of the shared database,
// filtered to tenancy_current_tenant(). TEMP objects shadow `main` for
// unqualified names, so raw SQL written against "vehicles" reads the view
// and sees only the current tenant's rows, whatever its WHERE clause says;
// the authorizer refuses direct `main.` access from raw SQL, and raw writes
// (which SQLite cannot confine row by row) are refused in this model.
// Library SQL always names `main.` explicitly.
Result<void> SqliteConnection::CreateScopedViews() {
  if (InTransaction()) return Fail(Errc::kInternal, "scoped views built inside a transaction");
  auto tables = TenantTables(*this);
  if (!tables) return tables.error();
  std::string script = "SAVEPOINT tenancy_views;";
  for (const auto& table : *tables) {
    const std::string q = QuoteIdentifier(table);
    script += "DROP VIEW IF EXISTS temp." + q + ";CREATE TEMP VIEW " + q +
              " AS SELECT * FROM main." + q + " WHERE tenant_id = " + kCurrentTenantFn + "();";
  }
  script += "RELEASE tenancy_views;";
  if (auto r = ExecScript(script); !r) {
    (void)ExecScript("ROLLBACK TO tenancy_views; RELEASE tenancy_views;");
    return r.error();
  }
  ClearStatementCache();
  views_ready_ = true;
  return {};
}

int SqliteConnection::AuthorizerThunk(void* self, int action, const char* a3, const char* a4,
                                      const char* db, const char* inner) {
  return static_cast<const SqliteConnection*>(self)->Authorize(action, a3, a4, db, inner);
}

int SqliteConnection::Authorize(int action, const char* a3, const char*, const char* db,
                                const char* inner) const noexcept {
  if (!raw_mode_) return SQLITE_OK;  // library-written SQL is trusted
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE: {
      std::string_view table = a3 ? a3 : "";
      std::string_view schema = db ? db : "";
      if (table.starts_with("sqlite_") || table.starts_with("tenancy_")) return SQLITE_DENY;
      // A table read without naming any column (count(*)) reports the
      // schema as written, so none when unqualified: that is `main` too,
      // as nothing else is reachable (temp is empty, ATTACH is refused).
      if (!options_.shared_model)
        return schema == "main" || schema.empty() ? SQLITE_OK : SQLITE_DENY;
      // Shared model: rows only through the tenant-scoped views, and no
      // raw writes (see CreateScopedViews).
      if (action != SQLITE_READ) return SQLITE_DENY;
      if (schema == "temp") return SQLITE_OK;  // only our views live there
      return schema == "main" && inner != nullptr ? SQLITE_OK : SQLITE_DENY;
    }
    default:
      return SQLITE_DENY;  // PRAGMA, ATTACH, DDL, transaction control, ...
  }
}

void SqliteConnection::CurrentTenantFunction(sqlite3_context* ctx, int, sqlite3_value**) {
  auto* self = static_cast<SqliteConnection*>(sqlite3_user_data(ctx));
  if (!self->raw_mode_ || self->current_tenant_.empty()) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_text(ctx, self->current_tenant_.data(),
                      static_cast<int>(self->current_tenant_.size()), SQLITE_TRANSIENT);
}

}  // namespace tenancy::sqlite

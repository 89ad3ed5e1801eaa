// One SQLite connection: statement cache, error mapping, and the confinement
// of raw SQL (authorizer + tenant-scoped temp views in the shared model).
//
// Thread safety: one thread at a time (the connection is opened NOMUTEX and
// handed out by a Lease).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tenancy/detail/connection.hpp"

namespace tenancy::sqlite {

struct ConnectionOptions {
  std::chrono::milliseconds busy_timeout{5000};
  std::size_t statement_cache_size = 128;
  // Shared-model database: raw SQL sees only the current tenant's rows,
  // through temp views that shadow the tables.
  bool shared_model = false;
};

class SqliteConnection final : public detail::Connection {
 public:
  // Opens `path`; creates it only when `create` is true (kTenantUnknown if it
  // does not exist otherwise).
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool create,
                                                        const ConnectionOptions& options);
  ~SqliteConnection() override;

  Result<std::int64_t> Run(const std::string& sql, std::span<const Param> params,
                           detail::RowSink* sink) override;
  Result<std::int64_t> RunRaw(std::string_view sql, std::span<const Param> params,
                              const detail::RawScope& scope, detail::RowSink* sink) override;
  Result<void> Begin() override;
  Result<void> Commit() override;
  Result<void> Rollback() override;
  bool InTransaction() const noexcept override;

  // Runs a trusted multi-statement script (migrations). Not confined.
  Result<void> ExecScript(std::string_view script);
  // Shared model: (re)builds the tenant-scoped views that raw SQL reads
  // through, one per tenant table. Runs at open and after migrations.
  // REQUIRES: not inside a transaction.
  Result<void> CreateScopedViews();
  // Drops cached statements (after the schema changed under them).
  void ClearStatementCache() noexcept;

  sqlite3* handle() const noexcept { return db_; }

 private:
  SqliteConnection(sqlite3* db, const ConnectionOptions& options) : db_(db), options_(options) {}

  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  int Authorize(int action, const char* a3, const char* a4, const char* db,
                const char* inner) const noexcept;

  static int AuthorizerThunk(void* self, int action, const char* a3, const char* a4,
                             const char* db, const char* inner);
  static void CurrentTenantFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);

  sqlite3* db_;
  ConnectionOptions options_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  bool raw_mode_ = false;
  std::string current_tenant_;
  bool views_ready_ = false;
};

// Maps a SQLite result code to a tenancy error, with SQLite's message.
Error ErrorFromSqlite(sqlite3* db, int rc, std::string_view doing);

}  // namespace tenancy::sqlite

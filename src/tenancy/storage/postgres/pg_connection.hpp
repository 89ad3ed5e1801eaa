// One libpq connection: prepared-statement cache, typed binary binding,
// error mapping, and the per-transaction tenant binding.
//
// Every unit of work runs in a transaction that first does
//   SET LOCAL app.tenant_id = '<tenant>'; SET LOCAL search_path = "<schema>"
// so Row-Level Security policies and unqualified table names both follow
// the tenant. An auto-committed statement is sent as one pipeline
// (BEGIN, the two SETs, the statement, COMMIT): one network round trip.
//
// Thread safety: one thread at a time (handed out by a Lease).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tenancy/detail/connection.hpp"

namespace tenancy::pg {

class PgConnection final : public detail::Connection {
 public:
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo,
                                                    std::size_t statement_cache_size);
  ~PgConnection() override;

  // The namespace the next units of work run in. REQUIRES: not in a
  // transaction; `tenant` and `schema` are validated identifiers.
  void BindNamespace(std::string_view tenant, std::string_view schema);

  Result<std::int64_t> Run(const std::string& sql, std::span<const Param> params,
                           detail::RowSink* sink) override;
  Result<std::int64_t> RunRaw(std::string_view sql, std::span<const Param> params,
                              const detail::RawScope& scope, detail::RowSink* sink) override;
  Result<void> Begin() override;
  Result<void> Commit() override;
  Result<void> Rollback() override;
  bool InTransaction() const noexcept override { return in_transaction_; }

  // Runs a trusted multi-statement script with the simple query protocol
  // (migrations, DDL). Not confined, no tenant binding.
  Result<void> ExecScript(std::string_view script);
  // Runs one trusted query with the simple protocol; rows as text.
  Result<std::vector<std::vector<std::string>>> QueryText(std::string_view sql);
  // `text` as a quoted SQL literal (PQescapeLiteral).
  std::string Literal(std::string_view text);
  // True while the connection is usable; false after it was lost.
  bool Healthy() const noexcept;
  // Round-trips a trivial query; false (and unhealthy) when it fails.
  bool Ping() noexcept;
  std::chrono::steady_clock::time_point last_used() const noexcept { return last_used_; }

 private:
  explicit PgConnection(PGconn* conn, std::size_t cache) : conn_(conn), cache_limit_(cache) {}

  // A library statement: its server-side name, and while not yet prepared
  // on the server, the text and parameter types to prepare it with (inside
  // the transaction, so the tenant's search_path resolves its tables).
  struct Statement {
    std::string name;
    std::string text;
    std::vector<unsigned> types;
    bool prepared = false;
  };
  // What one call sends: a prepared library statement, or raw SQL.
  struct Call {
    Statement* statement = nullptr;
    const std::string* raw_sql = nullptr;
    const unsigned* raw_types = nullptr;
    int n = 0;
    const char* const* values = nullptr;
    const int* lengths = nullptr;
    const int* formats = nullptr;
  };

  Result<Statement*> Lookup(const std::string& sql, std::span<const Param> params);
  Result<std::int64_t> Execute(const Call& call, detail::RowSink* sink);
  Error Lost(std::string_view doing);

  PGconn* conn_;
  std::size_t cache_limit_;
  std::unordered_map<std::string, Statement> statements_;  // sql + signature → statement
  std::uint64_t next_statement_ = 0;
  std::string set_tenant_, set_path_;  // the SET LOCAL statements of the bound namespace
  bool in_transaction_ = false;
  bool broken_ = false;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
};

// Maps a failed PGresult (or connection) to a tenancy error. Only the
// primary message is used: DETAIL lines can quote row values.
Error ErrorFromResult(PGresult* result, PGconn* conn, std::string_view doing);

}  // namespace tenancy::pg

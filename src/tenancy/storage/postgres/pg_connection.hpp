// One libpq connection: prepared-statement cache, typed binary binding,
// error mapping, and the tenant binding.
//
// Every statement runs with app.tenant_id and search_path naming the
// lease's tenant, so Row-Level Security policies and unqualified table
// names both follow it:
//   - an auto-committed statement is one pipeline, one round trip: the
//     statement alone when the session already carries the namespace,
//     else `SET` of both settings, then the statement, in the same
//     implicit transaction (so a failed statement also undoes the
//     settings, and the connection then forgets what its session holds);
//     with session binding off (transaction-pooling proxies): BEGIN, both
//     SET LOCALs, the statement, COMMIT;
//   - a transaction (Begin) does SET LOCAL of both, whatever the session
//     holds, and the session's values come back after it.
// The session values outlive a lease; the next lease of another tenant
// rebinds before its first statement, and a statement never runs on an
// unbound connection (D39).
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
  // `session_binding` false: every auto-committed statement binds the
  // tenant with BEGIN; SET LOCAL ...; COMMIT around it (for transaction-
  // pooling proxies, which hand a session to other clients between
  // transactions).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo,
                                                    std::size_t statement_cache_size,
                                                    bool session_binding = true);
  ~PgConnection() override;

  // The namespace the next units of work run in. REQUIRES: not in a
  // transaction; `tenant` and `schema` are validated identifiers.
  void BindNamespace(std::string_view tenant, std::string_view schema);
  // Back in the pool: no statement runs until the next BindNamespace.
  void Unbind() noexcept { bound_ = false; }

  Result<std::int64_t> Run(const std::string& sql, std::span<const Param> params,
                           detail::RowSink* sink) override;
  Result<std::int64_t> RunRaw(std::string_view sql, std::span<const Param> params,
                              const detail::RawScope& scope, detail::RowSink* sink) override;
  // A SERIALIZABLE transaction (BeginAs).
  Result<void> Begin() override;
  // A transaction with the given characteristics (e.g. "ISOLATION LEVEL
  // REPEATABLE READ, READ ONLY" for a backup's snapshot), bound to the
  // namespace with SET LOCAL like Begin. REQUIRES: `characteristics` is
  // trusted text (library-written), not in a transaction.
  Result<void> BeginAs(std::string_view characteristics);
  Result<void> Commit() override;
  Result<void> Rollback() override;
  bool InTransaction() const noexcept override { return in_transaction_; }

  // Runs the library statement `sql` once per row of `rows` (`width`
  // parameters each, back to back), all or nothing, in one pipeline:
  //   auto-commit:          BEGIN; [SET tenant; SET path | SET LOCAL ...;]
  //                         [prepare;] row; row; ...; COMMIT
  //   inside a transaction: SAVEPOINT; [prepare;] row; ...; RELEASE
  // The rows go in chunks of kBatchChunk, each followed by a flush request,
  // and a chunk's results are read while the server runs the next one, so
  // neither side's socket buffer fills up (at most two chunks in flight).
  // On a failed row the batch is rolled back (to its savepoint inside a
  // transaction) and `*failed_row` names it; otherwise it is rows/width.
  Result<void> RunMany(const std::string& sql, std::span<const Param> rows, std::size_t width,
                       std::size_t* failed_row);
  static constexpr std::size_t kBatchChunk = 256;

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

  // The libpq handle, for storage/postgres/pg_dump.cpp, which streams rows
  // with its own statements inside a BeginAs transaction. REQUIRES: the
  // caller leaves no pipeline or query in progress and ends the transaction
  // through Commit or Rollback; when it cannot, it calls Discard.
  PGconn* handle() noexcept { return conn_; }
  // The connection's protocol state is unknown: its pool closes it instead
  // of handing it out again.
  void Discard() noexcept { broken_ = true; }

 private:
  PgConnection(PGconn* conn, std::size_t cache, bool session_binding)
      : conn_(conn), cache_limit_(cache), session_binding_(session_binding) {}

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
  // A prepared statement alone on a bound session: no pipeline, one Sync.
  Result<std::int64_t> ExecuteAlone(const Call& call, detail::RowSink* sink);
  Error Lost(std::string_view doing);

  PGconn* conn_;
  std::size_t cache_limit_;
  bool session_binding_;
  // sql → its statements, one per parameter signature ("nirtb" per
  // parameter). Looked up by string_view: no allocation per call.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::vector<std::pair<std::string, Statement>>, SqlHash,
                     std::equal_to<>>
      statements_;
  std::size_t statement_count_ = 0;
  std::uint64_t cache_generation_ = 0;  // counts DEALLOCATE ALLs (stale Statement*)
  std::uint64_t next_statement_ = 0;
  // The bound namespace and the statements that set it.
  std::string tenant_, schema_;
  std::string set_tenant_, set_path_;  // SET LOCAL, for transactions
  std::string set_session_tenant_, set_session_path_;  // SET (session level)
  bool bound_ = false;
  // The session (outside transactions) carries tenant_ and schema_.
  bool session_bound_ = false;
  bool in_transaction_ = false;
  bool broken_ = false;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
};

// Maps a failed PGresult (or connection) to a tenancy error. Only the
// primary message is used: DETAIL lines can quote row values.
Error ErrorFromResult(PGresult* result, PGconn* conn, std::string_view doing);

}  // namespace tenancy::pg

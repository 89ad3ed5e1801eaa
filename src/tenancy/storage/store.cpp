#include "tenancy/store.hpp"

#include "storage/sqlite/sqlite_store.hpp"
#if TENANCY_HAVE_POSTGRES
#include "storage/postgres/pg_store.hpp"
#endif
#include "tenancy/context.hpp"
#include "tenancy/detail/connection.hpp"
#include "tenancy/transaction.hpp"

namespace tenancy {
namespace {

Result<void> ValidateSchema(const Schema& schema) {
  int last = 0;
  for (const auto& m : schema.migrations) {
    if (m.version <= last)
      return Fail(Errc::kInvalidArgument,
                  "migration versions must be positive and strictly increasing (at " +
                      std::to_string(m.version) + ")");
    if (m.sql.empty())
      return Fail(Errc::kInvalidArgument, "migration " + std::to_string(m.version) + " has no SQL");
    last = m.version;
  }
  return {};
}

struct CollectRows final : detail::RowSink {
  std::vector<RawRow> rows;
  bool OnRow(const RowView& r) override {
    RawRow row;
    row.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) row.push_back(r.Get(i));
    rows.push_back(std::move(row));
    return true;
  }
};

}  // namespace

namespace detail {
Connection::~Connection() = default;
}  // namespace detail

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(std::string_view url, Schema schema,
                                           StoreOptions options) {
  if (auto r = ValidateSchema(schema); !r) return r.error();
  std::string_view path;
  if (url.starts_with("sqlite://")) {
    path = url.substr(9);
  } else if (url.starts_with("sqlite:")) {
    path = url.substr(7);
  } else if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
#if TENANCY_HAVE_POSTGRES
    return pg::PgStore::Open(std::string(url), std::move(schema), std::move(options));
#else
    return Fail(Errc::kUnimplemented, "this build has no PostgreSQL backend");
#endif
  } else {
    return Fail(Errc::kInvalidArgument, "store URL must start with sqlite: or postgres://");
  }
  if (path.empty()) return Fail(Errc::kInvalidArgument, "store URL names no path");
  return sqlite::SqliteStore::Open(std::filesystem::path(path), std::move(schema), options);
}

Result<void> Store::Transact(const TenantContext& ctx,
                             const std::function<Result<void>(Transaction&)>& work) {
  auto lease = Acquire(ctx.tenant());
  if (!lease) return lease.error();
  detail::Connection& conn = **lease;
  if (conn.InTransaction()) return Fail(Errc::kInternal, "connection already in a transaction");
  if (auto r = conn.Begin(); !r) return r;
  Transaction tx(ctx, conn);
  Result<void> outcome;
  try {
    outcome = work(tx);
  } catch (...) {
    (void)conn.Rollback();
    throw;
  }
  if (!outcome) {
    (void)conn.Rollback();
    return outcome;
  }
  if (auto r = conn.Commit(); !r) {
    (void)conn.Rollback();
    return r;
  }
  return {};
}

namespace {
Result<void> CheckRawParams(std::string_view sql, std::span<const Param> params) {
  // An engine reading C strings would stop at a NUL and run a different
  // statement than the one checked.
  if (sql.find('\0') != std::string_view::npos)
    return Fail(Errc::kInvalidArgument, "raw SQL may not contain NUL bytes");
  for (const auto& p : params)
    if (auto* s = std::get_if<std::string_view>(&p); s && s->find('\0') != std::string_view::npos)
      return Fail(Errc::kInvalidArgument, "text may not contain NUL bytes (use a Blob)");
  return {};
}
}  // namespace

Result<std::vector<RawRow>> Transaction::Query(std::string_view sql, std::span<const Param> params) {
  if (!MentionsTenantParameter(sql))
    return Fail(Errc::kInvalidArgument, "raw SQL must bind the :tenant_id parameter");
  if (auto r = CheckRawParams(sql, params); !r) return r.error();
  CollectRows sink;
  auto r = conn_.RunRaw(sql, params, detail::RawScope{ctx_.tenant_id().str()}, &sink);
  if (!r) return r.error();
  return std::move(sink.rows);
}

Result<std::int64_t> Transaction::Execute(std::string_view sql, std::span<const Param> params) {
  if (!MentionsTenantParameter(sql))
    return Fail(Errc::kInvalidArgument, "raw SQL must bind the :tenant_id parameter");
  if (auto r = CheckRawParams(sql, params); !r) return r.error();
  return conn_.RunRaw(sql, params, detail::RawScope{ctx_.tenant_id().str()}, nullptr);
}

// The portable batch: one SAVEPOINT (which opens a transaction when there is
// none, on SQLite), the statement prepared once by Run's cache and stepped
// per row, RELEASE. A failed row is undone with everything before it.
Result<void> Store::RunEach(detail::Connection& conn, const std::string& sql,
                            std::span<const Param> rows, std::size_t width, std::size_t* failed_row) {
  const std::size_t count = width ? rows.size() / width : 0;
  *failed_row = count;
  if (auto r = conn.Run("SAVEPOINT tenancy_batch", {}, nullptr); !r) return r.error();
  const auto undo = [&conn](Error e) -> Result<void> {
    // The engine may have ended the transaction itself (SQLite does on some
    // I/O errors); then there is no savepoint left to roll back to.
    if (conn.InTransaction()) {
      (void)conn.Run("ROLLBACK TO tenancy_batch", {}, nullptr);
      (void)conn.Run("RELEASE tenancy_batch", {}, nullptr);
    }
    return e;
  };
  for (std::size_t i = 0; i < count; ++i) {
    auto r = conn.Run(sql, rows.subspan(i * width, width), nullptr);
    if (!r) {
      *failed_row = i;
      return undo(r.error());
    }
  }
  if (auto r = conn.Run("RELEASE tenancy_batch", {}, nullptr); !r) return undo(r.error());
  return {};
}

}  // namespace tenancy

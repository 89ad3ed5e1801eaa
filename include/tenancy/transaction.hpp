// tenancy/transaction.hpp — one tenant's unit of work, and confined raw SQL.
//
// A Transaction exists only inside `Store::Transact`; it is bound to one
// tenant (its context) and one connection. Repositories accept it wherever
// they accept a context, so several repositories share one atomic commit.
//
// Raw SQL is for what the typed API cannot say. It cannot forget the tenant:
// the text must mention the `:tenant_id` parameter (the library binds it), or
// it is refused with kInvalidArgument before it reaches the engine; and the
// engine confines it to the tenant's namespace (schema changes, attaching
// other databases and — in the shared model — rows of other tenants are
// out of reach, whatever the predicate says). User parameters are `?`.
//
// Thread safety: confined to the thread running the Transact callback.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tenancy/context.hpp"
#include "tenancy/detail/connection.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/value.hpp"

namespace tenancy {

using RawRow = std::vector<Value>;

class TENANCY_EXPORT Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const TenantContext& context() const noexcept { return ctx_; }

  // Runs a confined raw query; returns its rows as owned values.
  Result<std::vector<RawRow>> Query(std::string_view sql, std::span<const Param> params = {});
  // Runs a confined raw write; returns the number of rows changed.
  Result<std::int64_t> Execute(std::string_view sql, std::span<const Param> params = {});

  // For repositories.
  detail::Connection& connection() noexcept { return conn_; }

 private:
  friend class Store;
  Transaction(const TenantContext& ctx, detail::Connection& conn) : ctx_(ctx), conn_(conn) {}

  const TenantContext& ctx_;
  detail::Connection& conn_;
};

// True when `sql` uses the `:tenant_id` parameter outside string literals,
// quoted identifiers and comments.
TENANCY_EXPORT bool MentionsTenantParameter(std::string_view sql) noexcept;

}  // namespace tenancy

// tenancy/repository.hpp — typed, tenant-confined access to one entity.
//
//   tenancy::Repository<Vehicle> vehicles(store, kVehicles);
//   auto v = vehicles.Get(ctx, "v-17");          // Result<Vehicle>
//   vehicles.Insert(ctx, Vehicle{"v-18", "B-XY 18", 4});
//   store.Transact(ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
//     if (auto r = vehicles.Remove(tx, "v-17"); !r) return r;
//     return drivers.Update(tx, driver);         // one atomic commit
//   });
//
// Every statement the repository runs carries `tenant_id = <context's
// tenant>`; the caller cannot leave it out or change it. A row of another
// tenant is indistinguishable from a missing row (kNotFound), so ids do not
// leak across tenants.
//
// Each operation takes a `Scope`: a `const TenantContext&` (the operation
// runs alone, auto-committed) or a `Transaction&` (it joins that unit of
// work).
//
// A batch of new rows goes in with InsertMany (one round trip per chunk of
// rows on PostgreSQL, not one per row):
//
//   std::vector<Vehicle> fleet = ...;
//   if (auto r = vehicles.InsertMany(ctx, fleet); !r) ...  // "row 517: ..."
//
// Errors: kNotFound (no such row in this tenant), kAlreadyExists (Insert of a
// taken key), kInvalidArgument (oversized value, unknown filter column, bad
// cursor, wrong key arity), kTenantMismatch (the row names another tenant),
// kTenantUnknown (the tenant's namespace is gone), kStorage/kUnavailable.
//
// Thread safety: a Repository is immutable after construction and may be
// shared by threads; each call uses its own connection or the given
// transaction's.
#pragma once

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tenancy/context.hpp"
#include "tenancy/entity.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/store.hpp"
#include "tenancy/transaction.hpp"

namespace tenancy {

enum class FilterOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// `column op value`, where column is one of the entity's columns.
struct Filter {
  std::string column{};
  FilterOp op = FilterOp::kEq;
  Value value{};
};

struct ListQuery {
  std::vector<Filter> filters{};  // all must hold (AND)
  std::size_t limit = 50;       // 1..1000
  std::string after{};            // a Page::next_cursor from the same query; empty: start
};

// One page of a keyset-paged list, ordered by primary key.
template <class T>
struct Page {
  std::vector<T> items{};
  std::string next_cursor{};  // empty when there is nothing after this page
};

// Where an operation runs: alone for a context, or inside a transaction.
class Scope {
 public:
  Scope(const TenantContext& ctx) noexcept : ctx_(&ctx) {}  // NOLINT: implicit by design
  Scope(Transaction& tx) noexcept : ctx_(&tx.context()), tx_(&tx) {}  // NOLINT

  const TenantContext& context() const noexcept { return *ctx_; }
  Transaction* transaction() const noexcept { return tx_; }

 private:
  const TenantContext* ctx_;
  Transaction* tx_ = nullptr;
};

namespace detail {

struct SealedRow;  // storage/sealed_columns.hpp

// The type-independent engine of Repository<T>: builds the SQL once,
// validates input, confines every statement to the tenant.
class TENANCY_EXPORT RepositoryCore {
 public:
  RepositoryCore(Store& store, std::shared_ptr<const EntitySchema> schema);
  ~RepositoryCore();
  RepositoryCore(const RepositoryCore&) = delete;
  RepositoryCore& operator=(const RepositoryCore&) = delete;

  // `key` holds the key columns; `row` all columns, in descriptor order.
  Result<bool> Get(Scope scope, std::span<const Param> key, RowSink& sink) const;
  Result<void> Insert(Scope scope, std::span<const Param> row) const;
  // `rows`: whole rows back to back, each one slot wider than the entity:
  // slot 0 is the tenant's, which InsertMany overwrites with the scope's
  // tenant, then the columns in descriptor order. The rows arrive in the
  // layout of the INSERT's parameters, so a batch is bound without copying
  // every parameter again.
  Result<void> InsertMany(Scope scope, std::span<Param> rows) const;
  Result<void> Update(Scope scope, std::span<const Param> row) const;
  Result<void> Upsert(Scope scope, std::span<const Param> row) const;
  Result<void> Remove(Scope scope, std::span<const Param> key) const;
  // Streams the page's rows to `sink`; returns the next cursor.
  Result<std::string> List(Scope scope, const ListQuery& query, RowSink& sink) const;
  Result<std::int64_t> Count(Scope scope, std::span<const Filter> filters) const;

  // One step of re-encryption (reencrypt.hpp): re-seals, under the tenant's
  // primary key, the encrypted values of up to `limit` rows after `after`
  // that are sealed under an older version. Each row is rewritten only if
  // unchanged since it was read (compare-and-swap), so concurrent writers
  // win. `*rewritten` counts the rows changed; returns the next cursor
  // (empty at the end).
  Result<std::string> ReencryptBatch(Scope scope, const std::string& after, std::size_t limit,
                                     std::int64_t* seen, std::int64_t* rewritten) const;

  const EntitySchema& schema() const noexcept { return *schema_; }

 private:
  struct Statements;
  Result<std::int64_t> Run(Scope scope, const std::string& sql, std::span<const Param> params,
                           RowSink* sink) const;
  Result<void> CheckRow(std::span<const Param> row) const;
  // Checks a row for writing and seals its encrypted columns into `sealed`.
  Result<void> PrepareRow(Scope scope, std::span<const Param> row, SealedRow& sealed) const;

  Store& store_;
  std::shared_ptr<const EntitySchema> schema_;
  std::unique_ptr<Statements> sql_;
};

inline Param KeyParam(std::string_view v) noexcept { return v; }
inline Param KeyParam(const std::string& v) noexcept { return std::string_view(v); }
inline Param KeyParam(const char* v) noexcept { return std::string_view(v); }
template <class I>
  requires std::is_integral_v<I>
inline Param KeyParam(I v) noexcept {
  return static_cast<std::int64_t>(v);
}

// Reads the single row of a point lookup, without allocating a container.
template <class T>
class ReadOne final : public RowSink {
 public:
  ReadOne(const Entity<T>& entity, const TenantContext& ctx) : entity_(entity), ctx_(ctx) {}
  bool OnRow(const RowView& row) override {
    T& out = item.emplace();
    entity_.Read(row, 0, out);
    entity_.SetTenant(out, ctx_.tenant_id().str());
    return false;
  }
  std::optional<T> item;

 private:
  const Entity<T>& entity_;
  const TenantContext& ctx_;
};

template <class T>
class ReadInto final : public RowSink {
 public:
  ReadInto(const Entity<T>& entity, const TenantContext& ctx) : entity_(entity), ctx_(ctx) {}
  bool OnRow(const RowView& row) override {
    T& item = items.emplace_back();
    entity_.Read(row, 0, item);
    entity_.SetTenant(item, ctx_.tenant_id().str());
    return true;
  }
  std::vector<T> items{};

 private:
  const Entity<T>& entity_;
  const TenantContext& ctx_;
};

}  // namespace detail

template <class T>
class Repository {
 public:
  // REQUIRES: `store` and `entity` outlive the repository.
  Repository(Store& store, const Entity<T>& entity)
      : entity_(entity), core_(store, entity.schema()) {}

  // The row with this key in the scope's tenant; kNotFound otherwise.
  template <class... K>
  Result<T> Get(Scope scope, const K&... key) const {
    const Param keys[] = {detail::KeyParam(key)...};
    detail::ReadOne<T> sink(entity_, scope.context());
    auto found = core_.Get(scope, keys, sink);
    if (!found) return found.error();
    if (!*found) return Fail(Errc::kNotFound, "no " + core_.schema().table + " with that key");
    return std::move(*sink.item);
  }

  Result<void> Insert(Scope scope, const T& item) const { return Write(scope, item, &Core::Insert); }
  // Inserts every item, all or none: the batch is atomic as one unit (inside
  // a transaction a failed batch is undone alone and the transaction goes
  // on, as after a failed Insert). Each row is checked, confined to the
  // scope's tenant and its encrypted columns sealed exactly as Insert does.
  // On a failing row nothing is written and the error carries the Errc the
  // single Insert would give, its message naming the row's position in
  // `items` ("row 517: ..."): kTenantMismatch (the item names another
  // tenant), kAlreadyExists (a taken key, also one taken earlier in the
  // same batch), kInvalidArgument (an oversized or null value). An empty
  // batch is a no-op success. Any size goes; the engine sends the rows in
  // chunks.
  Result<void> InsertMany(Scope scope, std::span<const T> items) const {
    if (items.empty()) return {};
    const std::string& tenant = scope.context().tenant_id().str();
    const std::size_t width = entity_.size();
    // One slot more per row: the core writes the tenant into it.
    std::vector<Param> rows(items.size() * (width + 1));
    Param* out = rows.data();
    for (std::size_t r = 0; r < items.size(); ++r) {
      if (const std::string* t = entity_.TenantOf(items[r]); t && !t->empty() && *t != tenant)
        return Fail(Errc::kTenantMismatch,
                    "row " + std::to_string(r) + ": row names another tenant than the caller's");
      ++out;  // the tenant's slot
      for (std::size_t i = 0; i < width; ++i) *out++ = entity_.Get(items[r], i);
    }
    return core_.InsertMany(scope, rows);
  }
  // Replaces the row with the item's key; kNotFound when there is none.
  Result<void> Update(Scope scope, const T& item) const { return Write(scope, item, &Core::Update); }
  // Inserts or replaces.
  Result<void> Upsert(Scope scope, const T& item) const { return Write(scope, item, &Core::Upsert); }

  // Deletes the row with this key; kNotFound when there is none.
  template <class... K>
  Result<void> Remove(Scope scope, const K&... key) const {
    const Param keys[] = {detail::KeyParam(key)...};
    return core_.Remove(scope, keys);
  }

  Result<Page<T>> List(Scope scope, const ListQuery& query = {}) const {
    detail::ReadInto<T> sink(entity_, scope.context());
    sink.items.reserve(std::min<std::size_t>(query.limit, 1000));
    auto next = core_.List(scope, query, sink);
    if (!next) return next.error();
    return Page<T>{std::move(sink.items), std::move(*next)};
  }

  Result<std::int64_t> Count(Scope scope, std::span<const Filter> filters = {}) const {
    return core_.Count(scope, filters);
  }

 private:
  using Core = detail::RepositoryCore;

  Result<void> Write(Scope scope, const T& item,
                     Result<void> (Core::*op)(Scope, std::span<const Param>) const) const {
    if (const std::string* t = entity_.TenantOf(item);
        t && !t->empty() && *t != scope.context().tenant_id().str())
      return Fail(Errc::kTenantMismatch, "row names another tenant than the caller's");
    boost::container::small_vector<Param, 16> row;
    for (std::size_t i = 0; i < entity_.size(); ++i) row.push_back(entity_.Get(item, i));
    return (core_.*op)(scope, row);
  }

  const Entity<T>& entity_;
  Core core_;
};

}  // namespace tenancy

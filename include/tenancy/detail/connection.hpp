// tenancy/detail/connection.hpp — the engine interface under repositories.
//
// Not for application code: repositories and transactions (repository.hpp,
// transaction.hpp) are the API. Engines (SQLite now, PostgreSQL next)
// implement `Connection`; the store hands one out per unit of work through a
// `Lease`, already bound to one tenant's namespace.
//
// SQL reaching a Connection is written by the library with `?` placeholders
// in the portable subset both engines accept; engines translate placeholders
// once per statement text and cache the prepared statement.
//
// Thread safety: a Connection is used by one thread at a time (its Lease).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/value.hpp"

namespace tenancy::detail {

// Receives the rows of a query. Return false to stop early.
class RowSink {
 public:
  virtual bool OnRow(const RowView& row) = 0;

 protected:
  ~RowSink() = default;
};

// How a raw (application-written) statement is confined.
struct RawScope {
  std::string_view tenant_id;  // bound to every `:tenant_id` in the text
};

class TENANCY_EXPORT Connection {
 public:
  virtual ~Connection();

  // Runs one library-written statement (prepared and cached by text),
  // binding `params` to its `?` placeholders in order. Rows go to `sink`
  // (may be null for writes). Returns the number of rows changed.
  virtual Result<std::int64_t> Run(const std::string& sql, std::span<const Param> params,
                                   RowSink* sink) = 0;

  // Runs one application-written statement confined to the tenant: the text
  // must use `:tenant_id` (bound here from `scope`) and `?` for `params`.
  // The engine refuses anything outside the tenant's namespace (schema
  // changes, attaching files, other tenants' rows).
  virtual Result<std::int64_t> RunRaw(std::string_view sql, std::span<const Param> params,
                                      const RawScope& scope, RowSink* sink) = 0;

  virtual Result<void> Begin() = 0;
  virtual Result<void> Commit() = 0;
  virtual Result<void> Rollback() = 0;
  virtual bool InTransaction() const noexcept = 0;
};

// Returns a borrowed connection to where it came from when destroyed.
class TENANCY_EXPORT Lease {
 public:
  class Owner {
   public:
    virtual void Return(std::unique_ptr<Connection> conn) noexcept = 0;

   protected:
    ~Owner() = default;
  };

  Lease() = default;
  Lease(std::unique_ptr<Connection> conn, std::shared_ptr<Owner> owner) noexcept
      : conn_(std::move(conn)), owner_(std::move(owner)) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      Release();
      conn_ = std::move(other.conn_);
      owner_ = std::move(other.owner_);
    }
    return *this;
  }
  ~Lease() { Release(); }

  Connection* operator->() const noexcept { return conn_.get(); }
  Connection& operator*() const noexcept { return *conn_; }
  explicit operator bool() const noexcept { return conn_ != nullptr; }

 private:
  void Release() noexcept {
    if (conn_ && owner_) owner_->Return(std::move(conn_));
    conn_.reset();
    owner_.reset();
  }
  std::unique_ptr<Connection> conn_;
  std::shared_ptr<Owner> owner_;
};

}  // namespace tenancy::detail

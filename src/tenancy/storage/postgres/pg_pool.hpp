// A bounded pool of connections to one PostgreSQL server (one role).
//
// At most `max_size` connections exist; Acquire waits up to `wait` for one to
// come back, then fails with kUnavailable. Health: a connection that failed
// is dropped on return; one idle for longer than `ping_after` is pinged
// before reuse and replaced when the ping fails.
//
// Thread safety: safe to share between threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/postgres/pg_connection.hpp"

namespace tenancy::pg {

struct PoolOptions {
  std::size_t max_size = 16;
  std::chrono::milliseconds wait{5000};
  std::chrono::seconds ping_after{30};
  std::size_t statement_cache_size = 128;
  // Keep the tenant binding in the session between statements (see
  // pg_connection.hpp); false behind transaction-pooling proxies.
  bool session_binding = true;
};

class PgPool final : public detail::Lease::Owner, public std::enable_shared_from_this<PgPool> {
 public:
  PgPool(std::string conninfo, PoolOptions options)
      : conninfo_(std::move(conninfo)), options_(options) {}

  // A connection bound to the namespace (tenant, schema).
  Result<detail::Lease> Acquire(std::string_view tenant, std::string_view schema);
  // A connection for trusted work (DDL), not bound to a namespace.
  Result<std::unique_ptr<PgConnection>> Take();
  void Return(std::unique_ptr<detail::Connection> conn) noexcept override;
  void Give(std::unique_ptr<PgConnection> conn) noexcept { Return(std::move(conn)); }

  const std::string& conninfo() const noexcept { return conninfo_; }
  std::size_t open_connections() const;

 private:
  const std::string conninfo_;
  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_ = 0;  // idle + leased
};

}  // namespace tenancy::pg

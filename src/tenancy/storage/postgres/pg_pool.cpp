#include "storage/postgres/pg_pool.hpp"

namespace tenancy::pg {

Result<std::unique_ptr<PgConnection>> PgPool::Take() {
  std::unique_ptr<PgConnection> conn;
  {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + options_.wait;
    while (idle_.empty() && open_ >= options_.max_size) {
      if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.max_size)
        return Fail(Errc::kUnavailable, "all " + std::to_string(options_.max_size) +
                                            " PostgreSQL connections are busy");
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserve the slot; opened below, outside the lock
    }
  }
  if (conn) {
    const bool stale = std::chrono::steady_clock::now() - conn->last_used() > options_.ping_after;
    if (conn->Healthy() && (!stale || conn->Ping())) return conn;
    conn.reset();  // replace a dead connection, keeping its slot
  }
  auto opened =
      PgConnection::Open(conninfo_, options_.statement_cache_size, options_.session_binding);
  if (!opened) {
    std::lock_guard lock(mu_);
    --open_;
    returned_.notify_one();
    return opened.error();
  }
  return std::move(*opened);
}

Result<detail::Lease> PgPool::Acquire(std::string_view tenant, std::string_view schema) {
  auto conn = Take();
  if (!conn) return conn.error();
  (*conn)->BindNamespace(tenant, schema);
  return detail::Lease(std::move(*conn), shared_from_this());
}

void PgPool::Return(std::unique_ptr<detail::Connection> conn) noexcept {
  auto* pg = static_cast<PgConnection*>(conn.get());
  if (pg->InTransaction()) (void)pg->Rollback();
  std::unique_ptr<detail::Connection> closing;
  std::lock_guard lock(mu_);
  if (!pg->Healthy() || pg->InTransaction()) {
    closing = std::move(conn);
    --open_;
  } else {
    pg->Unbind();  // never carry a tenant over to the next lease
    idle_.emplace_back(static_cast<PgConnection*>(conn.release()));
  }
  returned_.notify_one();
}

std::size_t PgPool::open_connections() const {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace tenancy::pg

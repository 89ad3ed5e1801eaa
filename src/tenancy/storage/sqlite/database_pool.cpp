#include "storage/sqlite/database_pool.hpp"

namespace tenancy::sqlite {

Result<detail::Lease> DatabaseHandle::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return detail::Lease(std::move(conn), shared_from_this());
    }
  }
  auto opened = SqliteConnection::Open(path_, /*create=*/false, options_);
  if (!opened) return opened.error();
  return detail::Lease(std::move(*opened), shared_from_this());
}

void DatabaseHandle::Adopt(std::unique_ptr<SqliteConnection> conn) noexcept {
  Return(std::move(conn));
}

void DatabaseHandle::Return(std::unique_ptr<detail::Connection> conn) noexcept {
  // A connection left inside a transaction (a failed commit, an exception)
  // is rolled back, or dropped when even that fails.
  if (conn->InTransaction() && (!conn->Rollback() || conn->InTransaction())) return;
  std::unique_ptr<detail::Connection> closing;
  std::lock_guard lock(mu_);
  if (retired_ || idle_.size() >= max_idle_) {
    closing = std::move(conn);  // closed after the lock is released
    return;
  }
  idle_.push_back(std::move(conn));
}

void DatabaseHandle::Retire() noexcept {
  std::vector<std::unique_ptr<detail::Connection>> closing;
  std::lock_guard lock(mu_);
  retired_ = true;
  closing.swap(idle_);
}

Result<std::shared_ptr<DatabaseHandle>> HandleCache::Get(std::string_view key, const Opener& open) {
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
  }
  // Miss: open (and check) the database without holding the lock, so one
  // slow open does not stall every other tenant.
  auto opened = open();
  if (!opened) return opened.error();
  std::shared_ptr<DatabaseHandle> evicted;
  std::shared_ptr<DatabaseHandle> handle;
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      handle = it->second->second;  // another thread won the race
    } else {
      handle = std::make_shared<DatabaseHandle>(opened->path, options_, max_idle_);
      order_.emplace_front(std::string(key), handle);
      index_.emplace(std::string(key), order_.begin());
      if (order_.size() > capacity_) {
        evicted = std::move(order_.back().second);
        index_.erase(order_.back().first);
        order_.pop_back();
        ++evictions_;
      }
    }
  }
  handle->Adopt(std::move(opened->conn));
  if (evicted) evicted->Retire();
  return handle;
}

void HandleCache::Erase(std::string_view key) noexcept {
  std::shared_ptr<DatabaseHandle> gone;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    gone = std::move(it->second->second);
    order_.erase(it->second);
    index_.erase(it);
  }
  gone->Retire();
}

std::size_t HandleCache::size() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

std::size_t HandleCache::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

}  // namespace tenancy::sqlite

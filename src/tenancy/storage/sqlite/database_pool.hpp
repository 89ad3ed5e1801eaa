// Open SQLite databases: a small connection pool per file, and a bounded LRU
// of those pools for the database-per-tenant model.
//
// Thread safety: both classes are safe to share between threads.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/string_map.hpp"
#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::sqlite {

// The connections of one database file. Hands out Leases; keeps up to
// `max_idle` returned connections for reuse. Once retired (evicted from the
// LRU or dropped), returned connections are closed instead of kept.
class DatabaseHandle final : public detail::Lease::Owner,
                             public std::enable_shared_from_this<DatabaseHandle> {
 public:
  DatabaseHandle(std::string path, ConnectionOptions options, std::size_t max_idle)
      : path_(std::move(path)), options_(options), max_idle_(max_idle) {}

  // A connection to the file; opens one when none is idle. The file must
  // exist (kTenantUnknown otherwise).
  Result<detail::Lease> Acquire();
  // Adds an already open connection to the idle set.
  void Adopt(std::unique_ptr<SqliteConnection> conn) noexcept;
  void Return(std::unique_ptr<detail::Connection> conn) noexcept override;
  // Closes the idle connections; later returns close theirs.
  void Retire() noexcept;

  const std::string& path() const noexcept { return path_; }

 private:
  const std::string path_;
  const ConnectionOptions options_;
  const std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<detail::Connection>> idle_;
  bool retired_ = false;
};

// At most `capacity` DatabaseHandles, least recently used evicted first.
class HandleCache {
 public:
  // Opens and checks a database on a miss; runs outside the cache's lock.
  // Handles are cached by a caller's key (a tenant id), so a hit builds no
  // path: the opener names the file only on a miss.
  struct Opened {
    std::unique_ptr<SqliteConnection> conn;
    std::string path;
  };
  using Opener = std::function<Result<Opened>()>;

  HandleCache(std::size_t capacity, ConnectionOptions options, std::size_t max_idle)
      : capacity_(capacity == 0 ? 1 : capacity), options_(options), max_idle_(max_idle) {}

  Result<std::shared_ptr<DatabaseHandle>> Get(std::string_view key, const Opener& open);
  // Forgets and retires the handle of `key`, if open.
  void Erase(std::string_view key) noexcept;

  std::size_t size() const;
  std::size_t evictions() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<DatabaseHandle>>;
  const std::size_t capacity_;
  const ConnectionOptions options_;
  const std::size_t max_idle_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // front: most recently used
  StringMap<std::list<Entry>::iterator> index_;
  std::size_t evictions_ = 0;
};

}  // namespace tenancy::sqlite

// Persistence of configuration versions in their own SQLite file (WAL):
// one append-only table, one row per version of a scope.
//
// Thread safety: none; ConfigImpl serializes access.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/config.hpp"

namespace tenancy::detail::config {

// A stored version, JSON still as text.
struct VersionRow {
  ConfigScope scope;
  std::int64_t version = 0;
  std::string author;
  std::int64_t at_ms = 0;
  std::string patch;
  std::string document;
  std::optional<std::int64_t> rollback_of;
  std::string tier;  // tenant scopes: the tenant's tier when written
};

class ConfigDb {
 public:
  static Result<std::unique_ptr<ConfigDb>> Open(const std::string& path);

  // The newest version of every scope.
  Result<std::vector<VersionRow>> LoadLatest();
  // The newest version of one scope, if any.
  Result<std::optional<VersionRow>> Latest(const ConfigScope& scope);
  Result<std::optional<VersionRow>> Get(const ConfigScope& scope, std::int64_t version);
  // Oldest first.
  Result<std::vector<VersionRow>> History(const ConfigScope& scope);
  // kConflict when the (scope, version) exists already.
  Result<void> Insert(const VersionRow& row);

  Result<void> Begin() { return conn_->Begin(); }
  Result<void> Commit() { return conn_->Commit(); }
  void Rollback() noexcept { (void)conn_->Rollback(); }

 private:
  explicit ConfigDb(std::unique_ptr<sqlite::SqliteConnection> conn) : conn_(std::move(conn)) {}
  std::unique_ptr<sqlite::SqliteConnection> conn_;
};

// Converts a stored row (JSON text) to the public form. kDataCorrupted when
// the JSON does not parse or is not an object.
Result<ConfigVersion> ToVersion(const VersionRow& row);

}  // namespace tenancy::detail::config

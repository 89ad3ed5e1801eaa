// Persistence of the directory in the control-plane SQLite database.
//
// Thread safety: none; the directory serializes access.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/directory.hpp"

namespace tenancy {

class ControlDb {
 public:
  static Result<std::unique_ptr<ControlDb>> Open(const std::string& path);

  Result<std::vector<Tenant>> LoadAll();
  Result<void> Insert(const Tenant& t);
  // Writes every mutable field of `t` where the stored revision is
  // `t.revision - 1`; kConflict if it moved meanwhile.
  Result<void> Save(const Tenant& t);
  Result<void> RecordTransition(const Tenant& t, TenantState from, std::string_view reason);
  // Save (or, for a new tenant, Insert) and RecordTransition in one commit.
  Result<void> SaveTransition(const Tenant& t, TenantState from, std::string_view reason,
                              bool insert = false);
  Result<TenantPage> List(const TenantFilter& filter);
  Result<std::vector<Directory::Transition>> History(const TenantId& id);

  sqlite::SqliteConnection& connection() noexcept { return *conn_; }

 private:
  explicit ControlDb(std::unique_ptr<sqlite::SqliteConnection> conn) : conn_(std::move(conn)) {}
  std::unique_ptr<sqlite::SqliteConnection> conn_;
};

}  // namespace tenancy

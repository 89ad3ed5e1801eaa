// Engine-level access to ONE tenant's namespace as plain rows, for backup
// and restore (ops/backup_*.cpp). Not for application code: values go in
// and out as stored (encrypted columns stay ciphertext), bypassing the
// repositories' sealing — the tenant confinement is kept (every statement
// names the tenant, and only its namespace is opened).
//
// Thread safety: a reader or writer is one unit of work on one leased
// connection; use it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tenancy/result.hpp"
#include "tenancy/store.hpp"
#include "tenancy/tenant.hpp"
#include "tenancy/value.hpp"

namespace tenancy::detail {

struct DumpColumn {
  std::string name{};
  std::string type{};  // declared type as the engine reports it
  bool not_null = false;
  int key = 0;  // position in the primary key after tenant_id; 0: not a key
};

struct DumpTable {
  std::string name{};
  std::vector<DumpColumn> columns{};  // tenant_id left out, in table order
};

// Receives one row's values (tenant_id left out), valid during the call.
class DumpRowSink {
 public:
  virtual Result<void> OnRow(std::span<const Param> values) = 0;

 protected:
  ~DumpRowSink() = default;
};

// One read transaction (one snapshot) over the tenant's namespace: every
// table and row read through it is from the same moment.
class DumpReader {
 public:
  virtual ~DumpReader();
  // The namespace's migration version.
  virtual int schema_version() const noexcept = 0;
  // The tenant tables of the namespace (library tables left out).
  virtual const std::vector<DumpTable>& tables() const noexcept = 0;
  // Streams the tenant's rows of tables()[table], in primary-key order.
  // Returns the number of rows; the sink's error stops and is returned.
  virtual Result<std::uint64_t> ReadRows(std::size_t table, DumpRowSink& sink) = 0;
};

// One write transaction in the tenant's namespace. Nothing is visible to
// others before Commit; destroying an uncommitted writer rolls back.
class DumpWriter {
 public:
  virtual ~DumpWriter();
  virtual int schema_version() const noexcept = 0;
  // Deletes every row of the tenant in every table (restore over it).
  virtual Result<void> Clear() = 0;
  // Selects the table Insert writes to. kMigrationFailed when the table or
  // one of `table.columns` does not exist in this namespace.
  virtual Result<void> Table(const DumpTable& table) = 0;
  // Inserts one row of the selected table for the tenant; `values` are in
  // the order of the DumpTable's columns. kConflict on a duplicate key —
  // possibly from a later Insert, Table or Commit: rows may be written in
  // batches (the values are copied when they are kept).
  virtual Result<void> Insert(std::span<const Param> values) = 0;
  virtual Result<void> Commit() = 0;
};

// The entry point; Store's friend, so it can lease connections.
class TenantDump {
 public:
  // kTenantUnknown when the namespace does not exist; kUnimplemented for an
  // engine without dump support.
  static Result<std::unique_ptr<DumpReader>> Read(Store& store, const Tenant& tenant);
  static Result<std::unique_ptr<DumpWriter>> Write(Store& store, const Tenant& tenant);
  // Write for a namespace created moments ago, still empty and out of
  // traffic (a restore's new tenant): where the engine can, the rows are
  // built aside and the namespace is replaced whole at Commit — much less
  // I/O than a transaction in the live namespace, with the same all or
  // nothing. Clear is not available on such a writer.
  static Result<std::unique_ptr<DumpWriter>> Load(Store& store, const Tenant& tenant);
};

}  // namespace tenancy::detail

#include "storage/tenant_dump.hpp"

#include "storage/sqlite/sqlite_dump.hpp"

namespace tenancy::detail {

DumpReader::~DumpReader() = default;
DumpWriter::~DumpWriter() = default;

Result<std::unique_ptr<DumpReader>> TenantDump::Read(Store& store, const Tenant& tenant) {
  if (store.engine() != "sqlite")
    return Fail(Errc::kUnimplemented, "backup is not supported on the " +
                                          std::string(store.engine()) + " engine yet");
  auto lease = store.Acquire(tenant);
  if (!lease) return lease.error();
  return sqlite::OpenDumpReader(std::move(*lease), tenant);
}

Result<std::unique_ptr<DumpWriter>> TenantDump::Write(Store& store, const Tenant& tenant) {
  if (store.engine() != "sqlite")
    return Fail(Errc::kUnimplemented, "restore is not supported on the " +
                                          std::string(store.engine()) + " engine yet");
  auto lease = store.Acquire(tenant);
  if (!lease) return lease.error();
  return sqlite::OpenDumpWriter(std::move(*lease), tenant);
}

}  // namespace tenancy::detail

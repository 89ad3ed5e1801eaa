// tenancy/reencrypt.hpp — moving a tenant's encrypted values to its newest key.
//
// After `Keyring::Rotate`, values sealed under older versions still open; a
// re-encryption run re-seals them under the primary version, batch by batch,
// each batch in its own transaction. Progress (a keyset cursor and counts)
// is saved in the control-plane database after every batch, so a run that
// crashed or was stopped resumes where it was; a batch redone after a crash
// skips rows already under the primary version. Writers are never blocked
// and never overwritten: a row changed after it was read is left alone (it
// was sealed under the primary key by its writer anyway).
//
// Thread safety: safe to share; runs for different (tenant, table) pairs may
// proceed in parallel, one run per pair at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tenancy/context.hpp"
#include "tenancy/entity.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/store.hpp"

namespace tenancy {

struct ReencryptProgress {
  std::string table{};
  int target_version = 0;       // the tenant's primary key version
  std::int64_t rows_seen = 0;   // rows visited so far in this run
  std::int64_t rows_rewritten = 0;
  bool done = false;
};

class TENANCY_EXPORT Reencryptor {
 public:
  // Keeps progress in the control-plane database at `control_db_path`.
  // REQUIRES: `store` (with a field cipher) outlives the reencryptor.
  static Result<std::unique_ptr<Reencryptor>> Open(const std::string& control_db_path, Store& store);
  ~Reencryptor();

  // Re-seals `entity`'s encrypted columns for the context's tenant.
  // `keep_going` is asked after every batch (with the progress so far);
  // returning false stops the run, to be resumed by a later call.
  Result<ReencryptProgress> Run(const TenantContext& ctx, const EntitySchema& entity,
                                std::size_t batch_size = 500,
                                const std::function<bool(const ReencryptProgress&)>& keep_going = {});

  // The saved progress of the last run for (tenant, table), if any.
  Result<ReencryptProgress> Progress(const TenantId& tenant, std::string_view table) const;

 private:
  struct Impl;
  explicit Reencryptor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

// Tenants' flag documents on disk: <data>/flags/<tenant id>.json (and
// platform.json for the platform's set), so flags set through the API
// survive a restart. Each file holds the flagd document exactly as
// accepted; it is written to a temporary file, flushed and renamed over
// the old one, so a crash leaves either the old or the new document.
//
// Thread safety: Save/Remove of one tenant must not race with each other
// (the API's handlers serialize them with a mutex); Load runs at start-up.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "tenancy/flags.hpp"
#include "tenancy/tenant.hpp"

namespace tenancyd {

class FlagFiles {
 public:
  // `dir` is created (0700) on first Save.
  explicit FlagFiles(std::string dir) : dir_(std::move(dir)) {}

  // Loads every document under the directory into `store` (strict
  // validation). A document that no longer loads is skipped and reported
  // in the error; the others are loaded.
  tenancy::Result<void> LoadInto(tenancy::FlagStore& store, const tenancy::FlagSetOptions& options);

  // The tenant's stored document, or nullopt.
  tenancy::Result<std::optional<std::string>> Read(const tenancy::TenantId& tenant) const;
  tenancy::Result<void> Save(const tenancy::TenantId& tenant, const std::string& document);
  tenancy::Result<void> Remove(const tenancy::TenantId& tenant);

  // Serializes a tenant's read-validate-save-publish sequence.
  std::mutex& mutex() noexcept { return mu_; }

 private:
  std::string PathOf(const tenancy::TenantId& tenant) const;
  std::string dir_;
  std::mutex mu_;
};

}  // namespace tenancyd

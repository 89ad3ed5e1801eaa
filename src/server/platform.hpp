// The library objects tenancyd composes, opened together from one data
// directory, in dependency order:
//
//   <data>/master.key  → KeyProvider (created 0600 on first start when the
//                        default path is used; an explicit path must exist)
//   <data>/control.db  → Keyring, Directory, Authenticator, RoleCatalog
//   store URL          → Store (default sqlite://<data>), sealing encrypted
//                        columns through the Keyring
//   TenantResolver over the Directory
//
// This is the only place the server names storage; the rest speaks to the
// library's interfaces.
//
// Thread safety: every object here is safe to share between threads.
#pragma once

#include <memory>
#include <string>

#include "tenancy/auth.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/resolve.hpp"
#include "tenancy/store.hpp"

namespace tenancyd {

struct PlatformOptions {
  // Data directory (created 0700 if missing). Default "./data".
  std::string data_dir = "./data";
  // Store URL; empty: "sqlite://<data_dir>".
  std::string store_url{};
  // PostgreSQL migration role (StoreOptions::admin_url); empty: none.
  std::string store_admin_url{};
  // Master key file; empty: "<data_dir>/master.key", created if missing.
  std::string master_key_file{};
  // Tenants are served at "<slug>.<base_domain>"; empty: no subdomains
  // (custom domains, the X-Tenant header and /t/{slug} still resolve).
  std::string base_domain{};
  // Issuer (`iss`) of access tokens. Default "tenancyd".
  std::string issuer = "tenancyd";
  // The time source. Never null; must outlive the platform.
  tenancy::Clock* clock = &tenancy::SystemClock();
};

class Platform {
 public:
  // Errors from each component, e.g. kPermissionDenied for a master key
  // file readable by others, kMigrationFailed for a store ahead of us.
  static tenancy::Result<std::unique_ptr<Platform>> Open(PlatformOptions options);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  const PlatformOptions& options() const noexcept { return options_; }
  tenancy::Store& store() noexcept { return *store_; }
  tenancy::Directory& directory() noexcept { return *directory_; }
  tenancy::Keyring& keyring() noexcept { return *keyring_; }
  tenancy::Authenticator& auth() noexcept { return *auth_; }
  const tenancy::RoleCatalog& roles() const noexcept { return *roles_; }
  const tenancy::TenantResolver& resolver() const noexcept { return *resolver_; }

 private:
  Platform() = default;
  PlatformOptions options_;
  std::unique_ptr<tenancy::KeyProvider> keys_;
  std::unique_ptr<tenancy::Keyring> keyring_;
  std::unique_ptr<tenancy::FieldCipher> cipher_;
  std::unique_ptr<tenancy::Store> store_;
  std::unique_ptr<tenancy::Directory> directory_;
  std::unique_ptr<tenancy::Authenticator> auth_;
  std::unique_ptr<tenancy::RoleCatalog> roles_;
  std::unique_ptr<tenancy::TenantResolver> resolver_;
};

}  // namespace tenancyd

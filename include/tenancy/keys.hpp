// tenancy/keys.hpp — the key hierarchy: master key → per-tenant data keys.
//
//   KeyProvider ── master keys (KEK): a 0600 key file, an environment
//        │         variable, or your KMS behind this interface
//        ▼ wraps (XChaCha20-Poly1305, AD = tenant id + version)
//   Keyring ────── per-tenant data keys (DEK), versioned, stored wrapped in the
//        │         control-plane database; one version is primary
//        ▼ seals (XChaCha20-Poly1305, AD = tenant, table, column, row key)
//   FieldCipher ── encrypted columns of repositories
//
// Rotation: `Keyring::Rotate` adds a primary version; older versions still
// open what they sealed until re-encryption moves the rows (reencrypt.hpp).
// Master rotation (`RewrapAll`, with `Authenticator::RewrapSigningKeys`)
// re-wraps keys without touching data; `CountMasterKeyUses` says when an
// old master key is no longer needed.
// Offboarding calls `Destroy`, which deletes every version of a tenant's
// data key and scrubs it from the database file: whatever the tenant stored
// encrypted — copies and backups included — can no longer be opened.
//
// Nothing here logs or returns key bytes in errors; key material lives in
// SecretBytes (guarded, wiped memory).
//
// Thread safety: providers, Keyring and FieldCipher are safe to share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/secret.hpp"
#include "tenancy/tenant.hpp"
#include "tenancy/value.hpp"

namespace tenancy {

inline constexpr std::size_t kKeyBytes = 32;

// A master key: an id (recorded beside everything it wraps) and 32 bytes.
struct MasterKey {
  std::string id{};
  SecretBytes key{};
};

class TENANCY_EXPORT KeyProvider {
 public:
  virtual ~KeyProvider();
  // The master key new data keys are wrapped under.
  virtual Result<std::shared_ptr<const MasterKey>> Current() const = 0;
  // A master key by id, to unwrap data keys wrapped before a rotation.
  // kNotFound if the provider no longer has it.
  virtual Result<std::shared_ptr<const MasterKey>> Get(std::string_view id) const = 0;
  // The ids of every key the provider holds, when it can tell (the key file
  // and environment providers can); empty otherwise.
  virtual std::vector<std::string> Ids() const { return {}; }
};

// Key file: one key per line, "<id>:<base64 of 32 bytes>"; the last line is
// current, earlier lines stay for unwrapping. The file must be a regular
// file owned by this process's user with mode 0600 or stricter; otherwise
// kPermissionDenied (a key readable by others is a leaked key).
TENANCY_EXPORT Result<std::unique_ptr<KeyProvider>> OpenKeyFile(const std::string& path);

// Creates `path` (mode 0600, refusing to overwrite) holding one new random
// key named `id`, or appends a new current key when `append` is true.
TENANCY_EXPORT Result<void> WriteNewMasterKey(const std::string& path, std::string_view id,
                                              bool append = false);

// Removes the key `id` from the file (atomically: a new file renamed over
// it). kFailedPrecondition for the current key, kNotFound when absent.
// Remove a key only when nothing depends on it any more
// (`CountMasterKeyUses`), or what it wraps can no longer be opened.
TENANCY_EXPORT Result<void> RemoveMasterKey(const std::string& path, std::string_view id);

// Keys from an environment variable: "<id>:<base64>[,<id>:<base64>...]",
// last current. The variable is read once, at this call.
TENANCY_EXPORT Result<std::unique_ptr<KeyProvider>> KeysFromEnvironment(
    const char* variable = "TENANCY_MASTER_KEY");

// What still depends on one master key. An old master key may leave the
// provider once nothing depends on it (see docs/keys.md, "Master key
// rotation").
struct MasterKeyUse {
  std::size_t data_keys = 0;     // Keyring: wrapped data keys
  std::size_t signing_keys = 0;  // Authenticator: wrapped token-signing keys
  std::size_t api_keys = 0;      // Authenticator: live API keys hashed under it
  std::size_t total() const noexcept { return data_keys + signing_keys + api_keys; }
};
// By master key id.
using MasterKeyUses = std::map<std::string, MasterKeyUse, std::less<>>;

// The versions of one tenant's data key.
struct DataKeyInfo {
  int version = 0;
  bool primary = false;
  std::string master_key_id{};  // the master key it is wrapped under
  TimePoint created_at{};
};

class TENANCY_EXPORT Keyring {
 public:
  // Opens the key table in the control-plane database at `path` (the
  // directory's file). REQUIRES: `provider` and `clock` outlive the keyring.
  static Result<std::unique_ptr<Keyring>> Open(const std::string& path, const KeyProvider& provider,
                                               Clock& clock = SystemClock());
  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // Creates version 1 for a new tenant; idempotent (returns the primary).
  Result<int> Create(const TenantId& tenant);
  // Adds a new primary version; returns it.
  Result<int> Rotate(const TenantId& tenant);
  // Re-wraps every data key of every tenant under the provider's current
  // master key. Data is untouched. Returns the number of keys re-wrapped.
  Result<std::size_t> RewrapAll();
  // Adds the number of data keys wrapped under each master key to `uses`.
  Result<void> CountMasterKeyUses(MasterKeyUses& uses) const;
  // Crypto-shredding: deletes every version of the tenant's data key, then
  // scrubs the freed pages and the WAL. Idempotent.
  Result<void> Destroy(const TenantId& tenant);

  Result<std::vector<DataKeyInfo>> List(const TenantId& tenant) const;
  Result<int> PrimaryVersion(const TenantId& tenant) const;

  // -- for FieldCipher --
  // The unwrapped key of `version` (0: the primary), from a bounded cache
  // whose entries are re-read after 30 seconds, so a Destroy or Rotate made
  // by another process on the same control database takes effect here
  // within that time (in this process: at once).
  // kNotFound when the tenant has no such key (destroyed, or never made).
  // `tenant` is a tenant id's text (no TenantId, so the hot path allocates
  // nothing).
  Result<std::shared_ptr<const SecretBytes>> Unwrap(std::string_view tenant, int version,
                                                    int* resolved_version = nullptr) const;

 private:
  struct Impl;
  explicit Keyring(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where a sealed value belongs; bound into the ciphertext as associated
// data, so a value moved to another tenant, table, column or row fails to
// open.
struct FieldAddress {
  std::string_view tenant_id{};
  std::string_view table{};
  std::string_view column{};
  BlobView row_key{};  // canonical encoding of the row's key (EncodeRowKey)
};

// Field encryption: ciphertext = format (1 byte, 1) ‖ key version (4 bytes,
// big-endian) ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305 sealed data.
class TENANCY_EXPORT FieldCipher {
 public:
  static constexpr std::uint8_t kFormat = 1;
  static constexpr std::size_t kOverhead = 1 + 4 + 24 + 16;

  explicit FieldCipher(const Keyring& keyring) : keyring_(keyring) {}

  // Seals under the tenant's primary key.
  Result<Blob> Seal(const FieldAddress& at, BlobView plaintext) const;
  // Opens. kDataCorrupted when the value was altered or moved to another
  // tenant, table, column or row; kFailedPrecondition when its key version no
  // longer exists (the tenant was crypto-shredded).
  Result<Blob> Open(const FieldAddress& at, BlobView sealed) const;
  // The key version a sealed value names, or kDataCorrupted.
  static Result<int> VersionOf(BlobView sealed);

  const Keyring& keyring() const noexcept { return keyring_; }

 private:
  const Keyring& keyring_;
};

// The canonical bytes of a row key (for FieldAddress::row_key).
TENANCY_EXPORT Blob EncodeRowKey(std::span<const Param> key);

}  // namespace tenancy

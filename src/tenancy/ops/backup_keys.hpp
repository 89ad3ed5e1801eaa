// Key material of a backup: the tenant's data keys read as the keyring
// stores them (wrapped), unwrapped again on restore, and the opening of
// field ciphertext with such a key (to re-seal it under the target
// tenant's key).
//
// The wrapping and field formats are the keyring's and FieldCipher's
// (docs/keys.md); they are restated here because those keep their helpers
// private. The round-trip tests in tests/ops/backup_test.cpp fail if the two
// ever drift apart.
#pragma once

#include <string>
#include <vector>

#include "ops/backup_format.hpp"
#include "tenancy/keys.hpp"

namespace tenancy::ops::backup {

// Every version of the tenant's data key, from the keyring's table in the
// control database at `path`, oldest first.
Result<std::vector<WrappedKey>> ReadWrappedKeys(const std::string& path, const TenantId& tenant);

// Unwraps a data key of `tenant` with the master key it names. Errors:
// kFailedPrecondition when the provider lacks that master key or it does not
// open the key (another master key of the same name).
Result<SecretBytes> UnwrapDataKey(const KeyProvider& provider, std::string_view tenant,
                                  const WrappedKey& key);

// The key version a field ciphertext names, or 0 when `value` cannot be one.
int SealedVersion(BlobView value) noexcept;

// Opens a field ciphertext sealed with `key` at `at`; kDataCorrupted when it
// does not authenticate (then it is not a ciphertext of that address).
Result<Blob> OpenSealed(const SecretBytes& key, const FieldAddress& at, BlobView sealed);

}  // namespace tenancy::ops::backup

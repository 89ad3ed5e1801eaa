// Wrapping secrets under a master key: nonce (24) ‖ XChaCha20-Poly1305(secret),
// with associated data naming what the secret is for, so a wrapped key cannot
// be swapped for another.
#pragma once

#include <string>
#include <string_view>

#include "tenancy/keys.hpp"

namespace tenancy::crypto {

// The associated data of a tenant's data key `version`, wrapped under a
// master key (the keyring writes it; restore re-opens backed-up keys with it).
inline std::string DataKeyWrapAd(std::string_view tenant, int version) {
  return "tenancy.dek.v1\x1f" + std::string(tenant) + "\x1f" + std::to_string(version);
}

Blob WrapSecret(std::span<const unsigned char> secret, const MasterKey& kek, std::string_view ad);

// kDataCorrupted when `wrapped` is not `size` bytes sealed under `kek` for `ad`.
Result<SecretBytes> UnwrapSecret(BlobView wrapped, const MasterKey& kek, std::string_view ad,
                                 std::size_t size);

// A master-key rotation step: `wrapped`, sealed for `ad` under the
// provider's key `from`, sealed again under `to`. The errors of
// KeyProvider::Get (kNotFound: the provider no longer has `from`) and of
// UnwrapSecret.
Result<Blob> RewrapSecret(BlobView wrapped, const KeyProvider& keys, std::string_view from,
                          const MasterKey& to, std::string_view ad, std::size_t size);

}  // namespace tenancy::crypto

#include "crypto/wrap.hpp"

#include <sodium.h>

namespace tenancy::crypto {
namespace {
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
}  // namespace

Blob WrapSecret(std::span<const unsigned char> secret, const MasterKey& kek, std::string_view ad) {
  Blob out(kNonce + secret.size() + kTag);
  randombytes_buf(out.data(), kNonce);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonce, &len, secret.data(), secret.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, out.data(), kek.key.data());
  return out;
}

Result<SecretBytes> UnwrapSecret(BlobView wrapped, const MasterKey& kek, std::string_view ad,
                                 std::size_t size) {
  if (wrapped.size() != kNonce + size + kTag)
    return Fail(Errc::kDataCorrupted, "a wrapped key has the wrong size");
  SecretBytes secret(size);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          secret.data(), &len, nullptr, wrapped.data() + kNonce, wrapped.size() - kNonce,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), wrapped.data(),
          kek.key.data()) != 0)
    return Fail(Errc::kDataCorrupted, "a wrapped key fails to unwrap under its master key");
  return secret;
}

Result<Blob> RewrapSecret(BlobView wrapped, const KeyProvider& keys, std::string_view from,
                          const MasterKey& to, std::string_view ad, std::size_t size) {
  auto old = keys.Get(from);
  if (!old) return old.error();
  auto secret = UnwrapSecret(wrapped, **old, ad, size);
  if (!secret) return secret.error();
  return WrapSecret(secret->bytes(), to, ad);
}

}  // namespace tenancy::crypto

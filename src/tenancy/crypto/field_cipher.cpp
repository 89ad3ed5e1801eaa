#include <sodium.h>

#include <boost/container/small_vector.hpp>

#include <cstring>

#include "crypto/field_ad.hpp"
#include "tenancy/keys.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kHeader = 1 + 4;
using AdBuffer = crypto::FieldAdBuffer;
using crypto::BuildFieldAd;

}  // namespace

Result<Blob> FieldCipher::Seal(const FieldAddress& at, BlobView plaintext) const {
  int version = 0;
  auto key = keyring_.Unwrap(at.tenant_id, 0, &version);
  if (!key) return key.error();
  AdBuffer ad;
  BuildFieldAd(at, ad);
  Blob out(kOverhead + plaintext.size());
  out[0] = kFormat;
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(version) >> (8 * (3 - i)));
  unsigned char* nonce = out.data() + kHeader;
  randombytes_buf(nonce, kNonce);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kHeader + kNonce, &len, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr, nonce,
                                             (*key)->data());
  return out;
}

Result<int> FieldCipher::VersionOf(BlobView sealed) {
  if (sealed.size() < kOverhead || sealed[0] != kFormat)
    return Fail(Errc::kDataCorrupted, "not a tenancy ciphertext (format or length)");
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | sealed[1 + i];
  if (v == 0 || v > 1'000'000) return Fail(Errc::kDataCorrupted, "ciphertext names no key version");
  return static_cast<int>(v);
}

Result<Blob> FieldCipher::Open(const FieldAddress& at, BlobView sealed) const {
  auto version = VersionOf(sealed);
  if (!version) return version.error();
  auto key = keyring_.Unwrap(at.tenant_id, *version);
  if (!key) {
    if (key.error().code == Errc::kNotFound)
      return Fail(Errc::kFailedPrecondition,
                  "the data key this value was sealed with no longer exists (crypto-shredded)");
    return key.error();
  }
  AdBuffer ad;
  BuildFieldAd(at, ad);
  Blob out(sealed.size() - kOverhead);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &len, nullptr, sealed.data() + kHeader + kNonce,
          sealed.size() - kHeader - kNonce, ad.data(), ad.size(), sealed.data() + kHeader,
          (*key)->data()) != 0)
    return Fail(Errc::kDataCorrupted,
                "encrypted value fails authentication: altered, or moved from another tenant, "
                "table, column or row");
  return out;
}

Blob EncodeRowKey(std::span<const Param> key) {
  Blob out;
  for (const auto& p : key) {
    out.push_back(static_cast<std::uint8_t>("nirtb"[p.index()]));
    std::string_view bytes;
    std::uint64_t number = 0;
    switch (p.index()) {
      case 1: number = static_cast<std::uint64_t>(std::get<1>(p)); break;
      case 2: std::memcpy(&number, &std::get<2>(p), sizeof number); break;
      case 3: bytes = std::get<3>(p); break;
      case 4: bytes = {reinterpret_cast<const char*>(std::get<4>(p).data()), std::get<4>(p).size()}; break;
      default: break;
    }
    if (p.index() == 1 || p.index() == 2) {
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(number >> (8 * i)));
    } else if (p.index() == 3 || p.index() == 4) {
      const auto n = static_cast<std::uint32_t>(bytes.size());
      for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
      out.insert(out.end(), bytes.begin(), bytes.end());
    }
  }
  return out;
}

}  // namespace tenancy

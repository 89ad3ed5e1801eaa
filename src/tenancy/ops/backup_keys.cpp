#include "ops/backup_keys.hpp"

#include <sodium.h>

#include "crypto/field_ad.hpp"
#include "crypto/wrap.hpp"
#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::ops::backup {
namespace {

constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kHeader = 1 + 4;  // format, key version

using crypto::DataKeyWrapAd;

struct KeyRows final : detail::RowSink {
  std::vector<WrappedKey> keys;
  bool OnRow(const RowView& r) override {
    WrappedKey k;
    k.version = static_cast<int>(r.Int(0));
    auto b = r.Bytes(1);
    k.wrapped.assign(b.begin(), b.end());
    k.master_key_id = r.Text(2);
    k.primary = r.Int(3) != 0;
    k.created_at = r.Int(4);
    keys.push_back(std::move(k));
    return true;
  }
};

}  // namespace

Result<std::vector<WrappedKey>> ReadWrappedKeys(const std::string& path, const TenantId& tenant) {
  auto db = sqlite::SqliteConnection::Open(path, /*create=*/false, sqlite::ConnectionOptions{});
  if (!db) {
    if (db.error().code == Errc::kTenantUnknown)
      return Fail(Errc::kInvalidArgument, "the keyring's control database does not exist");
    return db.error();
  }
  KeyRows rows;
  const Param id[] = {std::string_view(tenant.str())};
  if (auto r = (*db)->Run("SELECT version, wrapped, master_key_id, is_primary, created_at FROM "
                          "main.tenancy_data_keys WHERE tenant_id = ? ORDER BY version",
                          id, &rows);
      !r)
    return r.error();
  return std::move(rows.keys);
}

Result<SecretBytes> UnwrapDataKey(const KeyProvider& provider, std::string_view tenant,
                                  const WrappedKey& key) {
  auto kek = provider.Get(key.master_key_id);
  if (!kek)
    return Fail(Errc::kFailedPrecondition, "the backup's data keys are wrapped under master key '" +
                                               key.master_key_id +
                                               "', which this instance does not have");
  auto dek = crypto::UnwrapSecret(key.wrapped, **kek, DataKeyWrapAd(tenant, key.version), kKeyBytes);
  if (!dek)
    return Fail(Errc::kFailedPrecondition, "the backup's data key version " +
                                               std::to_string(key.version) +
                                               " does not unwrap under master key '" +
                                               key.master_key_id + "' of this instance");
  return std::move(*dek);
}

int SealedVersion(BlobView value) noexcept {
  if (value.size() < FieldCipher::kOverhead || value[0] != FieldCipher::kFormat) return 0;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | value[1 + static_cast<std::size_t>(i)];
  return v == 0 || v > 1'000'000 ? 0 : static_cast<int>(v);
}

Result<Blob> OpenSealed(const SecretBytes& key, const FieldAddress& at, BlobView sealed) {
  if (SealedVersion(sealed) == 0) return Fail(Errc::kDataCorrupted, "not a field ciphertext");
  crypto::FieldAdBuffer ad;
  crypto::BuildFieldAd(at, ad);
  Blob out(sealed.size() - FieldCipher::kOverhead);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &len, nullptr, sealed.data() + kHeader + kNonce,
          sealed.size() - kHeader - kNonce, ad.data(), ad.size(), sealed.data() + kHeader,
          key.data()) != 0)
    return Fail(Errc::kDataCorrupted, "the value does not open with the backup's key");
  return out;
}

}  // namespace tenancy::ops::backup

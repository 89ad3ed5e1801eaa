// The Authenticator's state, shared by its API-key and token halves.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/string_map.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/auth.hpp"

namespace tenancy {

struct Authenticator::Impl {
  AuthOptions options;
  Directory* directory = nullptr;
  const KeyProvider* keys = nullptr;

  std::mutex db_mu;  // every use of `db`
  std::unique_ptr<sqlite::SqliteConnection> db;

  // -- API keys --
  struct CachedKey {
    std::string tenant;  // tenant id or "platform"
    std::array<unsigned char, 32> hash{};
    std::shared_ptr<const SecretBytes> hash_key;  // subkey of the master key
    std::string master_key_id;                    // the one `hash_key` derives from
    // Set when `master_key_id` was not the current master key at load: the
    // first successful use re-hashes the key under the current one.
    std::atomic<bool> rehash{false};
    std::shared_ptr<const Authenticated> who;
    bool revoked = false;
    TimePoint loaded_at{};
    std::atomic<std::int64_t> last_flush_ms{0};
    // The secret's text as first presented and verified, hashed under
    // `text_hash_key`: a later request presenting the same text is checked
    // against it, without decoding the base64 (libsodium's constant-time
    // decoder costs more than the hash). Any other text takes the full path.
    // State: 0 none, 1 being written (by the one thread that won), 2 set.
    std::atomic<int> text_hash_state{0};
    std::array<unsigned char, 32> text_hash{};
  };
  // A per-process random key for CachedKey::text_hash.
  const SecretBytes text_hash_key = SecretBytes::Random(32);
  mutable std::shared_mutex keys_mu;
  StringMap<std::shared_ptr<CachedKey>> api_keys;
  std::mutex subkeys_mu;
  std::map<std::string, std::shared_ptr<const SecretBytes>> hash_subkeys;  // by master key id

  // -- tokens --
  struct SigningKey {
    std::string kid;
    TenantId tenant;
    std::array<unsigned char, 32> public_key{};
    std::shared_ptr<const SecretBytes> secret;  // loaded for the current key only
    bool current = false;
    bool retired = false;
    TimePoint loaded_at{};
  };
  mutable std::shared_mutex signing_mu;
  StringMap<std::shared_ptr<const SigningKey>> signing_by_kid;

  using TokenDigest = std::array<unsigned char, 16>;
  struct DigestHash {
    std::size_t operator()(const TokenDigest& d) const noexcept {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct CachedToken {
    std::shared_ptr<const Authenticated> who;
    std::string kid;
    std::int64_t nbf = 0, exp = 0;  // seconds
    std::uint64_t generation = 0;
    TimePoint verified_at{};
  };
  mutable std::shared_mutex tokens_mu;
  std::unordered_map<TokenDigest, CachedToken, DigestHash> tokens;
  StringSet revoked_jtis;
  std::atomic<std::uint64_t> generation{1};  // bumped by every revocation

  Result<std::shared_ptr<const SecretBytes>> HashSubkey(const std::string& master_id);
  // Stores the key's hash under the current master key (see CachedKey::rehash).
  Result<void> Rehash(const CachedKey& entry, std::string_view key_id,
                      std::span<const unsigned char> secret);
  Result<std::shared_ptr<const SigningKey>> LoadSigningKey(std::string_view kid);
  Result<std::shared_ptr<const SigningKey>> CurrentSigningKey(const TenantId& tenant);
  Result<std::shared_ptr<const SigningKey>> CreateSigningKey(const TenantId& tenant);
  // kTenantUnknown / kTenantSuspended unless the tenant may act.
  Result<void> CheckTenantLive(const TenantId& tenant) const;
};

Error InvalidCredentials();

}  // namespace tenancy

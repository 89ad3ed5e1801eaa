// The Authenticator: schema, API keys, contexts and impersonation. Tokens
// are in tokens.cpp.
#include <sodium.h>

#include "auth/auth_impl.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/entity.hpp"

namespace tenancy {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenancy_api_keys (
  key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  roles TEXT NOT NULL,
  scopes TEXT NOT NULL,
  hash BLOB NOT NULL,
  master_key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS tenancy_api_keys_by_tenant ON tenancy_api_keys(tenant_id);
CREATE TABLE IF NOT EXISTS tenancy_signing_keys (
  kid TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  public_key BLOB NOT NULL,
  wrapped_secret BLOB NOT NULL,
  master_key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  current INTEGER NOT NULL,
  retired_at INTEGER
);
CREATE INDEX IF NOT EXISTS tenancy_signing_keys_by_tenant ON tenancy_signing_keys(tenant_id);
CREATE TABLE IF NOT EXISTS tenancy_revoked_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tenancy_impersonations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  operator_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  request_id TEXT NOT NULL,
  at INTEGER NOT NULL
);
)sql";

constexpr std::size_t kKeyIdHex = 12;
constexpr std::size_t kSecretBytes = 32;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "tnapikey";

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool IsScope(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
          c == '-'))
      return false;
  return true;
}

// A presented API key, split; nothing of it is ever echoed. Its secret
// stays text until it must be decoded (PresentedKey::Decode).
struct PresentedKey {
  std::string_view tenant, key_id, secret_text;
  std::array<unsigned char, kSecretBytes> secret{};
  bool decoded = false;
  ~PresentedKey() { sodium_memzero(secret.data(), secret.size()); }

  // Decodes the secret into `secret`; false unless it is the base64url of
  // exactly kSecretBytes bytes.
  bool Decode() {
    if (decoded) return true;
    std::size_t len = 0;
    decoded = sodium_base642bin(secret.data(), secret.size(), secret_text.data(),
                                secret_text.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
              len == kSecretBytes;
    return decoded;
  }
};

// Splits "tk.<tenant>.<key id>.<secret>", checking the tenant and key id;
// the secret is checked when decoded.
bool ParseKey(std::string_view text, PresentedKey& out) {
  if (text.size() > 128 || !text.starts_with("tk.")) return false;
  text.remove_prefix(3);
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  out.tenant = text.substr(0, dot);
  text.remove_prefix(dot + 1);
  dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  out.key_id = text.substr(0, dot);
  out.secret_text = text.substr(dot + 1);
  if (out.tenant != kPlatformTenant && !TenantId::Parse(out.tenant)) return false;
  if (out.key_id.size() != kKeyIdHex || !IsLowerHex(out.key_id)) return false;
  return !out.secret_text.empty();
}

std::array<unsigned char, 32> KeyedHash(std::span<const unsigned char> secret, const SecretBytes& key) {
  std::array<unsigned char, 32> out{};
  crypto_generichash(out.data(), out.size(), secret.data(), secret.size(), key.data(), key.size());
  return out;
}

std::span<const unsigned char> Bytes(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace

Error InvalidCredentials() { return Error(Errc::kUnauthenticated, "invalid credentials"); }

std::string Base64UrlEncode(std::span<const unsigned char> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::vector<unsigned char>> Base64UrlDecode(std::string_view text) {
  std::vector<unsigned char> out(text.size() * 3 / 4 + 3);
  std::size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return Fail(Errc::kInvalidArgument, "not base64url");
  out.resize(len);
  // Canonical only: the unused low bits of the last character must be zero.
  if (Base64UrlEncode(out) != text) return Fail(Errc::kInvalidArgument, "not canonical base64url");
  return out;
}

Authenticator::Authenticator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authenticator::~Authenticator() = default;

Result<std::unique_ptr<Authenticator>> Authenticator::Open(AuthOptions options, Directory& directory,
                                                           const KeyProvider& keys) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  if (options.control_db_path.empty()) return Fail(Errc::kInvalidArgument, "control_db_path is empty");
  if (!options.clock) return Fail(Errc::kInvalidArgument, "clock is null");
  if (options.issuer.empty() || options.issuer.size() > 256)
    return Fail(Errc::kInvalidArgument, "issuer must be 1-256 bytes");
  auto db = sqlite::SqliteConnection::Open(options.control_db_path, true, sqlite::ConnectionOptions{});
  if (!db) return db.error();
  if (auto r = (*db)->ExecScript(kSchema); !r) return r.error();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->directory = &directory;
  impl->keys = &keys;
  impl->db = std::move(*db);
  // Revoked tokens that could still pass verification: tokens are accepted
  // until exp + clock_skew, so their revocations must outlive exp by as much.
  struct Jtis final : detail::RowSink {
    std::vector<std::string> values;
    bool OnRow(const RowView& r) override {
      values.emplace_back(r.Text(0));
      return true;
    }
  } jtis;
  const Param now[] = {ToUnixMillis(impl->options.clock->Now() - impl->options.clock_skew)};
  if (auto r = impl->db->Run("SELECT jti FROM tenancy_revoked_tokens WHERE expires_at > ?", now, &jtis);
      !r)
    return r.error();
  for (auto& j : jtis.values) impl->revoked_jtis.insert(std::move(j));
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(impl)));
}

Result<void> Authenticator::Impl::CheckTenantLive(const TenantId& tenant) const {
  auto t = directory->Get(tenant);
  if (!t || (*t)->state == TenantState::kDeleted) return Fail(Errc::kTenantUnknown, "no such tenant");
  if (!(*t)->IsLive()) return Fail(Errc::kTenantSuspended, "tenant is " + std::string(ToString((*t)->state)));
  return {};
}

Result<std::shared_ptr<const SecretBytes>> Authenticator::Impl::HashSubkey(const std::string& master_id) {
  std::lock_guard lock(subkeys_mu);
  if (auto it = hash_subkeys.find(master_id); it != hash_subkeys.end()) return it->second;
  auto master = keys->Get(master_id);
  if (!master) return master.error();
  SecretBytes sub(32);
  crypto_kdf_derive_from_key(sub.data(), sub.size(), 1, kKdfContext, (*master)->key.data());
  auto shared = std::make_shared<const SecretBytes>(std::move(sub));
  hash_subkeys[master_id] = shared;
  return shared;
}

Result<void> Authenticator::Impl::Rehash(const CachedKey& entry, std::string_view key_id,
                                         std::span<const unsigned char> secret) {
  auto master = keys->Current();
  if (!master) return master.error();
  auto subkey = HashSubkey((*master)->id);
  if (!subkey) return subkey.error();
  const auto hash = KeyedHash(secret, **subkey);
  // Only from the master the entry was loaded under: a concurrent revocation
  // or another process's re-hash is never overwritten by a stale view.
  const Param p[] = {BlobView(hash.data(), hash.size()), std::string_view((*master)->id), key_id,
                     std::string_view(entry.master_key_id)};
  std::lock_guard lock(db_mu);
  auto r = db->Run("UPDATE tenancy_api_keys SET hash = ?, master_key_id = ? WHERE key_id = ? AND "
                   "master_key_id = ? AND revoked_at IS NULL",
                   p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> Authenticator::CountMasterKeyUses(MasterKeyUses& uses) const {
  struct Counts final : detail::RowSink {
    MasterKeyUses* uses = nullptr;
    bool signing = false;
    bool OnRow(const RowView& r) override {
      auto& use = (*uses)[std::string(r.Text(0))];
      (signing ? use.signing_keys : use.api_keys) += static_cast<std::size_t>(r.Int(1));
      return true;
    }
  } counts;
  counts.uses = &uses;
  std::lock_guard lock(impl_->db_mu);
  auto keys = impl_->db->Run(
      "SELECT master_key_id, count(*) FROM tenancy_api_keys WHERE revoked_at IS NULL "
      "GROUP BY master_key_id",
      {}, &counts);
  if (!keys) return keys.error();
  counts.signing = true;
  auto signing = impl_->db->Run(
      "SELECT master_key_id, count(*) FROM tenancy_signing_keys WHERE length(wrapped_secret) > 0 "
      "GROUP BY master_key_id",
      {}, &counts);
  if (!signing) return signing.error();
  return {};
}

Result<NewApiKey> Authenticator::CreateApiKey(const TenantId& tenant, std::string_view name,
                                              std::vector<std::string> roles,
                                              std::vector<std::string> scopes) {
  auto& impl = *impl_;
  if (name.empty() || name.size() > 200) return Fail(Errc::kInvalidArgument, "key name must be 1-200 bytes");
  if (roles.empty()) return Fail(Errc::kInvalidArgument, "a key needs at least one role");
  for (const auto& r : roles) {
    if (!IsValidIdentifier(r) && !BuiltinRole(r))
      return Fail(Errc::kInvalidArgument, "invalid role name");
    if (tenant.empty() != IsPlatformRole(r))
      return Fail(Errc::kInvalidArgument,
                  tenant.empty() ? "platform keys take platform roles only"
                                 : "tenant keys cannot hold platform roles");
  }
  for (const auto& s : scopes)
    if (!IsScope(s)) return Fail(Errc::kInvalidArgument, "invalid scope");
  if (!tenant.empty())
    if (auto live = impl.CheckTenantLive(tenant); !live) return live.error();
  auto master = impl.keys->Current();
  if (!master) return master.error();
  auto subkey = impl.HashSubkey((*master)->id);
  if (!subkey) return subkey.error();

  unsigned char id_raw[kKeyIdHex / 2];
  randombytes_buf(id_raw, sizeof id_raw);
  char id_hex[kKeyIdHex + 1];
  sodium_bin2hex(id_hex, sizeof id_hex, id_raw, sizeof id_raw);
  SecretBytes secret = SecretBytes::Random(kSecretBytes);
  const auto hash = KeyedHash(secret.bytes(), **subkey);

  NewApiKey out;
  out.info.key_id = id_hex;
  out.info.tenant = tenant.empty() ? std::string(kPlatformTenant) : tenant.str();
  out.info.name = std::string(name);
  out.info.roles = std::move(roles);
  out.info.scopes = std::move(scopes);
  out.info.created_at = impl.options.clock->Now();
  out.key = "tk." + out.info.tenant + "." + out.info.key_id + "." + Base64UrlEncode(secret.bytes());

  const std::string roles_text = Join(out.info.roles), scopes_text = Join(out.info.scopes);
  const Param row[] = {std::string_view(out.info.key_id), std::string_view(out.info.tenant),
                       name, std::string_view(roles_text), std::string_view(scopes_text),
                       BlobView(hash.data(), hash.size()), std::string_view((*master)->id),
                       ToUnixMillis(out.info.created_at)};
  std::lock_guard lock(impl.db_mu);
  auto r = impl.db->Run("INSERT INTO tenancy_api_keys (key_id, tenant_id, name, roles, scopes, "
                        "hash, master_key_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
                        row, nullptr);
  if (!r) return r.error();
  return out;
}

Result<std::vector<ApiKeyInfo>> Authenticator::ListApiKeys(const TenantId& tenant) const {
  struct Rows final : detail::RowSink {
    std::vector<ApiKeyInfo> items;
    bool OnRow(const RowView& r) override {
      ApiKeyInfo k;
      k.key_id = r.Text(0);
      k.tenant = r.Text(1);
      k.name = r.Text(2);
      k.roles = Split(r.Text(3));
      k.scopes = Split(r.Text(4));
      k.created_at = FromUnixMillis(r.Int(5));
      if (!r.IsNull(6)) k.last_used_at = FromUnixMillis(r.Int(6));
      if (!r.IsNull(7)) k.revoked_at = FromUnixMillis(r.Int(7));
      items.push_back(std::move(k));
      return true;
    }
  } rows;
  const std::string who = tenant.empty() ? std::string(kPlatformTenant) : tenant.str();
  const Param p[] = {std::string_view(who)};
  std::lock_guard lock(impl_->db_mu);
  auto r = impl_->db->Run("SELECT key_id, tenant_id, name, roles, scopes, created_at, last_used_at, "
                          "revoked_at FROM tenancy_api_keys WHERE tenant_id = ? ORDER BY created_at, key_id",
                          p, &rows);
  if (!r) return r.error();
  // Fold in last-used times not yet written back.
  std::shared_lock cache(impl_->keys_mu);
  for (auto& k : rows.items) {
    if (auto it = impl_->api_keys.find(k.key_id); it != impl_->api_keys.end()) {
      const auto ms = it->second->last_flush_ms.load();
      if (ms && (!k.last_used_at || ToUnixMillis(*k.last_used_at) < ms)) k.last_used_at = FromUnixMillis(ms);
    }
  }
  return std::move(rows.items);
}

Result<void> Authenticator::RevokeApiKey(const TenantId& tenant, std::string_view key_id) {
  const std::string who = tenant.empty() ? std::string(kPlatformTenant) : tenant.str();
  const Param p[] = {ToUnixMillis(impl_->options.clock->Now()), key_id, std::string_view(who)};
  {
    std::lock_guard lock(impl_->db_mu);
    auto r = impl_->db->Run("UPDATE tenancy_api_keys SET revoked_at = ? WHERE key_id = ? AND "
                            "tenant_id = ? AND revoked_at IS NULL",
                            p, nullptr);
    if (!r) return r.error();
    if (*r == 0) return Fail(Errc::kNotFound, "no such active API key in this tenant");
  }
  std::unique_lock lock(impl_->keys_mu);
  if (auto it = impl_->api_keys.find(key_id); it != impl_->api_keys.end()) impl_->api_keys.erase(it);
  return {};
}

Result<std::shared_ptr<const Authenticated>> Authenticator::AuthenticateApiKey(
    std::string_view presented) {
  auto& impl = *impl_;
  PresentedKey key;
  if (!ParseKey(presented, key)) return InvalidCredentials();
  const TimePoint now = impl.options.clock->Now();

  std::shared_ptr<Impl::CachedKey> entry;
  {
    std::shared_lock lock(impl.keys_mu);
    if (auto it = impl.api_keys.find(key.key_id); it != impl.api_keys.end()) entry = it->second;
  }
  if (entry && now - entry->loaded_at > impl.options.api_key_cache_ttl) entry.reset();
  if (!entry) {
    struct Row final : detail::RowSink {
      std::optional<std::tuple<std::string, std::string, std::string, Blob, std::string, bool>> v;
      bool OnRow(const RowView& r) override {
        auto b = r.Bytes(3);
        v.emplace(std::string(r.Text(0)), std::string(r.Text(1)), std::string(r.Text(2)),
                  Blob(b.begin(), b.end()), std::string(r.Text(4)), !r.IsNull(5));
        return false;
      }
    } row;
    const Param p[] = {key.key_id};
    {
      std::lock_guard lock(impl.db_mu);
      auto r = impl.db->Run("SELECT tenant_id, roles, scopes, hash, master_key_id, revoked_at FROM "
                            "tenancy_api_keys WHERE key_id = ?",
                            p, &row);
      if (!r) return r.error();
    }
    if (!row.v) return InvalidCredentials();
    auto& [tenant, roles, scopes, hash, master_id, revoked] = *row.v;
    auto subkey = impl.HashSubkey(master_id);
    if (!subkey || hash.size() != 32) return InvalidCredentials();
    entry = std::make_shared<Impl::CachedKey>();
    entry->tenant = tenant;
    std::copy(hash.begin(), hash.end(), entry->hash.begin());
    entry->hash_key = *subkey;
    entry->master_key_id = master_id;
    if (auto current = impl.keys->Current(); current && (*current)->id != master_id)
      entry->rehash.store(true, std::memory_order_relaxed);
    entry->revoked = revoked;
    entry->loaded_at = now;
    auto who = std::make_shared<Authenticated>();
    if (tenant != kPlatformTenant) {
      auto id = TenantId::Parse(tenant);
      if (!id) return InvalidCredentials();
      who->tenant = *id;
      who->principal = Principal{std::string(key.key_id), PrincipalKind::kApiKey};
    } else {
      who->principal = Principal{std::string(key.key_id), PrincipalKind::kPlatformOperator};
    }
    who->roles = Split(roles);
    who->scopes = Split(scopes);
    who->credential_id = std::string(key.key_id);
    who->expires_at = TimePoint::max();
    entry->who = std::move(who);
    std::unique_lock lock(impl.keys_mu);
    if (impl.api_keys.size() >= impl.options.cache_entries) impl.api_keys.clear();
    impl.api_keys[std::string(key.key_id)] = entry;
  }
  // The tenant named in the key must be the key's tenant, the hash must
  // match (in constant time), and the key must be live.
  // The secret: by the text hash when this text was verified before, else
  // decoded and hashed as stored (remembering the text on success). Both
  // compare in constant time.
  const auto secret_matches = [&impl, &entry, &key] {
    if (entry->text_hash_state.load(std::memory_order_acquire) == 2) {
      const auto text_hash = KeyedHash(Bytes(key.secret_text), impl.text_hash_key);
      if (crypto_verify_32(text_hash.data(), entry->text_hash.data()) == 0) return true;
    }
    if (!key.Decode()) return false;
    const auto hash = KeyedHash(key.secret, *entry->hash_key);
    if (crypto_verify_32(hash.data(), entry->hash.data()) != 0) return false;
    int none = 0;
    if (entry->text_hash_state.compare_exchange_strong(none, 1, std::memory_order_acq_rel)) {
      entry->text_hash = KeyedHash(Bytes(key.secret_text), impl.text_hash_key);
      entry->text_hash_state.store(2, std::memory_order_release);
    }
    return true;
  };
  if (!secret_matches()) return InvalidCredentials();
  if (entry->revoked || entry->tenant != key.tenant) return InvalidCredentials();
  if (!entry->who->platform())
    if (auto live = impl.CheckTenantLive(entry->who->tenant); !live) {
      if (live.error().code == Errc::kTenantSuspended) return live.error();
      return InvalidCredentials();
    }
  // A key hashed under an older master key moves to the current one. A
  // failure leaves it where it was (it still verifies); the next load retries.
  if (entry->rehash.load(std::memory_order_relaxed) &&
      entry->rehash.exchange(false, std::memory_order_relaxed) && key.Decode())
    (void)impl.Rehash(*entry, key.key_id, key.secret);
  // Last use: kept in memory, written back at most once a minute per key.
  const std::int64_t now_ms = ToUnixMillis(now);
  std::int64_t last = entry->last_flush_ms.load(std::memory_order_relaxed);
  if (now_ms - last >= 60'000 &&
      entry->last_flush_ms.compare_exchange_strong(last, now_ms, std::memory_order_relaxed)) {
    const Param p[] = {now_ms, key.key_id};
    std::lock_guard lock(impl.db_mu);
    (void)impl.db->Run("UPDATE tenancy_api_keys SET last_used_at = ? WHERE key_id = ?", p, nullptr);
  }
  return entry->who;
}

Result<TenantContext> Authenticator::ContextFor(const Authenticated& who, std::string request_id,
                                                std::string trace_id) const {
  if (who.platform())
    return Fail(Errc::kPermissionDenied,
                "platform credentials act in a tenant only through impersonation");
  return impl_->directory->MintContext(who.tenant, who.principal, who.roles, std::move(request_id),
                                       std::move(trace_id));
}

Result<TenantContext> Authenticator::Impersonate(const Authenticated& who, const TenantId& tenant,
                                                 std::string_view reason, std::string request_id) {
  if (!who.platform()) return Fail(Errc::kPermissionDenied, "only platform operators impersonate");
  PermissionSet held;
  bool full = false;
  for (const auto& r : who.roles) {
    if (auto p = BuiltinRole(r); p && IsPlatformRole(r)) held |= *p;
    if (r == roles::kPlatformOperator) full = true;
  }
  if (!held.Has(Permission::kPlatformImpersonate))
    return Fail(Errc::kPermissionDenied, "missing permission platform.impersonate");
  if (reason.empty() || reason.size() > 500)
    return Fail(Errc::kInvalidArgument, "impersonation needs a reason of 1-500 bytes");
  const std::vector<std::string> inside = {
      std::string(full ? roles::kTenantAdmin : roles::kSupportReadOnly)};
  auto ctx = impl_->directory->MintContext(
      tenant, Principal{who.principal.id, PrincipalKind::kPlatformOperator}, inside, request_id);
  if (!ctx) return ctx.error();
  const Param p[] = {std::string_view(who.principal.id), std::string_view(tenant.str()), reason,
                     std::string_view(request_id), ToUnixMillis(impl_->options.clock->Now())};
  std::lock_guard lock(impl_->db_mu);
  auto r = impl_->db->Run("INSERT INTO tenancy_impersonations (operator_id, tenant_id, reason, "
                          "request_id, at) VALUES (?,?,?,?,?)",
                          p, nullptr);
  if (!r) return r.error();  // no audit record, no context
  return ctx;
}

Result<std::vector<Authenticator::Impersonation>> Authenticator::Impersonations(
    const TenantId& tenant) const {
  struct Rows final : detail::RowSink {
    std::vector<Impersonation> items;
    bool OnRow(const RowView& r) override {
      items.push_back({std::string(r.Text(0)), std::string(r.Text(1)), std::string(r.Text(2)),
                       std::string(r.Text(3)), FromUnixMillis(r.Int(4))});
      return true;
    }
  } rows;
  const Param p[] = {std::string_view(tenant.str())};
  std::lock_guard lock(impl_->db_mu);
  auto r = impl_->db->Run("SELECT operator_id, tenant_id, reason, request_id, at FROM "
                          "tenancy_impersonations WHERE tenant_id = ? ORDER BY seq",
                          p, &rows);
  if (!r) return r.error();
  return std::move(rows.items);
}

}  // namespace tenancy

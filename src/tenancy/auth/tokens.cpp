// Access tokens: JWS compact serialization, EdDSA (Ed25519) only.
#include <sodium.h>

#include <boost/json.hpp>

#include "auth/auth_impl.hpp"
#include "crypto/wrap.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/entity.hpp"

namespace tenancy {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxTokenBytes = 8192;
constexpr std::size_t kMaxHeaderBytes = 1024;

std::string SigningAd(std::string_view kid) { return "tenancy.sign.v1\x1f" + std::string(kid); }

std::int64_t Seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string_view AsView(const std::vector<unsigned char>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Parses a JSON object, refusing anything else (and duplicate-free by
// Boost.JSON's last-wins rule, which we make strict below).
Result<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 8;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec || !v.is_object()) return Fail(Errc::kInvalidArgument, "not a JSON object");
  return std::move(v.as_object());
}

std::optional<std::int64_t> IntClaim(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (1ull << 62)) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

const json::string* StringClaim(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

}  // namespace

Result<std::shared_ptr<const Authenticator::Impl::SigningKey>> Authenticator::Impl::LoadSigningKey(
    std::string_view kid) {
  {
    std::shared_lock lock(signing_mu);
    if (auto it = signing_by_kid.find(kid);
        it != signing_by_kid.end() &&
        options.clock->Now() - it->second->loaded_at < options.token_cache_ttl)
      return it->second;
  }
  struct Row final : detail::RowSink {
    std::optional<std::tuple<std::string, Blob, Blob, std::string, bool, bool>> v;
    bool OnRow(const RowView& r) override {
      auto pk = r.Bytes(1), ws = r.Bytes(2);
      v.emplace(std::string(r.Text(0)), Blob(pk.begin(), pk.end()), Blob(ws.begin(), ws.end()),
                std::string(r.Text(3)), r.Int(4) != 0, !r.IsNull(5));
      return false;
    }
  } row;
  const Param p[] = {kid};
  {
    std::lock_guard lock(db_mu);
    auto r = db->Run("SELECT tenant_id, public_key, wrapped_secret, master_key_id, current, "
                     "retired_at FROM tenancy_signing_keys WHERE kid = ?",
                     p, &row);
    if (!r) return r.error();
  }
  if (!row.v) return Fail(Errc::kNotFound, "no such signing key");
  auto& [tenant, pk, wrapped, master_id, current, retired] = *row.v;
  auto id = TenantId::Parse(tenant);
  if (!id || pk.size() != crypto_sign_PUBLICKEYBYTES) return Fail(Errc::kDataCorrupted, "bad signing key row");
  auto key = std::make_shared<SigningKey>();
  key->kid = std::string(kid);
  key->tenant = *id;
  std::copy(pk.begin(), pk.end(), key->public_key.begin());
  key->current = current;
  key->retired = retired;
  key->loaded_at = options.clock->Now();
  if (current && !retired) {
    auto master = keys->Get(master_id);
    if (!master) return master.error();
    auto secret = crypto::UnwrapSecret(wrapped, **master, SigningAd(kid), crypto_sign_SECRETKEYBYTES);
    if (!secret) return secret.error();
    key->secret = std::make_shared<const SecretBytes>(std::move(*secret));
  }
  std::unique_lock lock(signing_mu);
  auto& slot = signing_by_kid[key->kid];
  slot = key;
  return slot;
}

Result<std::shared_ptr<const Authenticator::Impl::SigningKey>> Authenticator::Impl::CreateSigningKey(
    const TenantId& tenant) {
  auto master = keys->Current();
  if (!master) return master.error();
  unsigned char kid_raw[8];
  randombytes_buf(kid_raw, sizeof kid_raw);
  char kid_hex[17];
  sodium_bin2hex(kid_hex, sizeof kid_hex, kid_raw, sizeof kid_raw);
  const std::string kid = std::string("k") + kid_hex;
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(pk.data(), sk.data());
  const Blob wrapped = crypto::WrapSecret(sk.bytes(), **master, SigningAd(kid));
  const Param clear[] = {std::string_view(tenant.str())};
  const Param row[] = {std::string_view(kid), std::string_view(tenant.str()), BlobView(pk.data(), pk.size()),
                       BlobView(wrapped), std::string_view((*master)->id),
                       ToUnixMillis(options.clock->Now())};
  {
    std::lock_guard lock(db_mu);
    if (auto r = db->Begin(); !r) return r.error();
    auto a = db->Run("UPDATE tenancy_signing_keys SET current = 0 WHERE tenant_id = ?", clear, nullptr);
    auto b = a ? db->Run("INSERT INTO tenancy_signing_keys (kid, tenant_id, public_key, wrapped_secret, "
                         "master_key_id, created_at, current) VALUES (?,?,?,?,?,?,1)",
                         row, nullptr)
               : a;
    if (!b) {
      (void)db->Rollback();
      return b.error();
    }
    if (auto c = db->Commit(); !c) return c.error();
  }
  auto key = std::make_shared<SigningKey>();
  key->kid = kid;
  key->tenant = tenant;
  key->public_key = pk;
  key->secret = std::make_shared<const SecretBytes>(std::move(sk));
  key->current = true;
  key->loaded_at = options.clock->Now();
  std::unique_lock lock(signing_mu);
  for (auto& [k, v] : signing_by_kid) {
    if (v->tenant == tenant && v->current) {
      auto demoted = std::make_shared<SigningKey>(*v);
      demoted->current = false;
      demoted->secret.reset();
      v = demoted;
    }
  }
  signing_by_kid[kid] = key;
  return key;
}

Result<std::shared_ptr<const Authenticator::Impl::SigningKey>> Authenticator::Impl::CurrentSigningKey(
    const TenantId& tenant) {
  {
    std::shared_lock lock(signing_mu);
    for (const auto& [kid, key] : signing_by_kid)
      if (key->tenant == tenant && key->current && !key->retired && key->secret) return key;
  }
  struct Kid final : detail::RowSink {
    std::string kid;
    bool OnRow(const RowView& r) override {
      kid = r.Text(0);
      return false;
    }
  } current;
  const Param p[] = {std::string_view(tenant.str())};
  {
    std::lock_guard lock(db_mu);
    auto r = db->Run("SELECT kid FROM tenancy_signing_keys WHERE tenant_id = ? AND current = 1 AND "
                     "retired_at IS NULL",
                     p, &current);
    if (!r) return r.error();
  }
  if (current.kid.empty()) return CreateSigningKey(tenant);
  return LoadSigningKey(current.kid);
}

Result<std::string> Authenticator::IssueToken(const TenantId& tenant, const TokenRequest& request) {
  auto& impl = *impl_;
  if (request.subject.empty() || request.subject.size() > 256)
    return Fail(Errc::kInvalidArgument, "token subject must be 1-256 bytes");
  if (request.audience.empty() || request.audience.size() > 256)
    return Fail(Errc::kInvalidArgument, "token audience must be 1-256 bytes");
  if (request.ttl <= std::chrono::seconds(0))
    return Fail(Errc::kInvalidArgument, "token lifetime must be positive");
  for (const auto& r : request.roles)
    if (IsPlatformRole(r) || (!BuiltinRole(r) && !IsValidIdentifier(r)))
      return Fail(Errc::kInvalidArgument, "tokens carry tenant roles only");
  if (auto live = impl.CheckTenantLive(tenant); !live) return live.error();
  auto key = impl.CurrentSigningKey(tenant);
  if (!key) return key.error();

  const std::int64_t now = Seconds(impl.options.clock->Now());
  const auto ttl = std::min(request.ttl, impl.options.max_token_ttl).count();
  unsigned char jti_raw[16];
  randombytes_buf(jti_raw, sizeof jti_raw);
  json::array roles;
  for (const auto& r : request.roles) roles.emplace_back(r);
  const json::object header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", (*key)->kid}};
  const json::object payload{{"iss", impl.options.issuer}, {"sub", request.subject},
                             {"aud", request.audience},    {"iat", now},
                             {"nbf", now},                 {"exp", now + ttl},
                             {"jti", Base64UrlEncode(jti_raw)}, {"tid", tenant.str()},
                             {"roles", std::move(roles)}};
  const std::string h = json::serialize(header), p = json::serialize(payload);
  std::string signing_input =
      Base64UrlEncode({reinterpret_cast<const unsigned char*>(h.data()), h.size()}) + "." +
      Base64UrlEncode({reinterpret_cast<const unsigned char*>(p.data()), p.size()});
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size(), (*key)->secret->data());
  return signing_input + "." + Base64UrlEncode(sig);
}

Result<std::shared_ptr<const Authenticated>> Authenticator::VerifyToken(std::string_view token,
                                                                        std::string_view audience) {
  auto& impl = *impl_;
  if (token.empty() || token.size() > kMaxTokenBytes) return InvalidCredentials();
  const std::int64_t now = Seconds(impl.options.clock->Now());
  const std::int64_t skew = impl.options.clock_skew.count();

  Impl::TokenDigest digest{};
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  std::shared_ptr<const Authenticated> cached;
  {
    std::shared_lock lock(impl.tokens_mu);
    if (auto it = impl.tokens.find(digest); it != impl.tokens.end()) {
      const auto& c = it->second;
      if (c.generation == impl.generation.load(std::memory_order_acquire) && now < c.exp + skew &&
          now + skew >= c.nbf &&
          impl.options.clock->Now() - c.verified_at < impl.options.token_cache_ttl)
        cached = c.who;
    }
  }
  if (cached) {
    // Audience is per call; tenant state can change at any time.
    bool aud_ok = false;
    for (const auto& a : cached->audiences)
      if (a == audience) aud_ok = true;
    if (!aud_ok) return InvalidCredentials();
    if (auto live = impl.CheckTenantLive(cached->tenant); !live) {
      if (live.error().code == Errc::kTenantSuspended) return live.error();
      return InvalidCredentials();
    }
    return cached;
  }

  // -- full verification --
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return InvalidCredentials();
  const std::string_view h64 = token.substr(0, dot1), p64 = token.substr(dot1 + 1, dot2 - dot1 - 1),
                         s64 = token.substr(dot2 + 1);
  if (h64.size() > kMaxHeaderBytes) return InvalidCredentials();
  auto header_bytes = Base64UrlDecode(h64);
  if (!header_bytes) return InvalidCredentials();
  auto header = ParseObject(AsView(*header_bytes));
  if (!header) return InvalidCredentials();
  // The algorithm is pinned before anything else is trusted.
  const json::string* alg = StringClaim(*header, "alg");
  if (!alg || *alg != "EdDSA" || header->contains("crit") || header->contains("jku") ||
      header->contains("jwk") || header->contains("x5u"))
    return InvalidCredentials();
  if (const json::string* typ = StringClaim(*header, "typ"); header->contains("typ") && (!typ || *typ != "JWT"))
    return InvalidCredentials();
  const json::string* kid = StringClaim(*header, "kid");
  if (!kid || kid->size() > 64) return InvalidCredentials();
  auto key = impl.LoadSigningKey(std::string_view(*kid));
  if (!key || (*key)->retired) return InvalidCredentials();
  auto sig = Base64UrlDecode(s64);
  if (!sig || sig->size() != crypto_sign_BYTES) return InvalidCredentials();
  const std::string_view signing_input = token.substr(0, dot2);
  if (crypto_sign_verify_detached(sig->data(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size(), (*key)->public_key.data()) != 0)
    return InvalidCredentials();

  auto payload_bytes = Base64UrlDecode(p64);
  if (!payload_bytes) return InvalidCredentials();
  auto claims = ParseObject(AsView(*payload_bytes));
  if (!claims) return InvalidCredentials();
  const json::string* iss = StringClaim(*claims, "iss");
  const json::string* sub = StringClaim(*claims, "sub");
  const json::string* tid = StringClaim(*claims, "tid");
  const json::string* jti = StringClaim(*claims, "jti");
  const auto exp = IntClaim(*claims, "exp");
  const auto nbf = IntClaim(*claims, "nbf").value_or(0);
  const auto iat = IntClaim(*claims, "iat");
  if (!iss || *iss != impl.options.issuer || !sub || sub->empty() || !tid || !jti || !exp || !iat)
    return InvalidCredentials();
  if (*tid != (*key)->tenant.str()) return InvalidCredentials();  // signed by another tenant's key
  if (now >= *exp + skew || now + skew < nbf || *iat > now + skew) return InvalidCredentials();
  std::vector<std::string> audiences;
  if (auto* aud = claims->if_contains("aud"); aud && aud->is_string()) {
    audiences.emplace_back(aud->as_string());
  } else if (aud && aud->is_array()) {
    for (const auto& a : aud->as_array()) {
      if (!a.is_string()) return InvalidCredentials();
      audiences.emplace_back(a.as_string());
    }
  }
  if (std::find(audiences.begin(), audiences.end(), audience) == audiences.end())
    return InvalidCredentials();
  std::vector<std::string> roles;
  if (auto* r = claims->if_contains("roles")) {
    if (!r->is_array()) return InvalidCredentials();
    for (const auto& role : r->as_array()) {
      if (!role.is_string() || IsPlatformRole(role.as_string())) return InvalidCredentials();
      roles.emplace_back(role.as_string());
    }
  }
  {
    std::shared_lock lock(impl.tokens_mu);
    if (impl.revoked_jtis.contains(std::string_view(*jti))) return InvalidCredentials();
  }
  {
    // Revoked by another process sharing the control database?
    struct Found final : detail::RowSink {
      bool any = false;
      bool OnRow(const RowView&) override {
        any = true;
        return false;
      }
    } revoked;
    const Param p[] = {std::string_view(*jti)};
    std::lock_guard lock(impl.db_mu);
    auto r = impl.db->Run("SELECT 1 FROM tenancy_revoked_tokens WHERE jti = ?", p, &revoked);
    if (!r) return r.error();
    if (revoked.any) return InvalidCredentials();
  }
  if (auto live = impl.CheckTenantLive((*key)->tenant); !live) {
    if (live.error().code == Errc::kTenantSuspended) return live.error();
    return InvalidCredentials();
  }

  auto who = std::make_shared<Authenticated>();
  who->tenant = (*key)->tenant;
  who->principal = Principal{std::string(*sub), PrincipalKind::kUser};
  who->roles = std::move(roles);
  who->audiences = std::move(audiences);
  who->credential_id = std::string(*jti);
  who->expires_at = TimePoint{std::chrono::seconds{*exp}};
  std::unique_lock lock(impl.tokens_mu);
  if (impl.tokens.size() >= impl.options.cache_entries) impl.tokens.clear();
  impl.tokens[digest] = Impl::CachedToken{who, (*key)->kid, nbf, *exp,
                                          impl.generation.load(std::memory_order_acquire),
                                          impl.options.clock->Now()};
  return std::shared_ptr<const Authenticated>(std::move(who));
}

Result<std::string> Authenticator::RotateSigningKey(const TenantId& tenant) {
  if (auto live = impl_->CheckTenantLive(tenant); !live) return live.error();
  auto key = impl_->CreateSigningKey(tenant);
  if (!key) return key.error();
  return (*key)->kid;
}

Result<void> Authenticator::RetireSigningKey(const TenantId& tenant, std::string_view kid) {
  const Param p[] = {ToUnixMillis(impl_->options.clock->Now()), kid, std::string_view(tenant.str())};
  {
    std::lock_guard lock(impl_->db_mu);
    auto r = impl_->db->Run("UPDATE tenancy_signing_keys SET retired_at = ?, current = 0 WHERE kid = ? "
                            "AND tenant_id = ? AND retired_at IS NULL",
                            p, nullptr);
    if (!r) return r.error();
    if (*r == 0) return Fail(Errc::kNotFound, "no such active signing key in this tenant");
  }
  {
    std::unique_lock lock(impl_->signing_mu);
    if (auto it = impl_->signing_by_kid.find(kid); it != impl_->signing_by_kid.end())
      impl_->signing_by_kid.erase(it);
  }
  impl_->generation.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

Result<std::size_t> Authenticator::RewrapSigningKeys() {
  auto& impl = *impl_;
  auto current = impl.keys->Current();
  if (!current) return current.error();
  struct Rows final : detail::RowSink {
    std::vector<std::tuple<std::string, Blob, std::string, bool>> v;  // kid, wrapped, master, retired
    bool OnRow(const RowView& r) override {
      auto w = r.Bytes(1);
      v.emplace_back(std::string(r.Text(0)), Blob(w.begin(), w.end()), std::string(r.Text(2)),
                     !r.IsNull(3));
      return true;
    }
  } rows;
  const Param which[] = {std::string_view((*current)->id)};
  std::lock_guard lock(impl.db_mu);
  if (auto r = impl.db->Begin(); !r) return r.error();
  auto fail = [&](Error e) -> Result<std::size_t> {
    (void)impl.db->Rollback();
    return e;
  };
  if (auto r = impl.db->Run("SELECT kid, wrapped_secret, master_key_id, retired_at FROM "
                            "tenancy_signing_keys WHERE master_key_id != ? AND "
                            "length(wrapped_secret) > 0",
                            which, &rows);
      !r)
    return fail(r.error());
  for (const auto& [kid, wrapped, master_id, retired] : rows.v) {
    Blob rewrapped;  // a retired key's secret is erased, not carried over
    if (!retired) {
      auto r = crypto::RewrapSecret(wrapped, *impl.keys, master_id, **current, SigningAd(kid),
                                    crypto_sign_SECRETKEYBYTES);
      if (!r) return fail(r.error());
      rewrapped = std::move(*r);
    }
    const Param p[] = {BlobView(rewrapped), std::string_view((*current)->id), std::string_view(kid)};
    if (auto r = impl.db->Run("UPDATE tenancy_signing_keys SET wrapped_secret = ?, master_key_id = ? "
                              "WHERE kid = ?",
                              p, nullptr);
        !r)
      return fail(r.error());
  }
  if (auto r = impl.db->Commit(); !r) return fail(r.error());
  return rows.v.size();
}

Result<void> Authenticator::RevokeToken(std::string_view jti, TimePoint expires_at) {
  if (jti.empty() || jti.size() > 128) return Fail(Errc::kInvalidArgument, "bad token id");
  const Param p[] = {jti, ToUnixMillis(expires_at)};
  {
    std::lock_guard lock(impl_->db_mu);
    auto r = impl_->db->Run("INSERT OR REPLACE INTO tenancy_revoked_tokens VALUES (?, ?)", p, nullptr);
    if (!r) return r.error();
  }
  {
    std::unique_lock lock(impl_->tokens_mu);
    impl_->revoked_jtis.emplace(jti);
  }
  impl_->generation.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

Result<std::string> Authenticator::Jwks(const TenantId& tenant) const {
  struct Rows final : detail::RowSink {
    json::array keys;
    bool OnRow(const RowView& r) override {
      auto pk = r.Bytes(1);
      keys.push_back(json::object{{"kty", "OKP"},
                                  {"crv", "Ed25519"},
                                  {"x", Base64UrlEncode({pk.data(), pk.size()})},
                                  {"kid", r.Text(0)},
                                  {"alg", "EdDSA"},
                                  {"use", "sig"}});
      return true;
    }
  } rows;
  const Param p[] = {std::string_view(tenant.str())};
  std::lock_guard lock(impl_->db_mu);
  auto r = impl_->db->Run("SELECT kid, public_key FROM tenancy_signing_keys WHERE tenant_id = ? AND "
                          "retired_at IS NULL ORDER BY created_at, kid",
                          p, &rows);
  if (!r) return r.error();
  return json::serialize(json::object{{"keys", std::move(rows.keys)}});
}

}  // namespace tenancy

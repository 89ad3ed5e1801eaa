// tenancy/auth.hpp — who is calling: API keys, access tokens, impersonation.
//
// API keys look like `tk.<tenant id>.<key id>.<secret>`: the visible prefix
// names the tenant and the key, the secret is 32 random bytes (base64url).
// Only a keyed BLAKE2b hash of the secret is stored (keyed by a subkey of the
// master key); the secret is returned once, at creation. Platform operators
// hold keys whose tenant part is `platform`.
//
// Access tokens are JWTs (RFC 7519) signed with EdDSA/Ed25519 (RFC 8037)
// under per-tenant signing keys named by `kid`; each tenant's public keys are
// published as a JWKS document. Verification pins the algorithm to EdDSA
// (refusing `none`, HMAC and anything else before looking further), checks
// signature, issuer, audience, `exp`/`nbf`/`iat` within the clock skew, that
// `tid` is the signing key's tenant, and that the tenant is live. Verified
// tokens are cached until their expiry; revoking a token, key or signing key
// invalidates what the cache holds.
//
// A platform operator never acts in a tenant implicitly: `ContextFor` refuses
// platform credentials, and `Impersonate` mints an explicitly marked context
// and records who, where, why and when.
//
// Errors for bad credentials are deliberately uniform (kUnauthenticated,
// "invalid credentials"), so a caller cannot probe which part was wrong;
// nothing secret ever appears in an error.
//
// Thread safety: an Authenticator is safe to share between threads.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/export.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

inline constexpr std::string_view kPlatformTenant = "platform";

// A verified credential.
struct Authenticated {
  TenantId tenant{};  // empty for platform operators
  Principal principal{};
  std::vector<std::string> roles{};
  std::vector<std::string> scopes{};     // API keys
  std::vector<std::string> audiences{};  // tokens: aud
  std::string credential_id{};  // API key id or token jti
  TimePoint expires_at{};       // tokens; max() for API keys
  bool platform() const noexcept { return tenant.empty(); }
};

struct ApiKeyInfo {
  std::string key_id{};
  std::string tenant{};  // a tenant id, or "platform"
  std::string name{};
  std::vector<std::string> roles{};
  std::vector<std::string> scopes{};
  TimePoint created_at{};
  std::optional<TimePoint> last_used_at{};
  std::optional<TimePoint> revoked_at{};
};

struct NewApiKey {
  ApiKeyInfo info{};
  std::string key{};  // the whole key, secret included: shown once, never stored
};

struct TokenRequest {
  std::string subject{};             // sub: the user or client id
  std::vector<std::string> roles{};  // tenant roles only
  std::string audience{};            // aud
  std::chrono::seconds ttl{900};     // capped by AuthOptions::max_token_ttl
};

struct AuthOptions {
  std::string control_db_path{};  // the control-plane database (directory's file)
  std::string issuer = "tenancy";
  std::chrono::seconds clock_skew{60};
  std::chrono::seconds max_token_ttl{3600};
  // How long a verified API key stays cached before its row is read again
  // (bounds how late a revocation made by another process is seen).
  std::chrono::seconds api_key_cache_ttl{30};
  // The same bound for verified tokens and signing keys: a token revoked or
  // a signing key retired by another process is refused here within it.
  std::chrono::seconds token_cache_ttl{30};
  std::size_t cache_entries = 100'000;  // per cache (keys, tokens)
  Clock* clock = &SystemClock();
};

class TENANCY_EXPORT Authenticator {
 public:
  // REQUIRES: `directory` and `keys` outlive the authenticator.
  static Result<std::unique_ptr<Authenticator>> Open(AuthOptions options, Directory& directory,
                                                     const KeyProvider& keys);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // -- API keys --
  // `tenant` empty creates a platform key (roles must be platform roles);
  // otherwise roles must be tenant roles of that live tenant.
  Result<NewApiKey> CreateApiKey(const TenantId& tenant, std::string_view name,
                                 std::vector<std::string> roles,
                                 std::vector<std::string> scopes = {});
  Result<std::vector<ApiKeyInfo>> ListApiKeys(const TenantId& tenant) const;
  Result<void> RevokeApiKey(const TenantId& tenant, std::string_view key_id);
  // kUnauthenticated for anything but a valid, unrevoked key of a live
  // tenant (kTenantSuspended when the tenant is suspended).
  Result<std::shared_ptr<const Authenticated>> AuthenticateApiKey(std::string_view presented);

  // -- access tokens --
  // Signs a token for the tenant with its current signing key (created on
  // first use). kInvalidArgument for platform roles or a bad request.
  Result<std::string> IssueToken(const TenantId& tenant, const TokenRequest& request);
  // Verifies as described above; `audience` must be among the token's aud.
  Result<std::shared_ptr<const Authenticated>> VerifyToken(std::string_view token,
                                                           std::string_view audience);
  // A new current signing key; older keys keep verifying until retired.
  Result<std::string> RotateSigningKey(const TenantId& tenant);
  // Stops accepting tokens signed by `kid`.
  Result<void> RetireSigningKey(const TenantId& tenant, std::string_view kid);
  // Stops accepting the token with this jti (until it would have expired).
  Result<void> RevokeToken(std::string_view jti, TimePoint expires_at);
  // The tenant's JWKS document: {"keys":[{"kty":"OKP","crv":"Ed25519",...}]}.
  Result<std::string> Jwks(const TenantId& tenant) const;

  // -- master-key rotation (keys.hpp) --
  // Re-wraps the secret of every signing key not yet under the provider's
  // current master key; the secrets of retired keys, which nothing will use
  // again, are erased instead. All or nothing. Returns the number of keys
  // changed. API-key hashes cannot be re-keyed without their secrets: a key
  // hashed under an older master is re-hashed under the current one the
  // first time it is presented after the rotation (within
  // `api_key_cache_ttl`); revoked keys depend on no master key.
  Result<std::size_t> RewrapSigningKeys();
  // Adds the signing keys and live API keys under each master key to `uses`.
  Result<void> CountMasterKeyUses(MasterKeyUses& uses) const;

  // -- contexts --
  // The context of a tenant credential. kPermissionDenied for platform
  // credentials (use Impersonate).
  Result<TenantContext> ContextFor(const Authenticated& who, std::string request_id,
                                   std::string trace_id = {}) const;
  // An operator's audited context inside `tenant`. REQUIRES a platform
  // credential with the impersonation permission; `reason` is mandatory.
  // Support staff get a read-only context.
  Result<TenantContext> Impersonate(const Authenticated& who, const TenantId& tenant,
                                    std::string_view reason, std::string request_id);

  struct Impersonation {
    std::string operator_id, tenant, reason, request_id;
    TimePoint at;
  };
  // Recorded impersonations of a tenant, oldest first.
  Result<std::vector<Impersonation>> Impersonations(const TenantId& tenant) const;

 private:
  struct Impl;
  explicit Authenticator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// -- helpers exposed for tests and tools --

// base64url without padding (RFC 4648 §5), as JWS uses it.
TENANCY_EXPORT std::string Base64UrlEncode(std::span<const unsigned char> bytes);
// kInvalidArgument on anything but canonical unpadded base64url.
TENANCY_EXPORT Result<std::vector<unsigned char>> Base64UrlDecode(std::string_view text);

}  // namespace tenancy

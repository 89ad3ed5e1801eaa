// OAuth 2.0 client credentials (RFC 6749 §4.4) and each tenant's JWKS.
//
//   POST /oauth/token                     public; the client authenticates itself
//   GET  /t/{slug}/.well-known/jwks.json  tenant-public
//   GET  /.well-known/jwks.json           tenant-public, tenant named by Host
//
// The client is an API key: client_id is the key's id (the third dot-part of
// "tk.<tenant>.<key id>.<secret>"), client_secret the whole key. They come in
// HTTP Basic (each form-urlencoded first, RFC 6749 §2.3.1) or in the form
// body, never both. `scope` (optional, space-separated) names roles the key
// holds; the token carries those roles (all of the key's when absent).
// Errors follow RFC 6749 §5.2 as JSON ({"error","error_description"}), not
// problem+json, because OAuth clients parse that shape; every answer carries
// Cache-Control: no-store.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "router.hpp"
#include "tenancy/auth.hpp"

namespace tenancyd {

struct TokenService {
  tenancy::Authenticator& auth;
  std::string audience = "tenancyd";    // aud of issued tokens
  std::chrono::seconds ttl{900};        // lifetime asked for each token
};

void AddAuthRoutes(Router& router, const TokenService& tokens);

tenancy::Result<Response> IssueAccessToken(const TokenService& tokens, Exchange& x);
tenancy::Result<Response> ServeJwks(tenancy::Authenticator& auth, Exchange& x);

// -- client authentication (form.cpp) --

struct ClientCredentials {
  std::string id{};
  std::string secret{};
  bool via_basic = false;
  ~ClientCredentials();  // wipes the secret
};

// The credentials of an `Authorization: Basic …` header value, or nullopt
// when it is not well-formed Basic.
std::optional<ClientCredentials> ParseBasicCredentials(std::string_view header_value);

}  // namespace tenancyd

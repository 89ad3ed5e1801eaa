// The tenant's JWKS, and the auth routes.
#include "services/auth/auth_service.hpp"

namespace tenancyd {

tenancy::Result<Response> ServeJwks(tenancy::Authenticator& auth, Exchange& x) {
  auto jwks = auth.Jwks(x.resolution->tenant->id);
  if (!jwks) return jwks.error();
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/jwk-set+json");
  // Short: verifiers refetch on an unknown kid, and rotation should show soon.
  res.set(http::field::cache_control, "public, max-age=60");
  res.body() = std::move(*jwks);
  return res;
}

void AddAuthRoutes(Router& router, const TokenService& tokens) {
  router.Add(Route{.method = http::verb::post,
                   .pattern = "/oauth/token",
                   .scope = Scope::kPublic,
                   .handler = [tokens](Exchange& x) { return IssueAccessToken(tokens, x); }});
  tenancy::Authenticator* auth = &tokens.auth;
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/.well-known/jwks.json",
                   .scope = Scope::kTenantPublic,
                   .handler = [auth](Exchange& x) { return ServeJwks(*auth, x); },
                   .root_requires_host = true});
}

}  // namespace tenancyd

// Self-service onboarding: the public sign-up.
//
//   POST /v1/signup   {"name": "City Cabs", "slug": "city-cabs",
//                      "admin_email": "ops@city-cabs.example", "admin_name"?: "Ann"}
//   → 201 exactly the control plane's onboarding answer:
//     {"tenant": {...}, "admin": {"name", "email", "roles": ["tenant_admin"],
//      "api_key": {"client_id", "key"}}}, `Cache-Control: no-store`,
//     `Location: /t/<slug>/v1/tenant`
//
// The tenant gets the directory's default tier on the shared model. There
// is no password: the credential is the admin API key, shown once.
//
// Every attempt (well-formed or not) takes one unit of the caller's budget
// per client address (AddressLimiter), so the endpoint cannot be used to
// mass-create tenants or to probe which slugs are taken; over it: 429
// `rate_limited` with `Retry-After`. A bad field answers 400 naming it; a
// taken slug 409 `already_exists`.
//
// Thread safety: the handler is safe to call concurrently.
#pragma once

#include <memory>

#include "router.hpp"
#include "services/signup/address_limiter.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {

struct SignupOptions {
  // Whether POST /v1/signup is served at all. Default true.
  bool enabled = true;
  // The per-address limit (default: 5 at once, then 5 an hour).
  AddressLimiterOptions limiter{};
};

struct Signup {
  tenancy::Directory& directory;
  tenancy::Authenticator& auth;
  // Shared by every copy of the route's handler.
  std::shared_ptr<AddressLimiter> limiter;
};

// Registers POST /v1/signup (when enabled). REQUIRES: the directory and the
// authenticator outlive the router.
void AddSignupRoutes(Router& router, tenancy::Directory& directory, tenancy::Authenticator& auth,
                     const SignupOptions& options);

tenancy::Result<Response> SignUp(const Signup& s, Exchange& x);

}  // namespace tenancyd

// The pipeline's steps, in the order of design.md §2, each a plain function
// of the exchange (testable without a socket):
//
//   1. TakeRequestIdAndTrace   request_id_trace.cpp
//   2. ResolveTenant           resolve_tenant.cpp
//   3. Authenticate            authenticate.cpp   (→ the TenantContext)
//   4. Authorize               authorize.cpp
//   5. Admit                   admission.hpp/.cpp (state, then the seam)
//   6. the route's handler
//   7. Account                 accounting.hpp/.cpp (the seam)
//
// A step that refuses returns the error; the pipeline renders it
// (problem.hpp) and skips the rest, accounting excepted.
//
// Thread safety: the steps are pure functions of their arguments, which
// are thread-safe library objects and the request's own exchange.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "exchange.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/resolve.hpp"

namespace tenancyd {

// -- 1. request id and trace --

// Longest accepted X-Request-Id.
inline constexpr std::size_t kMaxRequestIdBytes = 128;

// True for 1..kMaxRequestIdBytes of [A-Za-z0-9._-].
bool IsSaneRequestId(std::string_view id) noexcept;

// A W3C traceparent header parsed strictly (version 00, or a later version
// read as 00 with trailing fields ignored, as the spec asks); nullopt for
// anything malformed: wrong lengths, upper-case hex, all-zero ids, version
// ff.
std::optional<Trace> ParseTraceparent(std::string_view header) noexcept;

// The response's traceparent: the trace id with this server's span id,
// "00-<32 hex>-<16 hex>-<2 hex>", in a buffer of its own (no allocation).
struct TraceparentText {
  std::array<char, 55> chars{};
  std::string_view view() const noexcept { return {chars.data(), chars.size()}; }
};
TraceparentText Traceparent(const Trace& trace) noexcept;

// Takes X-Request-Id when sane (else makes one) and continues the incoming
// trace when its traceparent is valid (else starts one).
void TakeRequestIdAndTrace(Exchange& x);

// -- 2. tenant resolution --

// Resolves the tenant through the resolver's chain without a credential.
// When nothing names a tenant, marks the resolution deferred (the
// credential's tenant decides, step 3) for kTenant routes and fails with
// kNotFound otherwise. A route matched under /t/{tenant} must have been
// resolved by that prefix, a root route marked root_requires_host by the
// Host header; otherwise kNotFound. kTenantUnknown (404) and
// kTenantSuspended (403) come from the resolver.
tenancy::Result<void> ResolveTenant(const tenancy::TenantResolver& resolver, Exchange& x);

// -- 3. authentication --

struct AuthSettings {
  // The audience access tokens must name (their `aud`).
  std::string audience = "tenancyd";
  // Header carrying an operator's reason to act inside a tenant.
  std::string impersonation_header = "X-Impersonation-Reason";
};

// Reads `Authorization: Bearer <credential>` (an API key "tk.…" or an access
// token), verifies it, and:
//  - platform routes: requires a platform credential (kPermissionDenied);
//  - tenant routes: finishes a deferred resolution from the credential,
//    requires the credential's tenant to be the resolved one
//    (kTenantMismatch → 404), and mints the TenantContext; a platform
//    operator gets one only through Authenticator::Impersonate with a
//    reason in the impersonation header (recorded), else kPermissionDenied.
// kUnauthenticated for a missing or bad credential.
tenancy::Result<void> Authenticate(tenancy::Authenticator& auth,
                                   const tenancy::TenantResolver& resolver,
                                   const AuthSettings& settings, Exchange& x);

// -- 4. authorization --

// The permissions a platform credential's roles hold (platform roles only).
tenancy::PermissionSet PlatformPermissions(const tenancy::Authenticated& who) noexcept;

// The route's permission: tenancy::Require on the context for tenant
// routes, the platform roles for platform routes. kPermissionDenied.
tenancy::Result<void> Authorize(const tenancy::RoleCatalog* catalog, const Exchange& x);

}  // namespace tenancyd

// The control-plane API, for platform operators (platform credentials,
// platform.tenants.* permissions):
//
//   POST   /v1/tenants                      onboard: tenant + admin credential (201)
//   GET    /v1/tenants                      list: ?state=&tier=&model=&include_deleted=&limit=&cursor=
//   GET    /v1/tenants/{tenant}             read (id or slug; deleted tenants by id)
//   PATCH  /v1/tenants/{tenant}             display_name, tier, custom_domain (null clears)
//   POST   /v1/tenants/{tenant}/suspend     {reason}
//   POST   /v1/tenants/{tenant}/quarantine  {reason}
//   POST   /v1/tenants/{tenant}/resume      {reason}
//   POST   /v1/tenants/{tenant}/offboard    {reason}   (also DELETE /v1/tenants/{tenant})
//   POST   /v1/tenants/{tenant}/rotate-key  a new primary data key version
//   GET    /v1/tenants/{tenant}/keys        data key versions (never key bytes)
//   GET    /v1/tenants/{tenant}/history     lifecycle transitions, oldest first
//
// Handlers take the exchange (request + pipeline findings) and return a
// response; they know nothing of sockets and nothing of SQL.
//
// Thread safety: the handlers are safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "router.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/quarantine.hpp"

namespace tenancyd {

struct ControlPlane {
  tenancy::Directory& directory;
  tenancy::Authenticator& auth;
  tenancy::Keyring& keyring;
  // When set, quarantine and its release go through the policy, so the
  // tenant's rates are reduced (and restored) with the state change; the
  // policy records the move in the directory itself.
  tenancy::QuarantinePolicy* quarantine = nullptr;
};

// Registers the routes above. REQUIRES: `cp`'s objects outlive the router.
void AddControlPlaneRoutes(Router& router, const ControlPlane& cp);

// Longest reason accepted for a lifecycle change.
inline constexpr std::size_t kMaxReasonBytes = 500;

// -- handlers --
tenancy::Result<Response> OnboardTenant(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> ListTenants(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> ReadTenant(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> TenantHistory(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> TenantKeys(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> PatchTenant(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> ChangeTenantState(const ControlPlane& cp, Exchange& x,
                                            tenancy::TenantState to);
tenancy::Result<Response> OffboardTenant(const ControlPlane& cp, Exchange& x);
tenancy::Result<Response> RotateTenantKey(const ControlPlane& cp, Exchange& x);

// -- onboarding, shared with the public sign-up (onboard.cpp) --

// A tenant to create together with its first admin.
struct NewTenant {
  tenancy::ProvisionRequest request{};  // REQUIRES: fields already validated
  std::optional<std::string> admin_name{};
  std::optional<std::string> admin_email{};  // REQUIRES: a name or an email
};
// Provisions the tenant and a `tenant_admin` API key for its admin, and
// answers 201 {"tenant": {...}, "admin": {"name", "email", "roles",
// "api_key": {"client_id", "key"}}} with `Cache-Control: no-store` (the key
// is shown once). kAlreadyExists when the slug is taken; when the key
// cannot be created the tenant is offboarded again and the error returned.
// On success `note` (the exchange's audit note) names the new tenant and
// the admin key's id (never the key).
tenancy::Result<Response> CreateTenantWithAdmin(tenancy::Directory& directory,
                                                tenancy::Authenticator& auth, const NewTenant& t,
                                                AuditNote& note);
// A plausible e-mail address (one '@', a dot in the domain, no spaces or
// control characters); deliverability is not checked.
bool LooksLikeEmail(std::string_view e);
// Longest admin name and e-mail accepted (an API key's name holds them).
inline constexpr std::size_t kMaxAdminNameBytes = 200;
inline constexpr std::size_t kMaxEmailBytes = 200;

// -- shared by the handlers (tenant_json.cpp) --

// RFC 3339 UTC with milliseconds, e.g. "2024-05-01T12:00:00.000Z".
std::string Rfc3339(tenancy::TimePoint t);
// The tenant as the API shows it. The placement is left out: for a
// dedicated PostgreSQL tenant it is a connection string.
boost::json::object TenantJson(const tenancy::Tenant& t);
// The tenant named by the route's {tenant} parameter: an id (deleted
// tenants included) or a live slug. kTenantUnknown otherwise.
tenancy::Result<std::shared_ptr<const tenancy::Tenant>> TargetTenant(const ControlPlane& cp,
                                                                    const Exchange& x);

}  // namespace tenancyd

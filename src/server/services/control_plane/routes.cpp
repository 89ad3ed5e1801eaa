// The control plane's route table.
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {

void AddControlPlaneRoutes(Router& router, const ControlPlane& cp) {
  using P = tenancy::Permission;
  using S = tenancy::TenantState;
  using V = http::verb;
  const auto add = [&](V method, std::string pattern, P permission, auto fn) {
    router.Add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .scope = Scope::kPlatform,
                     .permission = permission,
                     .handler = [cp, fn](Exchange& x) { return fn(cp, x); }});
  };
  add(V::post, "/v1/tenants", P::kPlatformTenantsAdmin, OnboardTenant);
  add(V::get, "/v1/tenants", P::kPlatformTenantsRead, ListTenants);
  add(V::get, "/v1/tenants/{tenant}", P::kPlatformTenantsRead, ReadTenant);
  add(V::patch, "/v1/tenants/{tenant}", P::kPlatformTenantsAdmin, PatchTenant);
  add(V::delete_, "/v1/tenants/{tenant}", P::kPlatformTenantsAdmin, OffboardTenant);
  add(V::get, "/v1/tenants/{tenant}/history", P::kPlatformTenantsRead, TenantHistory);
  add(V::get, "/v1/tenants/{tenant}/keys", P::kPlatformTenantsRead, TenantKeys);
  add(V::post, "/v1/tenants/{tenant}/offboard", P::kPlatformTenantsAdmin, OffboardTenant);
  add(V::post, "/v1/tenants/{tenant}/rotate-key", P::kPlatformTenantsAdmin, RotateTenantKey);
  add(V::post, "/v1/tenants/{tenant}/suspend", P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kSuspended); });
  add(V::post, "/v1/tenants/{tenant}/quarantine", P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kQuarantined); });
  add(V::post, "/v1/tenants/{tenant}/resume", P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kActive); });
}

}  // namespace tenancyd

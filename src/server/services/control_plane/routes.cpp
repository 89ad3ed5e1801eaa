// The control plane's route table.
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {

void AddControlPlaneRoutes(Router& router, const ControlPlane& cp) {
  using P = tenancy::Permission;
  using S = tenancy::TenantState;
  using V = http::verb;
  ServiceRoutes routes(router, cp);
  const Scope p = Scope::kPlatform;
  routes.Add(V::post, "/v1/tenants", p, P::kPlatformTenantsAdmin, OnboardTenant);
  routes.Add(V::get, "/v1/tenants", p, P::kPlatformTenantsRead, ListTenants);
  routes.Add(V::get, "/v1/tenants/{tenant}", p, P::kPlatformTenantsRead, ReadTenant);
  routes.Add(V::patch, "/v1/tenants/{tenant}", p, P::kPlatformTenantsAdmin, PatchTenant);
  routes.Add(V::delete_, "/v1/tenants/{tenant}", p, P::kPlatformTenantsAdmin, OffboardTenant);
  routes.Add(V::get, "/v1/tenants/{tenant}/history", p, P::kPlatformTenantsRead, TenantHistory);
  routes.Add(V::get, "/v1/tenants/{tenant}/keys", p, P::kPlatformTenantsRead, TenantKeys);
  routes.Add(V::post, "/v1/tenants/{tenant}/offboard", p, P::kPlatformTenantsAdmin, OffboardTenant);
  routes.Add(V::post, "/v1/tenants/{tenant}/rotate-key", p, P::kPlatformTenantsAdmin, RotateTenantKey);
  routes.Add(V::post, "/v1/tenants/{tenant}/suspend", p, P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kSuspended); });
  routes.Add(V::post, "/v1/tenants/{tenant}/quarantine", p, P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kQuarantined); });
  routes.Add(V::post, "/v1/tenants/{tenant}/resume", p, P::kPlatformTenantsAdmin,
      [](const ControlPlane& c, Exchange& x) { return ChangeTenantState(c, x, S::kActive); });
}

}  // namespace tenancyd

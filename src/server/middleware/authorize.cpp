// Step 4: may this caller use this route?
#include "middleware/steps.hpp"
#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

tenancy::PermissionSet PlatformPermissions(const tenancy::Authenticated& who) noexcept {
  tenancy::PermissionSet held;
  if (!who.platform()) return held;
  for (const auto& role : who.roles)
    if (tenancy::IsPlatformRole(role))
      if (auto p = tenancy::BuiltinRole(role)) held |= *p;
  return held;
}

tenancy::Result<void> Authorize(const tenancy::RoleCatalog* catalog, const Exchange& x) {
  const Route& route = *x.route;
  if (!route.permission) return {};  // public routes; Router refuses others without one
  if (route.scope == Scope::kPlatform) {
    if (x.who && PlatformPermissions(*x.who).Has(*route.permission)) return {};
    return Fail(Errc::kPermissionDenied,
                "missing permission " + std::string(tenancy::ToString(*route.permission)));
  }
  if (!x.context) return Fail(Errc::kInternal, "no context on a tenant route");
  return tenancy::Require(*x.context, *route.permission, catalog);
}

}  // namespace tenancyd

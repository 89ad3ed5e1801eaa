// How the control plane names and shows tenants.
#include "services/control_plane/control_plane.hpp"

#include "tenancy/rfc3339.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

std::string Rfc3339(tenancy::TimePoint t) { return tenancy::FormatRfc3339(t); }

json::object TenantJson(const tenancy::Tenant& t) {
  json::object o;
  o["id"] = t.id.str();
  o["slug"] = t.slug;
  o["display_name"] = t.display_name;
  o["tier"] = t.tier;
  o["model"] = tenancy::ToString(t.model);
  o["state"] = tenancy::ToString(t.state);
  o["custom_domain"] = t.custom_domain ? json::value(*t.custom_domain) : json::value(nullptr);
  o["created_at"] = Rfc3339(t.created_at);
  o["updated_at"] = Rfc3339(t.updated_at);
  o["revision"] = t.revision;
  return o;
}

tenancy::Result<std::shared_ptr<const tenancy::Tenant>> TargetTenant(const ControlPlane& cp,
                                                                    const Exchange& x) {
  const std::string_view name = x.Param("tenant");
  if (auto id = tenancy::TenantId::Parse(name)) return cp.directory.Get(*id);
  if (!tenancy::IsValidSlug(name)) return Fail(Errc::kTenantUnknown, "no such tenant");
  return cp.directory.GetBySlug(name);
}

}  // namespace tenancyd

#include "services/tenant_admin/tenant_self.hpp"

#include "json_writer.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {

namespace {

std::string_view KindName(tenancy::PrincipalKind k) {
  switch (k) {
    case tenancy::PrincipalKind::kUser: return "user";
    case tenancy::PrincipalKind::kApiKey: return "api_key";
    case tenancy::PrincipalKind::kService: return "service";
    case tenancy::PrincipalKind::kPlatformOperator: return "platform_operator";
    case tenancy::PrincipalKind::kSystem: return "system";
  }
  return "unknown";
}

}  // namespace

void AddTenantSelfRoutes(Router& router) {
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/v1/ping",
                   .scope = Scope::kTenant,
                   .permission = tenancy::Permission::kTenantRead,
                   .handler = [](Exchange& x) -> tenancy::Result<Response> {
                     // Written directly: the ping measures the pipeline, so
                     // its own answer should cost next to nothing (D56).
                     const tenancy::TenantContext& ctx = *x.context;
                     std::string text;
                     JsonWriter w(text);
                     w.BeginObject();
                     w.Member("tenant", ctx.tenant().slug);
                     w.Key("principal");
                     w.String(KindName(ctx.principal().kind));
                     w.EndObject();
                     return JsonTextResponse(http::status::ok, std::move(text));
                   }});
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/v1/tenant",
                   .scope = Scope::kTenant,
                   .permission = tenancy::Permission::kTenantRead,
                   .handler = [](Exchange& x) -> tenancy::Result<Response> {
                     return JsonResponse(http::status::ok, TenantJson(x.context->tenant()));
                   }});
}

}  // namespace tenancyd

// Reading, verifying and exporting the audit chains (see audit_routes.hpp).
#include "services/ops/audit_routes.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <sstream>

#include "json_input.hpp"
#include "middleware/steps.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::AuditChain;
using tenancy::AuditScope;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kExportType = "application/x-ndjson";

// The filters shared by both page routes.
tenancy::Result<tenancy::AuditQuery> ReadQuery(const QueryParams& params) {
  tenancy::AuditQuery q;
  if (auto v = Lookup(params, "after")) q.after = std::string(*v);
  if (auto v = Lookup(params, "limit")) {
    std::size_t limit = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit < 1 || limit > 1000)
      return Fail(Errc::kInvalidArgument, "parameter 'limit' must be 1-1000");
    q.limit = limit;
  }
  if (auto v = Lookup(params, "action")) {
    if (v->empty() || v->size() > tenancy::kMaxAuditActionBytes)
      return Fail(Errc::kInvalidArgument, "parameter 'action' must be 1-64 bytes");
    q.action = std::string(*v);
  }
  if (auto v = Lookup(params, "outcome")) {
    auto outcome = tenancy::ParseAuditOutcome(*v);
    if (!outcome)
      return Fail(Errc::kInvalidArgument, "parameter 'outcome' must be success, denied or failed");
    q.outcome = *outcome;
  }
  if (auto v = Lookup(params, "request_id")) {
    if (v->empty() || v->size() > tenancy::kMaxAuditRequestIdBytes)
      return Fail(Errc::kInvalidArgument, "parameter 'request_id' must be 1-128 bytes");
    q.request_id = std::string(*v);
  }
  return q;
}

tenancy::Result<Response> Page(const AuditApi& api, const AuditScope& scope,
                               const tenancy::AuditQuery& q) {
  auto page = api.log.Read(scope, q);
  if (!page) {
    // A cursor of a chain outside the scope says nothing about that chain:
    // it is just not a cursor here.
    if (page.error() == Errc::kPermissionDenied)
      return Fail(Errc::kInvalidArgument, "parameter 'after' is not a cursor of this chain");
    return page.error();
  }
  return JsonResponse(http::status::ok, tenancy::ToJson(*page));
}

tenancy::Result<Response> Export(Exchange& x, const AuditApi& api, const AuditScope& scope,
                                 const std::optional<AuditChain>& chain) {
  std::ostringstream out;
  if (auto r = api.log.Export(scope, out, chain); !r) return r.error();
  std::string body = std::move(out).str();
  if (body.size() > kMaxAuditExportBytes)
    return x.Refuse("export_too_large", Errc::kFailedPrecondition,
                    "the export is larger than the API answers with (" +
                        std::to_string(kMaxAuditExportBytes >> 20) +
                        " MiB); use 'tenancyctl audit export'");
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, kExportType);
  res.set(http::field::content_disposition,
          "attachment; filename=\"audit-" + (chain ? chain->name() : std::string("all")) + ".jsonl\"");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// Operators read the audit log only with audit.read among their platform
// roles (both built-in platform roles hold it; the route's permission is
// the platform one the router requires).
tenancy::Result<void> RequireAuditRead(const Exchange& x) {
  if (x.who && PlatformPermissions(*x.who).Has(tenancy::Permission::kAuditRead)) return {};
  return Fail(Errc::kPermissionDenied, "missing permission audit.read");
}

// ?chain=: "platform", a tenant id, or a live tenant's slug.
tenancy::Result<AuditChain> ChainParam(const AuditApi& api, std::string_view name) {
  if (auto chain = AuditChain::Parse(name)) return *chain;
  if (!tenancy::IsValidSlug(name))
    return Fail(Errc::kInvalidArgument,
                "parameter 'chain' must be \"platform\", a tenant id or a tenant's slug");
  auto tenant = api.directory.GetBySlug(name);
  if (!tenant) return Fail(Errc::kTenantUnknown, "no tenant with this slug");
  return AuditChain::Tenant((*tenant)->id);
}

tenancy::Result<std::optional<AuditChain>> OptionalChain(const AuditApi& api,
                                                         const QueryParams& params) {
  const auto name = Lookup(params, "chain");
  if (!name) return std::optional<AuditChain>();
  auto chain = ChainParam(api, *name);
  if (!chain) return chain.error();
  return std::optional<AuditChain>(std::move(*chain));
}

}  // namespace

// -- the tenant's own chain --

tenancy::Result<Response> TenantAuditPage(const AuditApi& api, Exchange& x) {
  auto params = ParseForm(x.query, {"after", "limit", "action", "outcome", "request_id"});
  if (!params) return params.error();
  auto q = ReadQuery(*params);
  if (!q) return q.error();
  const tenancy::TenantId& tenant = x.context->tenant_id();
  q->chain = AuditChain::Tenant(tenant);
  // Built from the context's tenant, never from AuditScope::ForContext: an
  // operator impersonating the tenant sees what its admin sees.
  return Page(api, AuditScope::TenantAdmin(tenant), *q);
}

tenancy::Result<Response> TenantAuditVerify(const AuditApi& api, Exchange& x) {
  if (auto params = ParseForm(x.query, {}); !params || !params->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  auto v = api.log.Verify(AuditChain::Tenant(x.context->tenant_id()));
  if (!v) return v.error();
  return JsonResponse(http::status::ok, tenancy::ToJson(*v));
}

tenancy::Result<Response> TenantAuditExport(const AuditApi& api, Exchange& x) {
  if (auto params = ParseForm(x.query, {}); !params || !params->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  const tenancy::TenantId& tenant = x.context->tenant_id();
  return Export(x, api, AuditScope::TenantAdmin(tenant), AuditChain::Tenant(tenant));
}

// -- operators: every chain --

tenancy::Result<Response> PlatformAuditPage(const AuditApi& api, Exchange& x) {
  if (auto r = RequireAuditRead(x); !r) return r.error();
  auto params = ParseForm(x.query, {"chain", "after", "limit", "action", "outcome", "request_id"});
  if (!params) return params.error();
  auto q = ReadQuery(*params);
  if (!q) return q.error();
  auto chain = OptionalChain(api, *params);
  if (!chain) return chain.error();
  q->chain = std::move(*chain);
  return Page(api, AuditScope::Operator(), *q);
}

tenancy::Result<Response> PlatformAuditVerify(const AuditApi& api, Exchange& x) {
  if (auto r = RequireAuditRead(x); !r) return r.error();
  auto params = ParseForm(x.query, {"chain"});
  if (!params) return params.error();
  auto chain = OptionalChain(api, *params);
  if (!chain) return chain.error();
  if (!*chain) return Fail(Errc::kInvalidArgument, "parameter 'chain' is required");
  auto v = api.log.Verify(**chain);
  if (!v) return v.error();
  return JsonResponse(http::status::ok, tenancy::ToJson(*v));
}

tenancy::Result<Response> PlatformAuditExport(const AuditApi& api, Exchange& x) {
  if (auto r = RequireAuditRead(x); !r) return r.error();
  auto params = ParseForm(x.query, {"chain"});
  if (!params) return params.error();
  auto chain = OptionalChain(api, *params);
  if (!chain) return chain.error();
  return Export(x, api, AuditScope::Operator(), *chain);
}

void AddAuditRoutes(Router& router, const AuditApi& api) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, api);
  const Scope t = Scope::kTenant;
  routes.Add(V::get, "/v1/audit", t, P::kAuditRead, TenantAuditPage);
  routes.Add(V::get, "/v1/audit/verify", t, P::kAuditRead, TenantAuditVerify);
  routes.Add(V::get, "/v1/audit/export", t, P::kAuditRead, TenantAuditExport);
  const Scope p = Scope::kPlatform;
  routes.Add(V::get, "/v1/platform/audit", p, P::kPlatformTenantsRead, PlatformAuditPage);
  routes.Add(V::get, "/v1/platform/audit/verify", p, P::kPlatformTenantsRead, PlatformAuditVerify);
  routes.Add(V::get, "/v1/platform/audit/export", p, P::kPlatformTenantsRead, PlatformAuditExport);
}

}  // namespace tenancyd

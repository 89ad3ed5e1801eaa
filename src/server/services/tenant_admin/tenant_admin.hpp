// The tenant self-service API, for a tenant's own admins (tenant.admin to
// change, tenant.read to look; API keys need users.manage; usage needs
// billing.read):
//
//   GET   /v1/settings             tenant.read   every setting, merged, with layer versions
//   PATCH /v1/settings             tenant.admin  {"dispatch.radius_m": 3000, "pricing": null, ...}
//   GET   /v1/branding             tenant.read
//   PATCH /v1/branding             tenant.admin  fields merged over the current branding
//   PUT   /v1/zones                tenant.admin  a GeoJSON FeatureCollection (replaces)
//   GET   /v1/pricing              tenant.read
//   PATCH /v1/pricing              tenant.admin  top-level fields merged (null removes one)
//   GET   /v1/flags                tenant.read   the tenant's flagd document
//   PUT   /v1/flags                tenant.admin  a flagd document (strictly validated)
//   DELETE /v1/flags               tenant.admin  back to the platform's flags
//   GET   /v1/api-keys             users.manage
//   POST  /v1/api-keys             users.manage  {name, roles: [...]} → 201, the key shown once
//   DELETE /v1/api-keys/{key_id}   users.manage
//   GET   /v1/usage?month=YYYY-MM  billing.read  metered usage (hourly records and totals)
//   GET   /v1/quotas               tenant.read   each limit in force: kind, limit, used, remaining
//
// Configuration writes go through tenancy::Config::SetTenant with the
// caller's principal id as author; a value the schema refuses answers 422
// `validation_failed` with the field named in the detail
// ("pricing.surge[0].multiplier: must be >= 1"). A flag document that does
// not load answers 422 `invalid_flags` naming the flag.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include "router.hpp"
#include "services/data_plane.hpp"
#include "flag_files.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/flags.hpp"

namespace tenancyd {

struct TenantAdmin {
  DataPlane& dp;
  tenancy::Authenticator& auth;
  const tenancy::RoleCatalog& roles;  // built-in and the tenant's custom roles
  tenancy::FlagStore& flags;
  FlagFiles& flag_files;
  tenancy::Clock& clock;  // for $flagd.timestamp
};

// REQUIRES: `t`'s objects outlive the router.
void AddTenantAdminRoutes(Router& router, const TenantAdmin& t);

tenancy::Result<Response> GetSettings(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> PatchSettings(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> GetBranding(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> PatchBranding(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> PutZones(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> GetPricing(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> PatchPricing(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> GetFlags(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> PutFlags(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> DeleteFlags(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> ListApiKeys(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> CreateApiKey(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> RevokeApiKey(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> GetUsage(const TenantAdmin& t, Exchange& x);
tenancy::Result<Response> GetQuotas(const TenantAdmin& t, Exchange& x);

}  // namespace tenancyd

// Self-service flags, API keys, usage and quota status.
#include <boost/json.hpp>

#include "json_input.hpp"
#include "plans.hpp"
#include "problem.hpp"
#include "services/billing/billing.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/tenant_admin/tenant_admin.hpp"
#include "tenancy/metering.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxKeyName = 100;
constexpr std::size_t kMaxRoles = 16;
constexpr std::size_t kMaxFlagDepth = 64;  // targeting rules nest

json::object KeyJson(const tenancy::ApiKeyInfo& k) {
  json::array roles;
  for (const auto& r : k.roles) roles.push_back(json::value(r));
  return json::object{
      {"key_id", k.key_id},
      {"name", k.name},
      {"roles", std::move(roles)},
      {"created_at", Rfc3339(k.created_at)},
      {"last_used_at", k.last_used_at ? json::value(Rfc3339(*k.last_used_at)) : json::value(nullptr)},
      {"revoked_at", k.revoked_at ? json::value(Rfc3339(*k.revoked_at)) : json::value(nullptr)}};
}

}  // namespace

tenancy::Result<Response> GetFlags(const TenantAdmin& t, Exchange& x) {
  auto doc = t.flag_files.Read(x.context->tenant_id());
  if (!doc) return doc.error();
  if (!*doc) return JsonResponse(http::status::ok, json::object{{"flags", json::object{}}});
  boost::system::error_code ec;
  json::value v = json::parse(**doc, ec);
  if (ec) return Fail(Errc::kDataCorrupted, "the stored flag document is not JSON");
  return JsonResponse(http::status::ok, v);
}

tenancy::Result<Response> PutFlags(const TenantAdmin& t, Exchange& x) {
  auto doc = ParseJsonDocument(x.request, kMaxFlagDepth);
  if (!doc) return doc.error();
  tenancy::FlagSetOptions options;
  options.clock = &t.clock;
  auto set = tenancy::FlagSet::Load(*doc, options);
  if (!set) return x.Unprocessable("invalid_flags", set.error().message);
  const tenancy::TenantId& id = x.context->tenant_id();
  std::lock_guard lock(t.flag_files.mutex());
  // Durable first: a flag set that serves must survive a restart.
  if (auto saved = t.flag_files.Save(id, json::serialize(*doc)); !saved) return saved.error();
  t.flags.SetTenant(id, std::move(*set));
  // The audit entry names the flags (at most 64), never their rules.
  if (const json::value* flags = doc->is_object() ? doc->as_object().if_contains("flags") : nullptr;
      flags && flags->is_object()) {
    json::array keys;
    for (const auto& [k, v] : flags->as_object())
      if (keys.size() < 64) keys.emplace_back(k);
    x.audit.details["flags"] = std::move(keys);
  }
  return JsonResponse(http::status::ok, *doc);
}

tenancy::Result<Response> DeleteFlags(const TenantAdmin& t, Exchange& x) {
  const tenancy::TenantId& id = x.context->tenant_id();
  std::lock_guard lock(t.flag_files.mutex());
  if (auto removed = t.flag_files.Remove(id); !removed) return removed.error();
  t.flags.ClearTenant(id);
  return Response{http::status::no_content, 11};
}

tenancy::Result<Response> ListApiKeys(const TenantAdmin& t, Exchange& x) {
  auto keys = t.auth.ListApiKeys(x.context->tenant_id());
  if (!keys) return keys.error();
  json::array items;
  for (const auto& k : *keys) items.push_back(KeyJson(k));
  return JsonResponse(http::status::ok, json::object{{"items", std::move(items)}});
}

tenancy::Result<Response> CreateApiKey(const TenantAdmin& t, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"name", "roles"});
  if (!body) return body.error();
  auto name = body->RequiredString("name", kMaxKeyName);
  if (!name) return name.error();
  const json::value* raw = body->Raw("roles");
  if (!raw || !raw->is_array() || raw->as_array().empty() || raw->as_array().size() > kMaxRoles)
    return Fail(Errc::kInvalidArgument, "field 'roles' must be an array of 1-16 role names");
  std::vector<std::string> roles;
  for (const auto& r : raw->as_array()) {
    if (!r.is_string() || r.as_string().empty() || r.as_string().size() > 64)
      return Fail(Errc::kInvalidArgument, "field 'roles' must hold role names");
    // A tenant admin hands out tenant roles only: a platform role from a
    // tenant's key would be privilege escalation.
    if (tenancy::IsPlatformRole(std::string_view(r.as_string())))
      return Fail(Errc::kInvalidArgument, "field 'roles': platform roles cannot be given by a tenant");
    // Only roles that mean something here: a typo must not mint a key
    // that silently holds nothing.
    if (!t.roles.Resolve(x.context->tenant_id(), std::string_view(r.as_string())))
      return Fail(Errc::kInvalidArgument, "field 'roles': no role named '" +
                                              SafeText(std::string_view(r.as_string()), 64) + "'");
    roles.emplace_back(r.as_string());
  }
  auto key = t.auth.CreateApiKey(x.context->tenant_id(), *name, roles);
  if (!key) return key.error();
  // The key's id and roles, never the key.
  x.audit.target = "api_key:" + key->info.key_id;
  json::array held;
  for (const auto& r : roles) held.emplace_back(r);
  x.audit.details = json::object{{"key_id", key->info.key_id}, {"roles", std::move(held)}};
  json::object out = KeyJson(key->info);
  out["key"] = key->key;
  Response res = Created(out, "/v1/api-keys/" + key->info.key_id);
  res.set(http::field::cache_control, "no-store");
  return res;
}

tenancy::Result<Response> RevokeApiKey(const TenantAdmin& t, Exchange& x) {
  if (auto r = t.auth.RevokeApiKey(x.context->tenant_id(), x.Param("key_id")); !r) return r.error();
  return Response{http::status::no_content, 11};
}

tenancy::Result<Response> GetUsage(const TenantAdmin& t, Exchange& x) {
  auto params = ParseForm(x.query, {"month"});
  if (!params) return params.error();
  Month month = MonthOf(t.dp.clock.Now());
  if (auto m = Lookup(*params, "month")) {
    auto parsed = ParseMonth(*m, "parameter 'month'");
    if (!parsed) return parsed.error();
    month = std::move(*parsed);
  }
  auto report = t.dp.metering.Query(x.context->tenant_id(), month.start, month.end);
  if (!report) return report.error();
  json::object out = tenancy::UsageToJson(*report);
  out["month"] = month.label;
  return JsonResponse(http::status::ok, out);
}

tenancy::Result<Response> GetQuotas(const TenantAdmin& t, Exchange& x) {
  const tenancy::TenantId& id = x.context->tenant_id();
  auto limits = t.dp.quotas.EffectiveLimits(id);
  if (!limits) return limits.error();
  json::array items;
  for (const auto& [name, limit] : *limits) {
    auto usage = t.dp.quotas.Usage(id, name);
    if (!usage) return usage.error();
    json::object o{{"name", name},
                   {"kind", tenancy::ToString(limit.kind)},
                   {"limit", usage->limit},
                   {"used", usage->used},
                   {"remaining", usage->remaining}};
    if (limit.kind == tenancy::LimitKind::kPeriodic) {
      o["period"] = tenancy::ToString(limit.period);
      o["period_start"] = Rfc3339(usage->period.start);
      o["period_end"] = Rfc3339(usage->period.end);
    }
    if (limit.kind == tenancy::LimitKind::kRate)
      o["per_seconds"] = std::chrono::duration<double>(limit.interval).count();
    items.push_back(std::move(o));
  }
  return JsonResponse(http::status::ok, json::object{{"items", std::move(items)}});
}

void AddTenantAdminRoutes(Router& router, const TenantAdmin& admin) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, admin);
  const Scope t = Scope::kTenant;
  routes.Add(V::get, "/v1/settings", t, P::kTenantRead, GetSettings);
  routes.Add(V::patch, "/v1/settings", t, P::kTenantAdmin, PatchSettings);
  routes.Add(V::get, "/v1/branding", t, P::kTenantRead, GetBranding);
  routes.Add(V::patch, "/v1/branding", t, P::kTenantAdmin, PatchBranding);
  routes.Add(V::put, "/v1/zones", t, P::kTenantAdmin, PutZones);
  routes.Add(V::get, "/v1/pricing", t, P::kTenantRead, GetPricing);
  routes.Add(V::patch, "/v1/pricing", t, P::kTenantAdmin, PatchPricing);
  routes.Add(V::get, "/v1/flags", t, P::kTenantRead, GetFlags);
  routes.Add(V::put, "/v1/flags", t, P::kTenantAdmin, PutFlags);
  routes.Add(V::delete_, "/v1/flags", t, P::kTenantAdmin, DeleteFlags);
  routes.Add(V::get, "/v1/api-keys", t, P::kUsersManage, ListApiKeys);
  routes.Add(V::post, "/v1/api-keys", t, P::kUsersManage, CreateApiKey);
  routes.Add(V::delete_, "/v1/api-keys/{key_id}", t, P::kUsersManage, RevokeApiKey);
  routes.Add(V::get, "/v1/usage", t, P::kBillingRead, GetUsage);
  routes.Add(V::get, "/v1/quotas", t, P::kTenantRead, GetQuotas);
}

}  // namespace tenancyd

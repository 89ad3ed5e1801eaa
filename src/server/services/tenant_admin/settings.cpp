// Configuration self-service: settings, branding, zones, pricing.
#include <boost/json.hpp>
#include <boost/json/parse.hpp>

#include "config_schema.hpp"
#include "json_input.hpp"
#include "services/tenant_admin/tenant_admin.hpp"
#include "tenancy/rules.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxDepth = 32;  // GeoJSON nests deeper than API bodies

// The body as a JSON value of the expected kind (any JSON content type).
tenancy::Result<json::value> ReadJson(const Request& req, bool must_be_object) {
  auto v = ParseJsonDocument(req, kMaxDepth);
  if (!v) return v.error();
  if (must_be_object && !v->is_object())
    return Fail(Errc::kInvalidArgument, "the body must be a JSON object");
  return v;
}

json::object SettingsJson(const tenancy::ConfigSnapshot& s) {
  return json::object{{"settings", s.ToJson()},
                      {"versions", json::object{{"platform", s.versions().platform},
                                                {"tier", s.versions().tier},
                                                {"tenant", s.versions().tenant}}}};
}

// Writes the patch; a refusal by the schema is the client's (422).
tenancy::Result<std::shared_ptr<const tenancy::ConfigSnapshot>> Write(const TenantAdmin& t,
                                                                      Exchange& x,
                                                                      const json::object& patch) {
  const tenancy::TenantContext& ctx = *x.context;
  // The dispatch rule is a string to the schema; compile it here so a rule
  // that cannot run is refused when saved, not when a ride waits.
  if (const json::value* rule = patch.if_contains(kDispatchRule); rule && rule->is_string() &&
                                                                    !rule->as_string().empty()) {
    auto compiled = tenancy::Rule::Parse(std::string_view(rule->as_string()));
    if (!compiled)
      return x.Unprocessable("validation_failed",
                             std::string(kDispatchRule) + ": " + compiled.error().message);
  }
  auto written = t.dp.config.SetTenant(ctx.tenant(), patch, ctx.principal().id);
  if (!written) {
    if (written.error() == Errc::kInvalidArgument)
      return x.Unprocessable("validation_failed", written.error().message);
    return written.error();
  }
  return t.dp.config.Snapshot(ctx);
}

// The top-level names of `o` (at most 64), for the audit entry's details:
// names the schema accepted, never values.
json::array Names(const json::object& o) {
  json::array out;
  for (const auto& [k, v] : o) {
    if (out.size() == 64) break;
    out.emplace_back(k);
  }
  return out;
}

// `base` with `patch`'s members set (null removes one).
json::object Merge(json::object base, const json::object& patch) {
  for (const auto& [k, v] : patch) {
    if (v.is_null()) {
      base.erase(k);
    } else {
      base[k] = v;
    }
  }
  return base;
}

}  // namespace

tenancy::Result<Response> GetSettings(const TenantAdmin& t, Exchange& x) {
  return JsonResponse(http::status::ok, SettingsJson(*t.dp.config.Snapshot(*x.context)));
}

tenancy::Result<Response> PatchSettings(const TenantAdmin& t, Exchange& x) {
  auto v = ReadJson(x.request, true);
  if (!v) return v.error();
  auto s = Write(t, x, v->as_object());
  if (!s) return s.error();
  x.audit.details["keys"] = Names(v->as_object());
  // The dispatch rule is the tenant's rule: its writes are their own action.
  if (v->as_object().contains(kDispatchRule)) x.audit.action = "rule.update";
  return JsonResponse(http::status::ok, SettingsJson(**s));
}

tenancy::Result<Response> GetBranding(const TenantAdmin& t, Exchange& x) {
  auto b = t.dp.config.Snapshot(*x.context)->GetJson("branding");
  if (!b) return b.error();
  return JsonResponse(http::status::ok, *b);
}

tenancy::Result<Response> PatchBranding(const TenantAdmin& t, Exchange& x) {
  auto v = ReadJson(x.request, true);
  if (!v) return v.error();
  auto current = t.dp.config.Snapshot(*x.context)->GetJson("branding");
  if (!current) return current.error();
  json::object base = current->is_object() ? current->as_object() : json::object{};
  auto s = Write(t, x, json::object{{"branding", Merge(std::move(base), v->as_object())}});
  if (!s) return s.error();
  x.audit.details["fields"] = Names(v->as_object());
  return JsonResponse(http::status::ok, *(*s)->GetJson("branding"));
}

tenancy::Result<Response> PutZones(const TenantAdmin& t, Exchange& x) {
  auto v = ReadJson(x.request, true);
  if (!v) return v.error();
  auto s = Write(t, x, json::object{{"zones", std::move(*v)}});
  if (!s) return s.error();
  return JsonResponse(http::status::ok, *(*s)->GetJson("zones"));
}

tenancy::Result<Response> GetPricing(const TenantAdmin& t, Exchange& x) {
  auto p = t.dp.config.Snapshot(*x.context)->GetJson("pricing");
  if (!p) return p.error();
  return JsonResponse(http::status::ok, *p);
}

tenancy::Result<Response> PatchPricing(const TenantAdmin& t, Exchange& x) {
  auto v = ReadJson(x.request, true);
  if (!v) return v.error();
  auto current = t.dp.config.Snapshot(*x.context)->GetJson("pricing");
  if (!current) return current.error();
  json::object base = current->is_object() ? current->as_object() : json::object{};
  auto s = Write(t, x, json::object{{"pricing", Merge(std::move(base), v->as_object())}});
  if (!s) return s.error();
  x.audit.details["fields"] = Names(v->as_object());
  return JsonResponse(http::status::ok, *(*s)->GetJson("pricing"));
}

}  // namespace tenancyd

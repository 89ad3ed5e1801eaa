// GET /v1/tenants, /v1/tenants/{tenant}, …/history, …/keys.
#include <charconv>

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<Response> ListTenants(const ControlPlane& cp, Exchange& x) {
  auto params = ParseForm(x.query, {"state", "tier", "model", "include_deleted", "limit", "cursor"});
  if (!params) return params.error();
  tenancy::TenantFilter filter;
  if (auto v = Lookup(*params, "state")) {
    auto s = tenancy::ParseTenantState(*v);
    if (!s) return Fail(Errc::kInvalidArgument, "parameter 'state' is not a tenant state");
    filter.state = *s;
  }
  if (auto v = Lookup(*params, "tier")) {
    if (!tenancy::IsValidTier(*v)) return Fail(Errc::kInvalidArgument, "parameter 'tier' is not a tier");
    filter.tier = std::string(*v);
  }
  if (auto v = Lookup(*params, "model")) {
    auto m = tenancy::ParseIsolationModel(*v);
    if (!m) return Fail(Errc::kInvalidArgument, "parameter 'model' is not an isolation model");
    filter.model = *m;
  }
  if (auto v = Lookup(*params, "include_deleted")) {
    if (*v != "true" && *v != "false")
      return Fail(Errc::kInvalidArgument, "parameter 'include_deleted' must be true or false");
    filter.include_deleted = *v == "true";
  }
  if (auto v = Lookup(*params, "limit")) {
    std::size_t limit = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit < 1 || limit > 1000)
      return Fail(Errc::kInvalidArgument, "parameter 'limit' must be 1-1000");
    filter.limit = limit;
  }
  if (auto v = Lookup(*params, "cursor")) {
    if (v->size() > 512) return Fail(Errc::kInvalidArgument, "parameter 'cursor' is not a cursor");
    filter.after = std::string(*v);
  }
  auto page = cp.directory.List(filter);
  if (!page) return page.error();
  json::array items;
  for (const auto& t : page->items) items.push_back(TenantJson(t));
  return JsonResponse(http::status::ok,
                      json::object{{"items", std::move(items)},
                                   {"next_cursor", page->next_cursor.empty()
                                                       ? json::value(nullptr)
                                                       : json::value(page->next_cursor)}});
}

tenancy::Result<Response> ReadTenant(const ControlPlane& cp, Exchange& x) {
  auto t = TargetTenant(cp, x);
  if (!t) return t.error();
  return JsonResponse(http::status::ok, TenantJson(**t));
}

tenancy::Result<Response> TenantHistory(const ControlPlane& cp, Exchange& x) {
  auto t = TargetTenant(cp, x);
  if (!t) return t.error();
  auto history = cp.directory.History((*t)->id);
  if (!history) return history.error();
  json::array items;
  for (const auto& step : *history)
    items.push_back(json::object{{"from", tenancy::ToString(step.from)},
                                 {"to", tenancy::ToString(step.to)},
                                 {"reason", step.reason},
                                 {"at", Rfc3339(step.at)}});
  return JsonResponse(http::status::ok,
                      json::object{{"tenant_id", (*t)->id.str()}, {"items", std::move(items)}});
}

tenancy::Result<Response> TenantKeys(const ControlPlane& cp, Exchange& x) {
  auto t = TargetTenant(cp, x);
  if (!t) return t.error();
  auto keys = cp.keyring.List((*t)->id);
  if (!keys) return keys.error();
  json::array items;
  for (const auto& k : *keys)
    items.push_back(json::object{{"version", k.version},
                                 {"primary", k.primary},
                                 {"created_at", Rfc3339(k.created_at)}});
  return JsonResponse(http::status::ok,
                      json::object{{"tenant_id", (*t)->id.str()}, {"items", std::move(items)}});
}

}  // namespace tenancyd

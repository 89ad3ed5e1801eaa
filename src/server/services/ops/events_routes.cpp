// The tenant's event log (GET /v1/events) and the ops route table.
#include <boost/json.hpp>

#include <charconv>
#include <limits>

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/ops/ops.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxEventLimit = 1000;

tenancy::Result<std::int64_t> ParseCount(std::string_view text, std::string_view name,
                                         std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return Fail(Errc::kInvalidArgument, "parameter '" + std::string(name) + "' must be an integer " +
                                            std::to_string(min) + "-" + std::to_string(max));
  return v;
}

json::object EventJson(const tenancy::Event& e) {
  // The payload was serialized by Events::Append, so it parses; a row
  // altered behind the library's back is shown as text rather than failing
  // the whole page.
  boost::system::error_code ec;
  json::value data = json::parse(e.payload, ec);
  if (ec) data = json::string(e.payload);
  return json::object{{"sequence", e.sequence},
                      {"type", e.type},
                      {"data", std::move(data)},
                      {"created_at", Rfc3339(e.created_at)},
                      {"request_id", e.request_id},
                      {"trace_id", e.trace_id}};
}

}  // namespace

tenancy::Result<Response> ListEvents(const Ops& o, Exchange& x) {
  auto params = ParseForm(x.query, {"after", "limit", "type"});
  if (!params) return params.error();
  tenancy::EventQuery q;
  if (auto v = Lookup(*params, "after")) {
    auto after = ParseCount(*v, "after", 0, std::numeric_limits<std::int64_t>::max());
    if (!after) return after.error();
    q.after = *after;
  }
  if (auto v = Lookup(*params, "limit")) {
    auto limit = ParseCount(*v, "limit", 1, kMaxEventLimit);
    if (!limit) return limit.error();
    q.limit = static_cast<std::size_t>(*limit);
  }
  if (auto v = Lookup(*params, "type")) {
    if (!tenancy::IsValidEventTypePattern(*v))
      return Fail(Errc::kInvalidArgument,
                  "parameter 'type' must be '*', an event type or a prefix like 'ride.*'");
    q.type = std::string(*v);
  }
  auto page = o.events.Read(*x.context, q);
  if (!page) return page.error();
  json::array items;
  for (const tenancy::Event& e : page->items) items.push_back(EventJson(e));
  return JsonResponse(http::status::ok, json::object{{"items", std::move(items)},
                                                     {"next_after", page->next_after},
                                                     {"more", page->more}});
}

void AddOpsRoutes(Router& router, const Ops& ops) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, ops);
  const Scope t = Scope::kTenant;
  routes.Add(V::get, "/v1/events", t, P::kTenantRead, ListEvents);
  // The deliveries paths come before /v1/webhooks/{id}: the first match wins.
  routes.Add(V::get, "/v1/webhooks/deliveries", t, P::kTenantAdmin, ListDeliveries);
  routes.Add(V::get, "/v1/webhooks/deliveries/{id}", t, P::kTenantAdmin, GetDelivery);
  routes.Add(V::post, "/v1/webhooks/deliveries/{id}/redeliver", t, P::kTenantAdmin, RedeliverDelivery);
  routes.Add(V::post, "/v1/webhooks", t, P::kTenantAdmin, CreateWebhook);
  routes.Add(V::get, "/v1/webhooks", t, P::kTenantAdmin, ListWebhooks);
  routes.Add(V::get, "/v1/webhooks/{id}", t, P::kTenantAdmin, GetWebhook);
  routes.Add(V::patch, "/v1/webhooks/{id}", t, P::kTenantAdmin, PatchWebhook);
  routes.Add(V::delete_, "/v1/webhooks/{id}", t, P::kTenantAdmin, DeleteWebhook);
  routes.Add(V::post, "/v1/webhooks/{id}/rotate-secret", t, P::kTenantAdmin, RotateWebhookSecret);
  const Scope p = Scope::kPlatform;
  routes.Add(V::post, "/v1/tenants/{tenant}/backup", p, P::kPlatformTenantsAdmin, BackupTenant);
  routes.Add(V::post, "/v1/restore", p, P::kPlatformTenantsAdmin, RestoreTenant);
}

}  // namespace tenancyd

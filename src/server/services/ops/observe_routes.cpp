// /metrics, the tenant's metrics view, logs, health and incidents, and the
// observability route table.
#include <boost/json.hpp>

#include <charconv>
#include <limits>

#include "json_input.hpp"
#include "services/billing/billing.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/ops/observe.hpp"
#include "services/ops/observe_input.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<std::int64_t> QueryInt(const QueryParams& params, std::string_view name,
                                       std::int64_t min, std::int64_t max, std::int64_t fallback) {
  const auto text = Lookup(params, name);
  if (!text) return fallback;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || v < min || v > max)
    return Fail(Errc::kInvalidArgument, "parameter '" + std::string(name) + "' must be an integer " +
                                            std::to_string(min) + "-" + std::to_string(max));
  return v;
}

tenancy::Result<std::shared_ptr<const tenancy::Tenant>> NamedTenant(const tenancy::Directory& d,
                                                                   std::string_view name) {
  if (auto id = tenancy::TenantId::Parse(name)) return d.Get(*id);
  if (!tenancy::IsValidSlug(name)) return Fail(Errc::kTenantUnknown, "no such tenant");
  return d.GetBySlug(name);
}

tenancy::Result<std::chrono::year_month> MonthQuery(const QueryParams& params, tenancy::TimePoint now,
                                                    std::string* label) {
  Month m = MonthOf(now);
  if (auto text = Lookup(params, "month")) {
    auto parsed = ParseMonth(*text, "parameter 'month'");
    if (!parsed) return parsed.error();
    m = std::move(*parsed);
  }
  if (label) *label = m.label;
  return std::chrono::year{m.year} / std::chrono::month{m.month};
}

namespace {

json::object LogPageJson(const tenancy::LogPage& page, std::string_view sequence) {
  json::array items;
  for (const tenancy::LogRecord& r : page.records) {
    // Lines are the logger's own JSON objects; one that does not parse
    // (never, short of memory corruption) is shown as text.
    boost::system::error_code ec;
    json::value line = json::parse(r.line, ec);
    if (ec) line = json::string(r.line);
    items.push_back(json::object{{"seq", r.seq}, {"level", tenancy::ToString(r.level)}, {"line", std::move(line)}});
  }
  return json::object{{"items", std::move(items)},
                      {"next", page.next},
                      {"dropped", page.dropped},
                      {"restarted", page.restarted},
                      {"sequence", sequence}};
}

struct LogQuery {
  std::uint64_t after = 0;
  std::size_t limit = 100;
};

tenancy::Result<LogQuery> ReadLogQuery(const QueryParams& params) {
  LogQuery q;
  auto after = QueryInt(params, "after", 0, std::numeric_limits<std::int64_t>::max(), 0);
  if (!after) return after.error();
  auto limit = QueryInt(params, "limit", 1, static_cast<std::int64_t>(tenancy::kMaxLogReadLimit), 100);
  if (!limit) return limit.error();
  q.after = static_cast<std::uint64_t>(*after);
  q.limit = static_cast<std::size_t>(*limit);
  return q;
}

json::object HealthJson(const tenancy::TenantHealth& h, const tenancy::Tenant& t) {
  json::object o = tenancy::ToJson(h);
  o["slug"] = t.slug;
  o["tier"] = t.tier;
  o["state"] = tenancy::ToString(t.state);
  return o;
}

}  // namespace

tenancy::Result<Response> PrometheusMetrics(const Observe& o, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  Response res{http::status::ok, 11};
  // Prometheus negotiates the text format 0.0.4 by exactly this type.
  res.set(http::field::content_type, tenancy::kPrometheusContentType);
  res.set(http::field::cache_control, "no-store");
  res.body() = o.obs.metrics().ExposePrometheus();
  res.prepare_payload();
  return res;
}

tenancy::Result<Response> TenantMetrics(const Observe& o, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  return JsonResponse(http::status::ok, o.obs.metrics().TenantView(x.context->tenant_id()));
}

tenancy::Result<Response> TenantLogs(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"after", "limit"});
  if (!params) return params.error();
  auto q = ReadLogQuery(*params);
  if (!q) return q.error();
  o.obs.access_log().Flush();  // the lines of requests answered so far, this one's excepted
  // The context's tenant only: the ring is chosen by it, never by input.
  auto page = o.obs.log_memory().Read(x.context->tenant_id(), q->after, q->limit);
  if (!page) return page.error();
  return JsonResponse(http::status::ok, LogPageJson(*page, "tenant"));
}

tenancy::Result<Response> PlatformLogs(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"after", "limit", "tenant"});
  if (!params) return params.error();
  auto q = ReadLogQuery(*params);
  if (!q) return q.error();
  o.obs.access_log().Flush();
  if (auto name = Lookup(*params, "tenant")) {
    auto t = NamedTenant(o.directory, *name);
    if (!t) return t.error();
    auto page = o.obs.log_memory().Read((*t)->id, q->after, q->limit);
    if (!page) return page.error();
    return JsonResponse(http::status::ok, LogPageJson(*page, "tenant"));
  }
  auto page = o.obs.log_memory().ReadAll(q->after, q->limit);
  if (!page) return page.error();
  return JsonResponse(http::status::ok, LogPageJson(*page, "all"));
}

tenancy::Result<Response> TenantHealthOf(const Observe& o, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  const tenancy::TenantId& id = x.context->tenant_id();
  // The state now, not the context's snapshot of it.
  auto now = o.directory.Get(id);
  if (!now) return now.error();
  return JsonResponse(http::status::ok, HealthJson(o.obs.slo().Health(id, (*now)->state), **now));
}

tenancy::Result<Response> PlatformHealth(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"limit", "cursor"});
  if (!params) return params.error();
  auto limit = QueryInt(*params, "limit", 1, 1000, 100);
  if (!limit) return limit.error();
  const std::string cursor(Lookup(*params, "cursor").value_or(""));

  // Counts over every tenant; the listing is one page of them, by id.
  std::int64_t counts[4] = {};
  json::array tenants;
  std::string last_listed;
  bool more = false;
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  auto walked = o.directory.ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    const tenancy::TenantHealth h = o.obs.slo().Health(t.id, t.state);
    ++counts[static_cast<std::size_t>(h.status)];
    if (!cursor.empty() && t.id.str() <= cursor) return true;
    if (tenants.size() < static_cast<std::size_t>(*limit)) {
      tenants.push_back(HealthJson(h, t));
      last_listed = t.id.str();
    } else {
      more = true;
    }
    return true;
  });
  if (!walked) return walked.error();
  const std::string next_cursor = more ? last_listed : std::string();
  return JsonResponse(http::status::ok, json::object{{"healthy", counts[0]},
                                                     {"degraded", counts[1]},
                                                     {"quarantined", counts[2]},
                                                     {"suspended", counts[3]},
                                                     {"tenants", std::move(tenants)},
                                                     {"next_cursor", next_cursor}});
}

tenancy::Result<Response> PlatformIncidents(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"month", "tenant"});
  if (!params) return params.error();
  std::string label;
  auto month = MonthQuery(*params, o.obs.Now(), &label);
  if (!month) return month.error();
  std::vector<tenancy::IncidentReport> reports;
  if (auto name = Lookup(*params, "tenant")) {
    auto t = NamedTenant(o.directory, *name);
    if (!t) return t.error();
    auto one = o.obs.slo().MonthlyIncidents((*t)->id, *month);
    if (!one) return one.error();
    reports.push_back(std::move(*one));
  } else {
    auto all = o.obs.slo().MonthlyIncidentsAll(*month);
    if (!all) return all.error();
    reports = std::move(*all);
  }
  json::array tenants;
  std::int64_t count = 0;
  double minutes = 0;
  for (const tenancy::IncidentReport& r : reports) {
    json::object line = tenancy::ToJson(r);
    auto t = o.directory.Get(r.tenant);
    line["slug"] = t ? json::value((*t)->slug) : json::value(nullptr);
    count += r.count;
    minutes += r.total_minutes;
    tenants.push_back(std::move(line));
  }
  return JsonResponse(http::status::ok, json::object{{"month", label},
                                                     {"count", count},
                                                     {"total_minutes", minutes},
                                                     {"tenants", std::move(tenants)}});
}

void AddObserveRoutes(Router& router, const Observe& o) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, o);
  const Scope t = Scope::kTenant;
  routes.Add(V::get, "/v1/tenant/metrics", t, P::kTenantRead, TenantMetrics);
  routes.Add(V::get, "/v1/tenant/logs", t, P::kTenantAdmin, TenantLogs);
  routes.Add(V::get, "/v1/tenant/health", t, P::kTenantRead, TenantHealthOf);
  routes.Add(V::get, "/v1/tenant/dashboard", t, P::kTenantRead, TenantDashboard);
  const Scope p = Scope::kPlatform;
  routes.Add(V::get, "/metrics", p, P::kPlatformTenantsRead, PrometheusMetrics);
  routes.Add(V::get, "/v1/platform/logs", p, P::kPlatformTenantsRead, PlatformLogs);
  routes.Add(V::get, "/v1/platform/health", p, P::kPlatformTenantsRead, PlatformHealth);
  routes.Add(V::get, "/v1/platform/incidents", p, P::kPlatformTenantsRead, PlatformIncidents);
  routes.Add(V::get, "/v1/platform/success-metrics", p, P::kPlatformTenantsRead, SuccessMetrics);
  routes.Add(V::get, "/v1/platform/idle-tenants", p, P::kPlatformTenantsRead, IdleTenants);
  routes.Add(V::post, "/v1/platform/idle-tenants/apply", p, P::kPlatformTenantsAdmin, ApplyIdlePolicy);
}

}  // namespace tenancyd

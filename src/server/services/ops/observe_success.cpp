// GET /v1/platform/success-metrics: the seed's four measures of the
// platform (design.md §7), for one UTC month (default: this one).
//
//   {"as_of", "month": "YYYY-MM", "currency": "USD",
//    "onboarding": {"count", "median_ms", "p95_ms"},          (the last 1024 onboarding calls)
//    "time_to_first_ride": {"count", "median_s", "p95_s"},    (tenant created → first ride booked)
//    "tenants": {"total", "by_state": {state: n}, "by_model": {model: n},
//                "active_24h", "active_30d", "active_30d_by_model": {model: n}},
//    "incidents": {"count", "tenants_affected", "total_minutes"},
//    "cost_model": {"cents_per_cpu_second", "cents_per_gb_month", "cents_per_million_requests"},
//    "totals": {"cost_cents", "revenue_cents", "margin_cents"},
//    "per_tenant": [{"tenant_id", "slug", "tier", "state", "model", "requests", "cpu_seconds",
//                    "storage_bytes", "cost_cents",
//                    "cost": {"cpu_cents", "storage_cents", "requests_cents"},
//                    "revenue_cents", "margin_cents", "incidents", "incident_minutes",
//                    "last_request_at"}],
//    "next_cursor": ""}
//
// Figures are over every live tenant; `per_tenant` is one page of them
// (?limit=1-1000, default 100; ?cursor= the previous page's next_cursor).
// Cost = the month's measured CPU seconds × cents_per_cpu_second + storage
// bytes now (a full month at that size) / 10^9 × cents_per_gb_month + the
// month's requests / 10^6 × cents_per_million_requests (requests and CPU
// inside the tenant, middleware/observe.hpp). Revenue = the month's invoice
// total from billing (plan base price, requests over the included amount,
// booked rides; the tier as of now), in the same cents.
#include <boost/json.hpp>

#include <map>

#include "plans.hpp"
#include "services/billing/billing.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/ops/observe.hpp"
#include "services/ops/observe_input.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

struct IncidentFigures {
  std::int64_t count = 0;
  double minutes = 0;
};

json::value Opt(std::optional<double> v, double scale = 1.0) {
  return v ? json::value(*v * scale) : json::value(nullptr);
}

json::object CountsJson(const std::map<std::string, std::int64_t>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

tenancy::Result<Response> SuccessMetrics(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"month", "limit", "cursor"});
  if (!params) return params.error();
  auto limit = QueryInt(*params, "limit", 1, 1000, 100);
  if (!limit) return limit.error();
  const std::string cursor(Lookup(*params, "cursor").value_or(""));
  Month month = MonthOf(o.obs.Now());
  if (auto m = Lookup(*params, "month")) {
    auto parsed = ParseMonth(*m, "parameter 'month'");
    if (!parsed) return parsed.error();
    month = std::move(*parsed);
  }
  const std::int64_t now_ms = o.obs.NowMillis();
  const CostModel& prices = o.obs.options().cost;
  const ActivityData activity = o.obs.Activity();

  // Revenue: each tenant's invoice for the month, from metering's totals.
  std::map<tenancy::TenantId, UsageCounts> usage;
  for (std::string_view meter : {kApiRequests, kRidesBooked}) {
    auto report = o.metering.QueryAllTenants(month.start, month.end, meter);
    if (!report) return report.error();
    for (const tenancy::UsageTotal& t : report->totals) {
      UsageCounts& u = usage[t.tenant];
      (meter == kApiRequests ? u.api_requests : u.rides_booked) += t.amount;
    }
  }
  auto incident_reports =
      o.obs.slo().MonthlyIncidentsAll(std::chrono::year{month.year} / std::chrono::month{month.month});
  if (!incident_reports) return incident_reports.error();
  std::map<tenancy::TenantId, IncidentFigures> incidents;
  IncidentFigures all_incidents;
  for (const tenancy::IncidentReport& r : *incident_reports) {
    incidents[r.tenant] = {r.count, r.total_minutes};
    all_incidents.count += r.count;
    all_incidents.minutes += r.total_minutes;
  }

  std::map<std::string, std::int64_t> by_state, by_model, active_by_model;
  std::int64_t total = 0, active_day = 0, active_month = 0;
  double cost_total = 0;
  std::int64_t revenue_total = 0;
  std::vector<double> first_ride_s;
  json::array per_tenant;
  std::string last_listed;
  bool more = false;
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  auto walked = o.directory.ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    ++total;
    ++by_state[std::string(tenancy::ToString(t.state))];
    const std::string model(tenancy::ToString(t.model));
    ++by_model[model];
    const auto a_it = activity.tenants.find(t.id);
    const TenantActivity a = a_it == activity.tenants.end() ? TenantActivity{} : a_it->second;
    if (a.last_request_ms != 0 && now_ms - a.last_request_ms <= kDayMs) ++active_day;
    if (a.last_request_ms != 0 && now_ms - a.last_request_ms <= 30 * kDayMs) {
      ++active_month;
      ++active_by_model[model];
    }
    if (a.first_ride_ms != 0)
      first_ride_s.push_back(
          static_cast<double>(a.first_ride_ms - tenancy::ToUnixMillis(t.created_at)) / 1000.0);

    const auto m = a.months.find(month.label);
    const MonthUsage used = m == a.months.end() ? MonthUsage{} : m->second;
    const double cpu_s = static_cast<double>(used.cpu_ns) / 1e9;
    const std::int64_t bytes = a.storage_bytes < 0 ? 0 : a.storage_bytes;
    const double cpu_cents = cpu_s * prices.cents_per_cpu_second;
    const double storage_cents = static_cast<double>(bytes) / 1e9 * prices.cents_per_gb_month;
    const double request_cents = static_cast<double>(used.requests) / 1e6 * prices.cents_per_million_requests;
    const double cost = cpu_cents + storage_cents + request_cents;
    const auto u = usage.find(t.id);
    const std::int64_t revenue =
        InvoiceJson(t.tier, u == usage.end() ? UsageCounts{} : u->second).at("total").as_int64();
    cost_total += cost;
    revenue_total += revenue;

    if (!cursor.empty() && t.id.str() <= cursor) return true;
    if (per_tenant.size() == static_cast<std::size_t>(*limit)) {
      more = true;
      return true;
    }
    const auto inc = incidents.find(t.id);
    const IncidentFigures fig = inc == incidents.end() ? IncidentFigures{} : inc->second;
    per_tenant.push_back(json::object{
        {"tenant_id", t.id.str()},
        {"slug", t.slug},
        {"tier", t.tier},
        {"state", tenancy::ToString(t.state)},
        {"model", model},
        {"requests", used.requests},
        {"cpu_seconds", cpu_s},
        {"storage_bytes", a.storage_bytes < 0 ? json::value(nullptr) : json::value(a.storage_bytes)},
        {"cost_cents", cost},
        {"cost", json::object{{"cpu_cents", cpu_cents},
                              {"storage_cents", storage_cents},
                              {"requests_cents", request_cents}}},
        {"revenue_cents", revenue},
        {"margin_cents", static_cast<double>(revenue) - cost},
        {"incidents", fig.count},
        {"incident_minutes", fig.minutes},
        {"last_request_at", a.last_request_ms ? json::value(Rfc3339(tenancy::FromUnixMillis(a.last_request_ms)))
                                              : json::value(nullptr)}});
    last_listed = t.id.str();
    return true;
  });
  if (!walked) return walked.error();

  std::vector<double> onboarding_ms;
  for (std::int64_t us : activity.onboarding_us) onboarding_ms.push_back(static_cast<double>(us) / 1000.0);
  std::int64_t affected = 0;
  for (const auto& [id, fig] : incidents) affected += fig.count > 0 || fig.minutes > 0 ? 1 : 0;

  json::object out{
      {"as_of", Rfc3339(o.obs.Now())},
      {"month", month.label},
      {"currency", kBillingCurrency},
      {"onboarding", json::object{{"count", onboarding_ms.size()},
                                  {"median_ms", Opt(SampleQuantile(onboarding_ms, 0.5))},
                                  {"p95_ms", Opt(SampleQuantile(onboarding_ms, 0.95))}}},
      {"time_to_first_ride", json::object{{"count", first_ride_s.size()},
                                          {"median_s", Opt(SampleQuantile(first_ride_s, 0.5))},
                                          {"p95_s", Opt(SampleQuantile(first_ride_s, 0.95))}}},
      {"tenants", json::object{{"total", total},
                               {"by_state", CountsJson(by_state)},
                               {"by_model", CountsJson(by_model)},
                               {"active_24h", active_day},
                               {"active_30d", active_month},
                               {"active_30d_by_model", CountsJson(active_by_model)}}},
      {"incidents", json::object{{"count", all_incidents.count},
                                 {"tenants_affected", affected},
                                 {"total_minutes", all_incidents.minutes}}},
      {"cost_model", json::object{{"cents_per_cpu_second", prices.cents_per_cpu_second},
                                  {"cents_per_gb_month", prices.cents_per_gb_month},
                                  {"cents_per_million_requests", prices.cents_per_million_requests}}},
      {"totals", json::object{{"cost_cents", cost_total},
                              {"revenue_cents", revenue_total},
                              {"margin_cents", static_cast<double>(revenue_total) - cost_total}}},
      {"per_tenant", std::move(per_tenant)},
      {"next_cursor", more ? last_listed : std::string()}};
  return JsonResponse(http::status::ok, out);
}

}  // namespace tenancyd

// Receipts, invoices and the platform's revenue report.
#include "services/billing/billing.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>

#include "plans.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kRidesCompleted = "rides.completed";
constexpr std::string_view kRidesRevenue = "rides.revenue";

Month MakeMonth(int year, unsigned month) {
  using namespace std::chrono;
  Month m;
  m.year = year;
  m.month = month;
  const year_month ym{std::chrono::year{year}, std::chrono::month{month}};
  const sys_days first{ym / 1};
  const sys_days next{(ym + months{1}) / 1};
  m.start = tenancy::TimePoint{duration_cast<tenancy::TimePoint::duration>(first.time_since_epoch())};
  m.end = tenancy::TimePoint{duration_cast<tenancy::TimePoint::duration>(next.time_since_epoch())};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", year, month);
  m.label = buf;
  return m;
}

void Add(UsageCounts& u, std::string_view meter, std::int64_t amount) {
  if (meter == kApiRequests) u.api_requests += amount;
  else if (meter == kRidesBooked) u.rides_booked += amount;
  else if (meter == kRidesCompleted) u.rides_completed += amount;
  else if (meter == kRidesRevenue) u.ride_revenue += amount;
}

tenancy::Result<Month> MonthParam(Exchange& x, const DataPlane& dp) {
  auto params = ParseForm(x.query, {"month"});
  if (!params) return params.error();
  if (auto m = Lookup(*params, "month")) return ParseMonth(*m, "parameter 'month'");
  return MonthOf(dp.clock.Now());
}

json::object ReceiptJson(const Receipt& r) {
  return json::object{
      {"ride_id", r.ride_id},
      {"rider_name", r.rider_name ? json::value(*r.rider_name) : json::value(nullptr)},
      {"currency", r.currency},
      {"base", r.base},
      {"distance_fare", r.distance_fare},
      {"time_fare", r.time_fare},
      {"surge_multiplier", r.surge_milli / 1000.0},
      {"rule_adjustment", r.rule_adjustment},
      {"minimum_applied", r.minimum_applied},
      {"total", r.total},
      {"distance_m", r.distance_m},
      {"duration_s", r.duration_s},
      {"pickup_zone", r.pickup_zone.empty() ? json::value(nullptr) : json::value(r.pickup_zone)},
      {"issued_at", MillisToRfc3339(r.issued_at)}};
}

json::object UsageJson(const UsageCounts& u) {
  return json::object{{"api_requests", u.api_requests},
                      {"rides_booked", u.rides_booked},
                      {"rides_completed", u.rides_completed},
                      {"ride_revenue", u.ride_revenue}};
}

}  // namespace

tenancy::Result<Month> ParseMonth(std::string_view text, std::string_view field) {
  const auto bad = [&] {
    return Fail(Errc::kInvalidArgument, std::string(field) + " must be YYYY-MM");
  };
  if (text.size() != 7 || text[4] != '-') return bad();
  int year = 0;
  unsigned month = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    year = year * 10 + (text[i] - '0');
  }
  for (std::size_t i = 5; i < 7; ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    month = month * 10 + static_cast<unsigned>(text[i] - '0');
  }
  if (year < 1970 || month < 1 || month > 12) return bad();
  return MakeMonth(year, month);
}

Month MonthOf(tenancy::TimePoint t) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(t)};
  return MakeMonth(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
}

json::object InvoiceJson(std::string_view tier, const UsageCounts& usage) {
  const TierPrice& price = PriceOf(tier);
  json::array lines;
  std::int64_t total = 0;
  const auto line = [&](std::string_view item, std::int64_t quantity, std::int64_t unit,
                        std::int64_t amount) {
    lines.push_back(json::object{
        {"item", item}, {"quantity", quantity}, {"unit_price", unit}, {"amount", amount}});
    total += amount;
  };
  line("plan." + std::string(price.tier), 1, price.base_cents_per_month, price.base_cents_per_month);
  const std::int64_t extra = std::max<std::int64_t>(0, usage.api_requests - price.included_requests);
  const std::int64_t thousands = (extra + 999) / 1000;  // per started thousand
  line("api.requests.over_included", thousands, price.cents_per_1000_requests,
       thousands * price.cents_per_1000_requests);
  line("rides.booked", usage.rides_booked, price.cents_per_ride,
       usage.rides_booked * price.cents_per_ride);
  return json::object{{"tier", tier},
                      {"price_tier", price.tier},
                      {"currency", kBillingCurrency},
                      {"included_requests", price.included_requests},
                      {"usage", UsageJson(usage)},
                      {"lines", std::move(lines)},
                      {"total", total}};
}

tenancy::Result<Response> ListReceipts(const Billing& b, Exchange& x) {
  auto params = ParseForm(x.query, {"limit", "cursor"});
  if (!params) return params.error();
  tenancy::ListQuery q;
  if (auto ok = ReadPaging(*params, q); !ok) return ok.error();
  auto page = b.dp.receipts.List(*x.context, q);
  if (!page) return page.error();
  json::array items;
  for (const Receipt& r : page->items) items.push_back(ReceiptJson(r));
  return JsonResponse(http::status::ok, PageJson(std::move(items), page->next_cursor));
}

tenancy::Result<Response> GetReceipt(const Billing& b, Exchange& x) {
  auto r = b.dp.receipts.Get(*x.context, x.Param("ride_id"));
  if (!r) return r.error();
  return JsonResponse(http::status::ok, ReceiptJson(*r));
}

tenancy::Result<Response> GetInvoice(const Billing& b, Exchange& x) {
  const tenancy::TenantContext& ctx = *x.context;
  auto month = MonthParam(x, b.dp);
  if (!month) return month.error();
  auto report = b.dp.metering.Query(ctx.tenant_id(), month->start, month->end);
  if (!report) return report.error();
  UsageCounts usage;
  for (const auto& t : report->totals) Add(usage, t.meter, t.amount);
  json::object invoice = InvoiceJson(ctx.tenant().tier, usage);
  invoice["tenant_id"] = ctx.tenant_id().str();
  invoice["month"] = month->label;
  return JsonResponse(http::status::ok, invoice);
}

tenancy::Result<Response> PlatformRevenue(const Billing& b, Exchange& x) {
  auto month = MonthParam(x, b.dp);
  if (!month) return month.error();
  auto report = b.dp.metering.QueryAllTenants(month->start, month->end);
  if (!report) return report.error();
  std::map<std::string, UsageCounts> by_tenant;
  for (const auto& t : report->totals) Add(by_tenant[t.tenant.str()], t.meter, t.amount);
  json::array tenants;
  std::int64_t platform_total = 0;
  for (const auto& [id, usage] : by_tenant) {
    auto parsed = tenancy::TenantId::Parse(id);
    if (!parsed) continue;
    auto tenant = b.directory.Get(*parsed);
    const std::string tier = tenant ? (*tenant)->tier : std::string();
    json::object invoice = InvoiceJson(tier, usage);
    platform_total += invoice.at("total").as_int64();
    tenants.push_back(json::object{
        {"tenant_id", id},
        {"slug", tenant ? json::value((*tenant)->slug) : json::value(nullptr)},
        {"tier", tier},
        {"usage", UsageJson(usage)},
        {"invoice_total", invoice.at("total")}});
  }
  return JsonResponse(http::status::ok, json::object{{"month", month->label},
                                                     {"currency", kBillingCurrency},
                                                     {"tenants", std::move(tenants)},
                                                     {"total", platform_total}});
}

void AddBillingRoutes(Router& router, const Billing& b) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, b);
  const Scope t = Scope::kTenant;
  routes.Add(V::get, "/v1/receipts", t, P::kBillingRead, ListReceipts);
  routes.Add(V::get, "/v1/receipts/{ride_id}", t, P::kBillingRead, GetReceipt);
  routes.Add(V::get, "/v1/invoices", t, P::kBillingRead, GetInvoice);
  const Scope p = Scope::kPlatform;
  routes.Add(V::get, "/v1/platform/revenue", p, P::kPlatformTenantsRead, PlatformRevenue);
}

}  // namespace tenancyd

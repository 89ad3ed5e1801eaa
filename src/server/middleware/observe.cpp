// Step 7, observability: metrics, SLO probe, activity and the access log.
#include "middleware/observe.hpp"

#include <map>
#include <string>

#include "middleware/steps.hpp"

namespace tenancyd {

namespace {

constexpr std::string_view kClasses[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
constexpr std::string_view kUnmatched = "none";
constexpr std::string_view kOther = "other";
// Route label values a family may declare (and combinations: × 6 classes).
constexpr std::size_t kMaxRouteValues = tenancy::kMaxLabelCombinations / 6 - 2;

std::size_t ClassOf(unsigned status) noexcept {
  return status >= 100 && status <= 599 ? status / 100 - 1 : 5;
}

std::string_view View(boost::beast::string_view s) noexcept { return {s.data(), s.size()}; }

}  // namespace

ObserveSink::ObserveSink(Observability& obs, const Router& router)
    : obs_(obs), router_(router), platform_cells_(obs.request_metrics().For(tenancy::TenantId{})) {}

ObserveSink::~ObserveSink() = default;

const ObserveSink::RouteTable& ObserveSink::Routes() const {
  // Built at the first request rather than at construction: routes added
  // after the sink was plugged in (the audit routes, a test's) are in it.
  std::call_once(routes_once_, [this] {
    auto table = std::make_unique<RouteTable>();
    std::map<std::string, std::size_t> index;  // label value → position
    std::vector<std::string> values;
    std::vector<std::pair<const Route*, std::size_t>> placed;
    for (const Route& r : router_.routes()) {
      std::string value = std::string(View(http::to_string(r.method))) + " " + r.pattern;
      if (value.size() > tenancy::kMaxLabelValueBytes) continue;  // counted as "other"
      auto [it, fresh] = index.try_emplace(value, values.size());
      if (fresh) {
        if (values.size() == kMaxRouteValues) {
          index.erase(it);
          continue;
        }
        values.push_back(std::move(value));
      }
      placed.emplace_back(&r, it->second);
    }
    values.emplace_back(kUnmatched);
    values.emplace_back(kOther);
    auto family = obs_.metrics().AddCounter(
        {.name = "tenancyd_route_requests_total",
         .help = "Requests by route (method and pattern) and status class, all tenants together.",
         .labels = {{"route", values},
                    {"status_class", std::vector<std::string>(std::begin(kClasses), std::end(kClasses))}}});
    const auto cells_of = [&](std::string_view value, RouteCells& out) {
      if (!family) return;  // counted nowhere rather than failing requests
      for (std::size_t c = 0; c < 6; ++c)
        if (auto cell = (*family)->For(tenancy::TenantId{}, {value, kClasses[c]})) out.by_class[c] = *cell;
    };
    for (const auto& [route, i] : placed) {
      RouteCells cells;
      cells_of(values[i], cells);
      if (route->method == http::verb::post &&
          (route->pattern == "/v1/tenants" || route->pattern == "/v1/signup"))
        cells.kind = RouteKind::kOnboarding;
      if (route->method == http::verb::post && route->pattern == "/v1/rides")
        cells.kind = RouteKind::kRideBooking;
      table->by_pattern.emplace(route->pattern.data(), cells);
    }
    cells_of(kUnmatched, table->unmatched);
    cells_of(kOther, table->other);
    routes_ = std::move(table);
  });
  return *routes_;
}

void ObserveSink::Record(const AccountingRecord& r) noexcept {
  try {
    const RouteTable& table = Routes();
    const RouteCells* route = &table.unmatched;
    if (!r.route.empty()) {
      auto it = table.by_pattern.find(r.route.data());
      route = it == table.by_pattern.end() ? &table.other : &it->second;
    }
    if (tenancy::CounterCell* cell = route->by_class[ClassOf(r.status)]) cell->Add();

    const int status = static_cast<int>(r.status);
    const bool in_tenant = r.context != nullptr;
    if (in_tenant) {
      TenantStats& s = obs_.StatsFor(*r.context);
      tenancy::TenantRequestMetrics::RecordRequest(s.cells, status, r.latency, r.cpu);
      // A 4xx is the caller's mistake, not the service failing its SLO.
      const bool server_error = r.status >= 500 || r.status < 100;
      s.probe.Record(!server_error, r.latency);
      s.requests.fetch_add(1, std::memory_order_relaxed);
      if (server_error) s.server_errors.fetch_add(1, std::memory_order_relaxed);
      s.cpu_ns.fetch_add(static_cast<std::uint64_t>(r.cpu.count()), std::memory_order_relaxed);
      const std::int64_t now = obs_.NowMillis();
      // An operator looking into a dormant tenant does not make it active.
      if (r.context->principal().kind != tenancy::PrincipalKind::kPlatformOperator)
        s.last_request_ms.store(now, std::memory_order_relaxed);
      const std::int64_t minute = now / 60'000;
      s.requests_per_minute.Add(minute);
      if (server_error) s.errors_per_minute.Add(minute);
      if (route->kind == RouteKind::kRideBooking && r.status == 201) {
        std::int64_t none = 0;
        s.first_ride_ms.compare_exchange_strong(none, now, std::memory_order_relaxed);
      }
    } else {
      tenancy::TenantRequestMetrics::RecordRequest(platform_cells_, status, r.latency, r.cpu);
    }
    if (route->kind == RouteKind::kOnboarding && r.status == 201) obs_.RecordOnboarding(r.latency);
    if (obs_.options().access_log) Log(r, in_tenant);
  } catch (...) {
    // Accounting must never fail a request that was already answered.
  }
}

void ObserveSink::Log(const AccountingRecord& r, bool in_tenant) const noexcept {
  const tenancy::LogLevel level = r.status >= 500 ? tenancy::LogLevel::kWarn : tenancy::LogLevel::kInfo;
  if (!obs_.logger().Enabled(level)) return;
  static_assert(kMaxRequestIdBytes <= 128, "AccessRecord::request_id holds every request id");
  static_assert(Router::kMaxPatternBytes <= 128, "AccessRecord::route holds every pattern");
  AccessRecord a;
  a.time = obs_.Now();
  a.level = level;
  a.method = r.method;
  a.in_tenant = in_tenant;
  a.cpu_read = r.cpu_read;
  a.status = r.status;
  a.latency_ns = r.latency.count();
  a.cpu_ns = r.cpu.count();
  a.route.Assign(r.route);
  if (r.trace) {
    a.has_trace = true;
    a.trace_id = r.trace->trace_id;
  }
  if (in_tenant) a.tenant.Assign(r.context->tenant_id().str());
  else if (r.tenant) a.resolved_tenant.Assign(r.tenant->str());
  a.request_id.Assign(r.request_id);
  obs_.access_log().Record(a);
}

}  // namespace tenancyd

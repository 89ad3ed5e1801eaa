// GET /v1/tenant/dashboard: one document for the portal's tenant dashboard.
//
//   {"tenant": {"id", "slug", "tier", "state"},
//    "as_of": "<RFC 3339>",
//    "traffic": {"window_minutes": 60, "requests", "errors", "error_ratio" (null without requests),
//                "requests_per_minute": [60 counts, oldest first, the current minute last],
//                "errors_per_minute": [60 counts],
//                "since_start": {"requests", "errors"}},
//    "latency": {"count", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}   (null without requests),
//    "usage": [{"name", "kind", "limit", "used", "remaining", "ratio", "period_end"?}],
//    "activity": {"last_request_at", "month", "requests_this_month", "cpu_seconds_this_month",
//                 "storage_bytes"},
//    "health": {TenantHealth: "status", "alerts", "open_incident", "availability", "latency",
//               "objective"}}
//
// Traffic counts the tenant's own requests (observe.hpp): errors are 5xx.
// Latency quantiles come from the tenant's request-duration histogram
// since the process started, interpolated inside its buckets; they are null
// when the tenant has no row of its own (past the metrics' tenant cap).
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "services/control_plane/control_plane.hpp"
#include "services/ops/observe.hpp"
#include "services/ops/observe_input.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

std::optional<double> HistogramQuantile(const std::vector<double>& bounds,
                                        const std::vector<std::uint64_t>& cumulative, double q) {
  if (cumulative.empty() || cumulative.size() != bounds.size() + 1) return std::nullopt;
  const std::uint64_t total = cumulative.back();
  if (total == 0) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(total);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (static_cast<double>(cumulative[i]) < rank) continue;
    const double lower = i == 0 ? 0.0 : bounds[i - 1];
    const double below = i == 0 ? 0.0 : static_cast<double>(cumulative[i - 1]);
    const double in_bucket = static_cast<double>(cumulative[i]) - below;
    if (in_bucket <= 0) return lower;
    return lower + (bounds[i] - lower) * ((rank - below) / in_bucket);
  }
  // In the +Inf bucket: nothing is known beyond the last bound.
  return bounds.empty() ? std::nullopt : std::optional<double>(bounds.back());
}

std::optional<double> SampleQuantile(std::vector<double> samples, double q) {
  if (samples.empty()) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(samples.size()));
  const std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return samples[std::min(i, samples.size() - 1)];
}

namespace {

json::value Ms(std::optional<double> seconds) {
  return seconds ? json::value(*seconds * 1000.0) : json::value(nullptr);
}

// The tenant's request-duration histogram from its own metrics row.
json::object LatencyJson(const Observe& o, const tenancy::TenantId& id) {
  json::object out{{"count", 0}, {"p50_ms", nullptr}, {"p95_ms", nullptr}, {"p99_ms", nullptr},
                   {"mean_ms", nullptr}};
  const std::string& family = o.obs.request_metrics().latency()->name();
  const json::object view = o.obs.metrics().TenantView(id);
  for (const json::value& m : view.at("metrics").as_array()) {
    if (m.at("name").as_string() != family) continue;
    const json::array& series = m.at("series").as_array();
    if (series.empty()) break;
    const json::object& s = series.front().as_object();
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;
    for (const json::value& b : s.at("buckets").as_array()) {
      const json::value& le = b.at("le");
      if (le.is_number()) bounds.push_back(le.to_number<double>());
      cumulative.push_back(b.at("count").to_number<std::uint64_t>());
    }
    const std::uint64_t count = s.at("count").to_number<std::uint64_t>();
    out["count"] = count;
    out["p50_ms"] = Ms(HistogramQuantile(bounds, cumulative, 0.50));
    out["p95_ms"] = Ms(HistogramQuantile(bounds, cumulative, 0.95));
    out["p99_ms"] = Ms(HistogramQuantile(bounds, cumulative, 0.99));
    const json::value& sum = s.at("sum");
    if (count > 0 && sum.is_number())
      out["mean_ms"] = sum.to_number<double>() / static_cast<double>(count) * 1000.0;
    break;
  }
  return out;
}

tenancy::Result<json::array> UsageJson(const Observe& o, const tenancy::TenantId& id) {
  auto limits = o.quotas.EffectiveLimits(id);
  if (!limits) return limits.error();
  json::array items;
  for (const auto& [name, limit] : *limits) {
    auto usage = o.quotas.Usage(id, name);
    if (!usage) return usage.error();
    json::object u{{"name", name},
                   {"kind", tenancy::ToString(limit.kind)},
                   {"limit", usage->limit},
                   {"used", usage->used},
                   {"remaining", usage->remaining}};
    u["ratio"] = usage->limit > 0 ? json::value(static_cast<double>(usage->used) /
                                                static_cast<double>(usage->limit))
                                  : json::value(nullptr);
    if (limit.kind == tenancy::LimitKind::kPeriodic) u["period_end"] = Rfc3339(usage->period.end);
    items.push_back(std::move(u));
  }
  return items;
}

json::array Counts(const std::array<std::uint64_t, MinuteRing::kMinutes>& ring) {
  json::array out;
  for (std::uint64_t c : ring) out.push_back(c);
  return out;
}

}  // namespace

tenancy::Result<Response> TenantDashboard(const Observe& o, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  const tenancy::TenantId& id = x.context->tenant_id();
  auto tenant = o.directory.Get(id);
  if (!tenant) return tenant.error();
  const tenancy::Tenant& t = **tenant;

  const std::int64_t now_ms = o.obs.NowMillis();
  const std::int64_t minute = now_ms / 60'000;
  std::array<std::uint64_t, MinuteRing::kMinutes> requests{}, errors{};
  std::uint64_t total = 0, total_errors = 0;
  if (const TenantStats* s = o.obs.FindStats(id)) {
    requests = s->requests_per_minute.Last(minute);
    errors = s->errors_per_minute.Last(minute);
    total = s->requests.load(std::memory_order_relaxed);
    total_errors = s->server_errors.load(std::memory_order_relaxed);
  }
  std::uint64_t hour = 0, hour_errors = 0;
  for (std::size_t i = 0; i < MinuteRing::kMinutes; ++i) {
    hour += requests[i];
    hour_errors += errors[i];
  }
  json::object traffic{
      {"window_minutes", MinuteRing::kMinutes},
      {"requests", hour},
      {"errors", hour_errors},
      {"error_ratio", hour ? json::value(static_cast<double>(hour_errors) / static_cast<double>(hour))
                           : json::value(nullptr)},
      {"requests_per_minute", Counts(requests)},
      {"errors_per_minute", Counts(errors)},
      {"since_start", json::object{{"requests", total}, {"errors", total_errors}}}};

  auto usage = UsageJson(o, id);
  if (!usage) return usage.error();

  const TenantActivity a = o.obs.ActivityOf(id);
  const std::string month = MonthLabel(now_ms);
  const auto m = a.months.find(month);
  json::object activity{
      {"last_request_at", a.last_request_ms ? json::value(Rfc3339(tenancy::FromUnixMillis(a.last_request_ms)))
                                            : json::value(nullptr)},
      {"month", month},
      {"requests_this_month", m == a.months.end() ? 0 : m->second.requests},
      {"cpu_seconds_this_month", m == a.months.end() ? 0.0 : static_cast<double>(m->second.cpu_ns) / 1e9},
      {"storage_bytes", a.storage_bytes >= 0 ? json::value(a.storage_bytes) : json::value(nullptr)}};

  json::object health = tenancy::ToJson(o.obs.slo().Health(id, t.state));
  return JsonResponse(
      http::status::ok,
      json::object{{"tenant", json::object{{"id", t.id.str()},
                                           {"slug", t.slug},
                                           {"tier", t.tier},
                                           {"state", tenancy::ToString(t.state)}}},
                   {"as_of", Rfc3339(tenancy::FromUnixMillis(now_ms))},
                   {"traffic", std::move(traffic)},
                   {"latency", LatencyJson(o, id)},
                   {"usage", std::move(*usage)},
                   {"activity", std::move(activity)},
                   {"health", std::move(health)}});
}

}  // namespace tenancyd

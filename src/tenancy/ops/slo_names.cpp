// The SLO vocabulary: names, default rules, and JSON forms for the server.
#include <boost/json.hpp>

#include "tenancy/slo.hpp"

namespace tenancy {

std::string_view ToString(SloIndicator i) noexcept {
  return i == SloIndicator::kAvailability ? "availability" : "latency";
}

std::string_view ToString(AlertSeverity s) noexcept {
  return s == AlertSeverity::kPage ? "page" : "ticket";
}

std::string_view ToString(AlertTransition t) noexcept {
  return t == AlertTransition::kFired ? "fired" : "resolved";
}

std::string_view ToString(HealthStatus s) noexcept {
  switch (s) {
    case HealthStatus::kHealthy: return "healthy";
    case HealthStatus::kDegraded: return "degraded";
    case HealthStatus::kQuarantined: return "quarantined";
    case HealthStatus::kSuspended: return "suspended";
  }
  return "unknown";
}

std::vector<BurnRateRule> DefaultBurnRateRules() {
  using std::chrono::minutes;
  using std::chrono::hours;
  return {
      {AlertSeverity::kPage, hours{1}, minutes{5}, 14.4},
      {AlertSeverity::kTicket, hours{6}, minutes{30}, 6.0},
  };
}

std::string_view AlertEventType(const AlertEvent& e) noexcept {
  return e.transition == AlertTransition::kFired ? "alert.fired" : "alert.resolved";
}

boost::json::object ToJson(const AlertEvent& e) {
  return {{"tenant", e.tenant.str()},
          {"indicator", ToString(e.indicator)},
          {"severity", ToString(e.severity)},
          {"transition", ToString(e.transition)},
          {"at_ms", ToUnixMillis(e.at)},
          {"objective", e.objective},
          {"factor", e.factor},
          {"long_burn_rate", e.long_burn_rate},
          {"short_burn_rate", e.short_burn_rate},
          {"long_window_s", e.long_window.count()},
          {"short_window_s", e.short_window.count()},
          {"incident_id", e.incident_id}};
}

namespace {

boost::json::object ToJson(const Incident& i) {
  boost::json::object o{{"id", i.id},
                        {"tenant", i.tenant.str()},
                        {"opened_at_ms", ToUnixMillis(i.opened_at)},
                        {"severity", ToString(i.severity)},
                        {"summary", i.summary}};
  if (i.resolved_at)
    o["resolved_at_ms"] = ToUnixMillis(*i.resolved_at);
  else
    o["resolved_at_ms"] = nullptr;
  return o;
}

}  // namespace

boost::json::object ToJson(const IncidentReport& r) {
  boost::json::array lines;
  for (const auto& l : r.incidents) {
    auto o = ToJson(l.incident);
    o["minutes_in_month"] = l.minutes_in_month;
    lines.push_back(std::move(o));
  }
  char month[16];
  std::snprintf(month, sizeof month, "%04d-%02u", static_cast<int>(r.month.year()),
                static_cast<unsigned>(r.month.month()));
  return {{"tenant", r.tenant.str()},
          {"month", month},
          {"count", r.count},
          {"total_minutes", r.total_minutes},
          {"incidents", std::move(lines)}};
}

boost::json::object ToJson(const TenantHealth& h) {
  boost::json::array alerts;
  for (const auto& a : h.alerts)
    alerts.push_back({{"indicator", ToString(a.indicator)},
                      {"severity", ToString(a.severity)},
                      {"since_ms", ToUnixMillis(a.since)}});
  boost::json::object o{{"tenant", h.tenant.str()},
                        {"status", ToString(h.status)},
                        {"alerts", std::move(alerts)}};
  o["open_incident"] = h.open_incident ? boost::json::value(*h.open_incident) : nullptr;
  o["availability"] = h.availability ? boost::json::value(*h.availability) : nullptr;
  o["latency"] = h.latency ? boost::json::value(*h.latency) : nullptr;
  o["objective"] = {{"availability", h.objective.availability},
                    {"latency", h.objective.latency},
                    {"latency_threshold_ms", h.objective.latency_threshold.count()}};
  return o;
}

boost::json::object ToJson(const HealthSummary& s) {
  boost::json::array tenants;
  for (const auto& t : s.tenants) tenants.push_back(ToJson(t));
  return {{"healthy", s.healthy},
          {"degraded", s.degraded},
          {"quarantined", s.quarantined},
          {"suspended", s.suspended},
          {"tenants", std::move(tenants)}};
}

}  // namespace tenancy

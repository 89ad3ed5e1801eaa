// tenancy/slo.hpp — per-tenant SLOs, burn-rate alerts, incidents and health.
//
//   tenancy::SloOptions o;
//   o.incidents_path = "./data/incidents.db";
//   o.sink = [&](const tenancy::AlertEvent& e) { events.Append(..., tenancy::ToJson(e)); };
//   auto slo = tenancy::SloMonitor::Open(std::move(o)).value();
//   auto probe = slo->Probe(tenant.id, tenant.tier);        // once per tenant
//   probe.Record(/*success=*/true, elapsed);                // per request: one atomic add
//   slo->Evaluate();                                        // every bucket_width (or evaluate_every)
//   auto health = slo->Health(tenant.id, tenant.state);     // healthy / degraded / ...
//   auto march = slo->MonthlyIncidents(tenant.id, 2024y / std::chrono::March).value();
//
// Objectives. Each tenant has two service-level indicators: availability
// (the share of requests that succeed) and latency (the share served within
// a threshold). Their objectives come from the tenant's tier (SloOptions::
// tiers), unless an override is set for the tenant (SetObjective, durable).
// The error budget of an indicator is 1 - objective; the burn rate of a
// window is its bad share divided by the budget (1 = spending the budget
// exactly as fast as the SLO period allows).
//
// Alerts (the Google SRE workbook's multi-window, multi-burn-rate alerts):
// each rule has a long and a short window and a burn-rate factor. For each
// tenant, indicator and rule, an alert fires when the burn rate exceeds the
// factor over both windows, and resolves when the short window's burn rate
// is back at or under it. Defaults: page = 1 h and 5 min at 14.4x; ticket =
// 6 h and 30 min at 6x. A window with fewer than `min_requests` requests
// never exceeds (a handful of requests is not a signal). Every fire and
// resolve is an AlertEvent given to the sink (the caller turns it into an
// event and webhooks: ToJson, AlertEventType).
//
// Incidents. A tenant's first firing alert opens an incident (durable, in
// the incidents database); it resolves when none of the tenant's alerts
// fires any more. The monthly report counts the incidents opened in the
// month and the minutes of incident time within it (an incident that spans
// a month boundary contributes minutes to both months, and is counted in
// the month it opened). Months are UTC.
//
// How time is kept. Recording is a relaxed atomic add on the tenant's
// counters (no clock read, no lock, no allocation). Evaluate() drains the
// counters into the time bucket (bucket_width) of the clock's current time,
// then judges the windows over those buckets; so requests are attributed to
// the bucket of the evaluation that drains them, within one bucket_width of
// when they happened if Evaluate runs every bucket_width (the background
// thread does, when evaluate_every > 0). Window sums cover whole buckets,
// including the current one. After a restart the windows start empty;
// incidents left open are resolved by the first evaluation unless an alert
// fires again in it.
//
// Health. healthy; degraded (an alert is firing); quarantined, suspended
// (from the tenant's lifecycle state, passed in or read through
// `tenant_state`); a suspended tenant is reported suspended even when its
// alerts fire.
//
// Thread safety: all methods may be called from any thread. Probe::Record
// is lock-free. Evaluate calls are serialized; the sink is called from
// inside Evaluate (after the incident is written), so it must not call
// Evaluate, and should be quick (hand the event to a queue or outbox).
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

struct SloObjective {
  double availability = 0.999;  // share of requests that succeed, in (0, 1)
  double latency = 0.99;        // share of requests within latency_threshold, in (0, 1)
  std::chrono::milliseconds latency_threshold{300};  // > 0
};

enum class SloIndicator : std::uint8_t { kAvailability = 0, kLatency = 1 };
enum class AlertSeverity : std::uint8_t { kPage = 0, kTicket = 1 };
enum class AlertTransition : std::uint8_t { kFired = 0, kResolved = 1 };
TENANCY_EXPORT std::string_view ToString(SloIndicator i) noexcept;
TENANCY_EXPORT std::string_view ToString(AlertSeverity s) noexcept;
TENANCY_EXPORT std::string_view ToString(AlertTransition t) noexcept;

struct BurnRateRule {
  AlertSeverity severity = AlertSeverity::kPage;
  std::chrono::seconds long_window{3600};  // > short_window, multiples of bucket_width
  std::chrono::seconds short_window{300};
  double factor = 14.4;  // > 0
};

// page: 1 h / 5 min at 14.4x; ticket: 6 h / 30 min at 6x.
TENANCY_EXPORT std::vector<BurnRateRule> DefaultBurnRateRules();

struct AlertEvent {
  TenantId tenant{};
  SloIndicator indicator = SloIndicator::kAvailability;
  AlertSeverity severity = AlertSeverity::kPage;
  AlertTransition transition = AlertTransition::kFired;
  TimePoint at{};
  double objective = 0;        // the indicator's objective for this tenant
  double factor = 0;           // the rule's burn-rate factor
  double long_burn_rate = 0;   // as of this evaluation
  double short_burn_rate = 0;
  std::chrono::seconds long_window{0};
  std::chrono::seconds short_window{0};
  std::int64_t incident_id = 0;  // the tenant's incident this belongs to
};
// "alert.fired" or "alert.resolved": the event type for the events outbox.
TENANCY_EXPORT std::string_view AlertEventType(const AlertEvent& e) noexcept;
TENANCY_EXPORT boost::json::object ToJson(const AlertEvent& e);

using AlertSink = std::function<void(const AlertEvent&)>;
// The tenant's lifecycle state now; empty when unknown (treated as active).
using TenantStateLookup = std::function<std::optional<TenantState>(const TenantId&)>;

struct SloOptions {
  // Objectives by tier; tenants of other tiers get default_objective.
  std::map<std::string, SloObjective, std::less<>> tiers = {
      {"free", {0.99, 0.95, std::chrono::milliseconds{1000}}},
      {"standard", {0.999, 0.99, std::chrono::milliseconds{300}}},
      {"premium", {0.999, 0.99, std::chrono::milliseconds{300}}},
      {"enterprise", {0.9995, 0.99, std::chrono::milliseconds{200}}},
  };
  SloObjective default_objective{};
  std::vector<BurnRateRule> rules = DefaultBurnRateRules();
  // Bucket granularity of the rolling windows (1 s – 1 h); every window is
  // a whole number of buckets.
  std::chrono::seconds bucket_width{60};
  // A window with fewer requests never exceeds its factor (>= 1).
  std::int64_t min_requests = 10;
  // The incidents database (SQLite); created on first use. Also holds the
  // per-tenant objective overrides.
  std::string incidents_path{};
  Clock* clock = &SystemClock();  // never null; must outlive the monitor
  AlertSink sink{};               // may be empty
  TenantStateLookup tenant_state{};  // may be empty
  // > 0: a background thread calls Evaluate this often. Zero: the caller does.
  std::chrono::milliseconds evaluate_every{0};
};

namespace detail {
struct SloSeries;
}

// A tenant's recording point, resolved once. Cheap to copy. REQUIRES: the
// monitor that made it outlives every use.
class TENANCY_EXPORT SloProbe {
 public:
  SloProbe() = default;
  // Counts one finished request. Lock-free; a default probe ignores it.
  void Record(bool success, std::chrono::nanoseconds latency) const noexcept;
  bool valid() const noexcept { return series_ != nullptr; }

 private:
  friend class SloMonitor;
  explicit SloProbe(detail::SloSeries* s) : series_(s) {}
  detail::SloSeries* series_ = nullptr;
};

struct Incident {
  std::int64_t id = 0;
  TenantId tenant{};
  TimePoint opened_at{};
  std::optional<TimePoint> resolved_at{};  // empty while open
  AlertSeverity severity = AlertSeverity::kTicket;  // the most severe alert it saw
  std::string summary{};                   // e.g. "availability page; latency ticket"
};

struct IncidentReportLine {
  Incident incident{};
  double minutes_in_month = 0;  // the part of its duration inside the month (open: up to now)
};

struct IncidentReport {
  TenantId tenant{};
  std::chrono::year_month month{};
  std::int64_t count = 0;       // incidents opened in the month
  double total_minutes = 0;     // incident time within the month
  std::vector<IncidentReportLine> incidents{};  // every incident overlapping the month, by opening
};
TENANCY_EXPORT boost::json::object ToJson(const IncidentReport& r);

enum class HealthStatus : std::uint8_t { kHealthy = 0, kDegraded, kQuarantined, kSuspended };
TENANCY_EXPORT std::string_view ToString(HealthStatus s) noexcept;

// One firing alert.
struct ActiveAlert {
  SloIndicator indicator = SloIndicator::kAvailability;
  AlertSeverity severity = AlertSeverity::kPage;
  TimePoint since{};
};

struct TenantHealth {
  TenantId tenant{};
  HealthStatus status = HealthStatus::kHealthy;
  std::vector<ActiveAlert> alerts{};
  std::optional<std::int64_t> open_incident{};
  // Over the shortest rule's short window, as of the last evaluation;
  // empty without requests.
  std::optional<double> availability{};
  std::optional<double> latency{};  // share within the threshold
  SloObjective objective{};
};
TENANCY_EXPORT boost::json::object ToJson(const TenantHealth& h);

struct HealthSummary {
  std::int64_t healthy = 0, degraded = 0, quarantined = 0, suspended = 0;
  std::vector<TenantHealth> tenants{};  // ordered by tenant id
};
TENANCY_EXPORT boost::json::object ToJson(const HealthSummary& s);

// What one evaluation did.
struct SloReport {
  std::vector<AlertEvent> events{};  // in the order given to the sink
  std::vector<Error> errors{};       // incident writes that failed (retried next time)
};

class TENANCY_EXPORT SloMonitor {
 public:
  // Validates the options (kInvalidArgument naming the field), opens the
  // incidents database, loads overrides and open incidents.
  static Result<std::unique_ptr<SloMonitor>> Open(SloOptions options);
  ~SloMonitor();
  SloMonitor(const SloMonitor&) = delete;
  SloMonitor& operator=(const SloMonitor&) = delete;

  // The tenant's recording point; the tier picks its objectives (a later
  // call with another tier changes them). kInvalidArgument for an empty id.
  Result<SloProbe> Probe(const TenantId& tenant, std::string_view tier);
  // Probe + Record, for callers that keep no probe (a shared-lock lookup).
  void Record(const TenantId& tenant, std::string_view tier, bool success,
              std::chrono::nanoseconds latency);

  // Per-tenant objectives, durable. kInvalidArgument for out-of-range values.
  Result<void> SetObjective(const TenantId& tenant, const SloObjective& objective);
  Result<void> ClearObjective(const TenantId& tenant);
  // The objective in force: override, else tier, else default.
  SloObjective ObjectiveOf(const TenantId& tenant) const;

  // Drains the counters into the current bucket, judges every rule, fires
  // and resolves alerts, opens and resolves incidents, calls the sink.
  Result<SloReport> Evaluate();

  // `state` wins over the lookup callback; neither: active.
  TenantHealth Health(const TenantId& tenant, std::optional<TenantState> state = {}) const;
  // Every tenant given, each judged with its snapshot's state.
  HealthSummary Summary(std::span<const Tenant> tenants) const;
  // Every tenant the monitor has seen, states from the lookup callback.
  HealthSummary Summary() const;

  // Incidents of the tenant overlapping the UTC month. kInvalidArgument for
  // an invalid month or empty id; kStorage.
  Result<IncidentReport> MonthlyIncidents(const TenantId& tenant,
                                          std::chrono::year_month month) const;
  // For the operator: one report per tenant with incidents overlapping the
  // month, ordered by tenant id.
  Result<std::vector<IncidentReport>> MonthlyIncidentsAll(std::chrono::year_month month) const;

 private:
  struct Impl;
  explicit SloMonitor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

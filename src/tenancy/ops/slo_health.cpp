// Tenant health for the operator's view: alerts and lifecycle state.
#include "ops/slo_impl.hpp"

namespace tenancy {
namespace {

HealthStatus StatusOf(std::optional<TenantState> state, bool alerting) {
  // Lifecycle outranks alerts: a suspended tenant serves nothing, so its
  // error rate says nothing new.
  if (state == TenantState::kSuspended) return HealthStatus::kSuspended;
  if (state == TenantState::kQuarantined) return HealthStatus::kQuarantined;
  return alerting ? HealthStatus::kDegraded : HealthStatus::kHealthy;
}

void Tally(HealthSummary& s, TenantHealth h) {
  switch (h.status) {
    case HealthStatus::kHealthy: ++s.healthy; break;
    case HealthStatus::kDegraded: ++s.degraded; break;
    case HealthStatus::kQuarantined: ++s.quarantined; break;
    case HealthStatus::kSuspended: ++s.suspended; break;
  }
  s.tenants.push_back(std::move(h));
}

}  // namespace

TenantHealth SloMonitor::Health(const TenantId& tenant, std::optional<TenantState> state) const {
  TenantHealth h;
  h.tenant = tenant;
  h.objective = ObjectiveOf(tenant);
  {
    std::lock_guard lock(impl_->view_mu);
    if (auto it = impl_->views.find(tenant); it != impl_->views.end()) {
      h.alerts = it->second.alerts;
      h.open_incident = it->second.open_incident;
      h.availability = it->second.availability;
      h.latency = it->second.latency;
    }
  }
  if (!state && impl_->options.tenant_state) state = impl_->options.tenant_state(tenant);
  h.status = StatusOf(state, !h.alerts.empty());
  return h;
}

HealthSummary SloMonitor::Summary(std::span<const Tenant> tenants) const {
  HealthSummary s;
  std::vector<const Tenant*> sorted;
  for (const auto& t : tenants) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const Tenant* a, const Tenant* b) { return a->id < b->id; });
  for (const Tenant* t : sorted) Tally(s, Health(t->id, t->state));
  return s;
}

HealthSummary SloMonitor::Summary() const {
  HealthSummary s;
  for (const auto* series : impl_->AllSeries()) Tally(s, Health(series->tenant));
  return s;
}

}  // namespace tenancy

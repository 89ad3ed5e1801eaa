// SLOs in tenancyd: the objectives per tier, the evaluation pass and the
// delivery of its alerts into the tenants' event outboxes.
#include <boost/json.hpp>

#include "observability/observability.hpp"

namespace tenancyd {
using tenancy::Errc;
using tenancy::Fail;

namespace {

// Alerts waiting for their outbox beyond this are dropped oldest first: a
// store down for days must not grow memory without bound.
constexpr std::size_t kMaxPendingAlerts = 10000;
// An append that lost the race for its tenant's next sequence is retried.
constexpr int kAppendAttempts = 3;

}  // namespace

tenancy::SloOptions DefaultSloOptions() {
  using std::chrono::milliseconds;
  tenancy::SloOptions o;
  o.tiers = {
      {"free", {0.99, 0.95, milliseconds{1000}}},
      {"standard", {0.995, 0.99, milliseconds{500}}},
      {"premium", {0.999, 0.99, milliseconds{300}}},
      {"enterprise", {0.9995, 0.99, milliseconds{200}}},
  };
  o.default_objective = {0.99, 0.95, milliseconds{1000}};
  return o;
}

tenancy::Result<void> Observability::OpenSlo() {
  tenancy::SloOptions o = parts_.options.slo;
  o.incidents_path = parts_.data_dir + "/incidents.db";
  o.clock = parts_.clock;
  o.evaluate_every = std::chrono::milliseconds::zero();  // our thread evaluates
  o.sink = {};  // EvaluateSlos takes the events from the report
  tenancy::Directory* directory = parts_.directory;
  o.tenant_state = [directory](const tenancy::TenantId& id) -> std::optional<tenancy::TenantState> {
    auto t = directory->Get(id);
    if (!t) return std::nullopt;
    return (*t)->state;
  };
  auto slo = tenancy::SloMonitor::Open(std::move(o));
  if (!slo) return slo.error();
  slo_ = std::move(*slo);
  return {};
}

tenancy::Result<SloPass> Observability::EvaluateSlos() {
  std::lock_guard lock(eval_mu_);
  // A tenant whose tier changed gets its new tier's objectives.
  for (TenantStats* s : stats_.All()) {
    auto t = parts_.directory->Get(s->tenant);
    if (!t || (*t)->tier == s->probe_tier) continue;
    if (auto probe = slo_->Probe(s->tenant, (*t)->tier)) s->probe_tier = (*t)->tier;
  }
  SloPass pass;
  auto report = slo_->Evaluate();
  if (report) {
    pass.alerts = report->events.size();
    std::lock_guard q(alerts_mu_);
    for (const tenancy::AlertEvent& e : report->events) {
      const bool fired = e.transition == tenancy::AlertTransition::kFired;
      if (auto cell = alerts_total_->For(e.tenant, {tenancy::ToString(e.transition),
                                                    tenancy::ToString(e.severity)}))
        (*cell)->Add();
      logger_->Warn(tenancy::LogScope(e.tenant), fired ? "slo alert fired" : "slo alert resolved",
                    {{"indicator", tenancy::ToString(e.indicator)},
                     {"severity", tenancy::ToString(e.severity)},
                     {"objective", e.objective},
                     {"long_burn_rate", e.long_burn_rate},
                     {"short_burn_rate", e.short_burn_rate},
                     {"incident", e.incident_id}});
      alert_queue_.push_back(e);
    }
  }
  // Alerts of this pass and those an earlier pass could not append.
  DeliverAlerts(pass);
  if (!report) return report.error();
  return pass;
}

void Observability::DeliverAlerts(SloPass& pass) {
  std::vector<tenancy::AlertEvent> todo;
  {
    std::lock_guard q(alerts_mu_);
    todo.swap(alert_queue_);
  }
  std::vector<tenancy::AlertEvent> retry;
  for (const tenancy::AlertEvent& e : todo) {
    auto ctx = parts_.directory->MintContext(e.tenant, {"slo", tenancy::PrincipalKind::kSystem}, {},
                                             "slo-evaluate");
    if (!ctx) {
      // Offboarded, or suspended (it serves nothing; its health says so):
      // nobody would read the event.
      ++pass.dropped;
      continue;
    }
    const std::string_view type =
        e.transition == tenancy::AlertTransition::kFired ? kSloAlertFired : kSloAlertResolved;
    const boost::json::value payload = tenancy::ToJson(e);
    tenancy::Result<void> appended = Fail(Errc::kUnavailable, "not tried");
    for (int attempt = 0; attempt < kAppendAttempts && !appended; ++attempt) {
      appended = parts_.store->Transact(*ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
        auto seq = parts_.events->Append(tx, type, payload);
        if (!seq) return seq.error();
        return {};
      });
      if (!appended && appended.error() != Errc::kUnavailable) break;
    }
    if (appended) {
      ++pass.delivered;
    } else {
      logger_->Warn(tenancy::LogScope(e.tenant), "slo alert not yet in the outbox; retried next pass",
                    {{"error", appended.error().message}});
      retry.push_back(e);
    }
  }
  std::lock_guard q(alerts_mu_);
  // Newer alerts queued meanwhile stay behind the retried ones.
  retry.insert(retry.end(), alert_queue_.begin(), alert_queue_.end());
  alert_queue_.swap(retry);
  if (alert_queue_.size() > kMaxPendingAlerts) {
    const std::size_t drop = alert_queue_.size() - kMaxPendingAlerts;
    alert_queue_.erase(alert_queue_.begin(), alert_queue_.begin() + static_cast<std::ptrdiff_t>(drop));
    pass.dropped += drop;
  }
  pass.pending = alert_queue_.size();
}

}  // namespace tenancyd

// The evaluator: drains counters into buckets, judges the burn-rate rules,
// fires and resolves alerts, opens and resolves incidents.
#include <algorithm>
#include <set>

#include "ops/slo_impl.hpp"

namespace tenancy {
namespace {

using detail::SloSeries;

struct Counts {
  std::int64_t total = 0, errors = 0, slow = 0;
};

// The counts of the `buckets` buckets ending with `cur`.
Counts Sum(const SloSeries& s, std::int64_t cur, std::int64_t buckets) {
  Counts c;
  if (s.ring.empty()) return c;
  const auto n = static_cast<std::int64_t>(s.ring.size());
  for (std::int64_t i = 0; i < buckets && i < n && cur - i >= 0; ++i) {
    const auto& b = s.ring[static_cast<std::size_t>((cur - i) % n)];
    if (b.epoch != cur - i) continue;
    c.total += b.total;
    c.errors += b.errors;
    c.slow += b.slow;
  }
  return c;
}

double Burn(std::int64_t bad, std::int64_t total, double budget, std::int64_t min_requests) {
  if (total < min_requests || total <= 0) return 0;
  bad = std::clamp<std::int64_t>(bad, 0, total);  // a drain may split a request's counts
  return (static_cast<double>(bad) / static_cast<double>(total)) / budget;
}

std::string SummaryOf(const std::vector<std::pair<SloIndicator, AlertSeverity>>& firing) {
  std::set<std::string> parts;
  for (const auto& [ind, sev] : firing)
    parts.insert(std::string(ToString(ind)) + " " + std::string(ToString(sev)));
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

}  // namespace

Result<SloReport> SloMonitor::Evaluate() {
  std::lock_guard lock(impl_->eval_mu);
  return impl_->EvaluateLocked();
}

Result<SloReport> SloMonitor::Impl::EvaluateLocked() {
  const TimePoint now = clock.Now();
  const std::int64_t now_ms = ToUnixMillis(now);
  const std::int64_t cur = now_ms < 0 ? 0 : (now_ms / 1000) / width_s;
  const auto& rules = options.rules;
  const std::size_t nrules = rules.size();
  std::int64_t health_buckets = rules.front().short_window.count() / width_s;
  for (const auto& r : rules) health_buckets = std::min(health_buckets, r.short_window.count() / width_s);

  SloReport report;
  std::set<TenantId> seen;
  for (SloSeries* s : AllSeries()) {
    seen.insert(s->tenant);
    // Bad counters first: a request counted between the reads lands with
    // its total in the next bucket, never as bad without a total here.
    const auto errors = s->errors.exchange(0, std::memory_order_relaxed);
    const auto slow = s->slow.exchange(0, std::memory_order_relaxed);
    const auto total = s->total.exchange(0, std::memory_order_relaxed);
    if (total != 0 || errors != 0 || slow != 0) {
      if (s->ring.empty()) s->ring.assign(ring_size, {});
      auto& b = s->ring[static_cast<std::size_t>(cur % static_cast<std::int64_t>(ring_size))];
      if (b.epoch != cur) b = {cur, 0, 0, 0};
      b.total += total;
      b.errors += errors;
      b.slow += slow;
    }
    if (s->firing.size() != 2 * nrules) s->firing.assign(2 * nrules, std::nullopt);
    std::string tier;
    {
      std::lock_guard lock(s->tier_mu);
      tier = s->tier;
    }
    const SloObjective objective = ObjectiveFor(s->tenant, tier);
    s->threshold_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(objective.latency_threshold).count(),
        std::memory_order_relaxed);

    std::vector<AlertEvent> events;
    std::vector<std::pair<SloIndicator, AlertSeverity>> firing_now;
    std::vector<ActiveAlert> active;
    for (int ind = 0; ind < 2; ++ind) {
      const auto indicator = static_cast<SloIndicator>(ind);
      const double target = indicator == SloIndicator::kAvailability ? objective.availability
                                                                     : objective.latency;
      const double budget = 1.0 - target;
      for (std::size_t ri = 0; ri < nrules; ++ri) {
        const auto& rule = rules[ri];
        const Counts lw = Sum(*s, cur, rule.long_window.count() / width_s);
        const Counts sw = Sum(*s, cur, rule.short_window.count() / width_s);
        const bool avail = indicator == SloIndicator::kAvailability;
        const double bl = Burn(avail ? lw.errors : lw.slow, lw.total, budget, options.min_requests);
        const double bs = Burn(avail ? sw.errors : sw.slow, sw.total, budget, options.min_requests);
        auto& since = s->firing[static_cast<std::size_t>(ind) * nrules + ri];
        std::optional<AlertTransition> transition;
        if (!since && bl > rule.factor && bs > rule.factor) {
          since = now;
          transition = AlertTransition::kFired;
        } else if (since && !(bs > rule.factor)) {
          since.reset();
          transition = AlertTransition::kResolved;
        }
        if (transition) {
          AlertEvent e;
          e.tenant = s->tenant;
          e.indicator = indicator;
          e.severity = rule.severity;
          e.transition = *transition;
          e.at = now;
          e.objective = target;
          e.factor = rule.factor;
          e.long_burn_rate = bl;
          e.short_burn_rate = bs;
          e.long_window = rule.long_window;
          e.short_window = rule.short_window;
          events.push_back(std::move(e));
        }
        if (since) {
          firing_now.emplace_back(indicator, rule.severity);
          active.push_back({indicator, rule.severity, *since});
        }
      }
    }

    // The tenant's incident follows its alerts.
    std::optional<std::int64_t> incident_id;
    auto it = open.find(s->tenant);
    if (it != open.end()) incident_id = it->second.id;
    if (!firing_now.empty()) {
      AlertSeverity worst = AlertSeverity::kTicket;
      for (const auto& f : firing_now) worst = std::min(worst, f.second);
      const std::string summary = SummaryOf(firing_now);
      std::lock_guard lock(db_mu);
      if (it == open.end()) {
        auto id = db->Open(s->tenant, now_ms, worst, summary);
        if (id) {
          Incident i{*id, s->tenant, now, std::nullopt, worst, summary};
          open.emplace(s->tenant, std::move(i));
          incident_id = *id;
        } else {
          report.errors.push_back(id.error());
        }
      } else {
        const AlertSeverity sev = std::min(worst, it->second.severity);
        if (sev != it->second.severity || summary != it->second.summary) {
          if (auto r = db->Update(it->second.id, sev, summary); r) {
            it->second.severity = sev;
            it->second.summary = summary;
          } else {
            report.errors.push_back(r.error());
          }
        }
      }
    } else if (it != open.end()) {
      std::lock_guard lock(db_mu);
      if (auto r = db->Resolve(it->second.id, now_ms); r)
        open.erase(it);
      else
        report.errors.push_back(r.error());
    }
    for (auto& e : events) e.incident_id = incident_id.value_or(0);

    View v;
    v.alerts = std::move(active);
    if (auto o = open.find(s->tenant); o != open.end()) v.open_incident = o->second.id;
    const Counts h = Sum(*s, cur, health_buckets);
    if (h.total > 0) {
      v.availability = 1.0 - static_cast<double>(std::min(h.errors, h.total)) / static_cast<double>(h.total);
      v.latency = 1.0 - static_cast<double>(std::min(h.slow, h.total)) / static_cast<double>(h.total);
    }
    {
      std::lock_guard lock(view_mu);
      views[s->tenant] = std::move(v);
    }
    for (auto& e : events) report.events.push_back(std::move(e));
  }

  // Incidents adopted at open for tenants with no traffic since: nothing
  // fires for them, so they are resolved.
  for (auto it = open.begin(); it != open.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    std::lock_guard lock(db_mu);
    if (auto r = db->Resolve(it->second.id, now_ms); r) {
      {
        std::lock_guard vlock(view_mu);
        views[it->first].open_incident.reset();
      }
      it = open.erase(it);
    } else {
      report.errors.push_back(r.error());
      ++it;
    }
  }

  if (options.sink) {
    for (const auto& e : report.events) {
      try {
        options.sink(e);
      } catch (...) {
        report.errors.push_back(Error(Errc::kInternal, "the alert sink threw"));
      }
    }
  }
  return report;
}

}  // namespace tenancy

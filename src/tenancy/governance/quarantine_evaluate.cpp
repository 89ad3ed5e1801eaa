// The periodic judgement: close the window, compute each tenant's metrics,
// and quarantine or release tenants per the policy.
#include <cstdio>

#include "governance/quarantine_impl.hpp"

namespace tenancy {
namespace {

// Every automatic quarantine's reason starts with this; a tenant adopted
// at open whose reason does not is treated as an operator's (manual).
constexpr std::string_view kAutoPrefix = "noisy tenant: ";

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The first metric past its threshold, described for the directory's
// history; empty when none is (or the tenant is too quiet to judge).
std::optional<std::string> Breach(const QuarantineOptions& o, const QuarantineMetrics& m) {
  if (m.requests < o.min_requests || m.requests == 0) return std::nullopt;
  const auto over = [&](std::string_view metric, double value,
                        const std::optional<double>& threshold) -> std::optional<std::string> {
    if (!threshold || !(value > *threshold)) return std::nullopt;
    return std::string(kAutoPrefix) + std::string(metric) + " " + Number(value) + " > " +
           Number(*threshold) + " over " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(o.window).count()) +
           " s (" + std::to_string(m.requests) + " requests)";
  };
  if (auto b = over("throttled ratio", m.throttled_ratio, o.thresholds.throttled_ratio)) return b;
  if (auto b = over("error ratio", m.error_ratio, o.thresholds.error_ratio)) return b;
  return over("time share", m.time_share, o.thresholds.time_share);
}

}  // namespace

std::string_view QuarantineAutoPrefix() noexcept { return kAutoPrefix; }

Result<QuarantineReport> QuarantinePolicy::Evaluate() {
  std::lock_guard lock(impl_->eval_mu);
  return impl_->EvaluateLocked();
}

Result<QuarantineReport> QuarantinePolicy::Impl::EvaluateLocked() {
  const std::int64_t now = clock.Now().time_since_epoch().count();
  const std::int64_t horizon = now - options.window.count();

  std::vector<std::shared_ptr<detail::TenantTraffic>> all;
  for (auto& s : stripes) {
    std::shared_lock lock(s.mu);
    for (const auto& [id, t] : s.tenants) all.push_back(t);
  }

  // Close the window: move the counters into a bucket stamped now, drop
  // buckets older than the window, and sum what remains.
  std::vector<QuarantineMetrics> metrics(all.size());
  std::int64_t total_elapsed = 0;
  int active = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto& t = *all[i];
    detail::TenantTraffic::Bucket b{now, t.requests.exchange(0, std::memory_order_relaxed),
                                    t.errors.exchange(0, std::memory_order_relaxed),
                                    t.throttled.exchange(0, std::memory_order_relaxed),
                                    t.elapsed_ns.exchange(0, std::memory_order_relaxed)};
    if (b.requests != 0 || b.elapsed_ns != 0) t.window.push_back(b);
    while (!t.window.empty() && t.window.front().at_ns <= horizon) t.window.pop_front();
    QuarantineMetrics& m = metrics[i];
    std::int64_t elapsed = 0;
    for (const auto& w : t.window) {
      m.requests += w.requests;
      m.errors += w.errors;
      m.throttled += w.throttled;
      elapsed += w.elapsed_ns;
    }
    m.elapsed = std::chrono::nanoseconds{elapsed};
    if (m.requests > 0) {
      m.error_ratio = static_cast<double>(m.errors) / static_cast<double>(m.requests);
      m.throttled_ratio = static_cast<double>(m.throttled) / static_cast<double>(m.requests);
      ++active;
    }
    total_elapsed += elapsed;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (active >= 2 && total_elapsed > 0)
      metrics[i].time_share =
          static_cast<double>(metrics[i].elapsed.count()) / static_cast<double>(total_elapsed);
    std::lock_guard lock(records_mu);
    all[i]->metrics = metrics[i];
    if (auto r = records.find(all[i]->tenant); r != records.end()) r->second.current = metrics[i];
  }

  QuarantineReport report;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto& t = *all[i];
    const TenantId& id = t.tenant;
    const auto breach = Breach(options, metrics[i]);

    if (t.quarantined.load(std::memory_order_relaxed)) {
      // Someone may have moved the tenant on through the directory.
      auto current = directory.Get(id);
      if (!current) {
        report.errors.push_back(current.error());
        continue;
      }
      if ((*current)->state != TenantState::kQuarantined) {
        ForgetLocked(id);
        continue;
      }
      if (breach) {
        t.calm_since.reset();
        continue;
      }
      if (!t.calm_since) t.calm_since = now;
      bool manual = true;
      {
        std::lock_guard lock(records_mu);
        if (auto r = records.find(id); r != records.end()) manual = r->second.manual;
      }
      if (manual || !options.cooldown || now - *t.calm_since < options.cooldown->count()) continue;
      auto left = LeaveLocked(
          id, "quarantine ended: every metric under its threshold for " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::seconds>(*options.cooldown).count()) +
                  " s");
      if (left)
        report.released.push_back(id);
      else
        report.errors.push_back(left.error());
      continue;
    }

    if (!breach) {
      t.breach_since.reset();
      continue;
    }
    if (!t.breach_since) t.breach_since = now;
    if (now - *t.breach_since < options.sustain.count()) continue;
    auto current = directory.Get(id);
    if (!current) {
      report.errors.push_back(current.error());
      continue;
    }
    if ((*current)->state != TenantState::kActive) {
      // Suspended, provisioning, offboarding or deleted: not ours to touch.
      t.breach_since.reset();
      continue;
    }
    auto entered = EnterLocked(id, *breach, metrics[i], /*manual=*/false);
    if (entered)
      report.quarantined.push_back(id);
    else
      report.errors.push_back(entered.error());
  }
  return report;
}

}  // namespace tenancy

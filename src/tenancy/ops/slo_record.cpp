// SloMonitor's lifecycle and request path: opening, probes and recording,
// and the objectives in force.
#include <algorithm>

#include "ops/slo_impl.hpp"

namespace tenancy {
namespace {

std::int64_t ThresholdNs(const SloObjective& o) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(o.latency_threshold).count();
}

bool InOpenUnit(double x) { return x > 0.0 && x < 1.0; }  // false for NaN too

}  // namespace

Result<void> ValidateObjective(const SloObjective& o, std::string_view what) {
  if (!InOpenUnit(o.availability))
    return Fail(Errc::kInvalidArgument, std::string(what) + ": availability must be in (0, 1)");
  if (!InOpenUnit(o.latency))
    return Fail(Errc::kInvalidArgument, std::string(what) + ": latency must be in (0, 1)");
  if (o.latency_threshold.count() <= 0 || o.latency_threshold > std::chrono::hours{1})
    return Fail(Errc::kInvalidArgument,
                std::string(what) + ": latency_threshold must be in (0, 1 h]");
  return {};
}

void SloProbe::Record(bool success, std::chrono::nanoseconds latency) const noexcept {
  if (series_ == nullptr) return;
  // The success, fast case is one atomic add; the drain reads the bad
  // counters before the total, so a bucket never shows more bad than total
  // for long (windows clamp it anyway).
  series_->total.fetch_add(1, std::memory_order_relaxed);
  if (!success) series_->errors.fetch_add(1, std::memory_order_relaxed);
  if (latency.count() > series_->threshold_ns.load(std::memory_order_relaxed))
    series_->slow.fetch_add(1, std::memory_order_relaxed);
}

SloMonitor::SloMonitor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SloMonitor::~SloMonitor() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->evaluator.joinable()) impl_->evaluator.join();
}

Result<std::unique_ptr<SloMonitor>> SloMonitor::Open(SloOptions options) {
  using std::chrono::seconds;
  if (options.clock == nullptr) return Fail(Errc::kInvalidArgument, "slo clock is null");
  if (options.incidents_path.empty())
    return Fail(Errc::kInvalidArgument, "slo incidents_path is empty");
  if (options.bucket_width < seconds{1} || options.bucket_width > seconds{3600})
    return Fail(Errc::kInvalidArgument, "slo bucket_width must be 1 s - 1 h");
  if (options.min_requests < 1) return Fail(Errc::kInvalidArgument, "slo min_requests must be >= 1");
  if (options.evaluate_every.count() < 0)
    return Fail(Errc::kInvalidArgument, "slo evaluate_every is negative");
  if (options.rules.empty() || options.rules.size() > 16)
    return Fail(Errc::kInvalidArgument, "slo rules: 1-16 burn-rate rules");
  if (auto r = ValidateObjective(options.default_objective, "slo default_objective"); !r)
    return r.error();
  for (const auto& [tier, o] : options.tiers)
    if (auto r = ValidateObjective(o, "slo tier " + tier); !r) return r.error();
  seconds longest{0};
  for (const auto& rule : options.rules) {
    const auto w = options.bucket_width;
    if (!(rule.factor > 0) || rule.short_window <= seconds{0} ||
        rule.long_window <= rule.short_window || rule.long_window > std::chrono::hours{24 * 31} ||
        rule.long_window % w != seconds{0} || rule.short_window % w != seconds{0} ||
        static_cast<std::size_t>(rule.severity) > 1)
      return Fail(Errc::kInvalidArgument,
                  "slo rule: factor > 0, 0 < short_window < long_window <= 31 days, both "
                  "multiples of bucket_width");
    longest = std::max(longest, rule.long_window);
  }
  auto db = detail::slo::IncidentDb::Open(options.incidents_path);
  if (!db) return db.error();
  auto overrides = (*db)->LoadOverrides();
  if (!overrides) return overrides.error();
  for (const auto& [tenant, o] : *overrides)
    if (!ValidateObjective(o, "stored override"))
      return Fail(Errc::kDataCorrupted, "the incidents database holds an invalid objective");
  auto open = (*db)->LoadOpen();
  if (!open) return open.error();

  auto impl = std::make_unique<Impl>(std::move(options));
  impl->width_s = impl->options.bucket_width.count();
  impl->ring_size = static_cast<std::size_t>(longest / impl->options.bucket_width) + 1;
  impl->db = std::move(*db);
  impl->overrides = std::move(*overrides);
  for (auto& i : *open) {
    // Adopted: the first evaluation resolves it unless an alert fires.
    Impl::View v;
    v.open_incident = i.id;
    impl->views[i.tenant] = std::move(v);
    impl->open[i.tenant] = std::move(i);
  }
  std::unique_ptr<SloMonitor> monitor(new SloMonitor(std::move(impl)));
  if (monitor->impl_->options.evaluate_every.count() > 0) {
    Impl* p = monitor->impl_.get();
    p->evaluator = std::thread([p] {
      std::unique_lock lock(p->stop_mu);
      while (!p->stop_cv.wait_for(lock, p->options.evaluate_every, [p] { return p->stopping; })) {
        lock.unlock();
        {
          std::lock_guard eval(p->eval_mu);
          (void)p->EvaluateLocked();  // errors are retried next time
        }
        lock.lock();
      }
    });
  }
  return monitor;
}

detail::SloSeries* SloMonitor::Impl::Find(const TenantId& id) const {
  const Stripe& s = StripeOf(id);
  std::shared_lock lock(s.mu);
  auto it = s.series.find(id);
  return it == s.series.end() ? nullptr : it->second.get();
}

SloObjective SloMonitor::Impl::ObjectiveFor(const TenantId& id, std::string_view tier) const {
  {
    std::lock_guard lock(objectives_mu);
    if (auto it = overrides.find(id); it != overrides.end()) return it->second;
  }
  if (auto it = options.tiers.find(tier); it != options.tiers.end()) return it->second;
  return options.default_objective;
}

detail::SloSeries& SloMonitor::Impl::Series(const TenantId& id, std::string_view tier) {
  detail::SloSeries* s = Find(id);
  if (s == nullptr) {
    Stripe& stripe = StripeOf(id);
    std::unique_lock lock(stripe.mu);
    auto& slot = stripe.series[id];
    if (!slot) {
      slot = std::make_unique<detail::SloSeries>(id);
      slot->tier = std::string(tier);
      slot->threshold_ns.store(ThresholdNs(ObjectiveFor(id, tier)), std::memory_order_relaxed);
    }
    s = slot.get();
  }
  std::lock_guard lock(s->tier_mu);
  if (s->tier != tier) {
    s->tier = std::string(tier);
    s->threshold_ns.store(ThresholdNs(ObjectiveFor(id, tier)), std::memory_order_relaxed);
  }
  return *s;
}

std::vector<detail::SloSeries*> SloMonitor::Impl::AllSeries() const {
  std::vector<detail::SloSeries*> out;
  for (const auto& stripe : stripes) {
    std::shared_lock lock(stripe.mu);
    for (const auto& [id, s] : stripe.series) out.push_back(s.get());
  }
  std::sort(out.begin(), out.end(),
            [](const auto* a, const auto* b) { return a->tenant < b->tenant; });
  return out;
}

Result<SloProbe> SloMonitor::Probe(const TenantId& tenant, std::string_view tier) {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "slo probe for an empty tenant id");
  return SloProbe(&impl_->Series(tenant, tier));
}

void SloMonitor::Record(const TenantId& tenant, std::string_view tier, bool success,
                        std::chrono::nanoseconds latency) {
  if (tenant.empty()) return;
  SloProbe(&impl_->Series(tenant, tier)).Record(success, latency);
}

Result<void> SloMonitor::SetObjective(const TenantId& tenant, const SloObjective& objective) {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "slo objective for an empty tenant id");
  if (auto r = ValidateObjective(objective, "slo objective"); !r) return r;
  {
    std::lock_guard lock(impl_->db_mu);
    if (auto r = impl_->db->SaveOverride(tenant, objective); !r) return r;
  }
  {
    std::lock_guard lock(impl_->objectives_mu);
    impl_->overrides[tenant] = objective;
  }
  if (auto* s = impl_->Find(tenant))
    s->threshold_ns.store(ThresholdNs(objective), std::memory_order_relaxed);
  return {};
}

Result<void> SloMonitor::ClearObjective(const TenantId& tenant) {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "slo objective for an empty tenant id");
  {
    std::lock_guard lock(impl_->db_mu);
    if (auto r = impl_->db->DeleteOverride(tenant); !r) return r;
  }
  {
    std::lock_guard lock(impl_->objectives_mu);
    impl_->overrides.erase(tenant);
  }
  if (auto* s = impl_->Find(tenant)) {
    std::lock_guard lock(s->tier_mu);
    s->threshold_ns.store(ThresholdNs(impl_->ObjectiveFor(tenant, s->tier)),
                          std::memory_order_relaxed);
  }
  return {};
}

SloObjective SloMonitor::ObjectiveOf(const TenantId& tenant) const {
  std::string tier;
  if (auto* s = impl_->Find(tenant)) {
    std::lock_guard lock(s->tier_mu);
    tier = s->tier;
  }
  return impl_->ObjectiveFor(tenant, tier);
}

}  // namespace tenancy

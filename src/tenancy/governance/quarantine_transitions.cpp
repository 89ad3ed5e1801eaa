// Quarantine's lifecycle and transitions: opening (validation, adopting the
// directory's quarantined tenants), entering and leaving quarantine, and
// the operator's Quarantine and Release.
#include <cmath>
#include <optional>

#include "governance/quarantine_impl.hpp"

namespace tenancy {
namespace {

Error Invalid(std::string_view what) {
  return Fail(Errc::kInvalidArgument, "QuarantineOptions::" + std::string(what));
}

Result<void> Validate(const QuarantineOptions& o) {
  const auto ratio = [](const std::optional<double>& t) {
    return !t || (std::isfinite(*t) && *t >= 0 && *t <= 1);
  };
  if (!ratio(o.thresholds.throttled_ratio))
    return Invalid("thresholds.throttled_ratio must be in [0, 1]");
  if (!ratio(o.thresholds.error_ratio)) return Invalid("thresholds.error_ratio must be in [0, 1]");
  if (!ratio(o.thresholds.time_share)) return Invalid("thresholds.time_share must be in [0, 1]");
  if (o.window.count() <= 0) return Invalid("window must be positive");
  if (o.min_requests < 0) return Invalid("min_requests must not be negative");
  if (o.sustain.count() < 0) return Invalid("sustain must not be negative");
  if (o.cooldown && o.cooldown->count() < 0) return Invalid("cooldown must not be negative");
  if (!std::isfinite(o.rate_factor) || o.rate_factor < 1e-6 || o.rate_factor > 1)
    return Invalid("rate_factor must be between 0.000001 and 1");
  if (o.clock == nullptr) return Invalid("clock is null");
  if (o.evaluate_every.count() < 0) return Invalid("evaluate_every must not be negative");
  return {};
}

Result<void> NeedReason(std::string_view reason) {
  if (reason.empty() || reason.size() > 1000)
    return Fail(Errc::kInvalidArgument, "a reason of 1 to 1000 bytes is required");
  return {};
}

}  // namespace

QuarantinePolicy::QuarantinePolicy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

QuarantinePolicy::~QuarantinePolicy() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->evaluator.joinable()) impl_->evaluator.join();
}

Result<std::unique_ptr<QuarantinePolicy>> QuarantinePolicy::Open(QuarantineOptions options,
                                                                 Directory& directory) {
  if (auto ok = Validate(options); !ok) return ok.error();
  auto impl = std::make_unique<Impl>(std::move(options), directory);

  // Adopt the tenants already quarantined (by us before a restart, or by an
  // operator through the directory) and re-apply their reduced rates.
  TenantFilter filter;
  filter.state = TenantState::kQuarantined;
  filter.limit = 1000;
  std::optional<Error> failed;  // a History error ends the walk
  auto walked = directory.ForEachTenant(filter, [&](const Tenant& t) {
    QuarantinedTenant record;
    record.tenant = t.id;
    record.since = t.updated_at;
    auto history = directory.History(t.id);
    if (!history) {
      failed = history.error();
      return false;
    }
    for (auto it = history->rbegin(); it != history->rend(); ++it) {
      if (it->to == TenantState::kQuarantined) {
        record.since = it->at;
        record.reason = it->reason;
        break;
      }
    }
    record.manual = !record.reason.starts_with(QuarantineAutoPrefix());
    if (impl->options.quotas)
      (void)impl->options.quotas->SetRateFactor(t.id, impl->options.rate_factor);
    auto traffic = impl->Traffic(t.id);
    traffic->quarantined.store(true, std::memory_order_release);
    traffic->read_only.store(impl->options.read_only, std::memory_order_release);
    impl->records.emplace(t.id, std::move(record));
    return true;
  });
  if (!walked) return walked.error();
  if (failed) return *failed;

  if (impl->options.evaluate_every.count() > 0) {
    Impl* raw = impl.get();
    impl->evaluator = std::thread([raw] {
      std::unique_lock lock(raw->stop_mu);
      while (!raw->stopping) {
        raw->stop_cv.wait_for(lock, raw->options.evaluate_every, [raw] { return raw->stopping; });
        if (raw->stopping) break;
        lock.unlock();
        {
          std::lock_guard eval(raw->eval_mu);
          (void)raw->EvaluateLocked();  // failures are retried at the next tick
        }
        lock.lock();
      }
    });
  }
  return std::unique_ptr<QuarantinePolicy>(new QuarantinePolicy(std::move(impl)));
}

Result<void> QuarantinePolicy::Impl::EnterLocked(const TenantId& id, std::string reason,
                                                 const QuarantineMetrics& m, bool manual) {
  auto changed = directory.ChangeState(id, TenantState::kQuarantined, reason);
  if (!changed) return changed.error();
  if (options.quotas) {
    if (auto f = options.quotas->SetRateFactor(id, options.rate_factor); !f) return f.error();
  }
  auto traffic = Traffic(id);
  traffic->quarantined.store(true, std::memory_order_release);
  traffic->read_only.store(options.read_only, std::memory_order_release);
  traffic->breach_since.reset();
  traffic->calm_since.reset();
  QuarantinedTenant record;
  record.tenant = id;
  record.since = clock.Now();
  record.reason = std::move(reason);
  record.manual = manual;
  record.at_entry = m;
  record.current = m;
  std::lock_guard lock(records_mu);
  records.insert_or_assign(id, std::move(record));
  return {};
}

Result<void> QuarantinePolicy::Impl::LeaveLocked(const TenantId& id, std::string_view reason) {
  auto changed = directory.ChangeState(id, TenantState::kActive, reason);
  if (!changed) return changed.error();
  ForgetLocked(id);
  return {};
}

void QuarantinePolicy::Impl::ForgetLocked(const TenantId& id) {
  if (options.quotas) (void)options.quotas->SetRateFactor(id, 1.0);  // a deleted tenant has none
  if (auto traffic = Find(id)) {
    traffic->quarantined.store(false, std::memory_order_release);
    traffic->read_only.store(false, std::memory_order_release);
    traffic->breach_since.reset();
    traffic->calm_since.reset();
  }
  std::lock_guard lock(records_mu);
  records.erase(id);
}

Result<void> QuarantinePolicy::Quarantine(const TenantId& tenant, std::string_view reason) {
  if (auto ok = NeedReason(reason); !ok) return ok;
  std::lock_guard lock(impl_->eval_mu);
  auto t = impl_->directory.Get(tenant);
  if (!t) return t.error();
  if ((*t)->state != TenantState::kActive)
    return Fail(Errc::kFailedPrecondition, "only an active tenant can be quarantined (tenant is " +
                                               std::string(ToString((*t)->state)) + ")");
  QuarantineMetrics m;
  if (auto traffic = impl_->Find(tenant)) {
    std::lock_guard records(impl_->records_mu);
    if (traffic->metrics) m = *traffic->metrics;
  }
  return impl_->EnterLocked(tenant, "quarantined by operator: " + std::string(reason), m,
                            /*manual=*/true);
}

Result<void> QuarantinePolicy::Release(const TenantId& tenant, std::string_view reason) {
  if (auto ok = NeedReason(reason); !ok) return ok;
  std::lock_guard lock(impl_->eval_mu);
  auto t = impl_->directory.Get(tenant);
  if (!t) return t.error();
  if ((*t)->state != TenantState::kQuarantined) {
    impl_->ForgetLocked(tenant);
    return Fail(Errc::kFailedPrecondition,
                "tenant is not quarantined (it is " + std::string(ToString((*t)->state)) + ")");
  }
  return impl_->LeaveLocked(tenant, "quarantine released by operator: " + std::string(reason));
}

}  // namespace tenancy

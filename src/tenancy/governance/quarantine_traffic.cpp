// The request path of quarantine: counting observations per tenant, and
// answering whether a tenant is quarantined or read-only.
#include "governance/quarantine_impl.hpp"

namespace tenancy {
namespace {

void Count(detail::TenantTraffic& t, const Observation& o) noexcept {
  t.requests.fetch_add(1, std::memory_order_relaxed);
  if (o.error) t.errors.fetch_add(1, std::memory_order_relaxed);
  if (o.throttled) t.throttled.fetch_add(1, std::memory_order_relaxed);
  if (o.elapsed.count() > 0) t.elapsed_ns.fetch_add(o.elapsed.count(), std::memory_order_relaxed);
}

}  // namespace

std::shared_ptr<detail::TenantTraffic> QuarantinePolicy::Impl::Find(const TenantId& id) const {
  const Stripe& s = StripeOf(id);
  std::shared_lock lock(s.mu);
  auto it = s.tenants.find(id);
  return it == s.tenants.end() ? nullptr : it->second;
}

std::shared_ptr<detail::TenantTraffic> QuarantinePolicy::Impl::Traffic(const TenantId& id) {
  if (auto t = Find(id)) return t;
  Stripe& s = StripeOf(id);
  std::unique_lock lock(s.mu);
  auto& slot = s.tenants[id];
  if (!slot) slot = std::make_shared<detail::TenantTraffic>(id);
  return slot;
}

void QuarantineProbe::Observe(const Observation& o) const noexcept {
  if (traffic_) Count(*traffic_, o);
}

void QuarantinePolicy::Observe(const TenantId& tenant, const Observation& o) {
  if (tenant.empty()) return;
  Count(*impl_->Traffic(tenant), o);
}

QuarantineProbe QuarantinePolicy::Probe(const TenantId& tenant) {
  if (tenant.empty()) return QuarantineProbe();
  return QuarantineProbe(impl_->Traffic(tenant));
}

bool QuarantinePolicy::IsQuarantined(const TenantId& tenant) const {
  auto t = impl_->Find(tenant);
  return t && t->quarantined.load(std::memory_order_acquire);
}

bool QuarantinePolicy::IsReadOnly(const TenantId& tenant) const {
  auto t = impl_->Find(tenant);
  return t && t->read_only.load(std::memory_order_acquire);
}

std::optional<QuarantineMetrics> QuarantinePolicy::Metrics(const TenantId& tenant) const {
  auto t = impl_->Find(tenant);
  if (!t) return std::nullopt;
  std::lock_guard lock(impl_->records_mu);
  return t->metrics;
}

std::vector<QuarantinedTenant> QuarantinePolicy::Quarantined() const {
  std::lock_guard lock(impl_->records_mu);
  std::vector<QuarantinedTenant> out;
  out.reserve(impl_->records.size());
  for (const auto& [id, record] : impl_->records) out.push_back(record);
  return out;
}

}  // namespace tenancy

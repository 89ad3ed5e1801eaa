// Governance, step 5: read-only quarantine, then the request rate.
#include "middleware/governance.hpp"
#include "middleware/governance_entry.hpp"
#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;

namespace {

bool Reads(const Route& route) noexcept {
  return route.reads_only || route.method == http::verb::get || route.method == http::verb::head;
}

}  // namespace

AdmissionVerdict Governance::Admit(const tenancy::TenantContext& ctx, const Route& route) {
  const tenancy::TenantId& id = ctx.tenant_id();
  if (parts_.quarantine_read_only && !Reads(route) &&
      (ctx.tenant().state == tenancy::TenantState::kQuarantined ||
       parts_.quarantine->IsReadOnly(id)))
    return AdmissionVerdict::Refuse(
        tenancy::Error(Errc::kPermissionDenied,
                       "the tenant is quarantined and may only read until it is released"),
        {}, "tenant_read_only");

  auto entry = EntryFor(id);
  if (!entry) return AdmissionVerdict::Admit();  // not governed (yet): fail open, counted nowhere
  const tenancy::QuotaDecision d = entry->rate.TryConsume(1);
  if (!d.allowed)
    return AdmissionVerdict::Refuse(
        tenancy::Error(Errc::kResourceExhausted, "request rate limit of the tenant's plan reached"),
        RetryAfterSeconds(d.retry_after), "rate_limited");
  return AdmissionVerdict::Admit();
}

}  // namespace tenancyd

// Governance, step 5: read-only quarantine, then the request rate.
#include <algorithm>

#include "middleware/governance.hpp"
#include "middleware/governance_entry.hpp"
#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;

namespace {

bool Reads(const Route& route) noexcept {
  return route.reads_only || route.method == http::verb::get || route.method == http::verb::head;
}

// How long a rate-limited caller's connection is not read again (D59).
// Each refusal takes the tenant's next free slot, one refill after the one
// before and no earlier than the limit allows the request: the held
// connections of a flooding tenant then wake one per refilled unit, rather
// than all at once to be refused together again. Never past kMaxReadHold
// (nor the Retry-After sent, at least a second).
std::chrono::nanoseconds ReadHold(std::atomic<std::int64_t>& next_slot_ns,
                                  const tenancy::QuotaDecision& d) noexcept {
  using std::chrono::nanoseconds;
  if (d.retry_after == tenancy::kNever) return kMaxReadHold;
  const std::int64_t now = std::chrono::duration_cast<nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  const std::int64_t earliest = now + d.retry_after.count();
  const std::int64_t step = std::max<std::int64_t>(d.refill_every.count(), 1);
  std::int64_t slot = next_slot_ns.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t take = std::max(slot, earliest);
    if (take - now >= kMaxReadHold.count()) return kMaxReadHold;
    if (next_slot_ns.compare_exchange_weak(slot, take + step, std::memory_order_relaxed))
      return nanoseconds(take - now);
  }
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
  if (d.allowed) return AdmissionVerdict::Admit();
  AdmissionVerdict refused = AdmissionVerdict::Refuse(
      tenancy::Error(Errc::kResourceExhausted, "request rate limit of the tenant's plan reached"),
      RetryAfterSeconds(d.retry_after), "rate_limited");
  if (parts_.hold_throttled_connections)
    refused.hold_reading = ReadHold(entry->next_read_slot_ns, d);
  return refused;
}

}  // namespace tenancyd

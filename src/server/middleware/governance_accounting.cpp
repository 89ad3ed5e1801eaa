// Governance, step 7: meter, observe for quarantine, count.
#include "middleware/governance.hpp"
#include "middleware/governance_entry.hpp"

namespace tenancyd {

void Governance::Record(const AccountingRecord& r) noexcept {
  if (!r.tenant) return;
  try {
    auto entry = EntryFor(*r.tenant);
    if (!entry) return;
    const bool throttled = r.status == 429;
    const bool server_error = r.status >= 500;
    entry->requests.fetch_add(1, std::memory_order_relaxed);
    if (server_error) entry->server_errors.fetch_add(1, std::memory_order_relaxed);
    if (r.status >= 400 && r.status < 500)
      entry->client_errors.fetch_add(1, std::memory_order_relaxed);
    if (throttled) entry->throttled.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t ns = r.latency.count() > 0 ? r.latency.count() : 0;
    entry->latency_sum_ns.fetch_add(ns, std::memory_order_relaxed);
    std::int64_t seen = entry->latency_max_ns.load(std::memory_order_relaxed);
    while (ns > seen &&
           !entry->latency_max_ns.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
    }
    // Only the tenant's own callers count (429s come after authentication,
    // so they are here): anonymous traffic aimed at a tenant can neither
    // quarantine it nor run up its bill.
    if (!r.context) return;
    entry->probe.Observe(
        tenancy::Observation{.elapsed = r.latency, .error = server_error, .throttled = throttled});
    // Billable: served, or refused for a reason other than its rate (a
    // throttled request costs nothing).
    if (!throttled && entry->meter) (void)entry->meter.Add(1);
  } catch (...) {
    // Accounting must never fail a request that was already answered.
  }
}

}  // namespace tenancyd

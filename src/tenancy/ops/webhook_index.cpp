// Which tenants DispatchAll visits (webhooks.hpp): the in-memory set of
// tenants that may have webhook work, the walk that seeds it and the paced
// sweep that re-synchronises it with what other processes wrote.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/webhook_impl.hpp"
#include "tenancy/directory.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kPageSize = 1000;  // TenantFilter's maximum

bool Stopping(const std::atomic<bool>* stop) noexcept {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

// Gone for good: nothing of the tenant is left to deliver.
bool Leaving(TenantState s) noexcept {
  return s == TenantState::kDeleted || s == TenantState::kOffboarding;
}

Result<TenantContext> SystemContext(const Directory& directory, const TenantId& id) {
  return directory.MintContext(id, Principal{"webhooks", PrincipalKind::kSystem}, {},
                               "webhooks-dispatch");
}

}  // namespace

void Webhooks::Impl::Note(const TenantId& tenant, bool recheck) {
  std::lock_guard lock(index_mu);
  IndexEntry& e = index[tenant];
  e.touched = ++touches;
  e.recheck = e.recheck || recheck;
}

std::uint64_t Webhooks::Impl::Touches() const {
  std::lock_guard lock(index_mu);
  return touches;
}

void Webhooks::Impl::Forget(const TenantId& tenant, std::uint64_t touches_seen) {
  std::lock_guard lock(index_mu);
  auto it = index.find(tenant);
  if (it != index.end() && it->second.touched <= touches_seen) index.erase(it);
}

Result<Webhooks::Impl::Work> Webhooks::Impl::ReadWork(const TenantContext& ctx) const {
  auto subs = subscriptions.Count(ctx);
  if (!subs) return subs.error();
  if (*subs > 0) return Work::kSubscribed;
  const Filter pending[] = {{"state", FilterOp::kEq, Value{std::string("pending")}}};
  auto due = deliveries.Count(ctx, pending);
  if (!due) return due.error();
  return *due > 0 ? Work::kPendingOnly : Work::kNone;
}

void Webhooks::Impl::Recheck(const TenantContext& ctx, std::uint64_t touches_seen) {
  auto work = ReadWork(ctx);
  if (!work) return;  // the next visit tries again
  if (*work == Work::kNone) {
    Forget(ctx.tenant_id(), touches_seen);
  } else if (*work == Work::kSubscribed) {
    // An ordinary subscriber again: no re-read per visit until the next removal.
    std::lock_guard lock(index_mu);
    auto it = index.find(ctx.tenant_id());
    if (it != index.end() && it->second.touched <= touches_seen) it->second.recheck = false;
  }
}

void Webhooks::Impl::Check(const Directory& directory, const Tenant& t, DispatchReport& report) {
  ++report.tenants_checked;
  if (Leaving(t.state)) {
    Forget(t.id, std::numeric_limits<std::uint64_t>::max());
    return;
  }
  // A suspended tenant keeps its place: its deliveries resume when it
  // returns, without waiting for the sweep.
  if (!t.IsLive()) return;
  const std::uint64_t seen = Touches();
  auto ctx = SystemContext(directory, t.id);
  if (!ctx) {
    report.tenant_errors.emplace_back(t.id, ctx.error());
    return;
  }
  auto work = ReadWork(*ctx);
  if (!work) {
    report.tenant_errors.emplace_back(t.id, work.error());
    return;
  }
  if (*work != Work::kNone) {
    std::lock_guard lock(index_mu);
    index.try_emplace(t.id);  // a sweep's finding does not outrank a Note
  } else {
    Forget(t.id, seen);
  }
}

Result<void> Webhooks::Impl::Sweep(const Directory& directory, std::size_t budget,
                                   const std::atomic<bool>* stop, DispatchReport& report) {
  // From where the last share stopped to the end of the directory, then,
  // with budget left, once more from the first id.
  for (int walk = 0; walk < 2 && budget > 0 && !Stopping(stop); ++walk) {
    TenantFilter filter;
    filter.limit = std::min(budget, kPageSize);
    filter.after = sweep_after;
    bool reached_end = true;
    auto walked = directory.ForEachTenant(filter, [&](const Tenant& t) {
      if (budget == 0 || Stopping(stop)) {
        reached_end = false;
        return false;
      }
      Check(directory, t, report);
      sweep_after = t.id.str();
      --budget;
      return true;
    });
    // The control database failed: so does the pass (as a full walk's
    // would); the next one reads from the same place again.
    if (!walked) return walked.error();
    if (!reached_end) return {};
    // The end of the directory: the next share starts from the first id.
    sweep_after.clear();
    if (!seeded) {
      seeded = true;
      return {};
    }
  }
  return {};
}

Result<DispatchReport> Webhooks::DispatchAll(const Directory& directory,
                                             const std::atomic<bool>* stop) {
  Impl& m = *impl_;
  std::lock_guard pass_lock(m.all_mu);
  DispatchReport total;

  // This pass's share of the sweep: all of it until the first walk is done
  // (the set starts empty), then live tenants × elapsed / interval, so the
  // whole directory is re-read once per sweep_interval however often the
  // caller runs passes. At most one full cycle per pass.
  const TimePoint now = m.options.clock->Now();
  std::size_t budget = std::numeric_limits<std::size_t>::max();
  if (m.seeded && m.options.sweep_interval.count() > 0) {
    const std::size_t live = directory.live_count();
    const auto elapsed = m.last_pass ? std::max(now - *m.last_pass, TimePoint::duration::zero())
                                     : TimePoint::duration::zero();
    const double share = std::min(
        1.0, std::chrono::duration<double>(elapsed) /
                 std::chrono::duration<double>(m.options.sweep_interval));
    budget = static_cast<std::size_t>(std::ceil(static_cast<double>(live) * share));
  } else if (m.seeded) {
    budget = directory.live_count();
  }
  m.last_pass = now;
  if (budget > 0)
    if (auto s = m.Sweep(directory, budget, stop, total); !s) return s.error();

  std::vector<std::pair<TenantId, bool>> visit;
  {
    std::lock_guard lock(m.index_mu);
    visit.reserve(m.index.size());
    for (const auto& [id, e] : m.index) visit.emplace_back(id, e.recheck);
  }
  for (const auto& [id, recheck] : visit) {
    if (Stopping(stop)) break;
    auto t = directory.Get(id);
    if (!t || Leaving((*t)->state)) {
      // Unknown (a directory that lost it) or gone: nothing to deliver.
      m.Forget(id, std::numeric_limits<std::uint64_t>::max());
      continue;
    }
    if (!(*t)->IsLive()) continue;
    const std::uint64_t seen = m.Touches();
    auto ctx = SystemContext(directory, id);
    if (!ctx) {
      total.tenant_errors.emplace_back(id, ctx.error());
      continue;
    }
    auto r = Dispatch(*ctx);
    if (!r) {
      total.tenant_errors.emplace_back(id, r.error());
      continue;
    }
    total += *r;
    // A subscription was removed (or a delivery redelivered) here: once the
    // last pending delivery is settled and no subscription is left, the
    // tenant stops being visited.
    if (recheck) m.Recheck(*ctx, seen);
  }
  return total;
}

}  // namespace tenancy

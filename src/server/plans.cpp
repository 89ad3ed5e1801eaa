#include "plans.hpp"

namespace tenancyd {

using std::chrono::seconds;
using tenancy::CalendarPeriod;
using tenancy::Limit;

namespace {

struct TierLimits {
  std::string_view tier;
  std::int64_t requests_per_second;
  std::int64_t burst;
  std::int64_t rides_per_month;
  std::int64_t vehicles;
};

// Sized so each tier comfortably serves the fleet it pays for, and a free
// tenant can try everything without being able to hurt its neighbours.
constexpr TierLimits kLimits[] = {
    {"free", 5, 20, 200, 5},
    {"standard", 50, 200, 10'000, 100},
    {"premium", 200, 800, 100'000, 1'000},
    {"enterprise", 1'000, 4'000, 2'000'000, 20'000},
};

constexpr TierPrice kPrices[] = {
    {"free", 0, 10'000, 0, 0},
    {"standard", 4'900, 1'000'000, 5, 10},
    {"premium", 19'900, 10'000'000, 3, 5},
    {"enterprise", 99'900, 100'000'000, 1, 2},
};

}  // namespace

std::optional<tenancy::Plan> DefaultPlan(std::string_view tier) {
  for (const TierLimits& l : kLimits) {
    if (l.tier != tier) continue;
    tenancy::Plan plan;
    plan.limits.emplace(kApiRequests, Limit::Rate(l.requests_per_second, seconds{1}, l.burst));
    plan.limits.emplace(kRidesBooked,
                        Limit::Periodic(l.rides_per_month, CalendarPeriod::kMonth, {0.8, 1.0}));
    plan.limits.emplace(kVehicles, Limit::Gauge(l.vehicles, {0.9}));
    return plan;
  }
  return std::nullopt;
}

std::span<const TierPrice> PriceTable() noexcept { return kPrices; }

const TierPrice& PriceOf(std::string_view tier) noexcept {
  for (const TierPrice& p : kPrices)
    if (p.tier == tier) return p;
  return kPrices[0];
}

tenancy::Result<void> EnsureDefaultPlans(tenancy::Quotas& quotas) {
  for (std::string_view tier : kTiers) {
    auto current = quotas.GetPlan(tier);
    if (!current) return current.error();
    if (!current->limits.empty()) continue;  // an operator's plan stays
    if (auto set = quotas.SetPlan(tier, *DefaultPlan(tier)); !set) return set;
  }
  return {};
}

}  // namespace tenancyd

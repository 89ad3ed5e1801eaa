// The commercial side of tenancyd's configuration: the limits every tier
// starts with and what each tier costs. Both are small tables compiled in;
// operators change a tier's plan later through tenancy::Quotas (persisted),
// and the defaults below are only written for a tier that has no plan yet,
// so a restart never undoes an operator's change.
//
// Limits (names shared by admission, the fleet and the booking services):
//   api.requests   rate      requests per second, with a burst
//   rides.booked   periodic  rides per calendar month (tenant's time zone)
//   vehicles       gauge     vehicles registered at once
//
// Thread safety: immutable data and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tenancy/quota.hpp"

namespace tenancyd {

inline constexpr std::string_view kApiRequests = "api.requests";
inline constexpr std::string_view kRidesBooked = "rides.booked";
inline constexpr std::string_view kVehicles = "vehicles";

// The tiers tenancyd knows, cheapest first.
inline constexpr std::string_view kTiers[] = {"free", "standard", "premium", "enterprise"};

// The plan a tier starts with (nullopt for a tier not in kTiers).
std::optional<tenancy::Plan> DefaultPlan(std::string_view tier);

// The currency of the platform's own prices (invoices to tenants).
inline constexpr std::string_view kBillingCurrency = "USD";

// What a tier costs per month, in the smallest currency unit (cents).
struct TierPrice {
  std::string_view tier;
  std::int64_t base_cents_per_month = 0;
  // Requests beyond `included_requests` cost this per started thousand.
  std::int64_t included_requests = 0;
  std::int64_t cents_per_1000_requests = 0;
  // Each booked ride costs this (the platform's cut).
  std::int64_t cents_per_ride = 0;
};

std::span<const TierPrice> PriceTable() noexcept;
// The tier's price; the first row ("free") for a tier not in the table, so
// an unknown tier is never billed more than the cheapest.
const TierPrice& PriceOf(std::string_view tier) noexcept;

// Writes DefaultPlan for every tier in kTiers that has no plan yet.
tenancy::Result<void> EnsureDefaultPlans(tenancy::Quotas& quotas);

}  // namespace tenancyd

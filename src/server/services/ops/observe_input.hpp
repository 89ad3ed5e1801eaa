// Query parameters shared by the observability handlers (private to
// services/ops/observe_*.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "json_input.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {

// The integer parameter `name` in [min, max], or `fallback` when absent.
// kInvalidArgument naming the parameter otherwise.
tenancy::Result<std::int64_t> QueryInt(const QueryParams& params, std::string_view name,
                                       std::int64_t min, std::int64_t max, std::int64_t fallback);
// A tenant named by id (deleted ones included) or live slug;
// kTenantUnknown otherwise.
tenancy::Result<std::shared_ptr<const tenancy::Tenant>> NamedTenant(const tenancy::Directory& d,
                                                                   std::string_view name);
// The `month` parameter (YYYY-MM, UTC), default the month of `now`; its
// label goes to `label` when given.
tenancy::Result<std::chrono::year_month> MonthQuery(const QueryParams& params, tenancy::TimePoint now,
                                                    std::string* label);

}  // namespace tenancyd

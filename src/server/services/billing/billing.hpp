// The billing service: riders' receipts, tenants' invoices from metered
// usage and their plan's price, and the platform's revenue per tenant.
//
//   GET /v1/receipts?limit=&cursor=      billing.read
//   GET /v1/receipts/{ride_id}           billing.read
//   GET /v1/invoices?month=YYYY-MM       billing.read   the caller's tenant; default: this month
//   GET /v1/platform/revenue?month=YYYY-MM   platform.tenants.read
//
// An invoice bills one calendar month (UTC, the hours metering records):
// the tier's base price, API requests beyond the tier's included amount
// per started thousand, and each booked ride (prices in plans.hpp). The
// counts are metering's exact totals (Metering::Query flushes first), so an
// invoice matches the usage report of the same month to the unit. The tier
// is the tenant's tier now.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>

#include "router.hpp"
#include "services/data_plane.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {

// A month [start, end) in UTC.
struct Month {
  int year = 1970;
  unsigned month = 1;
  tenancy::TimePoint start{};
  tenancy::TimePoint end{};
  std::string label{};  // "YYYY-MM"
};

// Parses "YYYY-MM" (years 1970-9999). kInvalidArgument naming `field`.
tenancy::Result<Month> ParseMonth(std::string_view text, std::string_view field = "month");
// The month containing `t`.
Month MonthOf(tenancy::TimePoint t);

// The metered amounts an invoice bills.
struct UsageCounts {
  std::int64_t api_requests = 0;
  std::int64_t rides_booked = 0;
  std::int64_t rides_completed = 0;
  std::int64_t ride_revenue = 0;  // fares in the tenant's minor units
};

// The invoice of a tier for `usage`, as JSON: {tier, currency, lines:
// [{item, quantity, unit_price, amount}], total}.
boost::json::object InvoiceJson(std::string_view tier, const UsageCounts& usage);

struct Billing {
  DataPlane& dp;
  tenancy::Directory& directory;
};

// REQUIRES: `b`'s objects outlive the router.
void AddBillingRoutes(Router& router, const Billing& b);

tenancy::Result<Response> ListReceipts(const Billing& b, Exchange& x);
tenancy::Result<Response> GetReceipt(const Billing& b, Exchange& x);
tenancy::Result<Response> GetInvoice(const Billing& b, Exchange& x);
tenancy::Result<Response> PlatformRevenue(const Billing& b, Exchange& x);

}  // namespace tenancyd

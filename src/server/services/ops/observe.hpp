// Observability API of tenancyd: metrics, logs, health, the tenant's
// dashboard, incidents, the platform's success metrics and the idle-tenant
// (sprawl) policy (issue #7 items 1, 2, 5, 7).
//
// Tenant scope (the caller's tenant only; nothing of another tenant is
// reachable, whatever ids, slugs or headers are sent):
//   GET  /v1/tenant/metrics                 tenant.read   the tenant's series (MetricsRegistry::TenantView)
//   GET  /v1/tenant/logs?after=&limit=      tenant.admin  the tenant's log lines (its own sequence)
//   GET  /v1/tenant/health                  tenant.read   status, firing alerts, SLIs, objective
//   GET  /v1/tenant/dashboard               tenant.read   traffic, latency, usage against quota, health
// Platform scope (operators):
//   GET  /metrics                           platform.tenants.read  Prometheus text 0.0.4
//   GET  /v1/platform/logs?after=&limit=&tenant=   platform.tenants.read  every line (or one tenant's)
//   GET  /v1/platform/health?limit=&cursor=        platform.tenants.read  every tenant's health and state
//   GET  /v1/platform/incidents?month=&tenant=     platform.tenants.read  incidents per tenant per month
//   GET  /v1/platform/success-metrics?month=&limit=&cursor=   platform.tenants.read
//   GET  /v1/platform/idle-tenants?days=&tier=     platform.tenants.read
//   POST /v1/platform/idle-tenants/apply    platform.tenants.admin  {days, tier, action}
//
// /metrics is an ordinary platform route: Prometheus scrapes it with a
// platform API key as bearer token (docs/operations.md shows the scrape
// configuration); a `support_readonly` key is enough.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observability/observability.hpp"
#include "router.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/events.hpp"
#include "tenancy/metering.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/store.hpp"

namespace tenancyd {

struct Observe {
  Observability& obs;
  tenancy::Directory& directory;
  tenancy::Quotas& quotas;
  tenancy::Metering& metering;
  tenancy::Store& store;
  const tenancy::Events& events;
};

// REQUIRES: `o`'s objects outlive the router.
void AddObserveRoutes(Router& router, const Observe& o);

// Event type of the idle-tenant policy's notification.
inline constexpr std::string_view kTenantIdleEvent = "tenant.idle";
// Bounds of the policy's `days`.
inline constexpr std::int64_t kMaxIdleDays = 3650;

tenancy::Result<Response> PrometheusMetrics(const Observe& o, Exchange& x);
tenancy::Result<Response> TenantMetrics(const Observe& o, Exchange& x);
tenancy::Result<Response> TenantLogs(const Observe& o, Exchange& x);
tenancy::Result<Response> PlatformLogs(const Observe& o, Exchange& x);
tenancy::Result<Response> TenantHealthOf(const Observe& o, Exchange& x);
tenancy::Result<Response> PlatformHealth(const Observe& o, Exchange& x);
tenancy::Result<Response> PlatformIncidents(const Observe& o, Exchange& x);
tenancy::Result<Response> TenantDashboard(const Observe& o, Exchange& x);
tenancy::Result<Response> SuccessMetrics(const Observe& o, Exchange& x);
tenancy::Result<Response> IdleTenants(const Observe& o, Exchange& x);
tenancy::Result<Response> ApplyIdlePolicy(const Observe& o, Exchange& x);

// -- shared by the handlers --

// The value at quantile q (0..1) of a cumulative histogram, interpolated
// linearly inside its bucket (as Prometheus's histogram_quantile does):
// `bounds` finite and ascending, `cumulative` one count per bound then the
// +Inf count. nullopt without observations; the highest finite bound when
// the quantile falls in +Inf.
std::optional<double> HistogramQuantile(const std::vector<double>& bounds,
                                        const std::vector<std::uint64_t>& cumulative, double q);
// The value at quantile q of `samples` (nearest rank); nullopt when empty.
std::optional<double> SampleQuantile(std::vector<double> samples, double q);

// A live tenant's idleness at `now`: the last request (or, never having
// made one, its creation) and the whole days since.
struct Idleness {
  std::optional<std::int64_t> last_request_ms{};
  std::int64_t idle_since_ms = 0;
  std::int64_t idle_days = 0;
};
Idleness IdlenessOf(const tenancy::Tenant& t, const TenantActivity& a, std::int64_t now_ms);

}  // namespace tenancyd

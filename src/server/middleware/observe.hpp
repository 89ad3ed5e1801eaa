// Step 7, observability: what every answered request leaves in the logs,
// the metrics, the SLOs and the tenant's activity (observability/).
//
// Per request:
//   - `tenancyd_route_requests_total{route="GET /v1/rides/{id}",
//     status_class="2xx"}` (platform row: routes × classes, whoever asked;
//     unmatched requests count as route="none");
//   - for a request inside a tenant (it got a context there: the tenant's
//     own credentials or an impersonating operator): the tenant's
//     `tenancy_requests_total{status_class}`, `tenancy_request_errors_total`
//     (5xx), `tenancy_request_duration_seconds` and `tenancy_cpu_seconds_total`;
//     its SLO probe (5xx = failure, 4xx are the caller's; latency against
//     the tier's threshold); its live stats (requests, errors, CPU time, last
//     request, the per-minute rings, first booked ride). Everything else
//     (anonymous, wrong tenant's credential, operators on the control
//     plane) lands on the platform row;
//   - a successful onboarding (POST /v1/tenants, POST /v1/signup → 201)
//     records its duration;
//   - one access-log line (when ObservabilityOptions::access_log): in the
//     tenant's log for requests inside it, else a platform line (with
//     `resolved_tenant` when a tenant was named), carrying the request id,
//     trace id, method, the route's PATTERN (never the path as sent, the
//     query string or the body: they can carry secrets), status, latency
//     and CPU time. Its facts are copied into an AccessRecord and rendered
//     on the access log's own thread (observability/access_log.hpp).
//
// Why routes are not a per-tenant label: tenants × routes × classes (≈ 80
// routes × 6 classes = 480 series per tenant, 480,000 at the default cap of
// 1000 tenants) is the cardinality Prometheus warns against; per-tenant
// figures are by status class and the per-route split is platform-wide
// (and in the access log).
//
// Cost: the cells are resolved once (per tenant in observability's sharded
// table, per route in a table built at the first request, when every route
// is registered), so a request costs a shared-lock hash lookup, a pointer
// hash lookup, about ten relaxed atomic adds, two compare-exchanges (the
// minute rings) and the hand-over of the log line's record (a 384-byte
// copy and a lock-free push; the rendering, ~6,700 instructions, happens
// on the access log's thread).
//
// Thread safety: Record is called concurrently from the I/O threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "middleware/accounting.hpp"
#include "observability/observability.hpp"
#include "router.hpp"

namespace tenancyd {

class ObserveSink final : public Accounting {
 public:
  // REQUIRES: `obs` and `router` outlive the sink; the router's routes are
  // all added before the first request.
  ObserveSink(Observability& obs, const Router& router);
  ~ObserveSink() override;

  void Record(const AccountingRecord& record) noexcept override;

 private:
  enum class RouteKind : std::uint8_t { kPlain, kOnboarding, kRideBooking };
  struct RouteCells {
    std::array<tenancy::CounterCell*, 6> by_class{};  // 1xx … 5xx, other
    RouteKind kind = RouteKind::kPlain;
  };
  struct RouteTable {
    // Keyed by the address of the route's pattern (stable once routes are
    // set up): a lookup hashes a pointer, never the text.
    std::unordered_map<const char*, RouteCells> by_pattern;
    RouteCells unmatched{};  // no route matched
    RouteCells other{};      // a route added after the table was built
  };
  const RouteTable& Routes() const;
  void Log(const AccountingRecord& r, bool in_tenant) const noexcept;

  Observability& obs_;
  const Router& router_;
  tenancy::TenantRequestMetrics::Cells platform_cells_{};
  mutable std::once_flag routes_once_;
  mutable std::unique_ptr<RouteTable> routes_;
};

}  // namespace tenancyd

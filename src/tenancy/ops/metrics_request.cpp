// The standard per-request instruments of a tenant.
#include "tenancy/metrics.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kClasses[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

std::size_t ClassOf(int status) noexcept {
  if (status < 100 || status > 599) return 5;
  return static_cast<std::size_t>(status / 100 - 1);
}

}  // namespace

Result<TenantRequestMetrics> TenantRequestMetrics::Register(MetricsRegistry& registry,
                                                            TenantRequestMetricsOptions options) {
  TenantRequestMetrics m;
  const std::string& p = options.prefix;
  auto requests = registry.AddCounter(
      {.name = p + "requests_total",
       .help = "Requests served, by HTTP status class.",
       .labels = {{"status_class", {kClasses[0].data(), kClasses[1].data(), kClasses[2].data(),
                                    kClasses[3].data(), kClasses[4].data(), kClasses[5].data()}}}});
  if (!requests) return requests.error();
  auto errors = registry.AddCounter({.name = p + "request_errors_total",
                                     .help = "Requests that failed on the server's side (5xx).",
                                     .labels = {}});
  if (!errors) return errors.error();
  auto latency = registry.AddHistogram({.name = p + "request_duration_seconds",
                                        .help = "Request wall time, in seconds.",
                                        .labels = {},
                                        .buckets = std::move(options.latency_buckets)});
  if (!latency) return latency.error();
  auto cpu = registry.AddCounter({.name = p + "cpu_seconds_total",
                                  .help = "CPU time spent serving requests, in seconds.",
                                  .labels = {},
                                  .unit_scale = 1e-9});
  if (!cpu) return cpu.error();
  auto storage = registry.AddGauge(
      {.name = p + "storage_bytes", .help = "Bytes of storage the tenant's data occupies.",
       .labels = {}});
  if (!storage) return storage.error();
  m.requests_ = *requests;
  m.errors_ = *errors;
  m.latency_ = *latency;
  m.cpu_ = *cpu;
  m.storage_ = *storage;
  return m;
}

TenantRequestMetrics::Cells TenantRequestMetrics::For(const TenantId& tenant) const {
  // The label values are the ones registered above, so resolution cannot
  // fail: the values are taken without a check.
  Cells c;
  for (std::size_t i = 0; i < 6; ++i) c.by_class[i] = *requests_->For(tenant, {kClasses[i]});
  c.errors = *errors_->For(tenant);
  c.latency = *latency_->For(tenant);
  c.cpu_ns = *cpu_->For(tenant);
  c.storage_bytes = *storage_->For(tenant);
  return c;
}

void TenantRequestMetrics::RecordRequest(const Cells& cells, int http_status,
                                         std::chrono::nanoseconds latency,
                                         std::chrono::nanoseconds cpu) noexcept {
  const std::size_t cls = ClassOf(http_status);
  cells.by_class[cls]->Add();
  if (cls >= 4) cells.errors->Add();
  cells.latency->Observe(std::chrono::duration<double>(latency).count());
  if (cpu.count() > 0) cells.cpu_ns->Add(static_cast<std::uint64_t>(cpu.count()));
}

}  // namespace tenancy

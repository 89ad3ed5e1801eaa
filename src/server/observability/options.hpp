// What tenancyd's observability is configured with (PlatformOptions::
// observability): where log lines go and how many are kept per tenant, the
// metrics' tenant cap, the SLO objectives of each tier, how often the
// background work runs, the cost model of the success metrics and the
// idle-tenant policy's limits. Every field has a default that suits a
// single-node deployment; tests shorten or switch off the timers.
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <iostream>
#include <string_view>

#include "tenancy/log.hpp"
#include "tenancy/slo.hpp"

namespace tenancyd {

// The price of what a tenant consumes, for the success metrics' cost per
// tenant. In cents of the platform's billing currency (plans.hpp,
// kBillingCurrency), like revenue. The defaults are list prices of a
// typical cloud, to be replaced by the operator's own:
//   cpu: $0.043 per vCPU-hour      → 0.0012 cents per CPU-second
//   storage: $0.10 per GB-month    → 10 cents per GB-month (10^9 bytes)
//   requests: $0.20 per million    → 20 cents per million requests
//     (load balancer and network share)
struct CostModel {
  double cents_per_cpu_second = 0.0012;
  double cents_per_gb_month = 10.0;
  double cents_per_million_requests = 20.0;
};

// tenancyd's objectives per tier (plans.hpp's tiers), stricter as the tier
// pays more:
//   tier        availability  latency
//   free        99.0 %        95 % within 1000 ms
//   standard    99.5 %        99 % within 500 ms
//   premium     99.9 %        99 % within 300 ms
//   enterprise  99.95 %       99 % within 200 ms
// Tenants of any other tier (e.g. "trial") get free's objective. The rules
// are the library's (page: 1 h / 5 min at 14.4x; ticket: 6 h / 30 min at
// 6x), over 60 s buckets, at least 10 requests per window.
tenancy::SloOptions DefaultSloOptions();

struct ObservabilityOptions {
  // -- logs --
  // Lines below this level are skipped everywhere.
  tenancy::LogLevel log_level = tenancy::LogLevel::kInfo;
  // JSON lines also go to this stream (stderr by default); null: none.
  // REQUIRES: outlives the platform.
  std::ostream* log_stream = &std::clog;
  // The stream's lines are gathered and written at this interval (sooner
  // per 64 KiB, at once from a warning up, and at Stop): one write(2) per
  // batch instead of one per request. A crash loses at most this much of
  // the stream's lines (the in-memory ring and the audit log are not
  // affected). Zero: each line written and flushed at once.
  std::chrono::milliseconds log_flush_interval{100};
  // One line per request (the access log). Off: only the platform's own
  // lines (alerts, policy actions, failures of background work).
  bool access_log = true;
  // Access-log records queued for the access log's own thread to render
  // (access_log.hpp), ~450 bytes each; when the queue is full the request's
  // thread renders its line itself. 0: every line rendered by the request's
  // thread (no queue, no thread). At most 65,534.
  std::size_t access_log_queue = 4096;
  // How often an I/O thread reads its CPU clock for per-tenant CPU time
  // (AccountingRecord::cpu): a system call, ~1 µs in a VM, up to a tenth
  // of a small request. A request accounted at least this long after its
  // thread's last read reads it and is charged the CPU used since; the
  // others are charged none (their lines say "cpu_us":null). Per tenant,
  // the sums stay an unbiased estimate: the chance of being the one to
  // read grows with a request's share of the thread's time. Zero: every
  // request reads (exact per request, one more system call each).
  std::chrono::microseconds cpu_read_interval{1000};
  // Per-tenant retention of the lines kept in memory for
  // GET /v1/tenant/logs and /v1/platform/logs.
  tenancy::MemoryLogOptions log_retention{};

  // -- metrics --
  // Tenant rows per family before tenants fold into `_overflow`.
  std::size_t metrics_max_tenants = 1000;

  // -- SLOs --
  // Objectives, rules and windows; `clock`, `incidents_path`, `sink`,
  // `tenant_state` and `evaluate_every` are ignored (the platform sets
  // them: <data>/incidents.db, alerts into the tenant's event outbox).
  tenancy::SloOptions slo = DefaultSloOptions();
  // How often the background thread evaluates the SLOs and appends the
  // alerts to the outboxes; zero: never (tests call EvaluateSlos).
  std::chrono::milliseconds slo_evaluate_interval{std::chrono::seconds{60}};

  // -- activity, storage, cost --
  // How often per-tenant activity (last request, requests and CPU time per
  // month, first ride, onboarding times) is written to
  // <data>/activity.json; zero: only on shutdown and FlushActivity().
  std::chrono::milliseconds activity_flush_interval{std::chrono::seconds{60}};
  // How often the storage pass runs (each measured tenant's backup is
  // streamed into a byte counter): tenants with requests since the start
  // every pass, dormant tenants when their figure is missing or a day old,
  // a paced share per pass; zero: only by RefreshStorage().
  std::chrono::milliseconds storage_refresh_interval{std::chrono::minutes{15}};
  CostModel cost{};

  // -- tenant sprawl --
  // Whether the idle-tenant policy may archive (offboard: data deleted and
  // keys crypto-shredded). Off by default: the action is refused.
  bool idle_archive_allowed = false;
};

}  // namespace tenancyd

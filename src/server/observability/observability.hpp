// tenancyd's observability, opened by the Platform: structured logs,
// metrics, SLOs and per-tenant activity, and the background thread that
// keeps them moving.
//
//   logs      Logger → a StreamLogSink (stderr by default) and a
//             MemoryLogSink (bounded ring per tenant, for the log routes)
//   metrics   MetricsRegistry with the library's per-tenant request
//             instruments (TenantRequestMetrics), the per-route counters of
//             the accounting sink, onboarding durations, tenants by state,
//             SLO alerts
//   SLOs      SloMonitor over <data>/incidents.db, objectives per tier
//             (options.hpp); each fired or resolved alert is appended to the
//             tenant's event outbox as `slo.alert.fired` /
//             `slo.alert.resolved` (so webhooks deliver it) and logged
//   activity  per-tenant live figures (tenant_stats.hpp) and their durable
//             side (activity.hpp): last request, requests and CPU time per
//             month, first booked ride, storage bytes, onboarding durations
//
// The access log renders its lines on a thread of its own (access_log.hpp).
// The thread (one, started by Open when any interval is non-zero) runs, each
// at its own interval: the log stream's flush, EvaluateSlos, FlushActivity,
// RefreshStorage. It is
// stopped by Stop() or the destructor, which then writes the activity file a
// last time; the Platform declares this object after everything it uses,
// so it stops before they close.
//
// Thread safety: everything here may be called from any thread. The request
// path (StatsFor, RecordOnboarding, the cells) takes no lock but a shard's
// shared lock; the background operations serialize among themselves.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "middleware/accounting.hpp"
#include "observability/access_log.hpp"
#include "observability/activity.hpp"
#include "observability/options.hpp"
#include "observability/tenant_stats.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/events.hpp"
#include "tenancy/log.hpp"
#include "tenancy/metrics.hpp"
#include "tenancy/slo.hpp"
#include "tenancy/store.hpp"

namespace tenancyd {

// The event types SLO alerts are appended to the outbox as.
inline constexpr std::string_view kSloAlertFired = "slo.alert.fired";
inline constexpr std::string_view kSloAlertResolved = "slo.alert.resolved";

struct ObservabilityParts {
  ObservabilityOptions options{};
  std::string data_dir{};                // activity.json, incidents.db
  tenancy::Clock* clock = nullptr;       // REQUIRED: reports, SLO buckets, event times
  tenancy::Clock* hot_clock = nullptr;   // REQUIRED: the request path (one atomic load)
  tenancy::Directory* directory = nullptr;  // REQUIRED
  tenancy::Store* store = nullptr;          // REQUIRED: the outboxes' store
  const tenancy::Events* events = nullptr;  // REQUIRED
  const tenancy::Backup* backup = nullptr;  // REQUIRED: storage bytes
};

// What one EvaluateSlos did.
struct SloPass {
  std::size_t alerts = 0;     // fired or resolved in this evaluation
  std::size_t delivered = 0;  // appended to outboxes (this pass's and earlier ones')
  std::size_t pending = 0;    // waiting for the next pass (a failed append)
  std::size_t dropped = 0;    // not deliverable: tenant gone or suspended
};

// How old a dormant tenant's storage figure may grow before a pass measures
// it again (storage.cpp).
inline constexpr std::chrono::hours kDormantRemeasure{24};

// What one RefreshStorage did.
struct StoragePass {
  std::size_t measured = 0;
  std::size_t failed = 0;   // e.g. PostgreSQL tenants (backup kUnimplemented)
  std::size_t skipped = 0;  // dormant, with a recent figure (or past this pass's share)
  bool stopped = false;     // Stop() was called: the pass ended between two tenants
};

class Observability {
 public:
  // Errors: kInvalidArgument (a missing part, bad log or metric options),
  // those of SloMonitor::Open. A malformed activity file is set aside as
  // activity.json.bad (logged) and the figures start afresh.
  static tenancy::Result<std::unique_ptr<Observability>> Open(ObservabilityParts parts);
  ~Observability();
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  const ObservabilityOptions& options() const noexcept { return parts_.options; }
  tenancy::Logger& logger() noexcept { return *logger_; }
  const tenancy::MemoryLogSink& log_memory() const noexcept { return *log_memory_; }
  // The access log's lines go through here (rendered on its own thread);
  // readers of the lines Flush it first.
  AccessLog& access_log() noexcept { return *access_log_; }
  tenancy::MetricsRegistry& metrics() noexcept { return *registry_; }
  const tenancy::MetricsRegistry& metrics() const noexcept { return *registry_; }
  const tenancy::TenantRequestMetrics& request_metrics() const noexcept { return request_metrics_; }
  tenancy::SloMonitor& slo() noexcept { return *slo_; }
  const tenancy::SloMonitor& slo() const noexcept { return *slo_; }

  // -- the request path (middleware/observe.cpp) --

  // The stats of the context's tenant, made (cells resolved, SLO probe
  // taken for its tier) on its first request.
  TenantStats& StatsFor(const tenancy::TenantContext& ctx);
  // Null when the tenant made no request since the process started.
  const TenantStats* FindStats(const tenancy::TenantId& tenant) const { return stats_.Find(tenant); }
  // The platform's clock (reports, months).
  tenancy::TimePoint Now() const noexcept { return parts_.clock->Now(); }
  // The request path's clock, in Unix milliseconds.
  std::int64_t NowMillis() const noexcept {
    return hot_counter_ ? hot_counter_->load(std::memory_order_relaxed) / 1'000'000
                        : tenancy::ToUnixMillis(parts_.hot_clock->Now());
  }
  // A successful onboarding call took `elapsed` (a mutex: onboarding is rare).
  void RecordOnboarding(std::chrono::nanoseconds elapsed);

  // Keeps the accounting sink that records into this object (ObserveSink)
  // alive as long as the platform, and returns it.
  Accounting& Adopt(std::unique_ptr<Accounting> sink) {
    sinks_.push_back(std::move(sink));
    return *sinks_.back();
  }

  // -- background work (the thread runs these; tests call them) --

  // Re-probes tenants whose tier changed, evaluates the SLOs, then appends
  // every alert event waiting (this evaluation's and those a failed append
  // left) to its tenant's outbox. Errors: SloMonitor::Evaluate's.
  tenancy::Result<SloPass> EvaluateSlos();
  // Folds the live figures into the durable ones and, when they changed,
  // rewrites activity.json; refreshes the tenants-by-state gauges.
  tenancy::Result<void> FlushActivity();
  // Measures live and suspended tenants' storage bytes (the size of each
  // one's backup stream: rows, configuration, wrapped keys) into the gauge
  // and the durable figures: every tenant with requests since the start,
  // and a paced share of dormant ones whose figure is missing or older than
  // kDormantRemeasure (storage.cpp). Ends early, between two tenants, once
  // Stop() has been called.
  tenancy::Result<StoragePass> RefreshStorage();
  // Stops the thread after its current job; idempotent.
  void Stop();

  // -- reports (routes) --

  // The durable figures with the live ones folded in, as of now: every
  // tenant with any activity recorded.
  ActivityData Activity();
  // One tenant's (empty when it has none).
  TenantActivity ActivityOf(const tenancy::TenantId& tenant);

 private:
  explicit Observability(ObservabilityParts parts) : parts_(std::move(parts)) {}
  tenancy::Result<void> OpenMetrics();
  tenancy::Result<void> OpenSlo();
  void LoadActivity();
  // Folds live figures into book_ (REQUIRES book_mu_); true when changed.
  bool SyncLocked(std::int64_t now_ms);
  void DeliverAlerts(SloPass& pass);
  void Run();
  bool StopRequested();  // Stop() was called (storage.cpp)

  ObservabilityParts parts_;
  const std::atomic<tenancy::TimePoint::duration::rep>* hot_counter_ = nullptr;

  std::shared_ptr<tenancy::StreamLogSink> log_stream_sink_;  // null without a log stream
  std::shared_ptr<tenancy::MemoryLogSink> log_memory_;
  std::unique_ptr<tenancy::Logger> logger_;
  std::unique_ptr<AccessLog> access_log_;  // after the logger: stops before it goes

  std::unique_ptr<tenancy::MetricsRegistry> registry_;
  tenancy::TenantRequestMetrics request_metrics_;
  tenancy::HistogramCell* onboarding_seconds_ = nullptr;
  tenancy::Counter* alerts_total_ = nullptr;
  tenancy::Gauge* tenants_by_state_ = nullptr;
  tenancy::Gauge* active_tenants_ = nullptr;

  std::unique_ptr<tenancy::SloMonitor> slo_;
  std::mutex eval_mu_;  // serializes EvaluateSlos (probe tiers, delivery)
  std::mutex alerts_mu_;
  std::vector<tenancy::AlertEvent> alert_queue_;

  TenantStatsTable stats_;

  std::mutex book_mu_;  // book_, its file, TenantStats::synced_*
  ActivityData book_;
  bool book_dirty_ = false;
  std::unique_ptr<ActivityFile> file_;
  std::mutex storage_mu_;  // one storage pass at a time

  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stopping_ = false;
  bool opened_ = false;  // Open finished: the destructor's last FlushActivity has what it needs
  std::mutex join_mu_;
  std::thread thread_;
  // Last: the sinks go first, before what they record into.
  std::vector<std::unique_ptr<Accounting>> sinks_;
};

}  // namespace tenancyd

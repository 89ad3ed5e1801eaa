// Opening the observability parts, the request path's stats, the durable
// activity figures and the background thread.
#include "observability/observability.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

namespace tenancyd {
namespace fs = std::filesystem;
using tenancy::Errc;
using tenancy::Fail;

namespace {

// Finer than Prometheus's defaults at the fast end, where a tenant's p50
// usually lies.
std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

// A batch of stream log lines: ~200 access-log lines.
constexpr std::size_t kLogBatchBytes = 64 << 10;

constexpr std::string_view kStates[] = {"provisioning", "active", "suspended", "quarantined",
                                        "offboarding"};

}  // namespace

tenancy::Result<std::unique_ptr<Observability>> Observability::Open(ObservabilityParts parts) {
  if (!parts.clock || !parts.hot_clock || !parts.directory || !parts.store || !parts.events ||
      !parts.backup || parts.data_dir.empty())
    return Fail(Errc::kInvalidArgument, "observability: a required part is missing");
  if (parts.options.access_log_queue > AccessLog::kMaxCapacity)
    return Fail(Errc::kInvalidArgument, "observability: access_log_queue exceeds 65,534 records");
  std::unique_ptr<Observability> o(new Observability(std::move(parts)));
  const ObservabilityOptions& opt = o->parts_.options;
  o->hot_counter_ = o->parts_.hot_clock->Counter();

  auto memory = tenancy::MemoryLogSink::Create(opt.log_retention);
  if (!memory) return memory.error();
  o->log_memory_ = std::move(*memory);
  tenancy::LoggerOptions lopt;
  lopt.level = opt.log_level;
  lopt.clock = o->parts_.clock;
  // Gathered and written every log_flush_interval (or per 64 KiB, or at a
  // warning) — one write(2) per batch, not per request; zero: per line.
  if (opt.log_stream) {
    const bool batched = opt.log_flush_interval > std::chrono::milliseconds::zero();
    o->log_stream_sink_ = std::make_shared<tenancy::StreamLogSink>(
        *opt.log_stream,
        tenancy::StreamLogOptions{.flush_each_line = true, .batch_bytes = batched ? kLogBatchBytes : 0});
    lopt.sinks.push_back(o->log_stream_sink_);
  }
  lopt.sinks.push_back(o->log_memory_);
  auto logger = tenancy::Logger::Create(std::move(lopt));
  if (!logger) return logger.error();
  o->logger_ = std::move(*logger);
  o->access_log_ = std::make_unique<AccessLog>(
      *o->logger_, AccessLogOptions{.capacity = opt.access_log ? opt.access_log_queue : 0});

  if (auto m = o->OpenMetrics(); !m) return m.error();
  if (auto s = o->OpenSlo(); !s) return s.error();
  o->file_ = std::make_unique<ActivityFile>(o->parts_.data_dir + "/activity.json");
  o->LoadActivity();

  using std::chrono::milliseconds;
  if (opt.log_flush_interval > milliseconds::zero() || opt.slo_evaluate_interval > milliseconds::zero() ||
      opt.activity_flush_interval > milliseconds::zero() ||
      opt.storage_refresh_interval > milliseconds::zero())
    o->thread_ = std::thread([p = o.get()] { p->Run(); });
  o->opened_ = true;
  return o;
}

tenancy::Result<void> Observability::OpenMetrics() {
  auto registry = tenancy::MetricsRegistry::Create(
      tenancy::MetricsOptions{.max_tenants_per_metric = parts_.options.metrics_max_tenants});
  if (!registry) return registry.error();
  registry_ = std::move(*registry);
  auto request = tenancy::TenantRequestMetrics::Register(
      *registry_, tenancy::TenantRequestMetricsOptions{.latency_buckets = LatencyBuckets()});
  if (!request) return request.error();
  request_metrics_ = *request;

  auto onboarding = registry_->AddHistogram(
      {.name = "tenancyd_onboarding_duration_seconds",
       .help = "Duration of successful onboarding calls (POST /v1/tenants, POST /v1/signup).",
       .buckets = LatencyBuckets()});
  if (!onboarding) return onboarding.error();
  auto cell = (*onboarding)->For(tenancy::TenantId{});
  if (!cell) return cell.error();
  onboarding_seconds_ = *cell;

  auto alerts = registry_->AddCounter(
      {.name = "tenancy_slo_alerts_total",
       .help = "SLO burn-rate alerts fired and resolved, per tenant.",
       .labels = {{"transition", {"fired", "resolved"}}, {"severity", {"page", "ticket"}}}});
  if (!alerts) return alerts.error();
  alerts_total_ = *alerts;

  auto states = registry_->AddGauge(
      {.name = "tenancyd_tenants",
       .help = "Tenants by lifecycle state (offboarded tenants excluded).",
       .labels = {{"state", std::vector<std::string>(std::begin(kStates), std::end(kStates))}}});
  if (!states) return states.error();
  tenants_by_state_ = *states;
  auto active = registry_->AddGauge(
      {.name = "tenancyd_active_tenants",
       .help = "Live tenants with a request in the window.",
       .labels = {{"window", {"24h", "30d"}}}});
  if (!active) return active.error();
  active_tenants_ = *active;
  return {};
}

void Observability::LoadActivity() {
  auto loaded = file_->Load();
  if (loaded) {
    book_ = std::move(*loaded);
    return;
  }
  // The figures are book-keeping, not tenant data: a file we cannot read
  // must not keep the server down. It is kept aside for a post-mortem.
  std::error_code ec;
  fs::rename(file_->path(), file_->path() + ".bad", ec);
  logger_->Warn(tenancy::LogScope::Platform(), "activity file unreadable; starting afresh",
                {{"error", loaded.error().message}, {"kept_as", file_->path() + ".bad"}});
}

Observability::~Observability() {
  Stop();
  // An Open that failed half-way has no metrics or activity file to flush.
  if (opened_) (void)FlushActivity();
}

TenantStats& Observability::StatsFor(const tenancy::TenantContext& ctx) {
  const tenancy::TenantId& id = ctx.tenant_id();
  if (TenantStats* found = stats_.Find(id)) return *found;
  // First request of this tenant since the start: resolve outside the
  // table's lock (the library calls take their own).
  auto made = std::make_unique<TenantStats>(id);
  made->cells = request_metrics_.For(id);
  const std::string& tier = ctx.tenant().tier;
  if (auto probe = slo_->Probe(id, tier)) made->probe = *probe;
  made->probe_tier = tier;
  {
    std::lock_guard lock(book_mu_);
    if (auto it = book_.tenants.find(id); it != book_.tenants.end()) {
      made->first_ride_ms.store(it->second.first_ride_ms, std::memory_order_relaxed);
      // The last measured size shows until the next storage pass.
      if (it->second.storage_bytes > 0)
        made->storage_shown.store(it->second.storage_bytes, std::memory_order_relaxed);
    }
  }
  const TenantStats* mine = made.get();
  TenantStats& entry = stats_.Insert(std::move(made));
  // Only the thread whose entry went in adds to the gauge.
  if (&entry == mine)
    if (const std::int64_t bytes = entry.storage_shown.load(std::memory_order_relaxed); bytes > 0)
      entry.cells.storage_bytes->Add(static_cast<double>(bytes));
  return entry;
}

void Observability::RecordOnboarding(std::chrono::nanoseconds elapsed) {
  onboarding_seconds_->Observe(std::chrono::duration<double>(elapsed).count());
  std::lock_guard lock(book_mu_);
  book_.onboarding_us.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  while (book_.onboarding_us.size() > kMaxOnboardingSamples) book_.onboarding_us.pop_front();
  book_dirty_ = true;
}

namespace {

// Folds one tenant's live figures into its durable ones; true when they
// changed. REQUIRES the book's mutex.
bool SyncOne(TenantStats& s, ActivityData& book, const std::string& month) {
  if (s.offboarded) return false;
  const std::uint64_t requests = s.requests.load(std::memory_order_relaxed);
  const std::uint64_t cpu = s.cpu_ns.load(std::memory_order_relaxed);
  const std::int64_t last = s.last_request_ms.load(std::memory_order_relaxed);
  const std::int64_t ride = s.first_ride_ms.load(std::memory_order_relaxed);
  const std::uint64_t d_requests = requests - s.synced_requests;
  const std::uint64_t d_cpu = cpu - s.synced_cpu_ns;
  auto it = book.tenants.find(s.tenant);
  const bool has = it != book.tenants.end();
  if (d_requests == 0 && d_cpu == 0 && (last == 0 || (has && it->second.last_request_ms >= last)) &&
      (ride == 0 || (has && it->second.first_ride_ms != 0)))
    return false;
  TenantActivity& a = has ? it->second : book.tenants[s.tenant];
  if (d_requests != 0 || d_cpu != 0) {
    MonthUsage& m = a.months[month];
    m.requests += static_cast<std::int64_t>(d_requests);
    m.cpu_ns += static_cast<std::int64_t>(d_cpu);
    s.synced_requests = requests;
    s.synced_cpu_ns = cpu;
    while (a.months.size() > kActivityMonths) a.months.erase(a.months.begin());
  }
  a.last_request_ms = std::max(a.last_request_ms, last);
  if (ride != 0 && a.first_ride_ms == 0) a.first_ride_ms = ride;
  return true;
}

}  // namespace

bool Observability::SyncLocked(std::int64_t now_ms) {
  const std::string month = MonthLabel(now_ms);
  bool changed = false;
  for (TenantStats* s : stats_.All()) changed |= SyncOne(*s, book_, month);
  if (changed) book_dirty_ = true;
  return changed;
}

ActivityData Observability::Activity() {
  const std::int64_t now = NowMillis();
  std::lock_guard lock(book_mu_);
  SyncLocked(now);
  return book_;
}

TenantActivity Observability::ActivityOf(const tenancy::TenantId& tenant) {
  const std::int64_t now = NowMillis();
  std::lock_guard lock(book_mu_);
  if (TenantStats* s = stats_.Find(tenant))
    if (SyncOne(*s, book_, MonthLabel(now))) book_dirty_ = true;
  auto it = book_.tenants.find(tenant);
  return it == book_.tenants.end() ? TenantActivity{} : it->second;
}

tenancy::Result<void> Observability::FlushActivity() {
  const std::int64_t now = NowMillis();
  // Tenants by state, and live tenants active in the last day and month.
  std::int64_t by_state[std::size(kStates)] = {};
  std::vector<tenancy::TenantId> live;
  std::vector<tenancy::TenantId> gone;
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  filter.include_deleted = true;
  auto walked = parts_.directory->ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    const auto s = static_cast<std::size_t>(t.state);
    if (t.state == tenancy::TenantState::kDeleted) {
      gone.push_back(t.id);
      return true;
    }
    if (s < std::size(by_state)) ++by_state[s];
    live.push_back(t.id);
    return true;
  });
  if (!walked) return walked.error();
  for (std::size_t i = 0; i < std::size(kStates); ++i)
    if (auto cell = tenants_by_state_->For(tenancy::TenantId{}, {kStates[i]}))
      (*cell)->Set(static_cast<double>(by_state[i]));

  std::lock_guard lock(book_mu_);
  SyncLocked(now);
  // An offboarded tenant's figures leave with it.
  for (const tenancy::TenantId& id : gone) {
    if (book_.tenants.erase(id) > 0) book_dirty_ = true;
    if (TenantStats* s = stats_.Find(id)) s->offboarded = true;
  }
  std::int64_t day = 0, month = 0;
  constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
  for (const tenancy::TenantId& id : live) {
    auto it = book_.tenants.find(id);
    if (it == book_.tenants.end() || it->second.last_request_ms == 0) continue;
    const std::int64_t age = now - it->second.last_request_ms;
    if (age <= kDayMs) ++day;
    if (age <= 30 * kDayMs) ++month;
  }
  if (auto cell = active_tenants_->For(tenancy::TenantId{}, {"24h"})) (*cell)->Set(static_cast<double>(day));
  if (auto cell = active_tenants_->For(tenancy::TenantId{}, {"30d"})) (*cell)->Set(static_cast<double>(month));
  if (!book_dirty_) return {};
  if (auto saved = file_->Save(book_); !saved) return saved;
  book_dirty_ = false;
  return {};
}

void Observability::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  thread_cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
  if (access_log_) access_log_->Stop();  // its last lines, before the stream's last batch
  if (log_stream_sink_) log_stream_sink_->Flush();
}

void Observability::Run() {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  const ObservabilityOptions& o = parts_.options;
  struct Job {
    milliseconds every;
    Clock::time_point due;
    std::function<void()> run;
  };
  const auto start = Clock::now();
  std::vector<Job> jobs;
  const auto report = [this](std::string_view what, const tenancy::Error& e) {
    logger_->Warn(tenancy::LogScope::Platform(), "background work failed",
                  {{"job", what}, {"error", e.message}});
  };
  if (o.log_flush_interval > milliseconds::zero() && log_stream_sink_)
    jobs.push_back({o.log_flush_interval, start + o.log_flush_interval, [this] { log_stream_sink_->Flush(); }});
  if (o.slo_evaluate_interval > milliseconds::zero())
    jobs.push_back({o.slo_evaluate_interval, start + o.slo_evaluate_interval, [this, report] {
                      if (auto r = EvaluateSlos(); !r) report("slo", r.error());
                    }});
  if (o.activity_flush_interval > milliseconds::zero())
    jobs.push_back({o.activity_flush_interval, start + o.activity_flush_interval, [this, report] {
                      if (auto r = FlushActivity(); !r) report("activity", r.error());
                    }});
  if (o.storage_refresh_interval > milliseconds::zero())
    // Not at the start: the last sizes are in activity.json, and a restart
    // must not cost a read of every tenant.
    jobs.push_back({o.storage_refresh_interval, start + o.storage_refresh_interval, [this, report] {
                      if (auto r = RefreshStorage(); !r) report("storage", r.error());
                    }});
  std::unique_lock lock(thread_mu_);
  while (!stopping_) {
    Clock::time_point next = Clock::time_point::max();
    for (const Job& j : jobs) next = std::min(next, j.due);
    thread_cv_.wait_until(lock, next, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const auto now = Clock::now();
    for (Job& j : jobs) {
      if (j.due > now) continue;
      try {
        j.run();
      } catch (...) {
        // A job that throws (allocation failure) is retried next time.
      }
      j.due = now + j.every;
    }
    lock.lock();
  }
}

}  // namespace tenancyd

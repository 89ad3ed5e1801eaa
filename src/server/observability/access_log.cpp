// The access log's queue and thread.
#include "observability/access_log.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/lockfree/queue.hpp>

#include "ids.hpp"

namespace tenancyd {

struct AccessLog::Queue {
  explicit Queue(std::size_t capacity) : records(capacity) {}
  // Fixed-size: the nodes are allocated here, never by a push.
  boost::lockfree::queue<AccessRecord, boost::lockfree::fixed_sized<true>> records;
};

AccessLog::AccessLog(tenancy::Logger& logger, AccessLogOptions options)
    : logger_(logger), options_(options) {
  if (options.capacity == 0) return;
  options_.capacity = std::min(options.capacity, kMaxCapacity);
  queue_ = std::make_unique<Queue>(options_.capacity);
  thread_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() { Stop(); }

void AccessLog::Record(const AccessRecord& record) noexcept {
  if (!queue_ || stopped_.load(std::memory_order_acquire) || !queue_->records.bounded_push(record)) {
    if (queue_) in_place_.fetch_add(1, std::memory_order_relaxed);
    return Render(record);
  }
  // The thread parks only after publishing parked_ and finding the queue
  // empty; with the fences on both sides, either it sees this record or
  // this load sees it parked (no lost wake-up).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Stop() came between the check above and the push: its last drain may
  // have missed this record.
  if (stopped_.load(std::memory_order_relaxed)) return Flush();
  if (parked_.load(std::memory_order_relaxed)) {
    std::lock_guard lock(wake_mu_);
    if (parked_.exchange(false, std::memory_order_relaxed)) {
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      wake_.notify_one();
    }
  }
}

void AccessLog::Flush() noexcept {
  if (!queue_) return;
  std::lock_guard lock(drain_mu_);
  // The queue holds at most `capacity` records and hands them out in order:
  // that many pops (or an empty queue) pass every record queued before this
  // call, however fast others keep recording.
  Drain(options_.capacity);
}

void AccessLog::Stop() noexcept {
  if (!queue_) return;
  std::lock_guard stopping(stop_mu_);
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  // From here on records render in place; what a racing Record pushed
  // before seeing stopped_ is drained after it.
  stopped_.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with Record's fence
  Flush();
}

std::size_t AccessLog::Drain(std::size_t at_most) noexcept {
  std::size_t n = 0;
  while (n < at_most && queue_->records.consume_one([this](const AccessRecord& r) { Render(r); })) ++n;
  return n;
}

void AccessLog::Run() {
  int idle = 0;
  std::unique_lock lock(wake_mu_);
  while (!stop_) {
    lock.unlock();
    std::size_t drained = 0;
    {
      // One queue's worth at a time: a Flush waits for at most that much.
      std::lock_guard drain(drain_mu_);
      drained = Drain(options_.capacity);
    }
    lock.lock();
    idle = drained > 0 ? 0 : idle + 1;
    if (idle < kIdlePolls) {
      wake_.wait_for(lock, kPollInterval, [this] { return stop_; });
      continue;
    }
    parked_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!queue_->records.empty()) {
      parked_.store(false, std::memory_order_relaxed);
      idle = 0;
      continue;
    }
    wake_.wait_for(lock, options_.idle_backstop,
                   [this] { return stop_ || !parked_.load(std::memory_order_relaxed); });
    // Woken by a record: poll again. Timed out: one drain, then park again.
    idle = parked_.exchange(false, std::memory_order_relaxed) ? kIdlePolls : 0;
  }
  lock.unlock();
  std::lock_guard drain(drain_mu_);
  Drain(options_.capacity);
}

void AccessLog::Render(const AccessRecord& r) noexcept {
  try {
    char trace_hex[2 * std::tuple_size_v<decltype(r.trace_id)>];
    std::string_view trace_id{};
    if (r.has_trace) {
      WriteHex(trace_hex, r.trace_id);
      trace_id = {trace_hex, sizeof trace_hex};
    }
    tenancy::TenantId tenant;
    if (r.in_tenant) {
      auto parsed = tenancy::TenantId::Parse(r.tenant.view());
      if (parsed) tenant = std::move(*parsed);
    }
    const tenancy::LogScope scope = r.in_tenant
                                        ? tenancy::LogScope(tenant, r.request_id.view(), trace_id)
                                        : tenancy::LogScope::Platform(r.request_id.view(), trace_id);
    const auto method = boost::beast::http::to_string(r.method);
    const tenancy::LogField fields[] = {
        {"method", std::string_view(method.data(), method.size())},
        r.route.view().empty() ? tenancy::LogField("route", nullptr)
                               : tenancy::LogField("route", r.route.view()),
        {"status", r.status},
        {"latency_ms", std::chrono::duration<double, std::milli>(std::chrono::nanoseconds(r.latency_ns)).count()},
        r.cpu_read ? tenancy::LogField("cpu_us", static_cast<std::uint64_t>(r.cpu_ns / 1000))
                   : tenancy::LogField("cpu_us", nullptr),
        // Platform lines say which tenant a request named without getting
        // into it (a bad or foreign credential); never a tenant's own line.
        {"resolved_tenant", r.resolved_tenant.view()},
    };
    const bool named = !r.in_tenant && !r.resolved_tenant.view().empty();
    const std::size_t n = named ? std::size(fields) : std::size(fields) - 1;
    logger_.LogAt(r.time, r.level, scope, "request", std::span<const tenancy::LogField>(fields, n));
  } catch (...) {
    // Out of memory parsing the tenant id: the line is lost, the caller is not.
  }
}

}  // namespace tenancyd

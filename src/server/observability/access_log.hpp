// The access log: one line per answered request, rendered off the I/O
// threads.
//
//   AccessLog log(logger, {.capacity = 4096});
//   log.Record(record);   // an I/O thread: copies the facts, no allocation
//   log.Flush();          // a reader of the lines: every earlier Record is in
//
// Rendering a line (escaping, redaction, the memory ring, the stream's
// batch) was a fifth of an authenticated ping's instructions on the I/O
// thread (docs/load-benchmarks.md). Record instead copies the request's
// facts into a fixed-size AccessRecord and pushes it onto a bounded
// lock-free queue (boost::lockfree::queue: a few compare-exchanges); a
// thread of the log's own renders the records through the Logger, each
// with the time it was recorded (Logger::LogAt). The thread drains the
// queue every kPollInterval while lines come, and after kIdlePolls empty
// polls sleeps until the next Record wakes it (one futex call then; none
// while it polls).
//
// Nothing is lost: a record that does not fit (the queue full) is rendered
// on the recording thread, as without the queue; so is every record after
// Stop. What changes is order and delay: a line reaches the sinks up to
// kPollInterval after its request (Flush before reading them), after lines
// the same request's handler logged and possibly after other requests'
// own lines.
//
// capacity 0: no queue and no thread; Record renders at once.
//
// Thread safety: Record, Flush and Stop may be called from any thread.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include <boost/beast/http/verb.hpp>

#include "tenancy/clock.hpp"
#include "tenancy/log.hpp"

namespace tenancyd {

// Text of at most N bytes, held inline (a record stays trivially copyable).
template <std::size_t N>
class InlineText {
 public:
  // Longer text is cut to N bytes; the ids held here are never longer.
  void Assign(std::string_view text) noexcept {
    size_ = static_cast<std::uint16_t>(std::min(text.size(), N));
    if (size_ > 0) std::memcpy(chars_.data(), text.data(), size_);  // an empty view's data may be null
  }
  std::string_view view() const noexcept { return {chars_.data(), size_}; }

 private:
  std::array<char, N> chars_;
  std::uint16_t size_ = 0;
};

// The facts of one access-log line (see middleware/observe.hpp for what the
// line says).
struct AccessRecord {
  tenancy::TimePoint time{};
  tenancy::LogLevel level = tenancy::LogLevel::kInfo;
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  bool in_tenant = false;   // a tenant's line (else the platform's)
  bool has_trace = false;
  bool cpu_read = false;
  unsigned status = 0;
  std::int64_t latency_ns = 0;
  std::int64_t cpu_ns = 0;
  std::array<unsigned char, 16> trace_id{};
  InlineText<32> tenant;           // in_tenant: the line's tenant ("tn_" + 16 hex)
  InlineText<32> resolved_tenant;  // platform lines: the tenant named, if any
  InlineText<128> request_id;      // ≥ kMaxRequestIdBytes (middleware/steps.hpp)
  // The route's pattern (a copy: the line may be rendered after the router
  // is gone); empty when no route matched. Router::Add refuses longer ones.
  InlineText<128> route;
};

struct AccessLogOptions {
  // Records the queue holds (384 bytes each, 448 with the queue's node:
  // ~1.8 MiB for the default); 0: no queue, no thread (each line rendered
  // by the thread that records it). At most 65,534 (the queue's node
  // index).
  std::size_t capacity = 4096;
  // An idle thread also wakes this often by itself: it bounds the delay a
  // lost wake-up (a bug) could cause.
  std::chrono::milliseconds idle_backstop{1000};
};

class AccessLog {
 public:
  // While lines come, the thread drains the queue this often; after
  // kIdlePolls empty polls it sleeps until a Record wakes it.
  static constexpr std::chrono::milliseconds kPollInterval{2};
  static constexpr int kIdlePolls = 50;
  static constexpr std::size_t kMaxCapacity = 65534;

  // REQUIRES: `logger` outlives this object. A capacity above kMaxCapacity
  // is cut to it.
  AccessLog(tenancy::Logger& logger, AccessLogOptions options);
  ~AccessLog();  // Stop()
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Hands the line over (or renders it here: see above). Never fails.
  void Record(const AccessRecord& record) noexcept;
  // When it returns, every line recorded before the call has reached the
  // logger's sinks. It renders at most `capacity` lines itself, however
  // fast others record meanwhile.
  void Flush() noexcept;
  // Renders what is queued and ends the thread; later records are rendered
  // by their own threads. Idempotent.
  void Stop() noexcept;

  // Lines rendered by the recording thread: the queue was full, or Stop
  // had been called.
  std::uint64_t rendered_in_place() const noexcept {
    return in_place_.load(std::memory_order_relaxed);
  }
  // Times a Record woke the thread from its idle sleep, and whether it
  // sleeps now (diagnostics, for tests).
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }
  bool parked() const noexcept { return parked_.load(std::memory_order_relaxed); }

 private:
  struct Queue;
  void Render(const AccessRecord& record) noexcept;
  std::size_t Drain(std::size_t at_most) noexcept;  // REQUIRES: drain_mu_
  void Run();

  tenancy::Logger& logger_;
  AccessLogOptions options_;  // capacity clamped to kMaxCapacity
  std::unique_ptr<Queue> queue_;  // null: capacity 0
  std::mutex drain_mu_;           // one drainer at a time: lines keep their order
  std::mutex stop_mu_;            // one Stop at a time
  std::mutex wake_mu_;
  std::condition_variable wake_;
  std::atomic<bool> parked_{false};   // the thread sleeps until woken
  std::atomic<bool> stopped_{false};  // Stop() was called: render in place
  bool stop_ = false;                 // guarded by wake_mu_
  std::atomic<std::uint64_t> in_place_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  std::thread thread_;
};

}  // namespace tenancyd

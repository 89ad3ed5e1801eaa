// tenancy/clock.hpp — the injectable source of time.
//
// Everything in tenancy that reads the time (timestamps, rate limits, token
// expiry, cool-downs) takes a `Clock&`, so tests drive time with
// `ManualClock` instead of sleeping.
//
// Thread safety: `SystemClock()` and `ManualClock` are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "tenancy/export.hpp"

namespace tenancy {

using TimePoint = std::chrono::system_clock::time_point;

class TENANCY_EXPORT Clock {
 public:
  virtual ~Clock();
  virtual TimePoint Now() const noexcept = 0;
  // The nanosecond count Now() reads, when Now() is nothing but one atomic
  // load of it (ManualClock, TickingClock); null otherwise. Hot paths keep
  // the pointer and read it directly, without a virtual call per read.
  virtual const std::atomic<TimePoint::duration::rep>* Counter() const noexcept { return nullptr; }
};

// The process-wide wall clock. Never null; lives forever.
TENANCY_EXPORT Clock& SystemClock() noexcept;

// A clock that moves only when told to. Starts at `start`.
class TENANCY_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'700'000'000}})
      : now_ns_(start.time_since_epoch().count()) {}
  TimePoint Now() const noexcept override {
    return TimePoint{TimePoint::duration{now_ns_.load(std::memory_order_acquire)}};
  }
  void Advance(std::chrono::nanoseconds d) noexcept {
    now_ns_.fetch_add(std::chrono::duration_cast<TimePoint::duration>(d).count(),
                      std::memory_order_acq_rel);
  }
  void Set(TimePoint t) noexcept {
    now_ns_.store(t.time_since_epoch().count(), std::memory_order_release);
  }
  const std::atomic<TimePoint::duration::rep>* Counter() const noexcept override { return &now_ns_; }

 private:
  std::atomic<TimePoint::duration::rep> now_ns_;
};

// The wall clock, read from memory: a background thread stores the time
// every `resolution` (default 1 ms), and Now() is one atomic load — no
// system call, no vDSO. For hot paths that take the time on every call
// (rate limits, quotas) and can live with `resolution` of error. Now() never
// goes backwards unless the system clock does.
//
// Thread safety: Now() from any thread; construction and destruction (which
// joins the thread) from one.
class TENANCY_EXPORT TickingClock final : public Clock {
 public:
  explicit TickingClock(std::chrono::microseconds resolution = std::chrono::milliseconds{1});
  ~TickingClock() override;
  TickingClock(const TickingClock&) = delete;
  TickingClock& operator=(const TickingClock&) = delete;

  TimePoint Now() const noexcept override {
    return TimePoint{TimePoint::duration{now_ns_.load(std::memory_order_relaxed)}};
  }
  const std::atomic<TimePoint::duration::rep>* Counter() const noexcept override { return &now_ns_; }

 private:
  struct Ticker;
  // Alone on its cache line: readers share it, one writer touches it.
  alignas(64) std::atomic<TimePoint::duration::rep> now_ns_;
  Ticker* ticker_;
};

// Milliseconds since the Unix epoch, the unit timestamps are stored in.
inline std::int64_t ToUnixMillis(TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixMillis(std::int64_t ms) noexcept {
  return TimePoint{std::chrono::milliseconds{ms}};
}

}  // namespace tenancy

// Hours as metering counts them: whole UTC hours since the Unix epoch, read
// cheaply on the record path.
//
// Thread safety: HourSource is immutable after construction; call it from
// any thread.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

#include "tenancy/clock.hpp"

namespace tenancy::detail::meter {

inline constexpr std::int64_t kHourMillis = 3'600'000;
inline constexpr std::int64_t kHourSeconds = 3'600;

// Whole hours since the epoch, rounded down (also before 1970).
inline std::int64_t HourIndex(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::hours>(t).time_since_epoch().count();
}

inline std::int64_t HourStartMillis(std::int64_t hour) noexcept { return hour * kHourMillis; }

inline TimePoint HourStart(std::int64_t hour) noexcept {
  return TimePoint{std::chrono::hours{hour}};
}

// The hour of "now" for the record path.
//
// With the system clock, a precise read (clock_gettime(CLOCK_REALTIME)) costs
// about 30 ns here, most of the record budget. The kernel's coarse real-time
// clock is the same time as of the last timer tick (a few nanoseconds to
// read); it never runs ahead of the precise clock and trails it by at most
// a tick (<= 10 ms). So when the coarse reading is more than kMargin before
// the end of its hour, the precise time is certainly in that same hour, and
// only the last seconds of each hour pay for a precise read. The result is
// exactly the hour SystemClock().Now() would give. Any other clock (tests'
// ManualClock, a caller's own) is asked directly.
class HourSource {
 public:
  explicit HourSource(Clock& clock) noexcept : clock_(clock), wall_(&clock == &SystemClock()) {}

  std::int64_t Current() const noexcept {
#if defined(CLOCK_REALTIME_COARSE)
    if (wall_) {
      timespec ts;
      if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0) {
        const std::int64_t secs = ts.tv_sec;
        std::int64_t hour = secs / kHourSeconds;
        if (secs % kHourSeconds < 0) --hour;  // floor before 1970
        if (secs - hour * kHourSeconds < kHourSeconds - kMarginSeconds) return hour;
      }
    }
#endif
    return HourIndex(clock_.Now());
  }

  TimePoint Now() const noexcept { return clock_.Now(); }

 private:
  static constexpr std::int64_t kMarginSeconds = 2;
  Clock& clock_;
  bool wall_;
};

}  // namespace tenancy::detail::meter

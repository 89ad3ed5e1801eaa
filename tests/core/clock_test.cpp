// The clocks: ManualClock moves only when told; TickingClock follows the
// wall clock from memory; instants as RFC 3339 text.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/rfc3339.hpp"

using namespace tenancy;
using namespace std::chrono_literals;

TEST_CASE("ManualClock moves only when told", "[clock]") {
  ManualClock clock(TimePoint{std::chrono::seconds{1'000}});
  CHECK(clock.Now() == TimePoint{std::chrono::seconds{1'000}});
  clock.Advance(1500ms);
  CHECK(clock.Now() == TimePoint{std::chrono::milliseconds{1'001'500}});
  clock.Set(TimePoint{std::chrono::seconds{5}});
  CHECK(ToUnixMillis(clock.Now()) == 5'000);
}

TEST_CASE("TickingClock follows the wall clock and never runs ahead of it", "[clock]") {
  TickingClock clock(200us);
  const TimePoint first = clock.Now();
  CHECK(first <= std::chrono::system_clock::now());
  // It advances: wait (bounded) for a tick to land.
  TimePoint later = first;
  for (int i = 0; i < 5000 && later == first; ++i) {
    std::this_thread::sleep_for(1ms);
    later = clock.Now();
  }
  CHECK(later > first);
  CHECK(later <= std::chrono::system_clock::now());
}

TEST_CASE("TickingClock is read from several threads while it ticks", "[clock][threads]") {
  TickingClock clock(100us);
  std::atomic<bool> went_backwards{false};
  std::atomic<bool> ahead_of_wall{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      TimePoint last = clock.Now();
      for (int i = 0; i < 200'000; ++i) {
        const TimePoint now = clock.Now();
        if (now < last) went_backwards = true;
        if (now > std::chrono::system_clock::now()) ahead_of_wall = true;
        last = now;
      }
    });
  }
  for (auto& r : readers) r.join();
  CHECK_FALSE(went_backwards);
  CHECK_FALSE(ahead_of_wall);
}

TEST_CASE("a TickingClock with a nonsense resolution still ticks", "[clock]") {
  TickingClock clock(std::chrono::microseconds{-5});
  const TimePoint first = clock.Now();
  TimePoint later = first;
  for (int i = 0; i < 5000 && later == first; ++i) {
    std::this_thread::sleep_for(1ms);
    later = clock.Now();
  }
  CHECK(later > first);
}

TEST_CASE("RFC 3339 text matches the C library's UTC calendar, before and after 1970",
          "[clock][rfc3339][property]") {
  CHECK(tenancy::FormatRfc3339(tenancy::FromUnixMillis(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(tenancy::FormatRfc3339(tenancy::FromUnixMillis(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(tenancy::FormatRfc3339(tenancy::FromUnixMillis(951782400000)) == "2000-02-29T00:00:00.000Z");
  std::string appended = "at ";
  tenancy::AppendRfc3339(appended, tenancy::FromUnixMillis(1709287507123));
  CHECK(appended == "at 2024-03-01T10:05:07.123Z");
  std::mt19937_64 rng(3339);
  for (int round = 0; round < 5000; ++round) {
    // 1677 to 2262: what a TimePoint (64-bit nanoseconds) can hold.
    const auto ms = static_cast<std::int64_t>(rng() % 18'000'000'000'000ULL) - 9'000'000'000'000LL;
    const std::int64_t floor_s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    const auto secs = static_cast<std::time_t>(floor_s);
    std::tm tm{};
    REQUIRE(gmtime_r(&secs, &tm) != nullptr);
    char want[96];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms - floor_s * 1000));
    INFO("unix ms " << ms);
    CHECK(tenancy::FormatRfc3339(tenancy::FromUnixMillis(ms)) == want);
  }
}

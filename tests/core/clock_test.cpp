// The clocks: ManualClock moves only when told; TickingClock follows the
// wall clock from memory.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "tenancy/clock.hpp"

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

// Metering under concurrency: real threads adding, flushing, resolving and
// reporting events at once; every count must arrive exactly once.
#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/metering.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const TimePoint kT0 = sys_days{2024y / March / 1} + 10h;
constexpr int kThreads = 4;

TenantId Tenant(int n) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "tn_%016x", n);
  return TenantId::Parse(buf).value();
}

struct World {
  testing::TempDir dir;
  ManualClock clock{kT0};
  std::unique_ptr<Metering> Open(std::chrono::milliseconds flush_interval = 0ms) {
    MeteringOptions o;
    o.path = (dir.path() / "usage.db").string();
    o.clock = &clock;
    o.flush_interval = flush_interval;
    auto m = Metering::Open(o);
    REQUIRE(m);
    return std::move(*m);
  }
};

std::int64_t TotalOf(const UsageReport& r, const TenantId& t, std::string_view meter) {
  std::int64_t sum = 0;
  for (const auto& rec : r.records)
    if (rec.tenant == t && rec.meter == meter) sum += rec.amount;
  return sum;
}

// Runs `body(thread_index)` on kThreads threads and waits for them.
template <class F>
void RunThreads(F body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
  for (auto& th : threads) th.join();
}

TEST_CASE("Threads adding to one counter lose nothing, flushes running beside them",
          "[metering][concurrency]") {
  World w;
  auto m = w.Open(1ms);  // the background thread drains all along
  const TenantId a = Tenant(1);
  auto h = m->Resolve(a, "api.requests");
  REQUIRE(h);
  constexpr int kAdds = 100'000;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread flusher([&] {
    while (!done.load()) {
      if (!m->Flush()) failures.fetch_add(1);
    }
  });
  RunThreads([&](int t) {
    const std::int64_t amount = t + 1;  // distinct per thread: a lost add shows in the sum
    for (int i = 0; i < kAdds; ++i) {
      if (!h->Add(amount)) failures.fetch_add(1);
    }
  });
  done = true;
  flusher.join();
  CHECK(failures.load() == 0);
  auto r = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(r);
  std::int64_t expected = 0;
  for (int t = 0; t < kThreads; ++t) expected += std::int64_t{kAdds} * (t + 1);
  CHECK(TotalOf(*r, a, "api.requests") == expected);
  REQUIRE(r->records.size() == 1);
}

TEST_CASE("Threads recording by name over many meters lose nothing", "[metering][concurrency]") {
  World w;
  auto m = w.Open();
  const std::vector<TenantId> tenants = {Tenant(1), Tenant(2)};
  const std::vector<std::string> meters = {"rides.booked", "km.driven", "api.requests",
                                           "storage.bytes"};
  constexpr int kRecords = 25'000;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread flusher([&] {
    while (!done.load()) {
      if (!m->Flush()) failures.fetch_add(1);
      std::this_thread::yield();
    }
  });
  // Each thread records i % 8 -> (tenant, meter) with amount i % 5, so the
  // expected sums follow from the loop alone.
  std::map<std::pair<int, int>, std::int64_t> expected;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kRecords; ++i) expected[{(i + t) % 2, (i + t) / 2 % 4}] += i % 5 + t;
  RunThreads([&](int t) {
    for (int i = 0; i < kRecords; ++i) {
      if (!m->Record(tenants[(i + t) % 2], meters[(i + t) / 2 % 4], i % 5 + t))
        failures.fetch_add(1);
    }
  });
  done = true;
  flusher.join();
  CHECK(failures.load() == 0);
  auto r = m->QueryAllTenants(kT0, kT0 + 1h);
  REQUIRE(r);
  for (const auto& [key, amount] : expected)
    CHECK(TotalOf(*r, tenants[key.first], meters[key.second]) == amount);
  CHECK(m->stats().series == 8);
}

TEST_CASE("Concurrent reports of one event id count it once", "[metering][concurrency][events]") {
  World w;
  auto m = w.Open(1ms);
  const TenantId a = Tenant(1);
  constexpr int kEvents = 40;
  std::atomic<int> counted{0}, duplicates{0}, errors{0};
  RunThreads([&](int) {
    for (int e = 0; e < kEvents; ++e) {
      auto r = m->RecordEvent(a, "rides.booked", e + 1, "evt-" + std::to_string(e));
      if (!r)
        errors.fetch_add(1);
      else if (*r)
        counted.fetch_add(1);
      else
        duplicates.fetch_add(1);
    }
  });
  CHECK(errors.load() == 0);
  CHECK(counted.load() == kEvents);
  CHECK(duplicates.load() == kEvents * (kThreads - 1));
  auto r = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(r);
  CHECK(TotalOf(*r, a, "rides.booked") == kEvents * (kEvents + 1) / 2);
}

TEST_CASE("Threads resolving the same new meters share one counter each",
          "[metering][concurrency]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant(1);
  constexpr int kMeters = 1500;  // the index grows twice meanwhile
  std::atomic<int> failures{0};
  std::barrier start(kThreads);
  RunThreads([&](int) {
    start.arrive_and_wait();
    for (int i = 0; i < kMeters; ++i) {
      auto h = m->Resolve(a, "m" + std::to_string(i));
      if (!h || !h->Add(i)) failures.fetch_add(1);
    }
  });
  CHECK(failures.load() == 0);
  CHECK(m->stats().series == static_cast<std::size_t>(kMeters));
  auto r = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(r);
  REQUIRE(r->totals.size() == static_cast<std::size_t>(kMeters - 1));  // m0 added only zeros
  int wrong = 0;
  for (const auto& t : r->totals)
    if (t.amount != std::int64_t{kThreads} * std::stoi(t.meter.substr(1))) ++wrong;
  CHECK(wrong == 0);
}

TEST_CASE("Threads crossing hours together keep every hour exact", "[metering][concurrency]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant(1);
  auto h = m->Resolve(a, "km.driven");
  REQUIRE(h);
  constexpr int kHours = 5;  // hours 2 and 4 reuse the slots of 0 and 2
  constexpr int kAdds = 20'000;
  std::atomic<int> failures{0};
  // Between phases the last thread to arrive moves the clock one hour on.
  std::barrier phase(kThreads, [&]() noexcept { w.clock.Advance(1h); });
  RunThreads([&](int t) {
    for (int hour = 0; hour < kHours; ++hour) {
      for (int i = 0; i < kAdds; ++i)
        if (!h->Add(hour * 10 + t + 1)) failures.fetch_add(1);
      phase.arrive_and_wait();
    }
  });
  CHECK(failures.load() == 0);
  auto r = m->Query(a, kT0, kT0 + hours(kHours));
  REQUIRE(r);
  REQUIRE(r->records.size() == static_cast<std::size_t>(kHours));
  for (int hour = 0; hour < kHours; ++hour) {
    std::int64_t expected = 0;
    for (int t = 0; t < kThreads; ++t) expected += std::int64_t{kAdds} * (hour * 10 + t + 1);
    CHECK(r->records[hour].hour_start == kT0 + hours(hour));
    CHECK(r->records[hour].amount == expected);
  }
}

}  // namespace
}  // namespace tenancy

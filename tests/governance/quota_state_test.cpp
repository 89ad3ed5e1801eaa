// Quota state over time and threads: persistence across restarts (reopened
// files), the write-behind, soft-threshold events (once per period, again
// next period, not again after a restart), and exact counts under threads
// racing for one limit.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "governance/quota_world.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/store.hpp"

using namespace tenancy;
using namespace std::chrono;

namespace {

using testing::Utc;

// A store, a directory and quotas on one manual clock; Reopen() is a
// process restart of the quotas (the directory stays).
struct World : testing::DirectoryOnManualClock {
  std::unique_ptr<Quotas> quotas;
  std::mutex events_mu;
  std::vector<QuotaEvent> events;

  World() : DirectoryOnManualClock(Utc(2026, 3, 15, 12)) { quotas = Open(); }

  std::unique_ptr<Quotas> Open() {
    QuotaOptions q = QuotaOptionsHere();
    q.on_event = [this](const QuotaEvent& e) {
      std::lock_guard lock(events_mu);
      events.push_back(e);
    };
    auto opened = Quotas::Open(q, *directory);
    REQUIRE(opened);
    return std::move(*opened);
  }

  void Reopen(bool close_first = true) {
    if (close_first) REQUIRE(quotas->Close());
    quotas.reset();  // destruction flushes too
    quotas = Open();
  }

  std::vector<double> Thresholds() {
    std::lock_guard lock(events_mu);
    std::vector<double> out;
    for (const auto& e : events) out.push_back(e.threshold);
    return out;
  }
};

bool Take(Quotas& q, const TenantId& t, std::string_view limit, std::int64_t n = 1) {
  auto d = q.TryConsume(t, limit, n);
  REQUIRE(d);
  return d->allowed;
}

// What the file holds, read around the library.
std::int64_t StoredUsed(const std::string& file, const TenantId& t, const std::string& limit) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT used FROM tenancy_quota_usage WHERE tenant_id = ? AND "
                             "limit_name = ?",
                             -1, &s, nullptr) == SQLITE_OK);
  sqlite3_bind_text(s, 1, t.str().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, limit.c_str(), -1, SQLITE_TRANSIENT);
  const std::int64_t used = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return used;
}

}  // namespace

TEST_CASE("Periodic usage, gauge levels, plans, overrides and zones survive a restart",
          "[quota][durable]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kMonth));
  p.limits.emplace("vehicles", Limit::Gauge(5));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(w.quotas->SetOverride(t.id, "vehicles", Limit::Gauge(8)));
  REQUIRE(w.quotas->SetTimeZone(t.id, "Asia/Kolkata"));
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 7));
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", 6).value().allowed);

  const bool close_first = GENERATE(true, false);  // Close(), or destruction alone
  w.Reopen(close_first);
  CHECK(w.quotas->GetPlan("standard").value() == p);
  CHECK(w.quotas->EffectiveLimits(t.id).value().at("vehicles").amount == 8);
  CHECK(w.quotas->TimeZoneOf(t.id).value().name() == "Asia/Kolkata");
  auto rides = w.quotas->Usage(t.id, "rides.booked").value();
  CHECK(rides.used == 7);
  CHECK(rides.period.start == Utc(2026, 2, 28, 18, 30));  // Kolkata's 1 March
  CHECK(w.quotas->Usage(t.id, "vehicles").value().used == 6);
  CHECK(Take(*w.quotas, t.id, "rides.booked", 3));
  CHECK_FALSE(Take(*w.quotas, t.id, "rides.booked"));
}

TEST_CASE("A period that ended while closed starts afresh on reopening", "[quota][durable]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kDay));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 10));
  REQUIRE(w.quotas->Close());
  w.clock.Advance(hours(24));
  w.Reopen(false);
  CHECK(w.quotas->Usage(t.id, "rides.booked").value().used == 0);
  CHECK(Take(*w.quotas, t.id, "rides.booked", 10));
}

TEST_CASE("Flush writes behind what changed; another process sees it", "[quota][durable]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(100, CalendarPeriod::kMonth));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 40));
  CHECK(StoredUsed(w.QuotaFile(), t.id, "rides.booked") == -1);  // not yet written
  REQUIRE(w.quotas->Flush());
  CHECK(StoredUsed(w.QuotaFile(), t.id, "rides.booked") == 40);
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 2));
  REQUIRE(w.quotas->Flush());
  CHECK(StoredUsed(w.QuotaFile(), t.id, "rides.booked") == 42);
}

TEST_CASE("A background writer flushes on its interval", "[quota][durable]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(100, CalendarPeriod::kMonth));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(w.quotas->Close());
  QuotaOptions q;
  q.path = w.QuotaFile();
  q.clock = &w.clock;
  q.flush_interval = milliseconds(5);
  auto quotas = Quotas::Open(q, *w.directory).value();
  REQUIRE(Take(*quotas, t.id, "rides.booked", 9));
  // Wait for the writer (bounded), then check what it wrote, not when.
  std::int64_t stored = -1;
  for (int i = 0; i < 2000 && stored != 9; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
    stored = StoredUsed(w.QuotaFile(), t.id, "rides.booked");
  }
  CHECK(stored == 9);
  REQUIRE(quotas->Close());
}

TEST_CASE("Soft thresholds fire once per period, again next period, not after a restart",
          "[quota][events]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kMonth, {0.5, 1.0}));
  REQUIRE(w.quotas->SetPlan("standard", p));

  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 4));
  CHECK(w.Thresholds().empty());
  REQUIRE(Take(*w.quotas, t.id, "rides.booked"));  // 5 of 10
  REQUIRE(w.Thresholds() == std::vector<double>{0.5});
  {
    std::lock_guard lock(w.events_mu);
    const QuotaEvent& e = w.events.front();
    CHECK(e.tenant == t.id);
    CHECK(e.limit == "rides.booked");
    CHECK(e.kind == LimitKind::kPeriodic);
    CHECK(e.used == 5);
    CHECK(e.amount == 10);
    CHECK(e.period.start == Utc(2026, 3, 1));
    CHECK(e.period.end == Utc(2026, 4, 1));
    CHECK(e.at == w.clock.Now());
  }
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 4));  // 9: nothing new
  CHECK(w.Thresholds().size() == 1);

  w.Reopen(/*close_first=*/false);
  REQUIRE(Take(*w.quotas, t.id, "rides.booked"));  // 10: only 1.0 is new
  CHECK(w.Thresholds() == std::vector<double>{0.5, 1.0});
  CHECK_FALSE(Take(*w.quotas, t.id, "rides.booked"));

  w.Reopen();
  CHECK_FALSE(Take(*w.quotas, t.id, "rides.booked"));
  CHECK(w.Thresholds().size() == 2);

  w.clock.Set(Utc(2026, 4, 2));  // next period
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 6));  // crosses 0.5 only
  CHECK(w.Thresholds() == std::vector<double>{0.5, 1.0, 0.5});
}

TEST_CASE("A threshold passed in one big step fires each mark once", "[quota][events]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(100, CalendarPeriod::kDay, {0.7, 0.8, 0.9}));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 69));
  CHECK(w.Thresholds().empty());  // 0.7 * 100 is 70, not 71 and not 69
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 15));
  CHECK(w.Thresholds() == std::vector<double>{0.7, 0.8});
}

TEST_CASE("Gauge thresholds fire per upward crossing and re-arm below", "[quota][events]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("vehicles", Limit::Gauge(10, {0.8}));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", 8).value().allowed);
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", 1).value().allowed);
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", -1).value().allowed);  // 8: still at the mark
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", 1).value().allowed);
  CHECK(w.Thresholds().size() == 1);
  REQUIRE(w.quotas->TryAdjust(t.id, "vehicles", -3).value().allowed);  // 6: re-armed
  REQUIRE(w.quotas->SetLevel(t.id, "vehicles", 9));
  CHECK(w.Thresholds().size() == 2);
}

TEST_CASE("Threads racing for a periodic limit get exactly its amount", "[quota][concurrency]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked",
                   Limit::Periodic(10'000, CalendarPeriod::kMonth, {0.25, 0.5, 0.75, 1.0}));
  REQUIRE(w.quotas->SetPlan("standard", p));
  auto h = w.quotas->Resolve(t.id, "rides.booked").value();

  constexpr int kThreads = 8;
  std::atomic<std::int64_t> allowed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      for (int k = 0; k < 2'000; ++k) {
        // Half the threads go through the by-name path.
        const bool ok = i % 2 == 0 ? h.TryConsume().allowed
                                   : w.quotas->TryConsume(t.id, "rides.booked").value().allowed;
        if (ok) allowed.fetch_add(1);
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  CHECK(allowed.load() == 10'000);
  CHECK(h.Usage().used == 10'000);
  CHECK(w.Thresholds().size() == 4);  // each mark once, whoever crossed it
  w.Reopen();
  CHECK(w.quotas->Usage(t.id, "rides.booked").value().used == 10'000);
}

TEST_CASE("Threads racing for a rate's burst on a frozen clock get exactly the burst",
          "[quota][concurrency]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("api.requests", Limit::Rate(1'000, seconds(1), 3'000));
  REQUIRE(w.quotas->SetPlan("standard", p));
  auto h = w.quotas->Resolve(t.id, "api.requests").value();
  std::atomic<std::int64_t> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 2'000; ++k)
        if (h.TryConsume().allowed) allowed.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  CHECK(allowed.load() == 3'000);
  w.clock.Advance(milliseconds(10));  // 10 more cells
  std::int64_t more = 0;
  for (int k = 0; k < 50; ++k) more += h.TryConsume().allowed ? 1 : 0;
  CHECK(more == 10);
}

TEST_CASE("Gauge adjustments from many threads keep the exact level", "[quota][concurrency]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("vehicles", Limit::Gauge(1'000));
  REQUIRE(w.quotas->SetPlan("standard", p));
  auto h = w.quotas->Resolve(t.id, "vehicles").value();
  std::atomic<std::int64_t> held_total{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      std::int64_t held = 0;  // never gives back more than it took
      for (int k = 0; k < 3'000; ++k) {
        if (k % 3 == 2 && held > 0) {
          if (h.TryAdjust(-1)) --held;
          else failures.fetch_add(1);
        } else if (auto d = h.TryAdjust(+1); !d) {
          failures.fetch_add(1);
        } else if (d->allowed) {
          ++held;
        }
      }
      held_total.fetch_add(held);
    });
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(held_total.load() > 0);
  CHECK(held_total.load() <= 1'000);
  CHECK(h.Usage().used == held_total.load());
}

TEST_CASE("Plans change under consuming threads without tearing", "[quota][concurrency]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan small, large;
  small.limits.emplace("api.requests", Limit::Rate(10, seconds(1), 10));
  large.limits.emplace("api.requests", Limit::Rate(1'000'000, seconds(1), 1'000'000));
  REQUIRE(w.quotas->SetPlan("standard", small));
  auto h = w.quotas->Resolve(t.id, "api.requests").value();
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread consumer([&] {
    while (!stop.load()) {
      auto d = h.TryConsume(0);
      // Parameters come from one plan or the other, never a mix.
      if (d.limit != 10 && d.limit != 1'000'000) bad.fetch_add(1);
      if (d.remaining > d.limit) bad.fetch_add(1);
    }
  });
  for (int i = 0; i < 300; ++i) REQUIRE(w.quotas->SetPlan("standard", i % 2 ? small : large));
  stop = true;
  consumer.join();
  CHECK(bad.load() == 0);
}

TEST_CASE("Rows edited by hand are refused or ignored, never trusted", "[quota][durable]") {
  World w;
  auto t = w.Provision("acme");
  tenancy::Plan p;
  p.limits.emplace("rides.booked", Limit::Periodic(10, CalendarPeriod::kMonth));
  REQUIRE(w.quotas->SetPlan("standard", p));
  REQUIRE(Take(*w.quotas, t.id, "rides.booked", 4));
  REQUIRE(w.quotas->Close());
  w.quotas.reset();

  auto exec = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(w.QuotaFile().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  };
  // A period end far past what nanoseconds can hold: the row is ignored.
  exec("UPDATE tenancy_quota_usage SET period_end = 9223372036854775000");
  w.quotas = w.Open();
  CHECK(w.quotas->Usage(t.id, "rides.booked").value().used == 0);
  REQUIRE(w.quotas->Close());
  w.quotas.reset();

  // A limit no validation would pass: opening refuses the file.
  exec("UPDATE tenancy_quota_plans SET amount = -5");
  QuotaOptions q;
  q.path = w.QuotaFile();
  q.clock = &w.clock;
  auto refused = Quotas::Open(q, *w.directory);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kDataCorrupted);
}

// Concurrent use of one store: no lost writes, exact counts, typed
// busy errors that a retry resolves, and a small LRU of tenant databases
// under churn.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;
using namespace std::chrono_literals;

namespace {

IsolationModel SharedOrDatabase() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
}

// Runs `op` until it stops failing with kUnavailable; returns the outcome
// and counts the retries.
template <class F>
auto Retry(F&& op, std::atomic<int>& retries) {
  for (int attempt = 0;; ++attempt) {
    auto r = op();
    if (r || r.error().code != Errc::kUnavailable || attempt == 100'000) return r;
    ++retries;
    std::this_thread::yield();
  }
}

// A one-shot gate threads wait on.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace

TEST_CASE("4 threads on 4 tenants lose no writes", "[concurrency][sqlite]") {
  FleetWorld world;
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  std::vector<TenantContext> ctx;
  for (int i = 0; i < 4; ++i)
    ctx.push_back(world.Context(world.Provision(
        "t" + std::to_string(i), i % 2 ? IsolationModel::kDatabase : IsolationModel::kShared)));

  constexpr int kOps = 150;
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const TenantContext& c = ctx[static_cast<std::size_t>(t)];
      for (int i = 0; i < kOps; ++i) {
        const std::string id = "v" + std::to_string(i);
        Vehicle v{id, "T" + std::to_string(t), i, std::nullopt, ""};
        if (!Retry([&] { return vehicles.Insert(c, v); }, retries)) ++failures;
        if (i % 3 == 0) {
          v.seats = i * 10;
          if (!Retry([&] { return vehicles.Update(c, v); }, retries)) ++failures;
        }
        if (i % 5 == 0 && !Retry([&] { return vehicles.Remove(c, id); }, retries)) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  INFO("retries: " << retries.load());
  CHECK(failures == 0);

  for (int t = 0; t < 4; ++t) {
    CAPTURE(t);
    const TenantContext& c = ctx[static_cast<std::size_t>(t)];
    CHECK(*vehicles.Count(c) == kOps - kOps / 5);
    for (int i = 0; i < kOps; ++i) {
      auto v = vehicles.Get(c, "v" + std::to_string(i));
      if (i % 5 == 0) {
        CHECK(v.error().code == Errc::kNotFound);
        continue;
      }
      REQUIRE(v);
      CHECK(v->plate == "T" + std::to_string(t));
      CHECK(v->seats == (i % 3 == 0 ? i * 10 : i));
    }
  }
}

TEST_CASE("4 threads on one tenant lose no writes", "[concurrency][sqlite]") {
  const IsolationModel model = SharedOrDatabase();
  CAPTURE(ModelName(model));
  FleetWorld world;
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  auto ctx = world.Context(world.Provision("busy", model));
  auto bystander = world.Context(world.Provision("bystander", model));
  REQUIRE(vehicles.Insert(ctx, Vehicle{"counter", "C", 0, std::nullopt, ""}));
  REQUIRE(vehicles.Insert(bystander, Vehicle{"counter", "C", 0, std::nullopt, ""}));

  constexpr int kThreads = 4;
  constexpr int kOps = 60;
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        // Distinct keys, written alone.
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!Retry(
                [&] {
                  return vehicles.Insert(ctx, Vehicle{id, "P", t, std::nullopt, ""});
                },
                retries))
          ++failures;
        // The same row, read-modify-write in a transaction: no lost update.
        auto bumped = Retry(
            [&] {
              return world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
                auto c = vehicles.Get(tx, "counter");
                if (!c) return c.error();
                c->seats += 1;
                return vehicles.Update(tx, *c);
              });
            },
            retries);
        if (!bumped) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  INFO("retries: " << retries.load());
  CHECK(failures == 0);
  CHECK(*vehicles.Count(ctx) == 1 + kThreads * kOps);
  CHECK(vehicles.Get(ctx, "counter")->seats == kThreads * kOps);
  for (int t = 0; t < kThreads; ++t) {
    ListQuery q;
    q.filters = {{"seats", FilterOp::kEq, std::int64_t{t}},
                 {"id", FilterOp::kNe, std::string("counter")}};
    q.limit = 1000;
    CHECK(vehicles.List(ctx, q)->items.size() == static_cast<std::size_t>(kOps));
  }
  // The other tenant of the same model saw none of it.
  CHECK(*vehicles.Count(bystander) == 1);
  CHECK(vehicles.Get(bystander, "counter")->seats == 0);
}

TEST_CASE("a busy database answers kUnavailable and a retry succeeds", "[concurrency][sqlite]") {
  const IsolationModel model = SharedOrDatabase();
  CAPTURE(ModelName(model));
  StoreOptions options;
  options.busy_timeout = 0ms;  // fail fast instead of waiting for the lock
  FleetWorld world(options);
  if (world.store().engine() != "sqlite") {
    SUCCEED("SQLite's database-level write lock only");
    return;
  }
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  auto ctx = world.Context(world.Provision("busy", model));
  auto other = world.Context(world.Provision("other", model));
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v0", "P", 1, std::nullopt, ""}));

  Gate holding, release;
  auto holder = std::async(std::launch::async, [&] {
    return world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
      if (auto r = vehicles.Insert(tx, Vehicle{"uncommitted", "U", 1, std::nullopt, ""}); !r)
        return r;
      holding.Open();
      release.Wait();
      return {};
    });
  });
  struct OpenOnExit {
    Gate& gate;
    ~OpenOnExit() { gate.Open(); }
  } never_hang{release};  // a failed REQUIRE must not leave the holder waiting
  holding.Wait();

  // While the write lock is held: writers to that database are told to retry...
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    return vehicles.Insert(t, Vehicle{"v1", "P", 1, std::nullopt, ""});
  });
  REQUIRE_FALSE(tx);
  CHECK(tx.error().code == Errc::kUnavailable);
  auto ins = vehicles.Insert(ctx, Vehicle{"v2", "P", 1, std::nullopt, ""});
  REQUIRE_FALSE(ins);
  CHECK(ins.error().code == Errc::kUnavailable);
  // ...readers are not blocked and do not see uncommitted rows...
  CHECK(*vehicles.Count(ctx) == 1);
  CHECK(vehicles.Get(ctx, "uncommitted").error().code == Errc::kNotFound);
  // ...and another tenant is blocked only if it shares the database.
  auto neighbour = vehicles.Insert(other, Vehicle{"n1", "P", 1, std::nullopt, ""});
  if (model == IsolationModel::kShared) {
    REQUIRE_FALSE(neighbour);
    CHECK(neighbour.error().code == Errc::kUnavailable);
  } else {
    CHECK(neighbour);
  }

  release.Open();
  REQUIRE(holder.get());

  std::atomic<int> retries{0};
  REQUIRE(Retry(
      [&] {
        return vehicles.Insert(ctx, Vehicle{"v2", "P", 1, std::nullopt, ""});
      },
      retries));
  REQUIRE(Retry(
      [&] {
        return vehicles.Insert(other, Vehicle{"n2", "P", 1, std::nullopt, ""});
      },
      retries));
  CHECK(vehicles.Get(ctx, "uncommitted"));
  CHECK_FALSE(vehicles.Get(ctx, "v1"));  // the refused transaction left nothing
  CHECK(*vehicles.Count(ctx) == 3);

  SECTION("contended transactions all land after retries") {
    constexpr int kThreads = 4;
    constexpr int kOps = 40;
    std::atomic<int> failures{0};
    std::atomic<int> other_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kOps; ++i) {
          auto r = Retry(
              [&] {
                return world.store().Transact(ctx, [&](Transaction& txn) -> Result<void> {
                  const std::string id = "c" + std::to_string(t) + "-" + std::to_string(i);
                  if (auto w = vehicles.Insert(txn, Vehicle{id, "P", 1, std::nullopt, ""}); !w)
                    return w;
                  std::this_thread::sleep_for(100us);  // hold the lock a little
                  auto c = vehicles.Get(txn, "v0");
                  if (!c) return c.error();
                  c->seats += 1;
                  return vehicles.Update(txn, *c);
                });
              },
              retries);
          if (!r) {
            ++failures;
            if (r.error().code != Errc::kUnavailable) ++other_errors;
          }
        }
      });
    for (auto& th : threads) th.join();
    INFO("retries: " << retries.load());
    CHECK(other_errors == 0);
    CHECK(failures == 0);
    CHECK(vehicles.Get(ctx, "v0")->seats == 1 + kThreads * kOps);
    CHECK(*vehicles.Count(ctx) == 3 + kThreads * kOps);
  }
}

TEST_CASE("a small LRU of tenant databases survives churn from several threads",
          "[concurrency][sqlite]") {
  StoreOptions options;
  options.max_open_databases = 4;
  options.idle_connections_per_database = 1;
  FleetWorld world(options);
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  Repository<Trip> trips(world.store(), Trips());
  constexpr int kTenants = 20;
  std::vector<TenantContext> ctx;
  for (int i = 0; i < kTenants; ++i)
    ctx.push_back(
        world.Context(world.Provision("db" + std::to_string(i), IsolationModel::kDatabase)));

  constexpr int kThreads = 3;
  constexpr int kRounds = 8;
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Round-robin over every tenant, each thread starting elsewhere, so
        // the 4-slot cache evicts constantly and handles are shared.
        for (int k = 0; k < kTenants; ++k) {
          const int i = (k + t * 7) % kTenants;
          const TenantContext& c = ctx[static_cast<std::size_t>(i)];
          const std::string id = "t" + std::to_string(t) + "-r" + std::to_string(round);
          if (!Retry(
                  [&] {
                    return vehicles.Insert(
                        c, Vehicle{id, "db" + std::to_string(i), round, std::nullopt, ""});
                  },
                  retries))
            ++failures;
          auto tx = Retry(
              [&] {
                return world.store().Transact(c, [&](Transaction& txn) -> Result<void> {
                  if (auto r = trips.Insert(
                          txn, Trip{id, i, 1.0 * round, Blob{static_cast<std::uint8_t>(i)}});
                      !r)
                    return r;
                  auto back = vehicles.Get(txn, id);
                  if (!back) return back.error();
                  if (back->plate != "db" + std::to_string(i))
                    return Fail(Errc::kDataCorrupted, "read another tenant's row");
                  return {};
                });
              },
              retries);
          if (!tx) ++failures;
        }
      }
    });
  for (auto& th : threads) th.join();
  INFO("retries: " << retries.load());
  CHECK(failures == 0);

  for (int i = 0; i < kTenants; ++i) {
    CAPTURE(i);
    const TenantContext& c = ctx[static_cast<std::size_t>(i)];
    CHECK(*vehicles.Count(c) == kThreads * kRounds);
    CHECK(*trips.Count(c) == kThreads * kRounds);
    ListQuery q;
    q.limit = 1000;
    auto page = vehicles.List(c, q);
    REQUIRE(page);
    for (const auto& v : page->items) CHECK(v.plate == "db" + std::to_string(i));
    auto tp = trips.List(c, q);
    REQUIRE(tp);
    for (const auto& tr : tp->items) {
      CHECK(tr.seq == i);
      CHECK(tr.payload == Blob{static_cast<std::uint8_t>(i)});
    }
  }
  // And from disk, after a restart.
  ctx.clear();
  world.Reopen();
  Repository<Vehicle> reopened(world.store(), Vehicles());
  for (int i = 0; i < kTenants; ++i) {
    auto t = world.directory().GetBySlug("db" + std::to_string(i));
    REQUIRE(t);
    CHECK(*reopened.Count(world.Context(**t)) == kThreads * kRounds);
  }
}

// The events outbox: same-transaction commit and rollback in every model,
// per-tenant isolation, ordering under concurrent writers, cursor paging.
// Runs unchanged on SQLite (events_tests) and PostgreSQL (events_pg_tests).
#include "support/catch_tenancy.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "ops/webhook_world.hpp"

namespace tenancy::testing {
namespace {

std::vector<Event> ReadAll(Events& events, const TenantContext& ctx, std::size_t page_size,
                           const std::string& type = {}) {
  std::vector<Event> all;
  std::int64_t after = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    auto page = events.Read(ctx, {.after = after, .limit = page_size, .type = type});
    REQUIRE(page);
    for (auto& e : page->items) all.push_back(std::move(e));
    if (page->items.empty() && !page->more) break;
    after = page->next_after;
  }
  return all;
}

TEST_CASE("outbox: an event commits with its transaction and vanishes with its rollback",
          "[events]") {
  OpsWorld w;
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  for (IsolationModel model : kAllModels) {
    SECTION(ModelName(model)) {
      Tenant t = w.Provision(std::string("acme-") + ModelName(model), model);
      auto ctx = w.Context(t, "req-77");

      // Rolled back: the work fails after both writes.
      auto failed = w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
        if (auto r = vehicles.Insert(tx, Vehicle{"v1", "B-1", 4, {}, {}}); !r) return r;
        auto seq = w.events().Append(tx, "vehicle.added", {{"id", "v1"}});
        if (!seq) return seq.error();
        CHECK(*seq == 1);
        return Fail(Errc::kConflict, "business rule says no");
      });
      REQUIRE_FALSE(failed);
      CHECK(failed.error() == Errc::kConflict);
      CHECK_FALSE(vehicles.Get(ctx, "v1"));
      auto empty = w.events().Read(ctx, {});
      REQUIRE(empty);
      CHECK(empty->items.empty());
      CHECK(empty->next_after == 0);
      CHECK(w.events().LastSequence(ctx).value() == 0);

      // Committed: the vehicle and its event, numbered 1 (the rollback left no hole).
      REQUIRE(w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
        if (auto r = vehicles.Insert(tx, Vehicle{"v2", "B-2", 2, {}, {}}); !r) return r;
        auto seq = w.events().Append(tx, "vehicle.added", {{"id", "v2"}, {"seats", 2}});
        if (!seq) return seq.error();
        CHECK(*seq == 1);
        return {};
      }));
      auto page = w.events().Read(ctx, {});
      REQUIRE(page);
      REQUIRE(page->items.size() == 1);
      const Event& e = page->items[0];
      CHECK(e.sequence == 1);
      CHECK(e.type == "vehicle.added");
      CHECK(boost::json::parse(e.payload) == boost::json::parse(R"({"id":"v2","seats":2})"));
      CHECK(e.request_id == "req-77");
      CHECK(e.created_at == w.clock().Now());
      CHECK(page->next_after == 1);
      CHECK_FALSE(page->more);
      CHECK(vehicles.Get(ctx, "v2"));
    }
  }
}

TEST_CASE("outbox: bad types, payloads and queries are typed errors", "[events]") {
  OpsWorld w;
  Tenant t = w.Provision("acme", IsolationModel::kShared);
  auto ctx = w.Context(t);
  for (const char* bad : {"", "ride", "Ride.completed", "ride..completed", ".ride", "ride.",
                          "ride.com pleted", "1ride.x", "ride.*", "ride.x\n"}) {
    auto r = w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
      auto s = w.events().Append(tx, bad, {});
      if (!s) return s.error();
      return {};
    });
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kInvalidArgument);
  }
  for (const char* good : {"ride.completed", "tenant.suspended", "alert.fired", "invoice.payment_failed",
                           "a.b.c-d"})
    CHECK(IsValidEventType(good));

  // Oversized payload.
  auto big = w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto s = w.events().Append(tx, "ride.completed", boost::json::string(300 * 1024, 'x'));
    if (!s) return s.error();
    return {};
  });
  REQUIRE_FALSE(big);
  CHECK(big.error() == Errc::kInvalidArgument);

  CHECK(w.events().Read(ctx, {.limit = 0}).error() == Errc::kInvalidArgument);
  CHECK(w.events().Read(ctx, {.limit = 1001}).error() == Errc::kInvalidArgument);
  CHECK(w.events().Read(ctx, {.after = -1}).error() == Errc::kInvalidArgument);
  CHECK(w.events().Read(ctx, {.type = "Ride.*"}).error() == Errc::kInvalidArgument);
  CHECK(w.events().LastSequence(ctx).value() == 0);
}

TEST_CASE("outbox: a tenant reads only its own events", "[events][isolation]") {
  OpsWorld w;
  for (IsolationModel ma : kAllModels) {
    for (IsolationModel mb : kAllModels) {
      SECTION(std::string(ModelName(ma)) + "/" + ModelName(mb)) {
        Tenant a = w.Provision("a-tenant", ma);
        Tenant b = w.Provision("b-tenant", mb);
        auto ca = w.Context(a), cb = w.Context(b);
        for (int i = 0; i < 5; ++i) w.Emit(ca, "ride.completed", {{"tenant", "a"}, {"i", i}});
        w.Emit(cb, "ride.completed", {{"tenant", "b"}});

        auto seen_b = ReadAll(w.events(), cb, 3);
        REQUIRE(seen_b.size() == 1);
        CHECK(seen_b[0].sequence == 1);  // B's numbering is its own
        CHECK(boost::json::parse(seen_b[0].payload).at("tenant") == "b");
        // B reading past its own events with A's cursor values sees nothing of A.
        for (std::int64_t after : {0, 1, 2, 4}) {
          auto page = w.events().Read(cb, {.after = after, .limit = 1000});
          REQUIRE(page);
          for (const auto& e : page->items)
            CHECK(boost::json::parse(e.payload).at("tenant") == "b");
        }
        auto seen_a = ReadAll(w.events(), ca, 2);
        REQUIRE(seen_a.size() == 5);
        for (const auto& e : seen_a) CHECK(boost::json::parse(e.payload).at("tenant") == "a");
        CHECK(w.events().LastSequence(ca).value() == 5);
        CHECK(w.events().LastSequence(cb).value() == 1);
      }
    }
  }
}

TEST_CASE("outbox: concurrent writers keep each tenant's sequence gap-free and ordered",
          "[events][concurrency]") {
  OpsWorld w;
  const IsolationModel model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
  Tenant a = w.Provision("conc-a", model);
  Tenant b = w.Provision("conc-b", IsolationModel::kShared);
  auto ca = w.Context(a), cb = w.Context(b);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 30;

  std::atomic<bool> done{false};
  std::vector<std::int64_t> observed;  // what a concurrent cursor reader saw, in order
  std::thread reader([&] {
    std::int64_t after = 0;
    while (true) {
      const bool last_round = done.load();
      auto page = w.events().Read(ca, {.after = after, .limit = 17});
      if (!page) continue;
      for (const auto& e : page->items) observed.push_back(e.sequence);
      after = page->next_after;
      if (last_round && page->items.empty()) break;
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto& ctx = (i % 3 == 0) ? cb : ca;  // interleave another tenant
        auto r = WithRetry([&] {
          return w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
            auto s = w.events().Append(tx, "ride.completed", {{"thread", t}, {"i", i}});
            if (!s) return s.error();
            return {};
          });
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& th : writers) th.join();
  done = true;
  reader.join();
  REQUIRE(failures == 0);

  const int per_thread_b = (kPerThread + 2) / 3;
  const int total_a = kThreads * (kPerThread - per_thread_b);
  const int total_b = kThreads * per_thread_b;
  for (auto [ctx, total] : {std::pair{&ca, total_a}, std::pair{&cb, total_b}}) {
    auto all = ReadAll(w.events(), *ctx, 50);
    REQUIRE(static_cast<int>(all.size()) == total);
    std::map<std::int64_t, int> last_i;  // per thread: its own appends stay in order
    for (std::size_t k = 0; k < all.size(); ++k) {
      CHECK(all[k].sequence == static_cast<std::int64_t>(k + 1));
      auto payload = boost::json::parse(all[k].payload);
      const auto th = payload.at("thread").as_int64();
      const auto i = static_cast<int>(payload.at("i").as_int64());
      if (last_i.count(th)) CHECK(i > last_i[th]);
      last_i[th] = i;
    }
  }
  // The concurrent reader, following its cursor, saw every event once, in order.
  REQUIRE(static_cast<int>(observed.size()) == total_a);
  for (std::size_t k = 0; k < observed.size(); ++k)
    CHECK(observed[k] == static_cast<std::int64_t>(k + 1));
}

TEST_CASE("outbox: cursor paging is complete and without duplicates, with type filters",
          "[events]") {
  OpsWorld w;
  Tenant t = w.Provision("pager", IsolationModel::kDatabase);
  auto ctx = w.Context(t);
  const char* types[] = {"ride.completed", "ride.cancelled", "tenant.suspended", "rides.x",
                         "ride.fare.adjusted"};
  std::map<std::string, int> counts;
  for (int i = 0; i < 120; ++i) {
    const char* type = types[(i * 7) % 5];
    w.Emit(ctx, type, {{"i", i}});
    ++counts[type];
  }
  for (std::size_t page : {std::size_t{1}, std::size_t{7}, std::size_t{50}, std::size_t{1000}}) {
    auto all = ReadAll(w.events(), ctx, page);
    REQUIRE(all.size() == 120);
    std::set<std::int64_t> seqs;
    for (const auto& e : all) seqs.insert(e.sequence);
    CHECK(seqs.size() == 120);
    CHECK(*seqs.begin() == 1);
    CHECK(*seqs.rbegin() == 120);
  }
  auto rides = ReadAll(w.events(), ctx, 4, "ride.*");
  CHECK(static_cast<int>(rides.size()) ==
        counts["ride.completed"] + counts["ride.cancelled"] + counts["ride.fare.adjusted"]);
  for (const auto& e : rides) CHECK(EventTypeMatches("ride.*", e.type));
  auto exact = ReadAll(w.events(), ctx, 3, "tenant.suspended");
  CHECK(static_cast<int>(exact.size()) == counts["tenant.suspended"]);
  for (std::size_t k = 1; k < exact.size(); ++k) CHECK(exact[k].sequence > exact[k - 1].sequence);
  CHECK(ReadAll(w.events(), ctx, 9, "*").size() == 120);
}

TEST_CASE("outbox: pruning keeps the newest event so numbering never restarts", "[events]") {
  OpsWorld w;
  Tenant t = w.Provision("pruned", IsolationModel::kShared);
  Tenant other = w.Provision("kept", IsolationModel::kShared);
  auto ctx = w.Context(t), octx = w.Context(other);
  for (int i = 0; i < 10; ++i) w.Emit(ctx, "ride.completed", {{"i", i}});
  w.Emit(octx, "ride.completed", {{"i", 0}});
  w.clock().Advance(std::chrono::hours{48});
  w.Emit(ctx, "ride.completed", {{"i", 10}});

  auto pruned = w.events().Prune(ctx, w.clock().Now(), 4);
  REQUIRE(pruned);
  CHECK(*pruned == 4);
  pruned = w.events().Prune(ctx, w.clock().Now() + std::chrono::hours{1});
  REQUIRE(pruned);
  CHECK(*pruned == 6);  // the newest (11) stays
  auto left = ReadAll(w.events(), ctx, 10);
  REQUIRE(left.size() == 1);
  CHECK(left[0].sequence == 11);
  CHECK(w.Emit(ctx, "ride.completed", {{"i", 11}}) == 12);
  CHECK(ReadAll(w.events(), octx, 10).size() == 1);  // the other tenant is untouched
}

}  // namespace
}  // namespace tenancy::testing

// Property test: random interleaved operations over 20 tenants in all three
// models, checked after every step against an in-memory model, then again
// after a restart.
//
// The seed is random per run and printed on failure; set
// TENANCY_PROPERTY_SEED to replay one.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

using Model = std::map<std::string, Vehicle>;  // one tenant's rows, by key

std::uint32_t Seed() {
  if (const char* s = std::getenv("TENANCY_PROPERTY_SEED"))
    return static_cast<std::uint32_t>(std::stoul(s));
  return std::random_device{}();
}

std::vector<Vehicle> ListAll(const Repository<Vehicle>& repo, const TenantContext& ctx,
                             std::size_t limit) {
  std::vector<Vehicle> out;
  ListQuery q;
  q.limit = limit;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = repo.List(ctx, q);
    REQUIRE(page);
    REQUIRE(page->items.size() <= limit);
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (page->next_cursor.empty()) return out;
    q.after = page->next_cursor;
  }
  FAIL("List never reached its end");
  return out;
}

// The tenant's full contents equal the model, in key order.
void CheckContents(const Repository<Vehicle>& repo, const TenantContext& ctx, const Model& model,
                   std::size_t limit) {
  std::vector<Vehicle> want;
  for (const auto& [key, v] : model) {
    Vehicle w = v;
    w.tenant_id = ctx.tenant_id().str();
    want.push_back(w);
  }
  const auto got = ListAll(repo, ctx, limit);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i, want[i].id);
    CHECK(got[i] == want[i]);
  }
  CHECK(*repo.Count(ctx) == static_cast<std::int64_t>(model.size()));
}

}  // namespace

TEST_CASE("random operations agree with an in-memory model", "[property][sqlite]") {
  const std::uint32_t seed = Seed();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  auto pick = [&](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };

  FleetWorld world;
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  constexpr int kTenants = 20;
  std::vector<Tenant> tenants;
  std::vector<Model> models(kTenants);
  for (int i = 0; i < kTenants; ++i) {
    const auto model = static_cast<IsolationModel>(i % 3);
    tenants.push_back(world.Provision("t" + std::to_string(i), model));
  }
  auto contexts = [&] {
    std::vector<TenantContext> out;
    for (const auto& t : tenants) out.push_back(world.Context(t));
    return out;
  };
  std::vector<TenantContext> ctx = contexts();

  // Small key and value spaces, shared by all tenants, so collisions (in a
  // tenant and across tenants) are frequent.
  const std::vector<std::string> keys = {"a", "b", "c",   "d",   "e", "f",
                                         "g", "h", "k-1", "k-2", "K", "k'"};
  auto random_vehicle = [&](const std::string& key) {
    Vehicle v;
    v.id = key;
    v.plate = "P" + std::to_string(pick(1000));
    v.seats = pick(9) - 1;
    if (pick(3) == 0) v.note = "n" + std::to_string(pick(50));
    return v;
  };

  constexpr int kOps = 1000;
  std::map<std::string, int> op_counts;
  for (int step = 0; step < kOps; ++step) {
    const int ti = pick(kTenants);
    const TenantContext& c = ctx[static_cast<std::size_t>(ti)];
    Model& m = models[static_cast<std::size_t>(ti)];
    const std::string& key = keys[static_cast<std::size_t>(pick(static_cast<int>(keys.size())))];
    const bool present = m.count(key) == 1;
    const int op = pick(100);
    CAPTURE(step, ti, ModelName(tenants[static_cast<std::size_t>(ti)].model), key, op, present);

    if (op < 18) {
      op_counts["insert"]++;
      Vehicle v = random_vehicle(key);
      auto r = vehicles.Insert(c, v);
      if (present) {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kAlreadyExists);
      } else {
        REQUIRE(r);
        m[key] = v;
      }
    } else if (op < 32) {
      op_counts["update"]++;
      Vehicle v = random_vehicle(key);
      auto r = vehicles.Update(c, v);
      if (present) {
        REQUIRE(r);
        m[key] = v;
      } else {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kNotFound);
      }
    } else if (op < 46) {
      op_counts["upsert"]++;
      Vehicle v = random_vehicle(key);
      REQUIRE(vehicles.Upsert(c, v));
      m[key] = v;
    } else if (op < 60) {
      op_counts["remove"]++;
      auto r = vehicles.Remove(c, key);
      if (present) {
        REQUIRE(r);
        m.erase(key);
      } else {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kNotFound);
      }
    } else if (op < 74) {
      op_counts["get"]++;
      auto r = vehicles.Get(c, key);
      if (present) {
        REQUIRE(r);
        Vehicle want = m[key];
        want.tenant_id = c.tenant_id().str();
        CHECK(*r == want);
      } else {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kNotFound);
      }
    } else if (op < 82) {
      op_counts["list"]++;
      // A filtered page: seats >= s, checked against the model.
      const std::int64_t s = pick(8);
      ListQuery q;
      q.filters = {{"seats", FilterOp::kGe, s}};
      q.limit = static_cast<std::size_t>(1 + pick(5));
      std::vector<std::string> got;
      for (int guard = 0; guard < 100; ++guard) {
        auto page = vehicles.List(c, q);
        REQUIRE(page);
        for (const auto& v : page->items) got.push_back(v.id);
        if (page->next_cursor.empty()) break;
        q.after = page->next_cursor;
      }
      std::vector<std::string> want;
      for (const auto& [k, v] : m)
        if (v.seats >= s) want.push_back(k);
      CHECK(got == want);
    } else if (op < 90) {
      op_counts["count"]++;
      const std::string plate_min = "P" + std::to_string(pick(1000));
      std::vector<Filter> f = {{"plate", FilterOp::kGe, plate_min}};
      std::int64_t want = 0;
      for (const auto& [k, v] : m) want += v.plate >= plate_min ? 1 : 0;
      CHECK(*vehicles.Count(c, f) == want);
      CHECK(*vehicles.Count(c) == static_cast<std::int64_t>(m.size()));
    } else {
      // A transaction of a few writes that commits or rolls back as one.
      op_counts["transaction"]++;
      const bool commit = pick(2) == 0;
      Model staged = m;
      auto r = world.store().Transact(c, [&](Transaction& tx) -> Result<void> {
        for (int i = 0; i < 3; ++i) {
          const std::string& k =
              keys[static_cast<std::size_t>(pick(static_cast<int>(keys.size())))];
          if (pick(2) == 0) {
            Vehicle v = random_vehicle(k);
            if (auto u = vehicles.Upsert(tx, v); !u) return u;
            staged[k] = v;
          } else {
            auto d = vehicles.Remove(tx, k);
            if (staged.count(k)) {
              if (!d) return d;
              staged.erase(k);
            } else if (d || d.error().code != Errc::kNotFound) {
              return Fail(Errc::kInternal, "remove of a missing key did not say kNotFound");
            }
          }
        }
        if (!commit) return Fail(Errc::kConflict, "roll back");
        return {};
      });
      if (commit) {
        REQUIRE(r);
        m = staged;
      } else {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kConflict);
      }
    }
    // After every operation: the touched tenant is exactly its model.
    CheckContents(vehicles, c, m, static_cast<std::size_t>(1 + pick(6)));
  }
  for (const auto& [op, n] : op_counts) {
    CAPTURE(op);
    CHECK(n > 0);
  }

  // Every tenant, then again after a restart.
  for (int i = 0; i < kTenants; ++i) {
    CAPTURE(i);
    CheckContents(vehicles, ctx[static_cast<std::size_t>(i)], models[static_cast<std::size_t>(i)],
                  4);
  }
  ctx.clear();
  world.Reopen();
  Repository<Vehicle> reopened(world.store(), Vehicles());
  ctx = contexts();
  for (int i = 0; i < kTenants; ++i) {
    CAPTURE(i, ModelName(tenants[static_cast<std::size_t>(i)].model));
    CheckContents(reopened, ctx[static_cast<std::size_t>(i)], models[static_cast<std::size_t>(i)],
                  3);
  }
}

// Typed repository behaviour in every isolation model: CRUD, paging,
// counting, transactions and input limits.
#include <catch2/catch.hpp>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

}  // namespace

TEST_CASE("repository CRUD round-trips values", "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto tenant = world.Provision("acme", model);
  auto ctx = world.Context(tenant);
  Repository<Vehicle> vehicles(world.store(), Vehicles());

  Vehicle v{"v1", "B-AC 1", 4, std::nullopt, ""};
  REQUIRE(vehicles.Insert(ctx, v));
  auto got = vehicles.Get(ctx, "v1");
  REQUIRE(got);
  CHECK(got->plate == "B-AC 1");
  CHECK(got->seats == 4);
  CHECK_FALSE(got->note.has_value());
  CHECK(got->tenant_id == tenant.id.str());

  SECTION("insert of an existing key is refused") {
    auto again = vehicles.Insert(ctx, v);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::kAlreadyExists);
  }
  SECTION("update replaces, and misses are typed") {
    v.seats = 7;
    v.note = "roof rack";
    REQUIRE(vehicles.Update(ctx, v));
    CHECK(vehicles.Get(ctx, "v1")->seats == 7);
    CHECK(vehicles.Get(ctx, "v1")->note == std::optional<std::string>("roof rack"));
    Vehicle ghost{"nope", "X", 1, {}, ""};
    CHECK(vehicles.Update(ctx, ghost).error().code == Errc::kNotFound);
  }
  SECTION("upsert inserts then replaces") {
    Vehicle w{"v2", "B-AC 2", 2, {}, ""};
    REQUIRE(vehicles.Upsert(ctx, w));
    w.seats = 3;
    REQUIRE(vehicles.Upsert(ctx, w));
    CHECK(vehicles.Get(ctx, "v2")->seats == 3);
    CHECK(*vehicles.Count(ctx) == 2);
  }
  SECTION("remove deletes once") {
    REQUIRE(vehicles.Remove(ctx, "v1"));
    CHECK(vehicles.Get(ctx, "v1").error().code == Errc::kNotFound);
    CHECK(vehicles.Remove(ctx, "v1").error().code == Errc::kNotFound);
  }
}

TEST_CASE("composite keys, reals and blobs round-trip", "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Trip> trips(world.store(), Trips());
  Trip t{"d1", 7, 12.5, Blob{0, 1, 2, 255}};
  REQUIRE(trips.Insert(ctx, t));
  auto got = trips.Get(ctx, "d1", 7);
  REQUIRE(got);
  CHECK(*got == t);
  CHECK(trips.Get(ctx, "d1", 8).error().code == Errc::kNotFound);
  auto arity = trips.Get(ctx, "d1");
  REQUIRE_FALSE(arity);
  CHECK(arity.error().code == Errc::kInvalidArgument);
}

TEST_CASE("keyset paging visits every row exactly once", "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Trip> trips(world.store(), Trips());
  for (int d = 0; d < 3; ++d)
    for (int s = 0; s < 17; ++s)
      REQUIRE(trips.Insert(ctx, Trip{"d" + std::to_string(d), s, 1.0 * s, Blob{}}));

  ListQuery q;
  q.limit = 5;
  std::vector<std::pair<std::string, std::int64_t>> seen;
  int pages = 0;
  for (;;) {
    auto page = trips.List(ctx, q);
    REQUIRE(page);
    for (auto& t : page->items) seen.emplace_back(t.driver, t.seq);
    ++pages;
    if (page->next_cursor.empty()) break;
    q.after = page->next_cursor;
  }
  CHECK(seen.size() == 51);
  CHECK(pages == 11);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());

  SECTION("filters narrow lists and counts") {
    ListQuery f;
    f.filters = {{"driver", FilterOp::kEq, std::string("d1")}, {"km", FilterOp::kGe, 10.0}};
    auto page = trips.List(ctx, f);
    REQUIRE(page);
    CHECK(page->items.size() == 7);
    CHECK(*trips.Count(ctx, f.filters) == 7);
  }
  SECTION("bad list input is refused") {
    ListQuery bad;
    bad.limit = 0;
    CHECK(trips.List(ctx, bad).error().code == Errc::kInvalidArgument);
    bad.limit = 1001;
    CHECK(trips.List(ctx, bad).error().code == Errc::kInvalidArgument);
    ListQuery cursor;
    cursor.after = "not-a-cursor!";
    CHECK(trips.List(ctx, cursor).error().code == Errc::kInvalidArgument);
    ListQuery column;
    column.filters = {{"tenant_id", FilterOp::kNe, std::string("x")}};
    CHECK(trips.List(ctx, column).error().code == Errc::kInvalidArgument);
    column.filters = {{"km; DROP TABLE trips", FilterOp::kEq, 1.0}};
    CHECK(trips.Count(ctx, column.filters).error().code == Errc::kInvalidArgument);
  }
}

TEST_CASE("transactions span repositories and roll back as one", "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  Repository<Trip> trips(world.store(), Trips());

  auto ok = world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    if (auto r = vehicles.Insert(tx, Vehicle{"v1", "P1", 4, {}, ""}); !r) return r;
    return trips.Insert(tx, Trip{"d1", 1, 3.5, Blob{}});
  });
  REQUIRE(ok);
  CHECK(*vehicles.Count(ctx) == 1);
  CHECK(*trips.Count(ctx) == 1);

  auto failed = world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    if (auto r = vehicles.Insert(tx, Vehicle{"v2", "P2", 4, {}, ""}); !r) return r;
    return trips.Insert(tx, Trip{"d1", 1, 9.9, Blob{}});  // duplicate key: fails
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == Errc::kAlreadyExists);
  CHECK(*vehicles.Count(ctx) == 1);  // v2 rolled back
  CHECK(trips.Get(ctx, "d1", 1)->km == 3.5);

  CHECK_THROWS(world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    (void)vehicles.Insert(tx, Vehicle{"v3", "P3", 4, {}, ""});
    throw std::runtime_error("boom");
  }));
  CHECK(vehicles.Get(ctx, "v3").error().code == Errc::kNotFound);
}

TEST_CASE("text reads back byte for byte: empty, multi-byte, long enough to overflow a page",
          "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  const std::string unicode = "Z\xc3\xbcrich \xe2\x80\x94 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x95";
  std::string long_text;
  while (long_text.size() < 200'000) long_text += "ride " + std::to_string(long_text.size()) + unicode;

  REQUIRE(vehicles.Insert(ctx, Vehicle{"empty", "", 4, std::string(), ""}));
  REQUIRE(vehicles.Insert(ctx, Vehicle{"none", "x", 4, std::nullopt, ""}));
  REQUIRE(vehicles.Insert(ctx, Vehicle{"long", unicode, 4, long_text, ""}));

  const auto empty = vehicles.Get(ctx, "empty");
  REQUIRE(empty);
  CHECK(empty->plate.empty());
  REQUIRE(empty->note.has_value());  // an empty string is not null
  CHECK(empty->note->empty());
  const auto none = vehicles.Get(ctx, "none");
  REQUIRE(none);
  CHECK_FALSE(none->note.has_value());
  const auto long_one = vehicles.Get(ctx, "long");
  REQUIRE(long_one);
  CHECK(long_one->plate == unicode);
  REQUIRE(long_one->note.has_value());
  CHECK(long_one->note->size() == long_text.size());
  CHECK(*long_one->note == long_text);
  // The same through a list (another statement, the rows in turn).
  const auto page = vehicles.List(ctx, {});
  REQUIRE(page);
  REQUIRE(page->items.size() == 3);
  for (const Vehicle& v : page->items) CHECK(v == (v.id == "empty" ? *empty : v.id == "none" ? *none : *long_one));
}

TEST_CASE("oversized and null values are refused and change nothing", "[repo][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  StoreOptions options;
  options.max_field_bytes = 1024;
  FleetWorld world(options);
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  Repository<Trip> trips(world.store(), Trips());

  auto plate = vehicles.Insert(ctx, Vehicle{"v1", std::string(65, 'x'), 4, {}, ""});
  REQUIRE_FALSE(plate);
  CHECK(plate.error().code == Errc::kInvalidArgument);
  CHECK_THAT(plate.error().message, Catch::Contains("vehicles.plate"));
  auto note = vehicles.Insert(ctx, Vehicle{"v1", "ok", 4, std::string(1025, 'n'), ""});
  CHECK(note.error().code == Errc::kInvalidArgument);
  auto blob = trips.Insert(ctx, Trip{"d", 1, 0, Blob(1025, 7)});
  CHECK(blob.error().code == Errc::kInvalidArgument);
  CHECK(*vehicles.Count(ctx) == 0);
  CHECK(*trips.Count(ctx) == 0);
}

TEST_CASE("descriptor mistakes are programming errors", "[repo]") {
  CHECK_THROWS_AS(Entity<Vehicle>("Bad Name"), std::logic_error);
  CHECK_THROWS_AS(Entity<Vehicle>("tenancy_x"), std::logic_error);
  CHECK_THROWS_AS(Entity<Vehicle>("v").Column("plate", &Vehicle::plate).Key("id", &Vehicle::id),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Vehicle>("v").Key("id", &Vehicle::id).Column("id", &Vehicle::plate),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Vehicle>("v").Key("tenant_id", &Vehicle::id), std::logic_error);
}

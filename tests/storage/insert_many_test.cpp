// Repository::InsertMany in every isolation model, on each engine: all rows
// or none, the failing row named, tenant confinement and sealing exactly as
// Insert, batches larger than one chunk, concurrent batches, and (on
// PostgreSQL) a connection lost under a batch.
#include <catch2/catch.hpp>

#include <cstdio>
#include <latch>
#include <thread>

#include "support/fleet_fixture.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/keys.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

std::string VehicleId(std::size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "v-%05zu", i);
  return buf;
}

// `n` distinct vehicles; every third has a note (a NULL elsewhere changes
// the row's parameter types, so a batch mixes statement signatures).
std::vector<Vehicle> Fleet(std::size_t n, std::size_t first = 0) {
  std::vector<Vehicle> out;
  for (std::size_t i = first; i < first + n; ++i) {
    Vehicle v{VehicleId(i), "P-" + std::to_string(i), static_cast<std::int64_t>(i % 9 + 1), {}, ""};
    if (i % 3 == 0) v.note = "note " + std::to_string(i);
    out.push_back(std::move(v));
  }
  return out;
}

// Every vehicle of the context's tenant, in key order.
std::vector<Vehicle> All(const Repository<Vehicle>& repo, const TenantContext& ctx) {
  std::vector<Vehicle> out;
  ListQuery q;
  q.limit = 1000;
  for (;;) {
    auto page = repo.List(ctx, q);
    REQUIRE(page);
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (page->next_cursor.empty()) return out;
    q.after = page->next_cursor;
  }
}

std::int64_t CountOf(const Repository<Vehicle>& repo, const TenantContext& ctx) {
  auto n = repo.Count(ctx);
  REQUIRE(n);
  return *n;
}

// Two tenants of one model with their contexts, and the vehicles repository.
struct TwoTenants {
  explicit TwoTenants(IsolationModel model)
      : a(world.Provision("alpha", model)),
        b(world.Provision("bravo", model)),
        ctx_a(world.Context(a)),
        ctx_b(world.Context(b)) {}
  FleetWorld world;
  Tenant a, b;
  TenantContext ctx_a, ctx_b;
  Repository<Vehicle> vehicles{world.store(), Vehicles()};
};

bool Mentions(const Error& e, std::string_view text) {
  return e.message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("InsertMany writes every row of a batch larger than a chunk", "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto acme = world.Provision("acme", model);
  auto other = world.Provision("other", model);
  auto ctx = world.Context(acme);
  Repository<Vehicle> vehicles(world.store(), Vehicles());

  auto fleet = Fleet(1300);
  fleet[17].tenant_id = acme.id.str();  // naming the caller's own tenant is fine
  REQUIRE(vehicles.InsertMany(ctx, fleet));

  auto stored = All(vehicles, ctx);
  REQUIRE(stored.size() == fleet.size());
  for (auto& v : fleet) v.tenant_id = acme.id.str();  // mirrored on the way out
  CHECK(stored == fleet);
  CHECK(CountOf(vehicles, world.Context(other)) == 0);

  SECTION("a second batch appends, an empty one is a no-op") {
    REQUIRE(vehicles.InsertMany(ctx, Fleet(3, 5000)));
    REQUIRE(vehicles.InsertMany(ctx, std::span<const Vehicle>()));
    CHECK(CountOf(vehicles, ctx) == 1303);
    CHECK(vehicles.Get(ctx, VehicleId(5002))->plate == "P-5002");
  }
  SECTION("composite keys, reals and blobs") {
    Repository<Trip> trips(world.store(), Trips());
    std::vector<Trip> batch;
    for (std::int64_t s = 0; s < 300; ++s)
      batch.push_back(Trip{"d" + std::to_string(s % 2), s, 0.5 * static_cast<double>(s),
                           Blob(static_cast<std::size_t>(s % 7), static_cast<std::uint8_t>(s))});
    REQUIRE(trips.InsertMany(ctx, batch));
    for (std::int64_t s : {0, 1, 255, 256, 299}) {
      auto got = trips.Get(ctx, "d" + std::to_string(s % 2), s);
      REQUIRE(got);
      CHECK(*got == batch[static_cast<std::size_t>(s)]);
    }
    CHECK(*trips.Count(ctx) == 300);
  }
}

TEST_CASE("InsertMany with a row of another tenant writes nothing for anybody", "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants two(model);
  auto& [world, a, b, ctx_a, ctx_b, vehicles] = two;

  auto fleet = Fleet(600);
  fleet[317].tenant_id = b.id.str();
  auto r = vehicles.InsertMany(ctx_a, fleet);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kTenantMismatch);
  CHECK(Mentions(r.error(), "row 317:"));
  CHECK(CountOf(vehicles, ctx_a) == 0);
  CHECK(CountOf(vehicles, ctx_b) == 0);

  // Inside a transaction: refused the same way, the transaction goes on.
  auto tx = world.store().Transact(ctx_a, [&](Transaction& t) -> Result<void> {
    auto bad = vehicles.InsertMany(t, fleet);
    CHECK_FALSE(bad);
    if (!bad) CHECK(bad.error().code == Errc::kTenantMismatch);
    return vehicles.Insert(t, Vehicle{"solo", "S", 2, {}, ""});
  });
  REQUIRE(tx);
  CHECK(CountOf(vehicles, ctx_a) == 1);
  CHECK(CountOf(vehicles, ctx_b) == 0);
}

TEST_CASE("InsertMany with a taken key writes nothing and names the row", "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto tenant = world.Provision("acme", model);
  auto ctx = world.Context(tenant);
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  REQUIRE(vehicles.Insert(ctx, Vehicle{VehicleId(400), "existing", 1, {}, ""}));

  SECTION("a key already stored") {
    auto r = vehicles.InsertMany(ctx, Fleet(600));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kAlreadyExists);
    CHECK(Mentions(r.error(), "row 400:"));
    CHECK(CountOf(vehicles, ctx) == 1);
    CHECK(vehicles.Get(ctx, VehicleId(400))->plate == "existing");
  }
  SECTION("a key twice within the batch") {
    auto fleet = Fleet(600, 1000);
    fleet[520].id = fleet[3].id;
    auto r = vehicles.InsertMany(ctx, fleet);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kAlreadyExists);
    CHECK(Mentions(r.error(), "row 520:"));
    CHECK(CountOf(vehicles, ctx) == 1);
  }
  SECTION("the same key inside a transaction: the batch alone is undone") {
    auto fleet = Fleet(600, 1000);
    fleet[599].id = VehicleId(400);  // the last row, in the last chunk
    Result<void> batch;
    auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
      if (auto r = vehicles.Insert(t, Vehicle{"before", "B", 2, {}, ""}); !r) return r;
      batch = vehicles.InsertMany(t, fleet);
      if (auto r = vehicles.InsertMany(t, Fleet(2, 9000)); !r) return r;  // a good batch after
      return vehicles.Insert(t, Vehicle{"after", "A", 3, {}, ""});
    });
    REQUIRE(tx);
    REQUIRE_FALSE(batch);
    CHECK(batch.error().code == Errc::kAlreadyExists);
    CHECK(Mentions(batch.error(), "row 599:"));
    CHECK(CountOf(vehicles, ctx) == 5);  // existing, before, two of the good batch, after
    CHECK(vehicles.Get(ctx, "before"));
    CHECK(vehicles.Get(ctx, "after"));
    CHECK(vehicles.Get(ctx, VehicleId(9001)));
    CHECK(vehicles.Get(ctx, VehicleId(1000)).error().code == Errc::kNotFound);
  }
  SECTION("a good batch in a transaction that fails later is rolled back with it") {
    auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
      if (auto r = vehicles.InsertMany(t, Fleet(300, 2000)); !r) return r;
      return Fail(Errc::kConflict, "changed my mind");
    });
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == Errc::kConflict);
    CHECK(CountOf(vehicles, ctx) == 1);
  }
}

TEST_CASE("InsertMany failing in the first chunk of a long batch leaves the connection clean",
          "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants two(model);
  auto& [world, a, b, ctx_a, ctx_b, vehicles] = two;
  REQUIRE(vehicles.Insert(ctx_a, Vehicle{VehicleId(2), "existing", 1, {}, ""}));

  // Six chunks; the taken key is in the first, whose results are read only
  // after the second chunk has been sent (on PostgreSQL).
  auto fleet = Fleet(1300);
  auto r = vehicles.InsertMany(ctx_a, fleet);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kAlreadyExists);
  CHECK(Mentions(r.error(), "row 2:"));
  CHECK(CountOf(vehicles, ctx_a) == 1);
  CHECK(vehicles.Get(ctx_a, VehicleId(2))->plate == "existing");

  // The pooled connection that ran it serves the next batches, of either
  // tenant, each in its own namespace.
  REQUIRE(vehicles.InsertMany(ctx_b, fleet));
  CHECK(CountOf(vehicles, ctx_b) == 1300);
  CHECK(CountOf(vehicles, ctx_a) == 1);
  fleet.erase(fleet.begin() + 2);
  REQUIRE(vehicles.InsertMany(ctx_a, fleet));
  CHECK(CountOf(vehicles, ctx_a) == 1300);
  CHECK(vehicles.Get(ctx_a, VehicleId(2))->plate == "existing");
  CHECK(vehicles.Get(ctx_b, VehicleId(2))->plate == "P-2");
}

TEST_CASE("RepositoryCore::InsertMany binds the scope's tenant whatever a row's tenant slot holds",
          "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants two(model);
  auto& [world, a, b, ctx_a, ctx_b, vehicles] = two;
  detail::RepositoryCore core(world.store(), Vehicles().schema());

  // The engine's layout: a tenant slot, then id, plate, seats, note. The
  // slots name the other tenant, or hold a number (another parameter type).
  auto fleet = Fleet(300);
  std::vector<Param> rows;
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    rows.push_back(i % 2 ? Param(std::string_view(b.id.str())) : Param(std::int64_t{7}));
    rows.push_back(std::string_view(fleet[i].id));
    rows.push_back(std::string_view(fleet[i].plate));
    rows.push_back(fleet[i].seats);
    rows.push_back(fleet[i].note ? Param(std::string_view(*fleet[i].note)) : Param());
  }
  REQUIRE(core.InsertMany(ctx_a, rows));
  CHECK(CountOf(vehicles, ctx_a) == 300);
  CHECK(CountOf(vehicles, ctx_b) == 0);
  CHECK(vehicles.Get(ctx_a, VehicleId(1))->plate == "P-1");

  // A span that is not whole rows is refused, and writes nothing.
  std::vector<Param> ragged(rows.begin(), rows.begin() + 7);
  auto r = core.InsertMany(ctx_b, ragged);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInternal);
  CHECK(CountOf(vehicles, ctx_b) == 0);
}

TEST_CASE("InsertMany checks every row as Insert does, before writing any", "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto tenant = world.Provision("acme", model);
  auto ctx = world.Context(tenant);
  Repository<Vehicle> vehicles(world.store(), Vehicles());

  auto fleet = Fleet(300);
  SECTION("an oversized value") {
    fleet[9].plate.assign(65, 'x');
    auto single = vehicles.Insert(ctx, fleet[9]);
    auto r = vehicles.InsertMany(ctx, fleet);
    REQUIRE_FALSE(r);
    REQUIRE_FALSE(single);
    CHECK(r.error().code == single.error().code);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(Mentions(r.error(), "row 9:"));
  }
  SECTION("a NUL byte in text") {
    fleet[299].note = std::string("a\0b", 3);
    auto r = vehicles.InsertMany(ctx, fleet);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(Mentions(r.error(), "row 299:"));
  }
  CHECK(CountOf(vehicles, ctx) == 0);
}

TEST_CASE("InsertMany seals encrypted columns bound to each row", "[insert_many]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  struct Rider {
    std::string id;
    std::string name;                  // encrypted
    std::optional<std::string> phone;  // encrypted, nullable
    std::int64_t rating = 0;
    bool operator==(const Rider&) const = default;
  };
  static const Entity<Rider> riders_entity = Entity<Rider>("riders")
                                                 .Key("id", &Rider::id)
                                                 .Column("name", &Rider::name, {.encrypted = true})
                                                 .Column("phone", &Rider::phone, {.encrypted = true})
                                                 .Column("rating", &Rider::rating);
  Schema schema = FleetSchema();
  schema.migrations.push_back({3, "create riders",
                               "CREATE TABLE riders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                               "name BLOB NOT NULL, phone BLOB, rating INTEGER NOT NULL, "
                               "PRIMARY KEY (tenant_id, id));",
                               "CREATE TABLE riders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                               "name BYTEA NOT NULL, phone BYTEA, rating BIGINT NOT NULL, "
                               "PRIMARY KEY (tenant_id, id));"});
  TempDir keys_dir;
  const std::string key_file = (keys_dir.path() / "master.key").string();
  REQUIRE(WriteNewMasterKey(key_file, "m1"));
  auto keys = OpenKeyFile(key_file);
  REQUIRE(keys);
  ManualClock clock;
  auto keyring = Keyring::Open((keys_dir.path() / "keys.db").string(), **keys, clock);
  REQUIRE(keyring);
  FieldCipher cipher(**keyring);
  StoreOptions options;
  options.cipher = &cipher;
  FleetWorld world(options, schema);
  auto tenant = world.Provision("acme", model);
  REQUIRE((*keyring)->Create(tenant.id));
  auto ctx = world.Context(tenant);
  Repository<Rider> riders(world.store(), riders_entity);

  std::vector<Rider> batch;
  for (int i = 0; i < 300; ++i) {
    Rider r{"r" + std::to_string(i), "Name " + std::to_string(i), {}, i};
    if (i % 2) r.phone = "+49 30 " + std::to_string(1000 + i);
    batch.push_back(std::move(r));
  }
  REQUIRE(riders.InsertMany(ctx, batch));
  for (int i : {0, 1, 256, 299}) {
    auto got = riders.Get(ctx, "r" + std::to_string(i));
    REQUIRE(got);
    CHECK(*got == batch[static_cast<std::size_t>(i)]);
  }

  // What is stored is ciphertext, which opens only at its own row's address.
  std::vector<RawRow> raw;
  REQUIRE(world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    auto q = t.Query("SELECT id, name FROM riders WHERE tenant_id = :tenant_id AND id IN ('r1', 'r2')"
                     " ORDER BY id");
    if (!q) return q.error();
    raw = std::move(*q);
    return {};
  }));
  REQUIRE(raw.size() == 2);
  REQUIRE(std::holds_alternative<Blob>(raw[0][1]));
  const Blob& sealed = std::get<Blob>(raw[0][1]);
  const std::string plain = "Name 1";
  CHECK(std::search(sealed.begin(), sealed.end(), plain.begin(), plain.end()) == sealed.end());
  const Param own_key[] = {std::string_view("r1")};
  const Param other_key[] = {std::string_view("r2")};
  const Blob own = EncodeRowKey(own_key), other = EncodeRowKey(other_key);
  auto opened = cipher.Open({tenant.id.str(), "riders", "name", own}, sealed);
  REQUIRE(opened);
  CHECK(std::string(opened->begin(), opened->end()) == plain);
  auto moved = cipher.Open({tenant.id.str(), "riders", "name", other}, sealed);
  REQUIRE_FALSE(moved);
  CHECK(moved.error().code == Errc::kDataCorrupted);
}

TEST_CASE("InsertMany from two threads for two tenants at once", "[insert_many][concurrency]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto a = world.Provision("alpha", model);
  auto b = world.Provision("bravo", model);
  const TenantContext ctx[] = {world.Context(a), world.Context(b)};
  Repository<Vehicle> vehicles(world.store(), Vehicles());

  Result<void> outcome[2];
  std::latch start(2);
  {
    std::jthread threads[2];
    for (int t = 0; t < 2; ++t)
      threads[t] = std::jthread([&, t] {
        auto fleet = Fleet(700, static_cast<std::size_t>(t) * 100000);
        start.arrive_and_wait();
        outcome[t] = vehicles.InsertMany(ctx[t], fleet);
      });
  }
  for (int t = 0; t < 2; ++t) {
    CAPTURE(t);
    REQUIRE(outcome[t]);
    auto stored = All(vehicles, ctx[t]);
    REQUIRE(stored.size() == 700);
    auto expected = Fleet(700, static_cast<std::size_t>(t) * 100000);
    for (auto& v : expected) v.tenant_id = (t == 0 ? a : b).id.str();
    CHECK(stored == expected);
  }
}

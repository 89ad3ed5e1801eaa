// Schema migrations: validation of the Schema, the tenant_id rule, upgrade
// on open and on first use, per-tenant reports with a broken tenant, and
// databases newer than the program.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;
namespace fs = std::filesystem;

namespace {

struct VehicleV3 {
  std::string id;
  std::string plate;
  std::int64_t seats = 0;
  std::optional<std::string> note;
  std::optional<std::string> color;
};

const Entity<VehicleV3>& VehiclesV3() {
  static const Entity<VehicleV3> e = Entity<VehicleV3>("vehicles")
                                         .Key("id", &VehicleV3::id)
                                         .Column("plate", &VehicleV3::plate)
                                         .Column("seats", &VehicleV3::seats)
                                         .Column("note", &VehicleV3::note)
                                         .Column("color", &VehicleV3::color);
  return e;
}

Schema WithV3(std::string sql, std::string name = "v3") {
  Schema s = FleetSchema();
  s.migrations.push_back({3, std::move(name), std::move(sql)});
  return s;
}

Schema FleetV3() { return WithV3("ALTER TABLE vehicles ADD COLUMN color TEXT;", "vehicle colors"); }

// A store and directory whose schema can change between "restarts".
class MigrationWorld {
 public:
  MigrationWorld() { REQUIRE(Open(FleetSchema())); }
  ~MigrationWorld() { Close(); }

  Result<void> Open(Schema schema) {
    Close();
    auto store = Store::Open("sqlite://" + data().string(), std::move(schema));
    if (!store) return store.error();
    store_ = std::move(*store);
    DirectoryOptions o;
    o.path = (data() / "control.db").string();
    auto directory = Directory::Open(o, *store_);
    REQUIRE(directory);
    directory_ = std::move(*directory);
    return {};
  }
  void Close() {
    directory_.reset();
    store_.reset();
  }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    ProvisionRequest r;
    r.slug = slug;
    r.model = model;
    auto t = directory_->Provision(r);
    REQUIRE(t);
    return t->tenant;
  }
  TenantContext Context(const TenantId& id) {
    auto c = directory_->MintContext(id, Principal{"migrator", PrincipalKind::kSystem}, {}, "r");
    REQUIRE(c);
    return *c;
  }
  Tenant Current(const TenantId& id) { return **directory_->Get(id); }

  fs::path data() const { return dir_.path() / "data"; }
  fs::path DatabaseFile(const Tenant& t) const {
    switch (t.model) {
      case IsolationModel::kShared:
        return data() / "shared.db";
      case IsolationModel::kDatabase:
        return data() / "tenants" / (t.id.str() + ".db");
      case IsolationModel::kDedicated:
        return fs::path(t.placement) / "tenant.db";
    }
    return {};
  }

  Store& store() { return *store_; }
  Directory& directory() { return *directory_; }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Directory> directory_;
};

// Direct access to a database file, behind the library's back.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) {
    REQUIRE(fs::exists(path));
    REQUIRE(sqlite3_open_v2(path.string().c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) ==
            SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  int Version() {
    return static_cast<int>(Int("SELECT coalesce(max(version), 0) FROM tenancy_schema_version"));
  }
  bool HasTable(const std::string& name) {
    return Int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" + name +
               "'") == 1;
  }
  bool HasColumn(const std::string& table, const std::string& column) {
    return Int("SELECT count(*) FROM pragma_table_info('" + table + "') WHERE name = '" + column +
               "'") == 1;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

TEST_CASE("Store::Open refuses malformed schemas and creates nothing", "[migration][sqlite]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  auto make = [](std::vector<std::pair<int, std::string>> steps) {
    Schema s;
    for (auto& [v, sql] : steps) s.migrations.push_back({v, "m" + std::to_string(v), sql});
    return s;
  };
  const std::string ok =
      "CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id));";
  const std::string ok2 =
      "CREATE TABLE u (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id));";
  struct Case {
    const char* what;
    Schema schema;
  };
  const Case cases[] = {
      {"version 0", make({{0, ok}})},
      {"negative version", make({{-1, ok}})},
      {"version 0 after a good one", make({{1, ok}, {0, ok2}})},
      {"repeated version", make({{1, ok}, {1, ok2}})},
      {"decreasing versions", make({{2, ok}, {1, ok2}})},
      {"empty sql", make({{1, ""}})},
      {"empty sql later", make({{1, ok}, {2, ""}})},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto store = Store::Open("sqlite://" + data.string(), c.schema);
    REQUIRE_FALSE(store);
    CHECK(store.error().code == Errc::kInvalidArgument);
    CHECK_FALSE(fs::exists(data / "shared.db"));
  }
  // Gaps are fine: versions need only increase.
  auto gaps = Store::Open("sqlite://" + data.string(), make({{1, ok}, {5, ok2}}));
  REQUIRE(gaps);
}

TEST_CASE("a migration that breaks the tenant_id rule fails and leaves the version",
          "[migration][sqlite]") {
  MigrationWorld world;
  const Tenant shared = world.Provision("s", IsolationModel::kShared);
  const Tenant db = world.Provision("d", IsolationModel::kDatabase);
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  REQUIRE(vehicles.Insert(world.Context(shared.id), Vehicle{"v1", "P", 1, {}, ""}));
  REQUIRE(vehicles.Insert(world.Context(db.id), Vehicle{"v1", "P", 1, {}, ""}));
  world.Close();

  const char* bad[] = {
      "CREATE TABLE drivers (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);",
      "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (id, "
      "tenant_id));",
      "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL);",
      "CREATE TABLE drivers (tenant TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant, id));",
      "CREATE TABLE drivers (id TEXT NOT NULL, PRIMARY KEY (id));",
      "CREATE TABLE drivers (tenant_id TEXT, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id));",
      "CREATE TABLE drivers (tenant_id INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, "
      "id));",
      // The first statement is fine; the second breaks the rule: neither stays.
      "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, "
      "id));"
      "CREATE TABLE audit (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL);",
      // Rebuilding an existing table without the rule.
      "CREATE TABLE vehicles2 (id TEXT PRIMARY KEY, plate TEXT, seats INTEGER, note TEXT, "
      "tenant_id TEXT);"
      "DROP TABLE vehicles; ALTER TABLE vehicles2 RENAME TO vehicles;",
  };
  for (const char* sql : bad) {
    CAPTURE(sql);
    auto r = world.Open(WithV3(sql));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMigrationFailed);
    {
      RawDb raw(world.data() / "shared.db");
      CHECK(raw.Version() == 2);
      CHECK_FALSE(raw.HasTable("drivers"));
      CHECK_FALSE(raw.HasTable("audit"));
      CHECK_FALSE(raw.HasTable("vehicles2"));
      CHECK(raw.Int("SELECT count(*) FROM vehicles") == 1);
    }
  }
  // The old program still runs on the untouched databases.
  REQUIRE(world.Open(FleetSchema()));
  CHECK(*world.store().SchemaVersion(world.Current(shared.id)) == 2);
  CHECK(*world.store().SchemaVersion(world.Current(db.id)) == 2);
  Repository<Vehicle> again(world.store(), Vehicles());
  CHECK(again.Get(world.Context(shared.id), "v1"));
  CHECK(again.Get(world.Context(db.id), "v1"));
}

TEST_CASE(
    "an extended schema migrates the shared database on open and tenant databases on first use",
    "[migration][sqlite]") {
  MigrationWorld world;
  std::vector<Tenant> tenants = {world.Provision("s", IsolationModel::kShared),
                                 world.Provision("d1", IsolationModel::kDatabase),
                                 world.Provision("d2", IsolationModel::kDatabase),
                                 world.Provision("x", IsolationModel::kDedicated)};
  Repository<Vehicle> v2(world.store(), Vehicles());
  for (const auto& t : tenants) {
    REQUIRE(v2.Insert(world.Context(t.id), Vehicle{"old", "P-" + t.slug, 2, {}, ""}));
    CHECK(*world.store().SchemaVersion(t) == 2);
  }
  world.Close();

  REQUIRE(world.Open(FleetV3()));
  {
    RawDb shared(world.data() / "shared.db");
    CHECK(shared.Version() == 3);
    CHECK(shared.HasColumn("vehicles", "color"));
  }
  // Not yet used: the tenant databases are still at 2.
  for (std::size_t i = 1; i < tenants.size(); ++i) {
    CAPTURE(tenants[i].slug);
    RawDb raw(world.DatabaseFile(tenants[i]));
    CHECK(raw.Version() == 2);
    CHECK_FALSE(raw.HasColumn("vehicles", "color"));
  }
  // First use migrates, and the new column is usable at once.
  Repository<VehicleV3> v3(world.store(), VehiclesV3());
  for (const auto& t : tenants) {
    CAPTURE(t.slug);
    auto ctx = world.Context(t.id);
    auto old = v3.Get(ctx, "old");
    REQUIRE(old);
    CHECK(old->plate == "P-" + t.slug);
    CHECK_FALSE(old->color.has_value());
    REQUIRE(v3.Insert(ctx, VehicleV3{"new", "N", 4, {}, "red"}));
    CHECK(v3.Get(ctx, "new")->color == std::optional<std::string>("red"));
    CHECK(*world.store().SchemaVersion(world.Current(t.id)) == 3);
    RawDb raw(world.DatabaseFile(t));
    CHECK(raw.Version() == 3);
  }
  // A tenant reached only through SchemaVersion migrates too.
  world.Close();
  REQUIRE(world.Open(FleetV3()));
  CHECK(*world.store().SchemaVersion(world.Current(tenants[2].id)) == 3);

  SECTION("a later MigrateTenants has nothing left to do") {
    std::vector<Tenant> current;
    for (const auto& t : tenants) current.push_back(world.Current(t.id));
    const auto report = world.store().MigrateTenants(current);
    CHECK(report.ok());
    for (const auto& e : report.entries) {
      CAPTURE(e.tenant.str());
      CHECK(e.from_version == 3);
      CHECK(e.to_version == 3);
      CHECK_FALSE(e.error);
    }
  }
  SECTION("new tenants start at the latest version") {
    const Tenant fresh = world.Provision("fresh", IsolationModel::kDatabase);
    CHECK(*world.store().SchemaVersion(fresh) == 3);
    RawDb raw(world.DatabaseFile(fresh));
    CHECK(raw.HasColumn("vehicles", "color"));
  }
}

TEST_CASE("migrations may alter, index and backfill tables in every model", "[migration][sqlite]") {
  MigrationWorld world;
  std::vector<Tenant> tenants = {world.Provision("s1", IsolationModel::kShared),
                                 world.Provision("s2", IsolationModel::kShared),
                                 world.Provision("d", IsolationModel::kDatabase),
                                 world.Provision("x", IsolationModel::kDedicated)};
  {
    Repository<Vehicle> v2(world.store(), Vehicles());
    for (const auto& t : tenants)
      for (int i = 0; i < 3; ++i)
        REQUIRE(v2.Insert(world.Context(t.id),
                          Vehicle{"v" + std::to_string(i), "P-" + t.slug, i, {}, ""}));
  }
  world.Close();
  // Written the way an application writes migrations: unqualified names.
  REQUIRE(
      world.Open(WithV3("ALTER TABLE vehicles ADD COLUMN color TEXT;"
                        "UPDATE vehicles SET color = 'white' WHERE seats > 0;"
                        "CREATE INDEX vehicles_by_plate ON vehicles (tenant_id, plate);"
                        "DELETE FROM trips WHERE km < 0;",
                        "colors, backfilled")));
  Repository<VehicleV3> v3(world.store(), VehiclesV3());
  for (const auto& t : tenants) {
    CAPTURE(t.slug);
    auto ctx = world.Context(t.id);
    CHECK(*world.store().SchemaVersion(world.Current(t.id)) == 3);
    CHECK_FALSE(v3.Get(ctx, "v0")->color.has_value());
    CHECK(v3.Get(ctx, "v1")->color == std::optional<std::string>("white"));
    CHECK(v3.Get(ctx, "v2")->plate == "P-" + t.slug);
    CHECK(*v3.Count(ctx) == 3);
  }
  // Raw SQL in the shared model still sees only its tenant, new column included.
  auto ctx = world.Context(tenants[0].id);
  std::vector<RawRow> rows;
  REQUIRE(world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto q =
        tx.Query("SELECT id, color FROM vehicles WHERE tenant_id = :tenant_id OR 1=1 ORDER BY id");
    if (!q) return q.error();
    rows = std::move(*q);
    return {};
  }));
  REQUIRE(rows.size() == 3);
  CHECK(rows[1][1] == Value(std::string("white")));
}

TEST_CASE("MigrateTenants reports per tenant and isolates a broken one", "[migration][sqlite]") {
  MigrationWorld world;
  const Tenant s = world.Provision("s", IsolationModel::kShared);
  const Tenant d1 = world.Provision("d1", IsolationModel::kDatabase);
  const Tenant broken = world.Provision("broken", IsolationModel::kDatabase);
  const Tenant d2 = world.Provision("d2", IsolationModel::kDatabase);
  const Tenant x = world.Provision("x", IsolationModel::kDedicated);
  {
    Repository<Vehicle> vehicles(world.store(), Vehicles());
    for (const Tenant* t : {&s, &d1, &broken, &d2, &x})
      REQUIRE(vehicles.Insert(world.Context(t->id), Vehicle{"keep", "K-" + t->slug, 3, {}, ""}));
  }
  world.Close();

  // Sabotage one tenant: v3 will add a column it already has. v3 first
  // creates a table, so a half-applied migration would be visible.
  {
    RawDb raw(world.DatabaseFile(broken));
    raw.Exec("ALTER TABLE vehicles ADD COLUMN color TEXT");
  }
  const Schema v3 = WithV3(
      "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, "
      "id));"
      "ALTER TABLE vehicles ADD COLUMN color TEXT;",
      "drivers and colors");
  REQUIRE(world.Open(v3));

  std::vector<Tenant> all;
  for (const Tenant* t : {&s, &d1, &broken, &d2, &x}) all.push_back(world.Current(t->id));
  const MigrationReport report = world.store().MigrateTenants(all);
  CHECK_FALSE(report.ok());

  std::map<std::string, const MigrationReport::Entry*> by_tenant;
  for (const auto& e : report.entries) {
    CHECK(by_tenant.count(e.tenant.str()) == 0);
    by_tenant[e.tenant.str()] = &e;
  }
  // One entry for the shared database (empty id), one per database or
  // dedicated tenant; shared-model tenants live in the shared database.
  CHECK(by_tenant.size() == 5);
  CHECK(by_tenant.count(s.id.str()) == 0);
  REQUIRE(by_tenant.count("") == 1);
  CHECK(by_tenant[""]->to_version == 3);
  CHECK_FALSE(by_tenant[""]->error);

  for (const Tenant* t : {&d1, &d2, &x}) {
    CAPTURE(t->slug);
    REQUIRE(by_tenant.count(t->id.str()) == 1);
    const auto& e = *by_tenant[t->id.str()];
    CHECK(e.from_version == 2);
    CHECK(e.to_version == 3);
    CHECK_FALSE(e.error);
    RawDb raw(world.DatabaseFile(*t));
    CHECK(raw.Version() == 3);
    CHECK(raw.HasTable("drivers"));
  }
  REQUIRE(by_tenant.count(broken.id.str()) == 1);
  const auto& bad = *by_tenant[broken.id.str()];
  CHECK(bad.from_version == 2);
  CHECK(bad.to_version == 2);
  REQUIRE(bad.error);
  CHECK(bad.error->code == Errc::kMigrationFailed);
  {
    RawDb raw(world.DatabaseFile(broken));
    CHECK(raw.Version() == 2);
    CHECK_FALSE(raw.HasTable("drivers"));  // rolled back as a whole
    CHECK(raw.Int("SELECT count(*) FROM vehicles") == 1);
  }

  // The healthy tenants work; the broken one fails loudly rather than run
  // on a schema the program does not expect.
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  for (const Tenant* t : {&s, &d1, &d2, &x}) {
    CAPTURE(t->slug);
    auto got = vehicles.Get(world.Context(t->id), "keep");
    REQUIRE(got);
    CHECK(got->plate == "K-" + t->slug);
  }
  auto refused = vehicles.Get(world.Context(broken.id), "keep");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kMigrationFailed);
  auto version = world.store().SchemaVersion(world.Current(broken.id));
  CHECK_FALSE(version);

  // Repair the tenant; the next pass brings it up with its data intact.
  world.Close();
  {
    RawDb raw(world.DatabaseFile(broken));
    raw.Exec("ALTER TABLE vehicles DROP COLUMN color");
  }
  REQUIRE(world.Open(v3));
  const auto second = world.store().MigrateTenants(std::vector<Tenant>{world.Current(broken.id)});
  CHECK(second.ok());
  REQUIRE(second.entries.size() == 2);
  CHECK(second.entries.back().tenant == broken.id);
  CHECK(second.entries.back().from_version == 2);
  CHECK(second.entries.back().to_version == 3);
  Repository<Vehicle> after_repair(world.store(), Vehicles());
  auto repaired = after_repair.Get(world.Context(broken.id), "keep");
  REQUIRE(repaired);
  CHECK(repaired->plate == "K-broken");
}

TEST_CASE("first use of an old tenant database from many threads migrates it once",
          "[migration][concurrency][sqlite]") {
  MigrationWorld world;
  std::vector<TenantId> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(world
                      .Provision("d" + std::to_string(i),
                                 i % 2 ? IsolationModel::kDatabase : IsolationModel::kDedicated)
                      .id);
  {
    Repository<Vehicle> v2(world.store(), Vehicles());
    for (const auto& id : ids)
      REQUIRE(v2.Insert(world.Context(id), Vehicle{"old", "P", 1, {}, ""}));
  }
  world.Close();
  REQUIRE(
      world.Open(WithV3("CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY "
                        "KEY (tenant_id, id));"
                        "ALTER TABLE vehicles ADD COLUMN color TEXT;",
                        "drivers and colors")));
  Repository<VehicleV3> v3(world.store(), VehiclesV3());
  std::vector<TenantContext> ctx;
  for (const auto& id : ids) ctx.push_back(world.Context(id));

  // Every tenant is first touched by 4 threads at once.
  constexpr int kThreads = 4;
  std::atomic<int> arrived{0};
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (std::size_t i = 0; i < ctx.size(); ++i) {
        // A crude barrier per tenant, so the first uses really overlap.
        arrived.fetch_add(1);
        while (arrived.load() < static_cast<int>((i + 1) * kThreads)) std::this_thread::yield();
        auto r = v3.Get(ctx[i], "old");
        if (!r) {
          ++failures;
          std::lock_guard lock(mu);
          errors.push_back(r.error().ToString());
        }
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) UNSCOPED_INFO(e);
  CHECK(failures == 0);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(*world.store().SchemaVersion(world.Current(ids[i])) == 3);
    RawDb raw(world.DatabaseFile(world.Current(ids[i])));
    CHECK(raw.Int("SELECT count(*) FROM tenancy_schema_version WHERE version = 3") == 1);
  }
}

TEST_CASE("a database newer than the program is an error, never a downgrade",
          "[migration][sqlite]") {
  MigrationWorld world;
  REQUIRE(world.Open(FleetV3()));
  const Tenant s = world.Provision("s", IsolationModel::kShared);
  const Tenant d = world.Provision("d", IsolationModel::kDatabase);
  world.Close();

  SECTION("the shared database") {
    auto r = world.Open(FleetSchema());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMigrationFailed);
    RawDb raw(world.data() / "shared.db");
    CHECK(raw.Version() == 3);
    CHECK(raw.HasColumn("vehicles", "color"));
  }
  SECTION("a tenant database") {
    // Only the tenant's file is ahead: roll the shared database back by hand.
    {
      RawDb raw(world.data() / "shared.db");
      raw.Exec("DELETE FROM tenancy_schema_version WHERE version = 3");
      raw.Exec("ALTER TABLE vehicles DROP COLUMN color");
    }
    REQUIRE(world.Open(FleetSchema()));
    Repository<Vehicle> vehicles(world.store(), Vehicles());
    CHECK(vehicles.Count(world.Context(s.id)));
    auto r = vehicles.Count(world.Context(d.id));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMigrationFailed);
    CHECK_FALSE(world.store().SchemaVersion(world.Current(d.id)));

    const auto report = world.store().MigrateTenants(std::vector<Tenant>{world.Current(d.id)});
    CHECK_FALSE(report.ok());
    REQUIRE(report.entries.size() == 2);
    const auto& e = report.entries.back();
    CHECK(e.tenant == d.id);
    CHECK(e.from_version == 3);
    CHECK(e.to_version == 3);
    REQUIRE(e.error);
    CHECK(e.error->code == Errc::kMigrationFailed);
    RawDb raw(world.DatabaseFile(world.Current(d.id)));
    CHECK(raw.Version() == 3);
    CHECK(raw.HasColumn("vehicles", "color"));
  }
}

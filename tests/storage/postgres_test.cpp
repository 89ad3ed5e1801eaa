// PostgreSQL-only guarantees: Row-Level Security as a second wall, the
// roles, schema-per-tenant and placement across two servers, connection
// loss, pool bounds and per-tenant migration reports.
#include <libpq-fe.h>

#include <atomic>
#include <latch>
#include <thread>

#include "storage/postgres/pg_store.hpp"
#include "support/fleet_fixture.hpp"
#include "support/psql.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

void SeedVehicles(FleetWorld& w, const TenantContext& ctx, const std::string& prefix, int n) {
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  for (int i = 0; i < n; ++i)
    REQUIRE(vehicles.Insert(ctx, Vehicle{prefix + std::to_string(i), "P", 4, {}, ""}));
}

}  // namespace

TEST_CASE("RLS alone confines an unscoped statement in the shared model", "[postgres][rls]") {
  FleetWorld w;
  auto a = w.Provision("alpha", IsolationModel::kShared);
  auto b = w.Provision("bravo", IsolationModel::kShared);
  SeedVehicles(w, w.Context(a), "a", 5);
  SeedVehicles(w, w.Context(b), "b", 3);

  Psql app(w.pg()->Url());  // the serving role, bypassing the library entirely
  const std::string as_b = "SET LOCAL app.tenant_id = '" + b.id.str() + "'; ";

  SECTION("no tenant set: nothing is visible and nothing can be written") {
    CHECK(app.Scalar("SELECT count(*) FROM tenancy_shared.vehicles") == "0");
    CHECK_FALSE(app.Query("INSERT INTO tenancy_shared.vehicles VALUES ('" + a.id.str() +
                          "', 'x', 'P', 1, NULL)"));
    CHECK_THAT(app.last_error(), Catch::Contains("row-level security"));
  }
  SECTION("tenant B set: a statement with no predicate sees and changes only B") {
    REQUIRE(app.Query("BEGIN"));
    REQUIRE(app.Query(as_b));
    CHECK(app.Scalar("SELECT count(*) FROM tenancy_shared.vehicles") == "3");
    CHECK(app.Scalar("SELECT count(*) FROM tenancy_shared.vehicles WHERE tenant_id = '" +
                     a.id.str() + "'") == "0");
    auto updated = app.Query("UPDATE tenancy_shared.vehicles SET seats = 99 RETURNING tenant_id");
    REQUIRE(updated);
    CHECK(updated->size() == 3);
    for (const auto& t : *updated) CHECK(t == b.id.str());
    auto deleted = app.Query("DELETE FROM tenancy_shared.vehicles RETURNING tenant_id");
    REQUIRE(deleted);
    CHECK(deleted->size() == 3);
    CHECK_FALSE(app.Query("INSERT INTO tenancy_shared.vehicles VALUES ('" + a.id.str() +
                          "', 'planted', 'P', 1, NULL)"));
    CHECK_THAT(app.last_error(), Catch::Contains("row-level security"));
    REQUIRE(app.Query("ROLLBACK"));
  }
  SECTION("the serving role cannot move itself to another tenant") {
    REQUIRE(app.Query("BEGIN"));
    REQUIRE(app.Query(as_b));
    CHECK_FALSE(app.Query("SELECT set_config('app.tenant_id', '" + a.id.str() + "', true)"));
    CHECK_THAT(app.last_error(), Catch::Contains("permission denied"));
    REQUIRE(app.Query("ROLLBACK"));
  }
  // A's rows are untouched whatever happened above.
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  auto a_ctx = w.Context(a);
  CHECK(*vehicles.Count(a_ctx) == 5);
  for (int i = 0; i < 5; ++i) CHECK(vehicles.Get(a_ctx, "a" + std::to_string(i))->seats == 4);
}

TEST_CASE("every tenant table is under forced RLS and the serving role owns nothing",
          "[postgres][rls]") {
  FleetWorld w;
  auto d = w.Provision("delta", IsolationModel::kDatabase);
  Psql owner(w.pg()->AdminUrl());
  for (const std::string& schema : {std::string("tenancy_shared"), pg::TenantSchemaName(d.id)}) {
    CAPTURE(schema);
    auto unprotected = owner.Query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = '" + schema + "' AND c.relkind = 'r' AND c.relname NOT LIKE 'tenancy\\_%' "
        "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)");
    REQUIRE(unprotected);
    CHECK(unprotected->empty());
    CHECK(owner.Scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE n.nspname = '" + schema +
                       "' AND c.relname IN ('vehicles', 'trips')") == "2");
  }
  CHECK(owner.Scalar("SELECT count(*) FROM pg_class WHERE relowner = 'tenancy_app'::regrole") == "0");
  CHECK(owner.Scalar("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'tenancy_app'") == "f");

  Psql app(w.pg()->Url());
  CHECK_FALSE(app.Query("SELECT * FROM tenancy_shared.tenancy_schema_version"));
  CHECK_FALSE(app.Query("CREATE TABLE tenancy_shared.evil (tenant_id text primary key)"));
  CHECK_FALSE(app.Query("ALTER TABLE tenancy_shared.vehicles DISABLE ROW LEVEL SECURITY"));
  CHECK_FALSE(app.Query("CREATE TEMP TABLE copied AS SELECT 1 AS x"));
  CHECK_FALSE(app.Query("CREATE SCHEMA mine"));
}

TEST_CASE("a store refuses a serving role that bypasses RLS", "[postgres][rls]") {
  PgDatabase db("TENANCY_TEST_PG_HOSTPORT");
  StoreOptions options;
  options.admin_url = db.AdminUrl();
  auto store = Store::Open(db.Url("postgres"), FleetSchema(), options);
  REQUIRE_FALSE(store);
  CHECK(store.error().code == Errc::kInvalidArgument);
  CHECK_THAT(store.error().message, Catch::Contains("bypasses row-level security"));
}

TEST_CASE("database model: one schema per tenant, created, migrated and dropped",
          "[postgres][schema]") {
  FleetWorld w;
  auto d = w.Provision("delta", IsolationModel::kDatabase);
  Psql owner(w.pg()->AdminUrl());
  CHECK(owner.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + pg::TenantSchemaName(d.id) + "'") == "1");
  CHECK(*w.store().SchemaVersion(d) == FleetSchema().latest_version());
  SeedVehicles(w, w.Context(d), "d", 2);
  CHECK(owner.Scalar("SELECT count(*) FROM \"" + pg::TenantSchemaName(d.id) + "\".vehicles") == "2");
  CHECK(owner.Scalar("SELECT count(*) FROM tenancy_shared.vehicles") == "0");
  REQUIRE(w.directory().Offboard(d.id, "test"));
  CHECK(owner.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + pg::TenantSchemaName(d.id) + "'") == "0");
}

TEST_CASE("dedicated model: the tenant lives on its own server", "[postgres][placement]") {
  FleetWorld w;
  auto e = w.Provision("echo", IsolationModel::kDedicated);
  CHECK(e.placement == w.pg2()->Url());
  SeedVehicles(w, w.Context(e), "e", 4);
  Psql first(w.pg()->AdminUrl());
  Psql second(w.pg2()->AdminUrl());
  CHECK(first.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + pg::TenantSchemaName(e.id) + "'") == "0");
  CHECK(second.Scalar("SELECT count(*) FROM \"" + pg::TenantSchemaName(e.id) + "\".vehicles") == "4");
  CHECK(second.Scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = '" + pg::TenantSchemaName(e.id) +
                      "' AND c.relforcerowsecurity") == "2");
  w.Reopen();  // the placement comes back from the directory's catalog
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  CHECK(*vehicles.Count(w.Context(e)) == 4);
  REQUIRE(w.directory().Offboard(e.id, "test"));
  CHECK(second.Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + pg::TenantSchemaName(e.id) + "'") == "0");
}

TEST_CASE("connection loss gives a typed error, no partial write, and recovery",
          "[postgres][failure]") {
  FleetWorld w;
  auto a = w.Provision("alpha", GENERATE(IsolationModel::kShared, IsolationModel::kDatabase));
  auto ctx = w.Context(a);
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v0", "P", 4, {}, ""}));
  const std::string kill =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tenancy_app' "
      "AND datname = '" + w.pg()->name() + "'";

  // Killed between the two writes of one transaction: neither survives.
  auto tx = w.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    if (auto r = vehicles.Insert(t, Vehicle{"v1", "P", 4, {}, ""}); !r) return r;
    PgSuperExec(w.pg()->hostport(), w.pg()->name(), kill);
    return vehicles.Insert(t, Vehicle{"v2", "P", 4, {}, ""});
  });
  REQUIRE_FALSE(tx);
  CHECK(tx.error().code == Errc::kUnavailable);

  // Idle pooled connections were killed too: the first use may fail typed,
  // and the store recovers with fresh connections.
  PgSuperExec(w.pg()->hostport(), w.pg()->name(), kill);
  Result<std::int64_t> count = Fail(Errc::kInternal, "not run");
  for (int attempt = 0; attempt < 3 && !count; ++attempt) {
    count = vehicles.Count(ctx);
    if (!count) CHECK(count.error().code == Errc::kUnavailable);
  }
  REQUIRE(count);
  CHECK(*count == 1);
  CHECK(vehicles.Get(ctx, "v1").error().code == Errc::kNotFound);
  CHECK(vehicles.Get(ctx, "v2").error().code == Errc::kNotFound);
}

TEST_CASE("constraint violations roll back the whole unit of work", "[postgres][failure]") {
  FleetWorld w;
  auto ctx = w.Context(w.Provision("alpha", IsolationModel::kShared));
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v0", "P", 4, {}, ""}));
  auto tx = w.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    if (auto r = vehicles.Insert(t, Vehicle{"v1", "P", 4, {}, ""}); !r) return r;
    return vehicles.Insert(t, Vehicle{"v0", "dup", 4, {}, ""});
  });
  REQUIRE_FALSE(tx);
  CHECK(tx.error().code == Errc::kAlreadyExists);
  CHECK(*vehicles.Count(ctx) == 1);
  CHECK(vehicles.Get(ctx, "v0")->plate == "P");
}

TEST_CASE("the connection pool is bounded and says so", "[postgres][pool]") {
  StoreOptions options;
  options.max_connections = 2;
  options.busy_timeout = std::chrono::milliseconds(300);
  FleetWorld w(options);
  auto ctx = w.Context(w.Provision("alpha", IsolationModel::kShared));
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  std::latch holding(2), release(1);
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&, i] {
      auto r = w.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
        auto ins = vehicles.Insert(t, Vehicle{"h" + std::to_string(i), "P", 4, {}, ""});
        holding.count_down();
        release.wait();
        return ins;
      });
      CHECK(r);
    });
  }
  holding.wait();
  auto starved = vehicles.Count(ctx);
  release.count_down();
  for (auto& t : holders) t.join();
  REQUIRE_FALSE(starved);
  CHECK(starved.error().code == Errc::kUnavailable);
  CHECK(*vehicles.Count(ctx) == 2);
}

TEST_CASE("one pooled connection alternates tenants without carrying a binding over",
          "[postgres][pool][isolation]") {
  // The session keeps the last tenant's binding between statements (D39):
  // with a single connection every lease reuses it, so each statement below
  // runs right after another tenant's, and failed statements (which roll
  // the session's settings back) are mixed in.
  StoreOptions options;
  options.max_connections = 1;
  FleetWorld w(options);
  const auto model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
  auto a = w.Context(w.Provision("alpha", model));
  auto b = w.Context(w.Provision("bravo", IsolationModel::kShared));
  auto c = w.Context(w.Provision("charlie", IsolationModel::kDatabase));
  Repository<Vehicle> vehicles(w.store(), Vehicles());
  const TenantContext* order[] = {&a, &b, &a, &c, &b, &c, &a};
  int round = 0;
  for (const TenantContext* ctx : order) {
    const std::string id = "v" + std::to_string(round++);
    REQUIRE(vehicles.Insert(*ctx, Vehicle{id, ctx->tenant_id().str(), 4, {}, ""}));
    // A failed auto-committed statement: the duplicate is refused typed.
    auto dup = vehicles.Insert(*ctx, Vehicle{id, "dup", 4, {}, ""});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == Errc::kAlreadyExists);
  }
  for (const TenantContext* ctx : {&a, &b, &c, &b, &a}) {
    auto all = vehicles.List(*ctx, {});
    REQUIRE(all);
    for (const Vehicle& v : all->items) CHECK(v.plate == ctx->tenant_id().str());
  }
  CHECK(*vehicles.Count(a) == 3);
  CHECK(*vehicles.Count(b) == 2);
  CHECK(*vehicles.Count(c) == 2);
  CHECK(vehicles.Get(b, "v0").error().code == Errc::kNotFound);  // a's
  CHECK(vehicles.Get(a, "v1").error().code == Errc::kNotFound);  // b's
  CHECK(vehicles.Get(c, "v2").error().code == Errc::kNotFound);  // a's
  CHECK(vehicles.Get(a, "v3").error().code == Errc::kNotFound);  // c's
}

TEST_CASE("the store URL chooses how the tenant is bound; a bad choice is refused",
          "[postgres][pool]") {
  PgDatabase db("TENANCY_TEST_PG_HOSTPORT");
  StoreOptions options;
  options.admin_url = db.AdminUrl();
  auto bad = Store::Open(db.Url() + "?tenancy_binding=connection", FleetSchema(), options);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
  CHECK_THAT(bad.error().message, Catch::Contains("tenancy_binding"));
  // libpq's own parameters around ours still reach libpq.
  auto store = Store::Open(
      db.Url() + "?connect_timeout=5&tenancy_binding=transaction&application_name=tenancy_test",
      FleetSchema(), options);
  REQUIRE(store);
  Psql owner(db.AdminUrl());
  CHECK(owner.Scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                     "'tenancy_test'") != "0");
}

TEST_CASE("migrations run per schema and report per-tenant failures", "[postgres][migration]") {
  FleetWorld w;
  std::vector<Tenant> tenants;
  for (int i = 0; i < 3; ++i)
    tenants.push_back(w.Provision("db" + std::to_string(i), IsolationModel::kDatabase));
  // Sabotage one tenant's schema: a table the next migration wants to create.
  Psql owner(w.pg()->AdminUrl());
  REQUIRE(owner.Query("CREATE TABLE \"" + pg::TenantSchemaName(tenants[1].id) +
                      "\".drivers (tenant_id text, x int, PRIMARY KEY (tenant_id, x))"));
  Schema v3 = FleetSchema();
  v3.migrations.push_back({3, "create drivers",
                           "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                           "PRIMARY KEY (tenant_id, id));"});
  w.Reopen(v3);
  CHECK(owner.Scalar("SELECT max(version) FROM tenancy_shared.tenancy_schema_version") == "3");
  auto report = w.store().MigrateTenants(tenants);
  REQUIRE(report.entries.size() == 4);  // shared + three tenants
  CHECK_FALSE(report.ok());
  for (const auto& e : report.entries) {
    CAPTURE(e.tenant.str());
    if (e.tenant == tenants[1].id) {
      REQUIRE(e.error);
      CHECK(e.error->code == Errc::kMigrationFailed);
      CHECK(e.to_version == 2);
    } else {
      CHECK_FALSE(e.error);
      CHECK(e.to_version == 3);
    }
  }
  CHECK(*w.store().SchemaVersion(tenants[1]) == 2);
  CHECK(*w.store().SchemaVersion(tenants[2]) == 3);
}

TEST_CASE("a failing migration is named, and the ones before it stay applied",
          "[postgres][migration]") {
  FleetWorld w;
  auto t = w.Provision("rulebreaker", IsolationModel::kDatabase);
  Psql owner(w.pg()->AdminUrl());
  const std::string schema = pg::TenantSchemaName(t.id);
  Schema next = FleetSchema();
  const int base = next.latest_version();
  next.migrations.push_back({base + 1, "add notes",
                             "ALTER TABLE vehicles ADD COLUMN notes TEXT -- a trailing comment"});
  auto notes_column = [&] {
    return owner.Scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" +
                        schema + "' AND table_name = 'vehicles' AND column_name = 'notes'");
  };
  std::vector<Tenant> fleet{t};

  SECTION("the second of two pending migrations fails in this tenant only") {
    REQUIRE(owner.Query("CREATE TABLE \"" + schema +
                        "\".drivers (tenant_id TEXT, id TEXT, PRIMARY KEY (tenant_id, id))"));
    next.migrations.push_back({base + 2, "drivers",
                               "CREATE TABLE drivers (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                               "PRIMARY KEY (tenant_id, id))"});
    w.Reopen(next);  // the shared schema takes both
    auto report = w.store().MigrateTenants(fleet);
    const auto& entry = report.entries.back();
    REQUIRE(entry.tenant == t.id);
    REQUIRE(entry.error);
    CHECK(entry.error->code == Errc::kMigrationFailed);
    CHECK_THAT(entry.error->message, Catch::StartsWith("migration " + std::to_string(base + 2) + " (drivers) failed"));
    CHECK(entry.to_version == base + 1);
    CHECK(*w.store().SchemaVersion(t) == base + 1);
    CHECK(notes_column() == "1");
    CHECK(owner.Scalar("SELECT max(version) FROM tenancy_shared.tenancy_schema_version") ==
          std::to_string(base + 2));
  }
  SECTION("a table without tenant_id first in its key fails the migration that finds it") {
    REQUIRE(owner.Query("CREATE TABLE \"" + schema + "\".lookups (code TEXT PRIMARY KEY, tenant_id TEXT)"));
    w.Reopen(next);
    auto report = w.store().MigrateTenants(fleet);
    const auto& entry = report.entries.back();
    REQUIRE(entry.error);
    CHECK_THAT(entry.error->message, Catch::Contains("migration " + std::to_string(base + 1) + " (add notes)") &&
                                         Catch::Contains("table 'lookups' must have tenant_id first"));
    CHECK(entry.to_version == base);
    CHECK(notes_column() == "0");
  }
}

TEST_CASE("tables a migration recreates or unprotects get their walls back",
          "[postgres][migration][rls]") {
  FleetWorld w;
  auto a = w.Provision("walls-a", IsolationModel::kShared);
  auto b = w.Provision("walls-b", IsolationModel::kShared);
  auto d = w.Provision("walls-d", IsolationModel::kDatabase);
  SeedVehicles(w, w.Context(a), "a", 2);
  SeedVehicles(w, w.Context(b), "b", 2);
  Schema next = FleetSchema();
  const int base = next.latest_version();
  next.migrations.push_back({base + 1, "unprotect vehicles",
                             "ALTER TABLE vehicles NO FORCE ROW LEVEL SECURITY;"
                             "ALTER TABLE vehicles DISABLE ROW LEVEL SECURITY;"
                             "DROP POLICY tenancy_tenant_isolation ON vehicles"});
  next.migrations.push_back({base + 2, "recreate zones",
                             "CREATE TABLE zones (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                             "PRIMARY KEY (tenant_id, id))"});
  w.Reopen(next);
  std::vector<Tenant> fleet{a, b, d};
  auto report = w.store().MigrateTenants(fleet);
  for (const auto& e : report.entries) {
    CAPTURE(e.tenant.str(), e.error ? e.error->message : std::string());
    CHECK_FALSE(e.error);
  }
  Psql owner(w.pg()->AdminUrl());
  for (const std::string& schema : {std::string("tenancy_shared"), pg::TenantSchemaName(d.id)}) {
    CAPTURE(schema);
    for (const char* table : {"vehicles", "zones"}) {
      CAPTURE(table);
      CHECK(owner.Scalar("SELECT (c.relrowsecurity AND c.relforcerowsecurity)::text FROM pg_class c "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + schema +
                         "' AND c.relname = '" + std::string(table) + "'") == "true");
      CHECK(owner.Scalar("SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + schema +
                         "' AND c.relname = '" + std::string(table) + "' AND p.polname = 'tenancy_tenant_isolation'") == "1");
    }
  }
  // And the wall holds: the serving role, B's tenant set, sees only B.
  Psql app(w.pg()->Url());
  REQUIRE(app.Query("BEGIN"));
  REQUIRE(app.Query("SET LOCAL app.tenant_id = '" + b.id.str() + "'"));
  CHECK(app.Scalar("SELECT count(*) FROM tenancy_shared.vehicles") == "2");
  CHECK(app.Scalar("SELECT count(*) FROM tenancy_shared.vehicles WHERE tenant_id <> '" + b.id.str() + "'") == "0");
  REQUIRE(app.Query("ROLLBACK"));
}

namespace {

std::vector<Vehicle> Vehicles1000() {
  std::vector<Vehicle> out;
  for (int i = 0; i < 1000; ++i) out.push_back(Vehicle{"b" + std::to_string(i), "P", 4, {}, ""});
  return out;
}

}  // namespace

TEST_CASE("InsertMany on a lost PostgreSQL connection fails typed, half of nothing",
          "[insert_many][postgres]") {
  FleetWorld world;
  auto tenant = world.Provision("alpha", GENERATE(IsolationModel::kShared, IsolationModel::kDatabase));
  auto ctx = world.Context(tenant);
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v0", "P", 4, {}, ""}));
  const std::string kill =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tenancy_app' "
      "AND datname = '" + world.pg()->name() + "'";

  // Killed between a write and the batch of one transaction: nothing stays.
  Result<void> batch;
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    if (auto r = vehicles.Insert(t, Vehicle{"v1", "P", 4, {}, ""}); !r) return r;
    PgSuperExec(world.pg()->hostport(), world.pg()->name(), kill);
    batch = vehicles.InsertMany(t, Vehicles1000());
    return batch;
  });
  REQUIRE_FALSE(tx);
  REQUIRE_FALSE(batch);
  CHECK(batch.error().code == Errc::kUnavailable);

  // An auto-committed batch on a pooled connection killed while idle: it
  // fails typed or (on a fresh connection) succeeds, never half-written.
  PgSuperExec(world.pg()->hostport(), world.pg()->name(), kill);
  Result<void> done = Fail(Errc::kInternal, "not run");
  for (int attempt = 0; attempt < 3 && !done; ++attempt) {
    done = vehicles.InsertMany(ctx, Vehicles1000());
    if (!done) {
      CHECK(done.error().code == Errc::kUnavailable);
      auto n = vehicles.Count(ctx);
      if (n) CHECK(*n == 1);
    }
  }
  REQUIRE(done);
  CHECK(vehicles.Count(ctx).value() == 1001);
  CHECK(vehicles.Get(ctx, "v1").error().code == Errc::kNotFound);
}

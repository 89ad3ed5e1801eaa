// The confined raw-SQL path when used as intended: owned, typed results;
// row counts of writes; parameter binding and its errors; and the
// :tenant_id scanner.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "support/fleet_fixture.hpp"
#include "tenancy/transaction.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

// SQLite-only behaviour (its functions, conflict clauses and error texts).
bool OnSqlite(const Store& store) { return store.engine() == "sqlite"; }

bool RawWritesRefused(IsolationModel model, const Store& store) {
  return model == IsolationModel::kShared && store.engine() == "sqlite";
}

Result<std::vector<RawRow>> Query(FleetWorld& world, const TenantContext& ctx, std::string_view sql,
                                  std::vector<Param> params = {}) {
  Result<std::vector<RawRow>> out = Fail(Errc::kInternal, "not run");
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    out = t.Query(sql, params);
    return {};
  });
  REQUIRE(tx);
  return out;
}

Result<std::int64_t> Execute(FleetWorld& world, const TenantContext& ctx, std::string_view sql,
                             std::vector<Param> params = {}) {
  Result<std::int64_t> out = Fail(Errc::kInternal, "not run");
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    out = t.Execute(sql, params);
    return {};
  });
  REQUIRE(tx);
  return out;
}

}  // namespace

TEST_CASE("raw queries return owned values of the right type", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  Repository<Trip> trips(world.store(), Trips());
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v1", "P-1", 4, std::nullopt, ""}));
  REQUIRE(vehicles.Insert(ctx, Vehicle{"v2", "", 7, std::string("roof rack"), ""}));
  REQUIRE(trips.Insert(ctx, Trip{"d1", 1, 12.25, Blob{0, 1, 2, 255}}));
  REQUIRE(trips.Insert(ctx, Trip{"d1", 2, -0.5, Blob{}}));

  std::vector<RawRow> rows;
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    auto q = t.Query(
        "SELECT v.id, v.seats, v.plate, v.note, t.km, t.payload, v.tenant_id "
        "FROM vehicles v JOIN trips t ON t.seq = CASE v.id WHEN 'v1' THEN 1 ELSE 2 END "
        "WHERE v.tenant_id = :tenant_id ORDER BY v.id");
    if (!q) return q.error();
    rows = std::move(*q);
    return {};
  });
  REQUIRE(tx);
  // The rows outlive the transaction and its connection.
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].size() == 7);
  CHECK(std::get<std::string>(rows[0][0]) == "v1");
  CHECK(std::get<std::int64_t>(rows[0][1]) == 4);
  CHECK(std::get<std::string>(rows[0][2]) == "P-1");
  CHECK(std::holds_alternative<std::monostate>(rows[0][3]));
  CHECK(std::get<double>(rows[0][4]) == 12.25);
  CHECK(std::get<Blob>(rows[0][5]) == Blob{0, 1, 2, 255});
  CHECK(std::get<std::string>(rows[0][6]) == ctx.tenant_id().str());

  CHECK(std::get<std::string>(rows[1][0]) == "v2");
  CHECK(std::get<std::int64_t>(rows[1][1]) == 7);
  // An empty string is text, not NULL; an empty blob is a blob.
  REQUIRE(std::holds_alternative<std::string>(rows[1][2]));
  CHECK(std::get<std::string>(rows[1][2]).empty());
  CHECK(std::get<std::string>(rows[1][3]) == "roof rack");
  CHECK(std::get<double>(rows[1][4]) == -0.5);
  REQUIRE(std::holds_alternative<Blob>(rows[1][5]));
  CHECK(std::get<Blob>(rows[1][5]).empty());

  SECTION("no rows is an empty result, not an error") {
    auto none =
        Query(world, ctx, "SELECT id FROM vehicles WHERE tenant_id = :tenant_id AND id = 'zz'");
    REQUIRE(none);
    CHECK(none->empty());
  }
}

TEST_CASE("raw parameters bind every value type exactly", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));

  const std::string with_nul("a\0b", 3);
  const std::string utf8 = "Caf\xc3\xa9 \xe2\x82\xac";
  const Blob bytes{0, 0, 7, 0};
  const std::vector<Param> params = {
      std::int64_t{42},
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
      0.1,
      -1e300,
      std::string_view(utf8),
      std::string_view("a b"),
      std::string_view(),
      BlobView(bytes),
      std::monostate{},
  };
  auto r = Query(world, ctx, "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, :tenant_id, :tenant_id", params);
  REQUIRE(r);
  REQUIRE(r->size() == 1);
  const RawRow& row = (*r)[0];
  REQUIRE(row.size() == 12);
  CHECK(std::get<std::int64_t>(row[0]) == 42);
  CHECK(std::get<std::int64_t>(row[1]) == std::numeric_limits<std::int64_t>::min());
  CHECK(std::get<std::int64_t>(row[2]) == std::numeric_limits<std::int64_t>::max());
  CHECK(std::get<double>(row[3]) == 0.1);
  CHECK(std::get<double>(row[4]) == -1e300);
  CHECK(std::get<std::string>(row[5]) == utf8);
  CHECK(std::get<std::string>(row[6]) == "a b");
  // Text holding NUL is refused on every engine (PostgreSQL cannot store it).
  const std::vector<Param> nul = {std::string_view(with_nul)};
  auto refused = Query(world, ctx, "SELECT ?, :tenant_id", nul);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kInvalidArgument);
  REQUIRE(std::holds_alternative<std::string>(row[7]));
  CHECK(std::get<std::string>(row[7]).empty());
  CHECK(std::get<Blob>(row[8]) == bytes);
  CHECK(std::holds_alternative<std::monostate>(row[9]));
  // Every :tenant_id is bound, to the context's tenant.
  CHECK(std::get<std::string>(row[10]) == ctx.tenant_id().str());
  CHECK(std::get<std::string>(row[11]) == ctx.tenant_id().str());
}

TEST_CASE("raw parameter count mismatches are kInvalidArgument", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  const std::string one = "x";
  struct Case {
    const char* sql;
    std::size_t params;
  };
  const Case cases[] = {
      {"SELECT :tenant_id", 1},          {"SELECT :tenant_id", 3},
      {"SELECT ?, :tenant_id", 0},       {"SELECT ?, :tenant_id", 2},
      {"SELECT ?, ?, :tenant_id, ?", 2}, {"SELECT ?, ?, :tenant_id, ?", 4},
  };
  for (const auto& c : cases) {
    CAPTURE(c.sql, c.params);
    std::vector<Param> params(c.params, std::string_view(one));
    auto q = Query(world, ctx, c.sql, params);
    REQUIRE_FALSE(q);
    CHECK(q.error().code == Errc::kInvalidArgument);
    auto e = Execute(world, ctx, c.sql, params);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == Errc::kInvalidArgument);
  }
  // The matching counts work.
  auto ok = Query(world, ctx, "SELECT ?, ?, :tenant_id, ?",
                  {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}});
  REQUIRE(ok);
  REQUIRE(ok->size() == 1);
  const RawRow want = {std::int64_t{1}, std::int64_t{2}, ctx.tenant_id().str(), std::int64_t{3}};
  CHECK((*ok)[0] == want);
}

TEST_CASE("raw syntax and schema errors are kInvalidArgument", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  const char* sqls[] = {
      "SELEC * FROM vehicles WHERE tenant_id = :tenant_id",
      "SELECT * FROM vehicles WHERE tenant_id = :tenant_id AND (",
      "SELECT * FROM vehicles WHERE tenant_id = :tenant_id ORDER",
      "SELECT * FROM no_such_table WHERE tenant_id = :tenant_id",
      "SELECT no_such_column FROM vehicles WHERE tenant_id = :tenant_id",
      "SELECT * FROM vehicles WHERE tenant_id = :tenant_id AND 'unterminated",
      "SELECT no_such_function(:tenant_id)",
  };
  for (const char* sql : sqls) {
    CAPTURE(sql);
    auto q = Query(world, ctx, sql);
    REQUIRE_FALSE(q);
    CHECK(q.error().code == Errc::kInvalidArgument);
    CHECK_FALSE(q.error().message.empty());
  }
  // The transaction stays usable after a failed statement.
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  auto tx = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
    CHECK_FALSE(t.Query("SELEC nonsense :tenant_id"));
    return vehicles.Insert(t, Vehicle{"after", "P", 1, {}, ""});
  });
  REQUIRE(tx);
  CHECK(vehicles.Get(ctx, "after"));
}

TEST_CASE("raw statements that fail while running are kInvalidArgument", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  if (!OnSqlite(world.store())) {
    SUCCEED("SQLite functions only");
    return;
  }
  auto ctx = world.Context(world.Provision("acme", model));
  const char* sqls[] = {
      "SELECT abs(-9223372036854775807 - 1) + 0 * length(:tenant_id)",
      "SELECT json_extract('{not json', '$.a'), :tenant_id",
      "SELECT load_extension(:tenant_id)",
  };
  for (const char* sql : sqls) {
    CAPTURE(sql);
    auto q = Query(world, ctx, sql);
    REQUIRE_FALSE(q);
    CHECK(q.error().code == Errc::kInvalidArgument);
  }
}

TEST_CASE("a raw statement that ends the transaction ends the unit of work", "[raw][sqlite]") {
  const IsolationModel model = GENERATE(IsolationModel::kDatabase, IsolationModel::kDedicated);
  CAPTURE(ModelName(model));
  FleetWorld world;
  if (!OnSqlite(world.store())) {
    SUCCEED("SQLite conflict clauses only");
    return;
  }
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  REQUIRE(vehicles.Insert(ctx, Vehicle{"dup", "P", 1, {}, ""}));

  auto r = world.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
    CHECK(vehicles.Insert(tx, Vehicle{"before", "P", 1, {}, ""}));
    // A conflict with ON CONFLICT ROLLBACK rolls the whole transaction back.
    auto rb = tx.Execute(
        "INSERT OR ROLLBACK INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, 'dup', "
        "'P', 1)");
    CHECK_FALSE(rb);
    // Whatever runs afterwards must not slip out autocommitted.
    auto after = vehicles.Insert(tx, Vehicle{"after", "P", 1, {}, ""});
    CHECK_FALSE(after);
    auto raw_after = tx.Execute(
        "INSERT INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, 'raw-after', 'P', "
        "1)");
    CHECK_FALSE(raw_after);
    auto vacuum = tx.Query("VACUUM INTO :tenant_id");
    CHECK_FALSE(vacuum);
    return {};
  });
  CHECK_FALSE(r);  // the caller learns the unit of work did not commit
  CHECK(vehicles.Get(ctx, "before").error().code == Errc::kNotFound);
  CHECK(vehicles.Get(ctx, "after").error().code == Errc::kNotFound);
  CHECK(vehicles.Get(ctx, "raw-after").error().code == Errc::kNotFound);
  CHECK(*vehicles.Count(ctx) == 1);
  CHECK_FALSE(std::filesystem::exists(ctx.tenant_id().str()));
  // The connection is healthy for the next unit of work.
  REQUIRE(world.store().Transact(ctx, [&](Transaction& tx) {
    return vehicles.Insert(tx, Vehicle{"next", "P", 1, {}, ""});
  }));
  CHECK(*vehicles.Count(ctx) == 2);
}

TEST_CASE("raw queries that read no column are confined, not refused", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto mine = world.Context(world.Provision("mine", model));
  auto other = world.Context(world.Provision("other", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  for (const char* id : {"a", "b", "c"})
    REQUIRE(vehicles.Insert(mine, Vehicle{id, "P", 1, {}, ""}));
  for (const char* id : {"a", "x", "y", "z", "w"})
    REQUIRE(vehicles.Insert(other, Vehicle{id, "Q", 1, {}, ""}));

  struct Case {
    const char* sql;
    std::int64_t expect;
  };
  const Case cases[] = {
      {"SELECT count(*) FROM vehicles WHERE :tenant_id IS NOT NULL", 3},
      {"SELECT count(*) + 0 * length(:tenant_id) FROM vehicles", 3},
      {"SELECT count(*) FROM vehicles WHERE tenant_id = :tenant_id", 3},
      {"SELECT CASE WHEN EXISTS (SELECT 1 FROM trips) THEN 1 ELSE 0 END "
       "+ 10 * (SELECT count(*) FROM vehicles) + 0 * length(:tenant_id)",
       30},
      {"SELECT count(*) FROM (SELECT 1 FROM vehicles) AS s WHERE :tenant_id <> ''", 3},
  };
  for (const auto& c : cases) {
    CAPTURE(c.sql);
    auto r = Query(world, mine, c.sql);
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK(std::get<std::int64_t>((*r)[0][0]) == c.expect);
  }
}

TEST_CASE("raw Execute returns the number of rows changed", "[raw][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  auto ctx = world.Context(world.Provision("acme", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  for (const char* id : {"v1", "v2", "v3"})
    REQUIRE(vehicles.Insert(ctx, Vehicle{id, "P", 4, {}, ""}));

  if (RawWritesRefused(model, world.store())) {
    for (const char* sql :
         {"INSERT INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, 'v9', 'P', 1)",
          "UPDATE vehicles SET seats = 1 WHERE tenant_id = :tenant_id",
          "DELETE FROM vehicles WHERE tenant_id = :tenant_id"}) {
      CAPTURE(sql);
      auto r = Execute(world, ctx, sql);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kPermissionDenied);
    }
    CHECK(*vehicles.Count(ctx) == 3);
    CHECK(vehicles.Get(ctx, "v1")->seats == 4);
    return;
  }

  std::string plate = "B-XY 9";
  auto ins = Execute(
      world, ctx, "INSERT INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, ?, ?, ?)",
      {std::string_view("v9"), std::string_view(plate), std::int64_t{2}});
  REQUIRE(ins);
  CHECK(*ins == 1);
  auto v9 = vehicles.Get(ctx, "v9");
  REQUIRE(v9);
  CHECK(v9->plate == plate);
  CHECK(v9->tenant_id == ctx.tenant_id().str());

  auto upd =
      Execute(world, ctx,
              "UPDATE vehicles SET seats = seats + 1 WHERE tenant_id = :tenant_id AND seats = ?",
              {std::int64_t{4}});
  REQUIRE(upd);
  CHECK(*upd == 3);
  CHECK(vehicles.Get(ctx, "v2")->seats == 5);

  auto none =
      Execute(world, ctx, "DELETE FROM vehicles WHERE tenant_id = :tenant_id AND id = 'zz'");
  REQUIRE(none);
  CHECK(*none == 0);

  auto sel = Execute(world, ctx, "SELECT * FROM vehicles WHERE tenant_id = :tenant_id");
  REQUIRE(sel);
  CHECK(*sel == 0);

  auto dup = Execute(
      world, ctx,
      "INSERT INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, 'v1', 'P', 1)");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::kAlreadyExists);

  auto null_plate = Execute(
      world, ctx,
      "INSERT INTO vehicles (tenant_id, id, plate, seats) VALUES (:tenant_id, 'vn', NULL, 1)");
  REQUIRE_FALSE(null_plate);
  CHECK(null_plate.error().code == Errc::kConflict);

  auto del =
      Execute(world, ctx, "DELETE FROM vehicles WHERE tenant_id = :tenant_id AND id <> 'v9'");
  REQUIRE(del);
  CHECK(*del == 3);
  CHECK(*vehicles.Count(ctx) == 1);

  SECTION("raw writes roll back with their transaction") {
    auto failed = world.store().Transact(ctx, [&](Transaction& t) -> Result<void> {
      auto r = t.Execute("DELETE FROM vehicles WHERE tenant_id = :tenant_id");
      if (!r) return r.error();
      CHECK(*r == 1);
      return Fail(Errc::kConflict, "changed my mind");
    });
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == Errc::kConflict);
    CHECK(*vehicles.Count(ctx) == 1);
  }
}

TEST_CASE("a view in the schema does not widen raw SQL", "[raw][isolation][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  Schema schema = FleetSchema();
  schema.migrations.push_back(
      {3, "all vehicles view",
       "CREATE VIEW all_vehicles AS SELECT tenant_id, id, plate FROM vehicles;"});
  FleetWorld world(StoreOptions{}, schema);
  auto a = world.Context(world.Provision("a", model));
  auto b = world.Context(world.Provision("b", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  REQUIRE(vehicles.Insert(a, Vehicle{"a1", "A-SECRET", 1, {}, ""}));
  REQUIRE(vehicles.Insert(b, Vehicle{"b1", "B-OWN", 1, {}, ""}));

  for (const char* sql :
       {"SELECT tenant_id, id, plate FROM all_vehicles WHERE tenant_id = :tenant_id OR 1=1",
        "SELECT count(*), max(plate) FROM all_vehicles WHERE tenant_id <> :tenant_id",
        "SELECT plate FROM vehicles WHERE tenant_id = :tenant_id "
        "UNION SELECT plate FROM all_vehicles"}) {
    CAPTURE(sql);
    auto out = Query(world, b, sql);
    if (!out) {
      CHECK((out.error().code == Errc::kPermissionDenied ||
             out.error().code == Errc::kInvalidArgument));
      continue;
    }
    for (const auto& row : *out)
      for (const auto& v : row) {
        if (const auto* s = std::get_if<std::string>(&v)) {
          CHECK(s->find("A-SECRET") == std::string::npos);
          CHECK(*s != a.tenant_id().str());
        }
        // A count of A's rows would be 1 here.
        if (const auto* n = std::get_if<std::int64_t>(&v)) CHECK(*n == 0);
      }
  }
}

TEST_CASE("MentionsTenantParameter finds the parameter only in code", "[raw]") {
  const char* yes[] = {
      ":tenant_id",
      "SELECT :tenant_id",
      "SELECT * FROM t WHERE tenant_id=:tenant_id",
      "SELECT * FROM t WHERE tenant_id = :tenant_id;",
      "SELECT * FROM t WHERE (tenant_id=:tenant_id)",
      "x IN (:tenant_id,?)",
      "\t:tenant_id\n",
      "SELECT ':tenant_id', :tenant_id",
      "SELECT \":tenant_id\" FROM t WHERE tenant_id = :tenant_id",
      "SELECT 'it''s' || :tenant_id",
      "SELECT 'a'':tenant_id''b', :tenant_id",
      "-- comment\n:tenant_id",
      "/* comment */:tenant_id",
      "/* a */ SELECT /* b */ :tenant_id /* c */",
      "SELECT [weird col] FROM t WHERE x = :tenant_id",
      "SELECT `q` FROM t WHERE x = :tenant_id",
      "SELECT 1 - -1, :tenant_id",
      "SELECT 2/1, :tenant_id",
      "SELECT * FROM t WHERE a = :tenant_id -- trailing",
      "SELECT :tenant_id+1",
  };
  for (const char* sql : yes) {
    CAPTURE(sql);
    CHECK(MentionsTenantParameter(sql));
  }
  const char* no[] = {
      "",
      "SELECT 1",
      "tenant_id",
      ":tenant",
      ":tenant_idx",
      ":tenant_id2",
      ":tenant_id_",
      ":tenant_id$",
      "$tenant_id",
      "@tenant_id",
      "?tenant_id",
      ":TENANT_ID",
      ": tenant_id",
      "':tenant_id'",
      "\":tenant_id\"",
      "`:tenant_id`",
      "[:tenant_id]",
      "'it''s :tenant_id'",
      "'a'':tenant_id'",
      "-- :tenant_id",
      "-- x\n-- :tenant_id",
      "/* :tenant_id */",
      "/* unterminated :tenant_id",
      "'unterminated :tenant_id",
      "\"unterminated :tenant_id",
      "SELECT x':tenant_id'",
      "SELECT * FROM t WHERE tenant_id = 'tn_0123456789abcdef'",
  };
  for (const char* sql : no) {
    CAPTURE(sql);
    CHECK_FALSE(MentionsTenantParameter(sql));
  }
  // Embedded NULs do not hide or fake a mention.
  CHECK(MentionsTenantParameter(std::string_view("SELECT 1\0 :tenant_id", 20)));
  CHECK_FALSE(MentionsTenantParameter(std::string_view(":tenant_\0id", 11)));
}

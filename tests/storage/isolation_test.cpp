// The adversarial isolation suite: tenant B attacks tenant A's rows through
// every door the public API has. Run over every isolation model (and, once
// the backend lands, every engine), so it knows nothing about files,
// schemas or SQL dialects beyond what the public API promises.
//
// After every attack, A's data (read through A's own context) must be
// exactly what it was before.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

constexpr std::string_view kSecret = "A-SECRET";

Blob Bytes(std::string_view s) { return Blob(s.begin(), s.end()); }

struct Snapshot {
  std::vector<Vehicle> vehicles;
  std::vector<Trip> trips;
  bool operator==(const Snapshot&) const = default;
};

template <class T>
std::vector<T> ListAll(const Repository<T>& repo, Scope scope) {
  std::vector<T> out;
  ListQuery q;
  q.limit = 2;  // page, so paging is exercised on every snapshot
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = repo.List(scope, q);
    REQUIRE(page);
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (page->next_cursor.empty()) return out;
    q.after = page->next_cursor;
  }
  FAIL("List never reached its end");
  return out;
}

bool Mentions(const Value& v, std::string_view needle) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->find(needle) != std::string::npos;
  if (const auto* b = std::get_if<Blob>(&v))
    return std::string_view(reinterpret_cast<const char*>(b->data()), b->size()).find(needle) !=
           std::string_view::npos;
  return false;
}

bool IsTypedRefusal(Errc code) {
  return code == Errc::kInvalidArgument || code == Errc::kPermissionDenied ||
         code == Errc::kTenantMismatch;
}

// Two tenants of one model with overlapping keys. A's values carry a marker
// (kSecret, A's tenant id) that must never show up on B's side.
class TwoTenants {
 public:
  explicit TwoTenants(IsolationModel model)
      : a_(world_.Provision("tenant-a", model)),
        b_(world_.Provision("tenant-b", model)),
        actx_(world_.Context(a_)),
        bctx_(world_.Context(b_)),
        vehicles_(world_.store(), Vehicles()),
        trips_(world_.store(), Trips()) {
    for (const char* id : {"v1", "v2", "v3", "a-only", "a-secret"})
      REQUIRE(vehicles_.Insert(actx_, Vehicle{id, std::string(kSecret) + "-" + id, 4,
                                              std::string(kSecret) + "-note", ""}));
    for (int seq = 1; seq <= 4; ++seq)
      REQUIRE(
          trips_.Insert(actx_, Trip{"d1", seq, 10.0 * seq, Bytes(std::string(kSecret) + "-trip")}));
    REQUIRE(trips_.Insert(actx_, Trip{"a-driver", 1, 1.0, Bytes(kSecret)}));

    for (const char* id : {"v1", "v2", "b-only"})
      REQUIRE(vehicles_.Insert(bctx_, Vehicle{id, std::string("B-") + id, 2, std::nullopt, ""}));
    REQUIRE(trips_.Insert(bctx_, Trip{"d1", 1, 7.0, Bytes("b-trip")}));
    REQUIRE(trips_.Insert(bctx_, Trip{"b-driver", 1, 3.0, Blob{}}));

    a_before_ = SnapA();
    b_before_ = SnapB();
    REQUIRE(a_before_.vehicles.size() == 5);
    REQUIRE(a_before_.trips.size() == 5);
    REQUIRE(b_before_.vehicles.size() == 3);
    REQUIRE(b_before_.trips.size() == 2);
  }

  Snapshot SnapA() { return {ListAll(vehicles_, actx_), ListAll(trips_, actx_)}; }
  Snapshot SnapB() { return {ListAll(vehicles_, bctx_), ListAll(trips_, bctx_)}; }

  // A's data is exactly as it was before the attack.
  void CheckAUnchanged() {
    const Snapshot now = SnapA();
    CHECK(now.vehicles == a_before_.vehicles);
    CHECK(now.trips == a_before_.trips);
    CHECK(*vehicles_.Count(actx_) == 5);
    CHECK(*trips_.Count(actx_) == 5);
  }
  void CheckBUnchanged() { CHECK(SnapB() == b_before_); }

  // Nothing B can see names A or carries A's marker.
  void CheckNoLeak(const Snapshot& s) {
    for (const auto& v : s.vehicles) {
      CHECK(v.tenant_id == b_.id.str());
      CHECK(v.plate.find(kSecret) == std::string::npos);
      CHECK(v.note.value_or("").find(kSecret) == std::string::npos);
    }
    for (const auto& t : s.trips) CHECK_FALSE(Mentions(Value(t.payload), kSecret));
  }

  void CheckRowsConfined(const std::vector<RawRow>& rows) {
    for (const auto& row : rows)
      for (const auto& v : row) {
        CHECK_FALSE(Mentions(v, kSecret));
        CHECK_FALSE(Mentions(v, a_.id.str()));
      }
  }

  // Runs `sql` as a query in B's transaction (which then commits).
  Result<std::vector<RawRow>> QueryAsB(std::string_view sql, std::vector<Value> params = {}) {
    Result<std::vector<RawRow>> out = Fail(Errc::kInternal, "not run");
    std::vector<Param> p;
    for (const auto& v : params) p.push_back(AsParam(v));
    auto tx = world_.store().Transact(bctx_, [&](Transaction& t) -> Result<void> {
      out = t.Query(sql, p);
      return {};
    });
    REQUIRE(tx);
    return out;
  }
  Result<std::int64_t> ExecuteAsB(std::string_view sql, std::vector<Value> params = {}) {
    Result<std::int64_t> out = Fail(Errc::kInternal, "not run");
    std::vector<Param> p;
    for (const auto& v : params) p.push_back(AsParam(v));
    auto tx = world_.store().Transact(bctx_, [&](Transaction& t) -> Result<void> {
      out = t.Execute(sql, p);
      return {};
    });
    REQUIRE(tx);
    return out;
  }

  FleetWorld& world() { return world_; }
  const Tenant& a() const { return a_; }
  const Tenant& b() const { return b_; }
  const TenantContext& actx() const { return actx_; }
  const TenantContext& bctx() const { return bctx_; }
  const Repository<Vehicle>& vehicles() const { return vehicles_; }
  const Repository<Trip>& trips() const { return trips_; }
  const Snapshot& a_before() const { return a_before_; }
  const Snapshot& b_before() const { return b_before_; }

 private:
  FleetWorld world_;
  Tenant a_, b_;
  TenantContext actx_, bctx_;
  Repository<Vehicle> vehicles_;
  Repository<Trip> trips_;
  Snapshot a_before_, b_before_;
};

}  // namespace

TEST_CASE("B cannot read A's rows through the repository", "[isolation][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants w(model);
  const auto& v = w.vehicles();
  const auto& t = w.trips();
  const auto& b = w.bctx();

  SECTION("Get of A's key is a plain not-found, indistinguishable from a missing key") {
    auto missing = v.Get(b, "no-such-key");
    REQUIRE_FALSE(missing);
    REQUIRE(missing.error().code == Errc::kNotFound);
    for (const char* key : {"a-only", "a-secret"}) {
      CAPTURE(key);
      auto r = v.Get(b, key);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == missing.error().code);
      CHECK(r.error().message == missing.error().message);
      CHECK(r.error().message.find(key) == std::string::npos);
      CHECK(r.error().message.find(w.a().id.str()) == std::string::npos);
    }
    auto missing_trip = t.Get(b, "no-such-driver", 99);
    REQUIRE_FALSE(missing_trip);
    for (int seq = 2; seq <= 4; ++seq) {
      auto r = t.Get(b, "d1", seq);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == missing_trip.error().code);
      CHECK(r.error().message == missing_trip.error().message);
    }
    auto ar = t.Get(b, "a-driver", 1);
    REQUIRE_FALSE(ar);
    CHECK(ar.error().message == missing_trip.error().message);
  }
  SECTION("a key both tenants use yields B's own row") {
    auto r = v.Get(b, "v1");
    REQUIRE(r);
    CHECK(r->plate == "B-v1");
    CHECK(r->tenant_id == w.b().id.str());
    auto tr = t.Get(b, "d1", 1);
    REQUIRE(tr);
    CHECK(tr->km == 7.0);
    CHECK(tr->payload == Bytes("b-trip"));
  }
  SECTION("List and Count see only B") {
    const Snapshot s = w.SnapB();
    w.CheckNoLeak(s);
    std::set<std::string> ids;
    for (const auto& x : s.vehicles) ids.insert(x.id);
    CHECK(ids == std::set<std::string>{"b-only", "v1", "v2"});
    CHECK(*v.Count(b) == 3);
    CHECK(*t.Count(b) == 2);
    // Filters that match only A's values find nothing.
    const std::vector<Filter> a_values[] = {
        {{"plate", FilterOp::kEq, std::string(kSecret) + "-v1"}},
        {{"id", FilterOp::kEq, std::string("a-secret")}},
        {{"note", FilterOp::kEq, std::string(kSecret) + "-note"}},
        {{"seats", FilterOp::kEq, std::int64_t{4}}},
        {{"plate", FilterOp::kGe, std::string(kSecret)},
         {"plate", FilterOp::kLt, std::string("B")}},
    };
    for (const auto& f : a_values) {
      CHECK(*v.Count(b, f) == 0);
      ListQuery q;
      q.filters = f;
      CHECK(v.List(b, q)->items.empty());
    }
    // Filters that would match everything still match only B.
    const std::vector<Filter> broad[] = {
        {{"plate", FilterOp::kNe, std::string("zzz")}},
        {{"id", FilterOp::kGe, std::string("")}},
        {{"seats", FilterOp::kGt, std::int64_t{-1}}},
        {{"plate", FilterOp::kNe, std::string("' OR 1=1 --")}},
    };
    for (const auto& f : broad) {
      CHECK(*v.Count(b, f) == 3);
      ListQuery q;
      q.filters = f;
      auto page = v.List(b, q);
      REQUIRE(page);
      CHECK(page->items == s.vehicles);
    }
    // SQL in a filter value is a value.
    CHECK(*v.Count(b, std::vector<Filter>{{"plate", FilterOp::kEq, std::string("x' OR '1'='1")}}) ==
          0);
    CHECK(*t.Count(b, std::vector<Filter>{{"km", FilterOp::kGt, 0.0}}) == 2);
  }
  SECTION("a cursor taken from A's list does not open A's rows to B") {
    ListQuery q;
    q.limit = 1;
    for (int i = 0; i < 4; ++i) {
      auto a_page = v.List(w.actx(), q);
      REQUIRE(a_page);
      REQUIRE_FALSE(a_page->next_cursor.empty());
      ListQuery stolen;
      stolen.after = a_page->next_cursor;
      stolen.limit = 1000;
      auto b_page = v.List(b, stolen);
      if (b_page) {
        w.CheckNoLeak(Snapshot{b_page->items, {}});
        for (const auto& x : b_page->items) CHECK(x.id > a_page->items.back().id);
      } else {
        CHECK(b_page.error().code == Errc::kInvalidArgument);
      }
      q.after = a_page->next_cursor;
    }
    ListQuery tq;
    tq.limit = 2;
    auto a_trips = t.List(w.actx(), tq);
    REQUIRE(a_trips);
    ListQuery stolen;
    stolen.after = a_trips->next_cursor;
    auto b_trips = t.List(b, stolen);
    if (b_trips) w.CheckNoLeak(Snapshot{{}, b_trips->items});
  }
  w.CheckAUnchanged();
}

TEST_CASE("B cannot change or remove A's rows through the repository", "[isolation][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants w(model);
  const auto& v = w.vehicles();
  const auto& t = w.trips();
  const auto& b = w.bctx();

  SECTION("Update of A-only keys is kNotFound, like a missing key") {
    auto missing = v.Update(b, Vehicle{"no-such-key", "X", 1, {}, ""});
    REQUIRE_FALSE(missing);
    REQUIRE(missing.error().code == Errc::kNotFound);
    for (const char* key : {"a-only", "a-secret"}) {
      auto r = v.Update(b, Vehicle{key, "PWNED", 99, "pwned", ""});
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kNotFound);
      CHECK(r.error().message == missing.error().message);
    }
    auto tr = t.Update(b, Trip{"d1", 3, 0.0, Bytes("PWNED")});
    REQUIRE_FALSE(tr);
    CHECK(tr.error().code == Errc::kNotFound);
    w.CheckBUnchanged();
  }
  SECTION("Update of a shared key changes only B's row") {
    REQUIRE(v.Update(b, Vehicle{"v1", "B-new", 9, "b", ""}));
    CHECK(v.Get(b, "v1")->plate == "B-new");
    REQUIRE(t.Update(b, Trip{"d1", 1, 99.0, Bytes("b-new")}));
    CHECK(t.Get(b, "d1", 1)->km == 99.0);
  }
  SECTION("Upsert of A's key creates B's own row and never touches A's") {
    REQUIRE(v.Upsert(b, Vehicle{"a-secret", "B-mine", 1, std::nullopt, ""}));
    auto mine = v.Get(b, "a-secret");
    REQUIRE(mine);
    CHECK(mine->plate == "B-mine");
    CHECK(mine->tenant_id == w.b().id.str());
    CHECK(*v.Count(b) == 4);
    // Upserting again replaces B's row, still not A's.
    REQUIRE(v.Upsert(b, Vehicle{"a-secret", "B-mine-2", 2, std::nullopt, ""}));
    CHECK(v.Get(b, "a-secret")->plate == "B-mine-2");
    REQUIRE(t.Upsert(b, Trip{"d1", 4, 0.5, Bytes("b")}));
    CHECK(t.Get(b, "d1", 4)->km == 0.5);
    CHECK(*t.Count(b) == 3);
    // Insert of A's key too: B has no such row, so it is B's to create.
    REQUIRE(v.Insert(b, Vehicle{"a-only", "B-too", 1, {}, ""}));
    CHECK(v.Get(b, "a-only")->plate == "B-too");
    // And removing B's copy leaves A's.
    REQUIRE(v.Remove(b, "a-only"));
  }
  SECTION("Remove of A-only keys is kNotFound; of shared keys removes only B's row") {
    auto missing = v.Remove(b, "no-such-key");
    REQUIRE_FALSE(missing);
    for (const char* key : {"a-only", "a-secret"}) {
      auto r = v.Remove(b, key);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kNotFound);
      CHECK(r.error().message == missing.error().message);
    }
    CHECK(t.Remove(b, "a-driver", 1).error().code == Errc::kNotFound);
    CHECK(t.Remove(b, "d1", 2).error().code == Errc::kNotFound);
    w.CheckBUnchanged();
    REQUIRE(v.Remove(b, "v1"));
    REQUIRE(v.Remove(b, "v2"));
    REQUIRE(t.Remove(b, "d1", 1));
    CHECK(*v.Count(b) == 1);
  }
  SECTION("a row whose tenant_id names A is kTenantMismatch for every write") {
    const std::string a_id = w.a().id.str();
    for (const Vehicle& row :
         {Vehicle{"v1", "PWNED", 1, {}, a_id}, Vehicle{"a-secret", "PWNED", 1, {}, a_id},
          Vehicle{"new", "PWNED", 1, {}, a_id},
          Vehicle{"v1", "PWNED", 1, {}, "tn_0000000000000000"},
          Vehicle{"v1", "PWNED", 1, {}, "' OR 1=1 --"}}) {
      CAPTURE(row.id, row.tenant_id);
      CHECK(v.Insert(b, row).error().code == Errc::kTenantMismatch);
      CHECK(v.Update(b, row).error().code == Errc::kTenantMismatch);
      CHECK(v.Upsert(b, row).error().code == Errc::kTenantMismatch);
      auto tx = w.world().store().Transact(b, [&](Transaction& txn) { return v.Upsert(txn, row); });
      REQUIRE_FALSE(tx);
      CHECK(tx.error().code == Errc::kTenantMismatch);
    }
    w.CheckBUnchanged();
    // B naming itself is fine.
    REQUIRE(v.Update(b, Vehicle{"v1", "B-self", 2, {}, w.b().id.str()}));
    CHECK(v.Get(b, "v1")->plate == "B-self");
  }
  SECTION("keys made of SQL are just keys") {
    const std::string keys[] = {"' OR '1'='1",
                                "a-secret' --",
                                "a-secret\" OR 1=1 --",
                                "v1'; DELETE FROM vehicles; --",
                                "%",
                                "*",
                                "a-secret%",
                                "A-SECRET",
                                ""};
    for (const auto& key : keys) {
      CAPTURE(key);
      CHECK(v.Get(b, key).error().code == Errc::kNotFound);
      CHECK(v.Remove(b, key).error().code == Errc::kNotFound);
      CHECK(v.Update(b, Vehicle{key, "X", 1, {}, ""}).error().code == Errc::kNotFound);
      CHECK(t.Get(b, key, 1).error().code == Errc::kNotFound);
    }
    // Text with NUL bytes is refused outright on every engine.
    const std::string nul_key("a-secret\0x", 10);
    CHECK(v.Get(b, nul_key).error().code == Errc::kInvalidArgument);
    CHECK(v.Remove(b, nul_key).error().code == Errc::kInvalidArgument);
    CHECK(v.Insert(b, Vehicle{nul_key, "X", 1, {}, ""}).error().code == Errc::kInvalidArgument);
    w.CheckBUnchanged();
    // Inserting them creates exactly B's rows with exactly those keys.
    for (const auto& key : keys) REQUIRE(v.Insert(b, Vehicle{key, "B-sql", 1, {}, ""}));
    for (const auto& key : keys) {
      auto got = v.Get(b, key);
      REQUIRE(got);
      CHECK(got->id == key);
    }
    CHECK(*v.Count(b) == 3 + static_cast<std::int64_t>(std::size(keys)));
    w.CheckNoLeak(w.SnapB());
  }
  SECTION("the same attacks inside one of B's transactions") {
    auto r = w.world().store().Transact(b, [&](Transaction& tx) -> Result<void> {
      CHECK(v.Get(tx, "a-secret").error().code == Errc::kNotFound);
      CHECK(v.Update(tx, Vehicle{"a-only", "PWNED", 1, {}, ""}).error().code == Errc::kNotFound);
      CHECK(v.Remove(tx, "a-secret").error().code == Errc::kNotFound);
      CHECK(t.Remove(tx, "d1", 2).error().code == Errc::kNotFound);
      if (auto u = v.Upsert(tx, Vehicle{"a-only", "B-tx", 1, {}, ""}); !u) return u;
      CHECK(*v.Count(tx) == 4);
      auto page = v.List(tx);
      if (!page) return page.error();
      w.CheckNoLeak(Snapshot{page->items, {}});
      return {};
    });
    REQUIRE(r);
    CHECK(v.Get(b, "a-only")->plate == "B-tx");
  }
  w.CheckAUnchanged();
}

TEST_CASE("raw SQL from B reaches only B's rows, whatever its predicate says",
          "[isolation][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants w(model);
  const std::string a_id = w.a().id.str();

  SECTION("the honest query returns B's rows") {
    auto r = w.QueryAsB(
        "SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id ORDER BY id");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    for (const auto& row : *r) CHECK(std::get<std::string>(row[0]) == w.b().id.str());
    CHECK(std::get<std::string>((*r)[0][1]) == "b-only");
    w.CheckRowsConfined(*r);
  }

  SECTION("widened predicates, unions and subqueries") {
    // Each either fails with a typed error or returns nothing of A's. The
    // ones marked `whole` must, when they succeed, return exactly B's rows.
    struct Attack {
      const char* sql;
      bool whole;
    };
    const Attack attacks[] = {
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id OR 1=1", true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id OR tenant_id <> "
         ":tenant_id",
         true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id <> :tenant_id", false},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE :tenant_id IS NOT NULL", true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id OR tenant_id LIKE "
         "'tn_%'",
         true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id "
         "UNION SELECT tenant_id, id, plate FROM vehicles",
         true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id "
         "UNION ALL SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id <> :tenant_id",
         true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id "
         "UNION ALL SELECT tenant_id, driver, payload FROM trips",
         false},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id IN "
         "(SELECT tenant_id FROM vehicles WHERE tenant_id <> :tenant_id)",
         false},
        {"SELECT (SELECT group_concat(plate) FROM vehicles), :tenant_id", false},
        {"SELECT (SELECT group_concat(tenant_id) FROM trips WHERE tenant_id <> :tenant_id)", false},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE EXISTS "
         "(SELECT 1 FROM vehicles v2 WHERE v2.tenant_id <> :tenant_id)",
         false},
        {"WITH everyone AS (SELECT * FROM vehicles) SELECT tenant_id, id, plate FROM everyone "
         "WHERE :tenant_id = :tenant_id",
         true},
        {"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) "
         "SELECT v.tenant_id, v.id, v.plate FROM vehicles v, n WHERE n.x = 1 AND :tenant_id <> ''",
         true},
        {"SELECT a.tenant_id, a.id, a.plate FROM vehicles a JOIN vehicles b ON a.id = b.id "
         "WHERE a.tenant_id <> b.tenant_id OR b.tenant_id = :tenant_id",
         false},
        {"SELECT tenant_id, id, plate FROM main.vehicles WHERE tenant_id = :tenant_id OR 1=1",
         false},
        {"SELECT tenant_id, id, plate FROM \"main\".\"vehicles\" WHERE :tenant_id IS NOT NULL",
         false},
        {"SELECT tenant_id, id, plate FROM temp.vehicles WHERE :tenant_id IS NOT NULL", false},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id "
         "UNION SELECT tenant_id, id, plate FROM main.vehicles",
         false},
        {"SELECT (SELECT count(*) FROM main.vehicles), :tenant_id", false},
        {"SELECT * FROM main.trips WHERE tenant_id <> :tenant_id", false},
        {"SELECT tenant_id, driver, payload FROM trips WHERE tenant_id = :tenant_id OR 1=1", false},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id -- OR 1=1", true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = :tenant_id /* */ OR 1=1",
         true},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE (tenant_id = :tenant_id) OR (1)", true},
        {"SELECT tenant_id, id, plate FROM vehicles NOT INDEXED WHERE :tenant_id IS NOT NULL",
         false},
    };
    for (const auto& attack : attacks) {
      CAPTURE(attack.sql);
      auto r = w.QueryAsB(attack.sql);
      if (!r) {
        CAPTURE(r.error().ToString());
        CHECK(IsTypedRefusal(r.error().code));
        continue;
      }
      w.CheckRowsConfined(*r);
      if (attack.whole) {
        std::set<std::string> ids;
        for (const auto& row : *r) ids.insert(std::get<std::string>(row[1]));
        CHECK(ids == std::set<std::string>{"b-only", "v1", "v2"});
      }
    }
  }

  SECTION("counts and aggregates count only B") {
    const char* counts[] = {
        "SELECT count(*) FROM vehicles WHERE tenant_id = :tenant_id OR 1=1",
        "SELECT count(*) FROM vehicles WHERE :tenant_id IS NOT NULL",
        "SELECT count(*) FROM vehicles WHERE tenant_id = :tenant_id OR tenant_id <> :tenant_id",
        "SELECT count(DISTINCT tenant_id) * 3 FROM vehicles WHERE :tenant_id IS NOT NULL",
        "SELECT sum(seats) / 2 + 0 * length(:tenant_id) FROM vehicles",
        "SELECT max(x) FROM (SELECT count(*) AS x FROM vehicles UNION SELECT 3 + 0 * "
        "length(:tenant_id))",
    };
    for (const char* sql : counts) {
      CAPTURE(sql);
      auto r = w.QueryAsB(sql);
      if (!r) {
        CHECK(IsTypedRefusal(r.error().code));
        continue;
      }
      REQUIRE(r->size() == 1);
      REQUIRE((*r)[0].size() == 1);
      CHECK((*r)[0][0] == Value(std::int64_t{3}));
    }
  }

  SECTION("catalogs and the library's own tables give nothing of A away") {
    const char* sqls[] = {
        "SELECT * FROM tenancy_schema_version WHERE :tenant_id IS NOT NULL",
        "SELECT count(*) FROM tenancy_schema_version WHERE :tenant_id IS NOT NULL",
        "SELECT * FROM main.tenancy_schema_version WHERE :tenant_id IS NOT NULL",
        "SELECT * FROM tenancy_tenants WHERE id <> :tenant_id",
        "SELECT * FROM tenancy_tenant_transitions WHERE tenant_id <> :tenant_id",
        "SELECT name, sql FROM sqlite_master WHERE :tenant_id IS NOT NULL",
        "SELECT name, sql FROM sqlite_schema WHERE :tenant_id IS NOT NULL",
        "SELECT name, sql FROM sqlite_temp_master WHERE :tenant_id IS NOT NULL",
        "SELECT * FROM information_schema.tables WHERE :tenant_id IS NOT NULL",
        "SELECT * FROM pg_catalog.pg_tables WHERE :tenant_id IS NOT NULL",
        "SELECT * FROM pg_catalog.pg_namespace WHERE :tenant_id IS NOT NULL",
    };
    for (const char* sql : sqls) {
      CAPTURE(sql);
      auto r = w.QueryAsB(sql);
      if (r) {
        // Readable catalogs must not even reveal that A exists.
        w.CheckRowsConfined(*r);
      } else {
        CAPTURE(r.error().ToString());
        CHECK(IsTypedRefusal(r.error().code));
      }
    }
    // The library's bookkeeping is not the tenant's to read.
    auto version = w.QueryAsB("SELECT * FROM tenancy_schema_version WHERE :tenant_id IS NOT NULL");
    if (w.world().store().engine() == "sqlite") CHECK_FALSE(version);
  }

  SECTION("attaching, pragmas, schema changes and transaction control are refused") {
    const char* sqls[] = {
        "ATTACH DATABASE :tenant_id AS other",
        "ATTACH DATABASE 'other.db' || :tenant_id AS other",
        "DETACH DATABASE :tenant_id",
        "SELECT * FROM pragma_table_info('vehicles') WHERE :tenant_id IS NOT NULL AND 0",
        "PRAGMA writable_schema = :tenant_id",
        "PRAGMA main.user_version = 7 -- :tenant_id",
        "CREATE TABLE stolen AS SELECT * FROM vehicles WHERE tenant_id <> :tenant_id",
        "CREATE TEMP TABLE stolen AS SELECT * FROM vehicles WHERE tenant_id <> :tenant_id",
        "CREATE TEMP VIEW vehicles2 AS SELECT * FROM main.vehicles WHERE :tenant_id IS NOT NULL",
        "DROP VIEW IF EXISTS vehicles -- :tenant_id",
        "DROP TABLE IF EXISTS vehicles /* :tenant_id */",
        "CREATE TRIGGER t AFTER INSERT ON vehicles BEGIN SELECT :tenant_id; END",
        "ALTER TABLE vehicles RENAME TO x -- :tenant_id",
        "VACUUM INTO :tenant_id",
        "COMMIT -- :tenant_id",
        "SAVEPOINT x -- :tenant_id",
        "SELECT load_extension(:tenant_id)",
        "SELECT writefile('/tmp/x', :tenant_id)",
    };
    for (const char* sql : sqls) {
      CAPTURE(sql);
      auto q = w.QueryAsB(sql);
      if (q) {
        // Only a read of nothing may succeed.
        w.CheckRowsConfined(*q);
        CHECK(std::string_view(sql).find("pragma_table_info") != std::string_view::npos);
        CHECK(q->empty());
      } else {
        CAPTURE(q.error().ToString());
        CHECK(IsTypedRefusal(q.error().code));
      }
      auto e = w.ExecuteAsB(sql);
      if (!e) {
        CAPTURE(e.error().ToString());
        CHECK(IsTypedRefusal(e.error().code));
      } else {
        CHECK(std::string_view(sql).find("pragma_table_info") != std::string_view::npos);
      }
    }
    // B's own data survived all of it too.
    w.CheckBUnchanged();
  }

  SECTION("several statements in one call are refused, none of them runs") {
    const char* sqls[] = {
        "SELECT * FROM vehicles WHERE tenant_id = :tenant_id; DELETE FROM vehicles",
        "SELECT * FROM vehicles WHERE tenant_id = :tenant_id; SELECT * FROM main.vehicles",
        "SELECT :tenant_id; DROP TABLE vehicles",
        "SELECT :tenant_id;;; UPDATE vehicles SET plate = 'PWNED'",
        "UPDATE vehicles SET plate = 'PWNED' WHERE tenant_id = :tenant_id; SELECT 1",
        "DELETE FROM vehicles WHERE tenant_id = :tenant_id;\nDELETE FROM trips",
    };
    for (const char* sql : sqls) {
      CAPTURE(sql);
      auto q = w.QueryAsB(sql);
      REQUIRE_FALSE(q);
      CHECK(IsTypedRefusal(q.error().code));
      auto e = w.ExecuteAsB(sql);
      REQUIRE_FALSE(e);
      CHECK(IsTypedRefusal(e.error().code));
      w.CheckBUnchanged();
    }
    // A NUL byte ends the text for the engine: what follows must not count
    // as the :tenant_id mention, nor be dropped silently.
    for (const std::string& sql :
         {std::string("SELECT tenant_id, id, plate FROM vehicles\0 WHERE tenant_id = :tenant_id",
                      71),
          std::string("SELECT tenant_id, id, plate FROM main.vehicles\0:tenant_id", 57),
          std::string("DELETE FROM vehicles\0 WHERE tenant_id = :tenant_id", 50)}) {
      CAPTURE(sql);
      auto q = w.QueryAsB(sql);
      if (q) {
        w.CheckRowsConfined(*q);
      } else {
        CHECK(IsTypedRefusal(q.error().code));
      }
      auto e = w.ExecuteAsB(sql);
      if (!e) CHECK(IsTypedRefusal(e.error().code));
      w.CheckBUnchanged();
    }
    // Trailing separators and comments are still one statement.
    auto one = w.QueryAsB("SELECT id FROM vehicles WHERE tenant_id = :tenant_id;  -- done\n");
    REQUIRE(one);
    CHECK(one->size() == 3);
  }

  SECTION("parameters other than ? and :tenant_id are refused; ? binds values, not tenants") {
    struct Attack {
      const char* sql;
      std::vector<Value> params;
    };
    const std::vector<Attack> refused = {
        {"SELECT * FROM vehicles WHERE tenant_id = ?1 AND :tenant_id IS NOT NULL", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_id OR tenant_id = ?2", {a_id, a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = ?5 OR tenant_id = :tenant_id",
         {a_id, a_id, a_id, a_id, a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :other OR tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = $tenant_id OR tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = @tenant_id OR tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :TENANT_ID OR tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_idx OR tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_id::x", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_id(x)", {a_id}},
        // Too many or too few values for the ? placeholders.
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_id", {a_id}},
        {"SELECT * FROM vehicles WHERE tenant_id = :tenant_id OR tenant_id = ?", {}},
    };
    for (const auto& attack : refused) {
      CAPTURE(attack.sql);
      auto r = w.QueryAsB(attack.sql, attack.params);
      REQUIRE_FALSE(r);
      CAPTURE(r.error().ToString());
      CHECK(r.error().code == Errc::kInvalidArgument);
    }
    // A's id bound to a ? is just a value compared against B's rows.
    const std::vector<Attack> harmless = {
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = ? AND :tenant_id IS NOT NULL",
         {a_id}},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE tenant_id = ? OR tenant_id = :tenant_id",
         {a_id}},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE id = ? AND tenant_id IN (?, :tenant_id)",
         {std::string("a-secret"), a_id}},
        {"SELECT tenant_id, id, plate FROM vehicles WHERE plate = ? OR :tenant_id = ?",
         {std::string("' OR 1=1 --"), std::string("' OR 1=1 --")}},
    };
    for (const auto& attack : harmless) {
      CAPTURE(attack.sql);
      auto r = w.QueryAsB(attack.sql, attack.params);
      if (!r) {
        CHECK(IsTypedRefusal(r.error().code));
        continue;
      }
      w.CheckRowsConfined(*r);
      CHECK(r->size() <= 3);
    }
  }

  SECTION("raw SQL must mention :tenant_id as a parameter, in code") {
    const char* sqls[] = {
        "SELECT * FROM vehicles",
        "SELECT * FROM vehicles WHERE tenant_id = ':tenant_id'",
        "SELECT * FROM vehicles WHERE tenant_id = \":tenant_id\"",
        "SELECT * FROM vehicles -- WHERE tenant_id = :tenant_id",
        "SELECT * FROM vehicles /* WHERE tenant_id = :tenant_id */",
        "SELECT * FROM vehicles WHERE tenant_id = :tenant_idx",
        "SELECT * FROM vehicles WHERE tenant_id = $tenant_id",
        "SELECT * FROM vehicles WHERE tenant_id = tenant_id",
        "SELECT [:tenant_id] FROM vehicles",
        "SELECT `:tenant_id` FROM vehicles",
        "SELECT 'it''s :tenant_id' FROM vehicles",
        "",
        "   ",
        "-- :tenant_id",
    };
    for (const char* sql : sqls) {
      CAPTURE(sql);
      auto q = w.QueryAsB(sql);
      REQUIRE_FALSE(q);
      CHECK(q.error().code == Errc::kInvalidArgument);
      auto e = w.ExecuteAsB(sql);
      REQUIRE_FALSE(e);
      CHECK(e.error().code == Errc::kInvalidArgument);
    }
    w.CheckBUnchanged();
  }

  SECTION("raw writes touch at most B's own rows") {
    const bool writes_refused =
        model == IsolationModel::kShared && w.world().store().engine() == "sqlite";
    struct Attack {
      const char* sql;
      std::vector<Value> params;
    };
    const std::vector<Attack> writes = {
        {"UPDATE vehicles SET plate = 'PWNED' WHERE tenant_id = :tenant_id OR 1=1", {}},
        {"UPDATE vehicles SET plate = 'PWNED' WHERE tenant_id <> :tenant_id", {}},
        {"UPDATE vehicles SET plate = 'PWNED' WHERE id = 'a-secret' AND :tenant_id IS NOT NULL",
         {}},
        {"UPDATE vehicles SET tenant_id = :tenant_id WHERE tenant_id = ?", {a_id}},
        {"UPDATE main.vehicles SET plate = 'PWNED' WHERE :tenant_id IS NOT NULL", {}},
        {"DELETE FROM vehicles WHERE tenant_id <> :tenant_id", {}},
        {"DELETE FROM trips WHERE tenant_id = ? AND :tenant_id IS NOT NULL", {a_id}},
        {"DELETE FROM main.trips WHERE :tenant_id IS NOT NULL AND tenant_id = ?", {a_id}},
        {"INSERT OR REPLACE INTO vehicles (tenant_id, id, plate, seats) VALUES (?, 'a-secret', "
         "'PWNED', 1), "
         "(:tenant_id, 'b-new', 'x', 1)",
         {a_id}},
        {"INSERT INTO vehicles (tenant_id, id, plate, seats) SELECT :tenant_id, id || '-copy', "
         "plate, seats "
         "FROM vehicles WHERE tenant_id <> :tenant_id",
         {}},
        {"REPLACE INTO trips (tenant_id, driver, seq, km, payload) VALUES (?, 'd1', 1, 0, x'00'), "
         "(:tenant_id, 'zz', 1, 0, x'00')",
         {a_id}},
        {"UPDATE trips SET km = -1 WHERE driver = 'd1' AND (tenant_id = :tenant_id OR 1=1)", {}},
    };
    for (const auto& attack : writes) {
      CAPTURE(attack.sql);
      auto r = w.ExecuteAsB(attack.sql, attack.params);
      if (writes_refused) {
        REQUIRE_FALSE(r);
        CAPTURE(r.error().ToString());
        CHECK(r.error().code == Errc::kPermissionDenied);
      } else if (!r) {
        CAPTURE(r.error().ToString());
        CHECK(IsTypedRefusal(r.error().code));
      }
      w.CheckAUnchanged();
    }
    // Nothing of A's came over to B either.
    w.CheckNoLeak(w.SnapB());
  }

  SECTION("honest raw writes change exactly B's rows") {
    auto r =
        w.ExecuteAsB("UPDATE vehicles SET seats = seats + 10 WHERE tenant_id = :tenant_id OR 1=1");
    if (model == IsolationModel::kShared && w.world().store().engine() == "sqlite") {
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kPermissionDenied);
      w.CheckBUnchanged();
    } else {
      REQUIRE(r);
      CHECK(*r == 3);
      for (const auto& x : w.SnapB().vehicles) CHECK(x.seats == 12);
    }
  }

  SECTION("a connection used by B's raw SQL serves A correctly afterwards") {
    for (int round = 0; round < 3; ++round) {
      auto rb = w.QueryAsB("SELECT id FROM vehicles WHERE tenant_id = :tenant_id OR 1=1");
      REQUIRE(rb);
      CHECK(rb->size() == 3);
      std::vector<RawRow> rows;
      auto ra = w.world().store().Transact(w.actx(), [&](Transaction& tx) -> Result<void> {
        auto q = tx.Query("SELECT id, plate FROM vehicles WHERE tenant_id = :tenant_id OR 1=1");
        if (!q) return q.error();
        rows = std::move(*q);
        return {};
      });
      REQUIRE(ra);
      CHECK(rows.size() == 5);
      for (const auto& row : rows) CHECK(Mentions(row[1], kSecret));
    }
  }
  w.CheckAUnchanged();
}

TEST_CASE("B's upsert, insert and remove never change A, over many keys", "[isolation][sqlite]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  TwoTenants w(model);
  const auto& v = w.vehicles();
  const auto& b = w.bctx();
  // B writes over every key A has, in every way, then removes them again.
  for (const auto& a_row : w.a_before().vehicles) {
    CAPTURE(a_row.id);
    Vehicle mine{a_row.id, "B-over", 1, std::nullopt, ""};
    auto up = v.Upsert(b, mine);
    REQUIRE(up);
    auto ins = v.Insert(b, mine);
    REQUIRE_FALSE(ins);
    CHECK(ins.error().code == Errc::kAlreadyExists);
    REQUIRE(v.Update(b, Vehicle{a_row.id, "B-over-2", 2, std::nullopt, ""}));
    CHECK(v.Get(b, a_row.id)->plate == "B-over-2");
    REQUIRE(v.Remove(b, a_row.id));
    CHECK(v.Get(b, a_row.id).error().code == Errc::kNotFound);
  }
  for (const auto& a_trip : w.a_before().trips) {
    REQUIRE(w.trips().Upsert(b, Trip{a_trip.driver, a_trip.seq, -1.0, Bytes("b")}));
    REQUIRE(w.trips().Remove(b, a_trip.driver, a_trip.seq));
  }
  CHECK(*v.Count(b) == 1);  // only b-only is left
  w.CheckAUnchanged();
}

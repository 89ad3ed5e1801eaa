// Per-tenant backup and restore on PostgreSQL: round trips in every pair of
// models (dedicated tenants on the second cluster), confinement of reads
// and writes in the shared tables, SQLite <-> PostgreSQL in both
// directions, PostgreSQL types beyond the portable four, refusal of a
// target that lacks a column with nothing left behind, replacing a tenant,
// and a snapshot that writers in other threads cannot tear.
//
// Needs the clusters of scripts/pg-cluster.sh (support/pg_env.hpp); exits
// 77 (skipped) without them.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "ops/backup_world.hpp"
#include "storage/postgres/pg_store.hpp"
#include "storage/tenant_dump.hpp"
#include "support/pg_env.hpp"
#include "support/psql.hpp"

namespace tenancy::testing {
namespace {

constexpr IsolationModel kModels[] = {IsolationModel::kShared, IsolationModel::kDatabase,
                                      IsolationModel::kDedicated};

std::string Name(IsolationModel m) { return std::string(ToString(m)); }

// This test's databases on both clusters. A base of PgWorld, so they exist
// before its World opens the store and are dropped after it closed.
struct PgDatabases {
  PgDatabase main{"TENANCY_TEST_PG_HOSTPORT"};
  PgDatabase placement{"TENANCY_TEST_PG2_HOSTPORT"};
};

// A World whose store is PostgreSQL; dedicated tenants live on the second
// cluster.
class PgWorld : private PgDatabases, public World {
 public:
  explicit PgWorld(std::string key_file = {}, std::optional<Schema> schema = std::nullopt)
      : PgDatabases(),
        World(std::move(key_file), true,
              WorldStore{.url = main.Url(),
                         .admin_url = main.AdminUrl(),
                         .dedicated_placement = placement.Url(),
                         .schema = std::move(schema)}) {}

  const PgDatabase& db() const { return main; }
  const PgDatabase& db2() const { return placement; }
  // Restore options for a new tenant in `model` (dedicated: on cluster 2).
  RestoreOptions Into(std::string slug, IsolationModel model) const {
    RestoreOptions o;
    o.slug = std::move(slug);
    o.model = model;
    if (model == IsolationModel::kDedicated) o.placement = placement.Url();
    return o;
  }
};


// Where a tenant's rows of `table` are, as the owner spells it.
std::string TableOf(const Tenant& t, const std::string& table) {
  const std::string schema =
      t.model == IsolationModel::kShared ? std::string(pg::kSharedSchema) : pg::TenantSchemaName(t.id);
  return "\"" + schema + "\"." + table;
}

// "count|md5" of a tenant's raw rows (ciphertext included) in `table`, read
// by the owner: any change to any of them, even a re-encryption, shows.
std::string RawChecksum(Psql& owner, const Tenant& t, const std::string& table) {
  return owner.Scalar("SELECT count(*) || '|' || coalesce(md5(string_agg(x::text, ',' ORDER BY "
                      "x::text)), '') FROM " +
                      TableOf(t, table) + " x WHERE tenant_id = '" + t.id.str() + "'");
}

std::int64_t RowCount(Psql& owner, const std::string& qualified_table) {
  return std::stoll(owner.Scalar("SELECT count(*) FROM " + qualified_table));
}

void RequireNothingRestored(World& w, std::size_t live_before, const std::string& slug) {
  CHECK(w.directory().live_count() == live_before);
  auto gone = w.directory().GetBySlug(slug);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::kTenantUnknown);
}

void RequireSameData(World& from, const TenantId& a, World& to, const TenantId& b) {
  const auto items_a = from.AllItems(a);
  const auto items_b = to.AllItems(b);
  REQUIRE(items_b.size() == items_a.size());
  for (std::size_t i = 0; i < items_a.size(); ++i) {
    CAPTURE(items_a[i].id);
    CHECK(items_b[i] == items_a[i]);
  }
  CHECK(to.AllPairs(b) == from.AllPairs(a));
}

// Collects the rows a DumpReader streams.
struct Collect final : detail::DumpRowSink {
  std::vector<std::vector<Value>> rows;
  std::size_t fail_at = static_cast<std::size_t>(-1);
  Result<void> OnRow(std::span<const Param> values) override {
    if (rows.size() == fail_at) return Fail(Errc::kStorage, "sink refused");
    auto& row = rows.emplace_back();
    for (const auto& v : values) {
      switch (v.index()) {
        case 1: row.emplace_back(std::get<1>(v)); break;
        case 2: row.emplace_back(std::get<2>(v)); break;
        case 3: row.emplace_back(std::string(std::get<3>(v))); break;
        case 4: row.emplace_back(Blob(std::get<4>(v).begin(), std::get<4>(v).end())); break;
        default: row.emplace_back(std::monostate{}); break;
      }
    }
    return {};
  }
};

std::size_t TableIndex(const detail::DumpReader& reader, const std::string& name) {
  const auto& tables = reader.tables();
  for (std::size_t i = 0; i < tables.size(); ++i)
    if (tables[i].name == name) return i;
  FAIL("no table " << name);
  return 0;
}

}  // namespace

TEST_CASE("a PostgreSQL backup restores every row and column, in every pair of models",
          "[backup][postgres]") {
  const auto from = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  const auto to = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(from), Name(to));
  PgWorld w;
  Psql owner(w.db().AdminUrl());
  const Tenant source = w.Provision("source", from);
  // The bystander shares the shared tables and holds MORE rows under the
  // SAME keys: a missing tenant predicate anywhere would show.
  const Tenant other = w.Provision("bystander", IsolationModel::kShared);
  w.Fill(source.id, 40, "s");
  w.Fill(other.id, 55, "s");
  const std::string other_items = RawChecksum(owner, other, "items");
  const std::string other_pairs = RawChecksum(owner, other, "pairs");
  const std::string other_digest = w.Digest(other.id);
  const auto items_before = w.AllItems(source.id);
  REQUIRE(items_before.size() == 40);

  BackupInfo written;
  const std::string file = BackupToString(w, source.id, &written);
  CHECK(written.engine == "postgres");
  CHECK(written.rows == 80);
  CHECK(written.schema_version == 2);
  CHECK(written.key_versions == 1);
  CHECK(written.bytes == file.size());
  CHECK(file.find("secret of s #7") == std::string::npos);  // ciphertext only
  CHECK(file.find("Grüße aus 東京") != std::string::npos);

  auto restored = RestoreFromString(w, file, w.Into("copy", to));
  REQUIRE(restored);
  CHECK(restored->created);
  CHECK(restored->rows == 80);
  CHECK(restored->resealed == 40 + 26 + 40);  // secrets, non-null notes, pairs
  CHECK(restored->tenant.model == to);
  CHECK(restored->tenant.state == TenantState::kActive);
  if (to == IsolationModel::kDedicated) CHECK(restored->tenant.placement == w.db2().Url());
  RequireSameData(w, source.id, w, restored->tenant.id);
  const auto items_after = w.AllItems(restored->tenant.id);
  REQUIRE(items_after.size() == 40);
  REQUIRE(items_after[1].n);
  CHECK(*items_after[1].n == std::numeric_limits<std::int64_t>::min());
  REQUIRE(items_after[2].n);
  CHECK(*items_after[2].n == std::numeric_limits<std::int64_t>::max());
  REQUIRE(items_after[4].r);
  CHECK(*items_after[4].r == std::numeric_limits<double>::denorm_min());
  REQUIRE(items_after[1].b);
  CHECK(items_after[1].b->empty());  // an empty blob stays a blob, not NULL
  CHECK_FALSE(items_after[0].b);
  // The ciphertext was re-sealed, not copied: it differs from the source's.
  if (from != IsolationModel::kDedicated && to != IsolationModel::kDedicated)
    CHECK(owner.Scalar("SELECT count(*) FROM " + TableOf(restored->tenant, "items") + " c JOIN " +
                     TableOf(source, "items") + " s ON s.id = c.id AND s.tenant_id = '" +
                     source.id.str() + "' WHERE c.tenant_id = '" + restored->tenant.id.str() +
                       "' AND c.secret = s.secret") == "0");

  CHECK(w.AllItems(source.id) == items_before);
  CHECK(RawChecksum(owner, other, "items") == other_items);
  CHECK(RawChecksum(owner, other, "pairs") == other_pairs);
  CHECK(w.Digest(other.id) == other_digest);
}

TEST_CASE("a shared-model backup holds only its tenant's rows, whatever others hold under the same keys",
          "[backup][postgres][isolation]") {
  PgWorld w;
  const Tenant alpha = w.Provision("alpha", IsolationModel::kShared);
  const Tenant bravo = w.Provision("bravo", IsolationModel::kShared);
  w.Fill(alpha.id, 10, "s");
  // Bravo: three times as many rows, the first ten under alpha's very keys,
  // every one marked.
  Repository<Item> items(w.store(), Items());
  Repository<Pair> pairs(w.store(), Pairs());
  for (int i = 0; i < 30; ++i) {
    Item it = World::MakeItem(i, "s");
    it.t = "bravo-only " + std::to_string(i);
    it.secret = "bravo secret";
    REQUIRE(items.Insert(w.Ctx(bravo.id), it));
    REQUIRE(pairs.Insert(w.Ctx(bravo.id), Pair{"s-p" + std::to_string(i % 7), i, Blob{0xbb}}));
  }

  BackupInfo info;
  const std::string file = BackupToString(w, alpha.id, &info);
  REQUIRE(info.tables.size() == 2);
  CHECK(info.tables[0].name == "items");
  CHECK(info.tables[0].rows == 10);
  CHECK(info.tables[1].rows == 10);
  CHECK(file.find("bravo-only") == std::string::npos);

  // The reader itself: alpha's rows only, in key order.
  auto reader = detail::TenantDump::Read(w.store(), alpha);
  REQUIRE(reader);
  Collect rows;
  auto n = (*reader)->ReadRows(TableIndex(**reader, "items"), rows);
  REQUIRE(n);
  CHECK(*n == 10);
  std::vector<std::string> ids;
  for (const auto& row : rows.rows) {
    ids.push_back(std::get<std::string>(row[0]));
    if (auto* t = std::get_if<std::string>(&row[3])) CHECK(t->find("bravo") == std::string::npos);
  }
  std::vector<std::string> expected;
  for (const auto& it : w.AllItems(alpha.id)) expected.push_back(it.id);
  CHECK(ids == expected);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  reader->reset();

  auto copy = RestoreFromString(w, file, w.Into("alpha-copy", IsolationModel::kDatabase));
  REQUIRE(copy);
  CHECK(w.AllItems(copy->tenant.id) == w.AllItems(alpha.id));
}

TEST_CASE("with Row-Level Security switched off, the tenant predicate alone confines backup and restore",
          "[backup][postgres][isolation]") {
  PgWorld w;
  Psql owner(w.db().AdminUrl());
  const Tenant alpha = w.Provision("alpha", IsolationModel::kShared);
  const Tenant bravo = w.Provision("bravo", IsolationModel::kShared);
  w.Fill(alpha.id, 8, "s");
  w.Fill(bravo.id, 20, "s");  // the same keys, and more of them
  const auto alpha_items = w.AllItems(alpha.id);
  const std::string bravo_raw = RawChecksum(owner, bravo, "items") + RawChecksum(owner, bravo, "pairs");
  // The first wall only: a statement without the predicate would now see
  // (and delete) every tenant's rows.
  owner.Exec("ALTER TABLE tenancy_shared.items DISABLE ROW LEVEL SECURITY; "
             "ALTER TABLE tenancy_shared.pairs DISABLE ROW LEVEL SECURITY");

  BackupInfo info;
  const std::string file = BackupToString(w, alpha.id, &info);
  CHECK(info.rows == 16);
  auto replaced = RestoreFromString(w, file, {.slug = "alpha", .replace_existing = true});
  REQUIRE(replaced);
  CHECK(replaced->rows == 16);
  CHECK(w.AllItems(alpha.id) == alpha_items);
  CHECK(RawChecksum(owner, bravo, "items") + RawChecksum(owner, bravo, "pairs") == bravo_raw);
  auto copy = RestoreFromString(w, file, w.Into("alpha-copy", IsolationModel::kShared));
  REQUIRE(copy);
  CHECK(w.AllItems(copy->tenant.id) == alpha_items);
  CHECK(RawChecksum(owner, bravo, "items") + RawChecksum(owner, bravo, "pairs") == bravo_raw);
}

TEST_CASE("a backup taken on SQLite restores into PostgreSQL, and one taken on PostgreSQL into SQLite",
          "[backup][postgres][sqlite]") {
  const auto from = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  const auto to = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(from), Name(to));
  World lite;                     // SQLite
  PgWorld pg(lite.key_file());  // PostgreSQL, the same master key (disaster recovery)

  SECTION("SQLite to PostgreSQL") {
    const Tenant acme = lite.Provision("acme", from);
    lite.Fill(acme.id, 30, "l");
    REQUIRE(lite.config().SetTenant(acme, {{"time_zone", "Europe/Berlin"}}, "ops"));
    BackupInfo info;
    const std::string file = BackupToString(lite, acme.id, &info);
    CHECK(info.engine == "sqlite");
    const Tenant resident = pg.Provision("resident", IsolationModel::kShared);
    pg.Fill(resident.id, 12, "l");  // the same keys, in the shared tables
    const std::string resident_before = pg.Digest(resident.id);

    auto restored = RestoreFromString(pg, file, pg.Into("acme", to));
    REQUIRE(restored);
    CHECK(restored->rows == 60);
    CHECK(restored->resealed == 30 + 20 + 30);
    CHECK(restored->config_restored);
    CHECK(restored->tenant.model == to);
    RequireSameData(lite, acme.id, pg, restored->tenant.id);
    CHECK(pg.Digest(resident.id) == resident_before);
    CHECK(pg.config().Snapshot(restored->tenant)->time_zone() == "Europe/Berlin");
  }
  SECTION("PostgreSQL to SQLite") {
    const Tenant acme = pg.Provision("acme", from);
    pg.Fill(acme.id, 30, "p");
    BackupInfo info;
    const std::string file = BackupToString(pg, acme.id, &info);
    CHECK(info.engine == "postgres");
    REQUIRE(info.tables.size() == 2);
    CHECK(info.tables[0].columns[1].type == "bigint");  // n, as PostgreSQL names it

    RestoreOptions o{.slug = "acme", .model = to};
    auto restored = RestoreFromString(lite, file, o);
    REQUIRE(restored);
    CHECK(restored->rows == 60);
    CHECK(restored->resealed == 30 + 20 + 30);
    RequireSameData(pg, acme.id, lite, restored->tenant.id);
    // And back again: the SQLite copy's backup lands on PostgreSQL as it left.
    const std::string back = BackupToString(lite, restored->tenant.id);
    auto again = RestoreFromString(pg, back, pg.Into("acme-again", from));
    REQUIRE(again);
    RequireSameData(pg, acme.id, pg, again->tenant.id);
  }
}

TEST_CASE("PostgreSQL column types beyond the portable four survive a round trip, also via SQLite",
          "[backup][postgres][types]") {
  // A third table of types SQLite has no name for; the same table on SQLite
  // takes what arrives.
  Schema schema = BackupSchema();
  schema.migrations.push_back(
      {3, "create kinds",
       "CREATE TABLE kinds (tenant_id TEXT NOT NULL, k INTEGER NOT NULL, flag BOOLEAN, small INTEGER, "
       "f REAL, amount TEXT, at TIMESTAMP, doc TEXT, code TEXT, uid TEXT, raw BLOB, "
       "PRIMARY KEY (tenant_id, k));",
       "CREATE TABLE kinds (tenant_id TEXT NOT NULL, k INTEGER NOT NULL, flag BOOLEAN, "
       "small SMALLINT, f REAL, amount NUMERIC(30,4), at TIMESTAMPTZ, doc JSONB, code VARCHAR(8), "
       "uid UUID, raw BYTEA, PRIMARY KEY (tenant_id, k));"});
  PgWorld pg({}, schema);
  Psql owner(pg.db().AdminUrl());
  const Tenant acme = pg.Provision("acme", IsolationModel::kDatabase);
  const std::string kinds = TableOf(acme, "kinds");
  owner.Exec("INSERT INTO " + kinds + " VALUES "
             "('" + acme.id.str() + "', 1, true, -32768, 1.5, 12345678901234567890.1234, "
             "'2026-03-04 05:06:07.123456+00', '{\"a\": [1, \"ü\"]}', 'abcdefgh', "
             "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff00'), "
             "('" + acme.id.str() + "', 2, false, 32767, -0.25, -0.0001, '1970-01-01 00:00:00+00', "
             "'null', '', '00000000-0000-0000-0000-000000000000', ''), "
             "('" + acme.id.str() + "', 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
  auto rows_of = [&](const Tenant& t) {
    return owner.Rows("SELECT x::text FROM (SELECT k, flag, small, f, amount, at, doc, code, uid, raw "
                      "FROM " + TableOf(t, "kinds") + " WHERE tenant_id = '" + t.id.str() +
                      "' ORDER BY k) x");
  };
  const auto original = rows_of(acme);
  REQUIRE(original.size() == 3);

  BackupInfo info;
  const std::string file = BackupToString(pg, acme.id, &info);
  REQUIRE(info.tables.size() == 3);
  CHECK(info.schema_version == 3);
  const auto& cols = info.tables[1].columns;  // items, kinds, pairs
  REQUIRE(info.tables[1].name == "kinds");
  REQUIRE(cols.size() == 10);
  CHECK(cols[0].name == "k");
  CHECK(cols[0].key == 1);
  CHECK(cols[0].not_null);
  CHECK(cols[1].type == "boolean");
  CHECK(cols[2].type == "smallint");
  CHECK(cols[3].type == "real");
  CHECK(cols[4].type == "numeric(30,4)");
  CHECK(cols[5].type == "timestamp with time zone");
  CHECK(cols[6].type == "jsonb");
  CHECK(cols[7].type == "character varying(8)");
  CHECK(cols[8].type == "uuid");
  CHECK(cols[9].type == "bytea");
  CHECK_FALSE(cols[9].not_null);

  SECTION("PostgreSQL to PostgreSQL, into another model") {
    auto copy = RestoreFromString(pg, file, pg.Into("copy", IsolationModel::kShared));
    REQUIRE(copy);
    CHECK(rows_of(copy->tenant) == original);
  }
  SECTION("PostgreSQL to SQLite and back") {
    World lite(pg.key_file(), true, WorldStore{.schema = schema});
    auto on_lite = RestoreFromString(lite, file, {.slug = "acme"});
    REQUIRE(on_lite);
    const std::string back = BackupToString(lite, on_lite->tenant.id);
    auto home = RestoreFromString(pg, back, pg.Into("acme-home", IsolationModel::kDatabase));
    REQUIRE(home);
    CHECK(rows_of(home->tenant) == original);
  }
}

TEST_CASE("a restore into a target that lacks a backed-up column is refused and leaves nothing behind",
          "[backup][postgres]") {
  PgWorld source;
  const Tenant acme = source.Provision("acme", IsolationModel::kShared);
  source.Fill(acme.id, 20, "a");
  const std::string file = BackupToString(source, acme.id);

  // The target is at the same version, but its pairs (the table written
  // second, after every item) has no `sealed`.
  Schema lacking = BackupSchema();
  lacking.migrations[1].postgres_sql =
      "CREATE TABLE pairs (tenant_id TEXT NOT NULL, a TEXT NOT NULL, b BIGINT NOT NULL, "
      "PRIMARY KEY (tenant_id, a, b));";
  PgWorld target(source.key_file(), lacking);
  Psql owner(target.db().AdminUrl());
  Psql owner2(target.db2().AdminUrl());
  const Tenant resident = target.Provision("resident", IsolationModel::kShared);
  Repository<Item> items(target.store(), Items());
  for (int i = 0; i < 7; ++i) REQUIRE(items.Insert(target.Ctx(resident.id), World::MakeItem(i, "a")));
  const auto resident_items = target.AllItems(resident.id);
  const std::string resident_raw = RawChecksum(owner, resident, "items");
  const auto schemas = [&] {
    const std::string count = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ts\\_%'";
    return owner.Scalar(count) + "+" + owner2.Scalar(count);
  };
  const std::string schemas_before = schemas();
  const std::int64_t shared_items = RowCount(owner, "tenancy_shared.items");

  SECTION("as a new tenant, in any model") {
    const auto model = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
    CAPTURE(Name(model));
    const std::size_t live = target.directory().live_count();
    auto r = RestoreFromString(target, file, target.Into("acme", model));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMigrationFailed);
    CHECK_THAT(r.error().message, Catch::Contains("sealed"));
    RequireNothingRestored(target, live, "acme");
    CHECK(RowCount(owner, "tenancy_shared.items") == shared_items);
    CHECK(schemas() == schemas_before);
  }
  SECTION("replacing a tenant: its own rows stay as they were") {
    auto r = RestoreFromString(target, file, {.slug = "resident", .replace_existing = true});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMigrationFailed);
    CHECK(target.AllItems(resident.id) == resident_items);
    CHECK(RawChecksum(owner, resident, "items") == resident_raw);
    CHECK(RowCount(owner, "tenancy_shared.items") == shared_items);
  }
}

TEST_CASE("replace_existing on PostgreSQL puts the backup's rows back and touches no one else",
          "[backup][postgres]") {
  const auto model = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(model));
  PgWorld w;
  Psql owner(w.db().AdminUrl());
  Psql owner2(w.db2().AdminUrl());
  const Tenant acme = w.Provision("acme", model);
  Psql& acme_owner = model == IsolationModel::kDedicated ? owner2 : owner;
  const Tenant other = w.Provision("other", IsolationModel::kShared);
  w.Fill(acme.id, 12, "a");
  w.Fill(other.id, 15, "a");
  const auto items_at_backup = w.AllItems(acme.id);
  const auto pairs_at_backup = w.AllPairs(acme.id);
  const std::string file = BackupToString(w, acme.id);

  // The tenant moves on after the backup.
  Repository<Item> items(w.store(), Items());
  REQUIRE(items.Remove(w.Ctx(acme.id), items_at_backup[0].id));
  REQUIRE(items.Insert(w.Ctx(acme.id), World::MakeItem(99, "late")));
  REQUIRE(w.AllItems(acme.id) != items_at_backup);
  const std::string other_raw = RawChecksum(owner, other, "items") + RawChecksum(owner, other, "pairs");

  auto refused = RestoreFromString(w, file, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kAlreadyExists);

  auto replaced = RestoreFromString(w, file, {.replace_existing = true});
  REQUIRE(replaced);
  CHECK_FALSE(replaced->created);
  CHECK(replaced->tenant.id == acme.id);
  CHECK(replaced->resealed == 0);
  CHECK(replaced->rows == 24);
  CHECK(w.AllItems(acme.id) == items_at_backup);
  CHECK(w.AllPairs(acme.id) == pairs_at_backup);
  CHECK(RawChecksum(owner, other, "items") + RawChecksum(owner, other, "pairs") == other_raw);

  // Replacing the other tenant with acme's backup re-seals under its keys,
  // and leaves acme as it is.
  const std::string acme_raw = RawChecksum(acme_owner, acme, "items");
  auto onto_other = RestoreFromString(w, file, {.slug = "other", .replace_existing = true});
  REQUIRE(onto_other);
  CHECK(onto_other->tenant.id == other.id);
  CHECK(onto_other->resealed == 12 + 8 + 12);
  CHECK(w.AllItems(other.id) == items_at_backup);
  CHECK(w.AllPairs(other.id) == pairs_at_backup);
  CHECK(RawChecksum(acme_owner, acme, "items") == acme_raw);
}

TEST_CASE("a PostgreSQL backup is one snapshot: rows written together are in it together or not at all",
          "[backup][postgres][concurrency]") {
  const auto model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
  CAPTURE(Name(model));
  PgWorld w;
  const Tenant acme = w.Provision("acme", model);
  w.Fill(acme.id, 5, "base");
  Repository<Item> items(w.store(), Items());
  Repository<Pair> pairs(w.store(), Pairs());
  const auto ctx = w.Ctx(acme.id);
  // Two writers; each commit adds one item and its pair, in one transaction.
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  auto writer = [&](std::string who) {
    for (int k = 0; !stop.load(); ++k) {
      auto r = w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
        Item it{who + "-" + std::to_string(k), k, std::nullopt, std::nullopt, std::nullopt, "s", std::nullopt};
        if (auto i = items.Insert(tx, it); !i) return i;
        return pairs.Insert(tx, Pair{who, k, Blob{1}});
      });
      if (r) commits.fetch_add(1);
    }
  };
  std::thread t1(writer, "w1"), t2(writer, "w2");
  std::vector<std::string> files;
  std::vector<BackupInfo> infos;
  while (files.size() < 6) {
    // Each backup starts after more commits than the last one saw.
    const int seen = commits.load();
    while (commits.load() <= seen) std::this_thread::yield();
    std::ostringstream out(std::ios::binary);
    auto r = w.MakeBackup().Write(acme.id, out);
    REQUIRE(r);
    infos.push_back(*r);
    files.push_back(out.str());
  }
  stop = true;
  t1.join();
  t2.join();
  REQUIRE(commits.load() > 0);
  std::set<std::uint64_t> sizes;
  for (const auto& info : infos) {
    REQUIRE(info.tables.size() == 2);
    // Base rows: 5 items and 5 pairs; then one of each per commit.
    CHECK(info.tables[0].rows == info.tables[1].rows);
    sizes.insert(info.tables[0].rows);
  }
  // Each backup started after a commit the previous one had not seen.
  CHECK(sizes.size() == infos.size());
  // A restored snapshot: every writer item has its pair.
  auto restored = RestoreFromString(w, files.back(), w.Into("snap", IsolationModel::kDatabase));
  REQUIRE(restored);
  std::set<std::string> item_keys, pair_keys;
  for (const auto& it : w.AllItems(restored->tenant.id))
    if (it.id.rfind("base", 0) != 0) item_keys.insert(it.id);
  for (const auto& p : w.AllPairs(restored->tenant.id))
    if (p.a.rfind("base", 0) != 0) pair_keys.insert(p.a + "-" + std::to_string(p.b));
  CHECK(item_keys == pair_keys);
  CHECK(item_keys.size() + 5 == infos.back().tables[0].rows);
}

TEST_CASE("the PostgreSQL dump reader reads the catalog and pages through large tables",
          "[backup][postgres]") {
  PgWorld w;
  const Tenant acme = w.Provision("acme", IsolationModel::kDatabase);
  w.Fill(acme.id, 150, "a");  // many fetches: some rows of 270 kB, most small
  auto reader = detail::TenantDump::Read(w.store(), acme);
  REQUIRE(reader);
  const auto& r = **reader;
  CHECK(r.schema_version() == 2);
  REQUIRE(r.tables().size() == 2);  // tenancy_schema_version left out
  const auto& items = r.tables()[0];
  CHECK(items.name == "items");
  REQUIRE(items.columns.size() == 7);  // tenant_id left out
  CHECK(items.columns[0].name == "id");
  CHECK(items.columns[0].key == 1);
  CHECK(items.columns[0].not_null);
  CHECK(items.columns[1].type == "bigint");
  CHECK(items.columns[1].key == 0);
  CHECK_FALSE(items.columns[1].not_null);
  CHECK(items.columns[2].type == "double precision");
  CHECK(items.columns[3].type == "text");
  CHECK(items.columns[4].type == "bytea");
  CHECK(items.columns[5].not_null);
  const auto& pairs = r.tables()[1];
  CHECK(pairs.columns[0].key == 1);
  CHECK(pairs.columns[1].key == 2);
  CHECK(pairs.columns[2].key == 0);

  Collect all;
  auto n = (*reader)->ReadRows(0, all);
  REQUIRE(n);
  CHECK(*n == 150);
  const auto expected = w.AllItems(acme.id);
  REQUIRE(all.rows.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(std::get<std::string>(all.rows[i][0]) == expected[i].id);
    if (expected[i].n) CHECK(std::get<std::int64_t>(all.rows[i][1]) == *expected[i].n);
    else CHECK(all.rows[i][1].index() == 0);
    if (expected[i].t) CHECK(std::get<std::string>(all.rows[i][3]) == *expected[i].t);
    if (expected[i].b) CHECK(std::get<Blob>(all.rows[i][4]) == *expected[i].b);
  }

  // A sink's error stops the read and comes back; the reader goes on.
  Collect refusing;
  refusing.fail_at = 70;
  auto stopped = (*reader)->ReadRows(0, refusing);
  REQUIRE_FALSE(stopped);
  CHECK(stopped.error().message == "sink refused");
  CHECK(refusing.rows.size() == 70);
  Collect pair_rows;
  auto p = (*reader)->ReadRows(1, pair_rows);
  REQUIRE(p);
  CHECK(*p == 150);
}

TEST_CASE("the PostgreSQL dump writer checks the target and writes all or nothing",
          "[backup][postgres]") {
  PgWorld w;
  Psql owner(w.db().AdminUrl());
  const auto model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
  CAPTURE(Name(model));
  const Tenant acme = w.Provision("acme", model);
  const Tenant other = w.Provision("other", IsolationModel::kShared);
  w.Fill(other.id, 4, "k");
  const std::string other_raw = RawChecksum(owner, other, "pairs");
  const detail::DumpTable pairs{"pairs", {{"a", "TEXT", true, 1}, {"b", "INTEGER", true, 2}, {"sealed", "BLOB", true, 0}}};
  const std::uint8_t bytes[] = {1, 2, 3};

  SECTION("an unknown table or column is kMigrationFailed") {
    auto writer = detail::TenantDump::Write(w.store(), acme);
    REQUIRE(writer);
    auto table = (*writer)->Table({"nope", {}});
    REQUIRE_FALSE(table);
    CHECK(table.error().code == Errc::kMigrationFailed);
    auto column = (*writer)->Table({"pairs", {{"a", "TEXT", true, 1}, {"ghost", "TEXT", false, 0}}});
    REQUIRE_FALSE(column);
    CHECK(column.error().code == Errc::kMigrationFailed);
    CHECK_THAT(column.error().message, Catch::Contains("ghost"));
  }
  SECTION("a duplicate key is kConflict and nothing of the writer commits") {
    auto writer = detail::TenantDump::Write(w.store(), acme);
    REQUIRE(writer);
    REQUIRE((*writer)->Table(pairs));
    // More rows than one pipelined chunk; the duplicate in the middle.
    Result<void> outcome;
    for (int i = 0; i < 600 && outcome; ++i) {
      const std::int64_t b = i == 300 ? 299 : i;
      const Param row[] = {std::string_view("k-p0"), b, BlobView(bytes)};
      outcome = (*writer)->Insert(row);
    }
    if (outcome) outcome = (*writer)->Commit();
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == Errc::kConflict);
    writer->reset();
    CHECK(RawChecksum(owner, acme, "pairs") == "0|");
  }
  SECTION("an uncommitted writer leaves nothing; a committed one its rows, for its tenant only") {
    {
      auto writer = detail::TenantDump::Write(w.store(), acme);
      REQUIRE(writer);
      REQUIRE((*writer)->Table(pairs));
      for (std::int64_t i = 0; i < 10; ++i) {
        const Param row[] = {std::string_view("k-p0"), i, BlobView(bytes)};
        REQUIRE((*writer)->Insert(row));
      }
    }
    CHECK(RawChecksum(owner, acme, "pairs") == "0|");
    auto writer = detail::TenantDump::Write(w.store(), acme);
    REQUIRE(writer);
    REQUIRE((*writer)->Clear());
    REQUIRE((*writer)->Table(pairs));
    for (std::int64_t i = 0; i < 10; ++i) {
      // A text into the bytea column travels as its bytes.
      const Param row[] = {std::string_view("k-p0"), i, std::string_view("\\x41")};
      REQUIRE((*writer)->Insert(row));
    }
    REQUIRE((*writer)->Commit());
    writer->reset();
    CHECK(owner.Scalar("SELECT count(*) FROM " + TableOf(acme, "pairs") + " WHERE tenant_id = '" +
                       acme.id.str() + "' AND sealed = '\\x5c783431'::bytea") == "10");
  }
  CHECK(RawChecksum(owner, other, "pairs") == other_raw);
}

TEST_CASE("a PostgreSQL tenant whose schema is gone cannot be backed up", "[backup][postgres]") {
  PgWorld w;
  Psql owner(w.db().AdminUrl());
  const Tenant acme = w.Provision("acme", IsolationModel::kDatabase);
  w.Fill(acme.id, 2, "a");
  owner.Exec("DROP SCHEMA \"" + pg::TenantSchemaName(acme.id) + "\" CASCADE");
  std::ostringstream out;
  auto r = w.MakeBackup().Write(acme.id, out);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kTenantUnknown);
}

}  // namespace tenancy::testing

// PostgreSQL benchmarks: repositories, RLS, provisioning and migrations on the
// postgres engine, each beside a raw-libpq baseline in the same binary that
// runs the same statement on the same server and table.
//
// Names pair up: BM_Pg_<Case>[/<model>] and BM_Pg_<Case>_Baseline[/<model>].
// All times are wall-clock (UseRealTime, or manual time where only part of
// an iteration is the subject): the work is network round trips.
//
// The server: 127.0.0.1:<port>, the compiled-in TENANCY_BENCH_PG_DEFAULT or
// $TENANCY_BENCH_PG_HOSTPORT, a cluster made by scripts/pg-cluster.sh (roles
// tenancy_owner and tenancy_app, trust auth on loopback). The binary creates
// its own databases as the superuser `postgres` (owned by tenancy_owner) and
// drops them at exit. Without a reachable server it prints why and exits
// with code 77, which ctest reports as skipped.
//
// Three databases keep the worlds apart, so tables the reads see keep their
// size whatever order (or interleaving) the benchmarks run in:
//   <name>_r  reads: PointGet and Rls
//   <name>_w  writes: BatchInsert1000, InsertMany1000 and ProvisionSchema
//   <name>_m  the migration fleet: Migrate1000Schemas
//
// Honest differences between the pairs (see the report in each section):
//   - the library runs every auto-committed statement as one pipelined
//     BEGIN; SET LOCAL app.tenant_id; SET LOCAL search_path; stmt; COMMIT
//     (one round trip, four extra statements on the server), as the serving
//     role under RLS; the PointGet baseline is one PQexecPrepared as the
//     owner role (BYPASSRLS), which is the floor for that lookup.
//   - Transact opens SERIALIZABLE and wraps each statement in a pipelined
//     SAVEPOINT / RELEASE; the batch baseline is a plain BEGIN ... COMMIT.
//   - InsertMany pipelines its rows as BEGIN; [SET app.tenant_id; SET
//     search_path, only when the pooled session is not yet bound to the
//     tenant]; 1000 x the prepared INSERT; COMMIT, 256 rows per flush
//     request, reading a chunk's results while the next is sent; before
//     that it checks every row and copies its parameters once. The baseline
//     sends the same statement the same way (one BEGIN, the same chunking),
//     as the owner role (BYPASSRLS, so no WITH CHECK on each row), and again
//     as the serving role under RLS (`_serving_role`), which leaves the
//     library's own cost.
//   - Provision also records the tenant in the control plane (SQLite) and
//     reads the schema version before and after; the baseline is the DDL.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "storage/postgres/pg_store.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/transaction.hpp"

#ifndef TENANCY_BENCH_PG_DEFAULT
#define TENANCY_BENCH_PG_DEFAULT "127.0.0.1:54329"
#endif

namespace tenancy::bench {
namespace {

constexpr int kSkipExitCode = 77;
constexpr std::int64_t kBatch = 1000;

std::size_t RowsPerTenant() { return SmokeMode() ? 2'000 : 10'000; }
std::size_t MigrationTenants() { return SmokeMode() ? 20 : 1'000; }

// -- raw libpq, for the baselines and the setup --

std::string HostPort() {
  const char* v = std::getenv("TENANCY_BENCH_PG_HOSTPORT");
  return v && *v ? v : TENANCY_BENCH_PG_DEFAULT;
}

class RawPg {
 public:
  explicit RawPg(const std::string& url) : c_(PQconnectdb(url.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) Die("connect " + url, PQerrorMessage(c_));
    PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  }
  ~RawPg() { PQfinish(c_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  PGconn* get() const noexcept { return c_; }

  // Runs a script (one or more statements); fatal on failure.
  void Exec(const std::string& sql) const {
    PGresult* r = PQexec(c_, sql.c_str());
    const auto st = PQresultStatus(r);
    std::string err = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!err.empty()) Die(sql.substr(0, 200), err);
  }
  // Not fatal: the timed loops count failures instead.
  bool TryExec(const char* sql) const {
    PGresult* r = PQexec(c_, sql);
    const auto st = PQresultStatus(r);
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  }
  void Prepare(const char* name, const std::string& sql, std::initializer_list<Oid> types) const {
    std::vector<Oid> t(types);
    PGresult* r = PQprepare(c_, name, sql.c_str(), static_cast<int>(t.size()), t.data());
    std::string err = PQresultStatus(r) == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!err.empty()) Die("prepare " + sql, err);
  }
  std::string Literal(std::string_view s) const {
    char* q = PQescapeLiteral(c_, s.data(), s.size());
    std::string out(q);
    PQfreemem(q);
    return out;
  }

 private:
  PGconn* c_;
};

constexpr Oid kText = 25, kInt8 = 20;

std::uint64_t LoadBig(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void StoreBig(std::uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}

std::string_view Text(const PGresult* r, int col) {
  return {PQgetvalue(r, 0, col), static_cast<std::size_t>(PQgetlength(r, 0, col))};
}

// Materializes the binary row of `SELECT id, plate, seats, note` into `v`,
// as the repository does (seats is INTEGER: int4 on the wire).
void ReadVehicle(const PGresult* r, Vehicle& v) {
  v.id.assign(Text(r, 0));
  v.plate.assign(Text(r, 1));
  v.seats = static_cast<std::int32_t>(LoadBig(PQgetvalue(r, 0, 2), 4));
  if (PQgetisnull(r, 0, 3))
    v.note.reset();
  else if (v.note)
    v.note->assign(Text(r, 3));
  else
    v.note.emplace(Text(r, 3));
}

// A new backend's first executions fill its catalog and plan caches; the
// library's pooled connections are warm, so the baselines warm up too.
constexpr int kWarmUp = 50;

// The library's statements, schema-qualified (the library relies on
// search_path instead). Parameter types as the library declares them.
std::string GetSql(std::string_view schema) {
  return "SELECT \"id\",\"plate\",\"seats\",\"note\" FROM \"" + std::string(schema) +
         "\".vehicles WHERE tenant_id = $1 AND \"id\" = $2";
}
std::string InsertSql(std::string_view schema) {
  return "INSERT INTO \"" + std::string(schema) +
         "\".vehicles (tenant_id,\"id\",\"plate\",\"seats\",\"note\") VALUES ($1,$2,$3,$4,$5)";
}

// -- the databases of this process --

class Cluster {
 public:
  static Cluster& Get() {
    static Cluster c;
    return c;
  }
  // Creates <base>_<suffix>; false (with `why`) when the server is unreachable.
  bool Create(const std::string& suffix, std::string* why) {
    const std::string name = base_ + "_" + suffix;
    PGconn* c = PQconnectdb(SuperUrl("postgres").c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      *why = "cannot connect to PostgreSQL at " + HostPort() + " as postgres: " + PQerrorMessage(c);
      PQfinish(c);
      return false;
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    bool ok = true;
    for (const std::string& sql : {"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)",
                                  "CREATE DATABASE " + name + " OWNER tenancy_owner"}) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        *why = sql + ": " + PQresultErrorMessage(r);
        ok = false;
      }
      PQclear(r);
      if (!ok) break;
    }
    PQfinish(c);
    if (ok) databases_.push_back(name);
    return ok;
  }
  void DropAll() {
    if (databases_.empty()) return;
    PGconn* c = PQconnectdb(SuperUrl("postgres").c_str());
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    if (PQstatus(c) == CONNECTION_OK) {
      for (const auto& db : databases_) PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)").c_str()));
    }
    PQfinish(c);
    databases_.clear();
  }
  std::string Url(const std::string& role, const std::string& suffix) const {
    return "postgres://" + role + "@" + HostPort() + "/" + base_ + "_" + suffix;
  }
  std::string App(const std::string& suffix) const { return Url("tenancy_app", suffix); }
  std::string Owner(const std::string& suffix) const { return Url("tenancy_owner", suffix); }

 private:
  Cluster() : base_("tenancy_bench_" + std::to_string(::getpid())) {}
  static std::string SuperUrl(const std::string& db) {
    return "postgres://postgres@" + HostPort() + "/" + db + "?connect_timeout=5";
  }
  std::string base_;
  std::vector<std::string> databases_;
};

// A PostgreSQL store (serving role tenancy_app, admin tenancy_owner) and a
// directory whose control plane is a SQLite file in the scratch directory.
struct PgWorld {
  std::string db;
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Directory> directory;

  explicit PgWorld(std::string suffix, Schema schema = FleetSchema())
      : db(std::move(suffix)), dir(ScratchRoot::Sub("pg_" + db)) {
    store = Must(Store::Open(Cluster::Get().App(db), std::move(schema), Options(db)), "open store");
    DirectoryOptions o;
    o.path = (dir / "control.db").string();
    directory = Must(Directory::Open(std::move(o), *store), "open directory");
  }

  static StoreOptions Options(const std::string& db) {
    StoreOptions o;
    o.admin_url = Cluster::Get().Owner(db);
    return o;
  }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    return ProvisionIn(*directory, slug, model);
  }
  TenantContext Context(const Tenant& t) const { return BenchContext(*directory, t); }
};

std::string SchemaOf(const TenantContext& ctx) {
  return ctx.tenant().model == IsolationModel::kShared ? "tenancy_shared"
                                                       : pg::TenantSchemaName(ctx.tenant_id());
}

// ------------------------------------------------------------- read world

// Per model, one tenant holding RowsPerTenant() vehicles; plus, for the RLS
// pair, bench_norls.vehicles: the same table and rows without RLS.
class ReadWorld {
 public:
  static ReadWorld& Get() {
    static ReadWorld w;
    return w;
  }
  const TenantContext& For(IsolationModel m) const {
    return m == IsolationModel::kShared ? shared_ : db_;
  }

  PgWorld world{"r"};
  Repository<Vehicle> repo{*world.store, Vehicles()};
  std::vector<std::string> keys;  // every stored key, shuffled

 private:
  ReadWorld()
      : shared_(world.Context(world.Provision("read-shared", IsolationModel::kShared))),
        db_(world.Context(world.Provision("read-database", IsolationModel::kDatabase))) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t n = RowsPerTenant();
    for (std::size_t i = 0; i < n; ++i) keys.push_back(MakeVehicle(i).id);
    std::shuffle(keys.begin(), keys.end(), std::mt19937_64(42));
    for (const TenantContext* ctx : {&shared_, &db_}) {
      Must(world.store->Transact(*ctx,
                                 [&](Transaction& tx) -> Result<void> {
                                   for (std::size_t i = 0; i < n; ++i)
                                     if (auto r = repo.Insert(tx, MakeVehicle(i)); !r) return r;
                                   return {};
                                 }),
           "fill repository tenant");
    }
    // The RLS-free twin of the library's shared table, same rows, same
    // grants to the serving role.
    RawPg owner(Cluster::Get().Owner(world.db));
    owner.Exec(
        "CREATE SCHEMA bench_norls; GRANT USAGE ON SCHEMA bench_norls TO tenancy_app;"
        "CREATE TABLE bench_norls.vehicles (LIKE tenancy_shared.vehicles INCLUDING ALL);"
        "INSERT INTO bench_norls.vehicles SELECT * FROM tenancy_shared.vehicles;"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON bench_norls.vehicles TO tenancy_app;"
        "ANALYZE tenancy_shared.vehicles; ANALYZE bench_norls.vehicles;");
    ReportSetup("pg_bench read world (2 models + RLS-free twin, " + std::to_string(n) +
                    " rows each)",
                SecondsSince(start));
  }

  TenantContext shared_;
  TenantContext db_;
};

// ---------------------------------------------------------------- PointGet

[[gnu::noinline]] void BM_Pg_PointGet(benchmark::State& state, IsolationModel model) {
  auto& w = ReadWorld::Get();
  const TenantContext& ctx = w.For(model);
  const auto& keys = w.keys;
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    auto r = w.repo.Get(ctx, keys[i]);
    failed += !r;
    benchmark::DoNotOptimize(r);
    if (++i == keys.size()) i = 0;
  }
  if (failed) state.SkipWithError("Repository::Get failed");
  state.SetItemsProcessed(state.iterations());
}

// The same SELECT, prepared once, one PQexecPrepared per lookup, binary
// parameters and results, as the owner role (no RLS applies to it).
[[gnu::noinline]] void BM_Pg_PointGet_Baseline(benchmark::State& state, IsolationModel model) {
  auto& w = ReadWorld::Get();
  const TenantContext& ctx = w.For(model);
  RawPg conn(Cluster::Get().Owner(w.world.db));
  conn.Prepare("get", GetSql(SchemaOf(ctx)), {kText, kText});
  const std::string& tenant = ctx.tenant_id().str();
  const auto& keys = w.keys;
  Vehicle v = MakeVehicle(0);
  const int formats[2] = {1, 1};
  for (int k = 0; k < kWarmUp; ++k) {
    const char* values[2] = {tenant.data(), keys[static_cast<std::size_t>(k)].data()};
    const int lengths[2] = {static_cast<int>(tenant.size()),
                            static_cast<int>(keys[static_cast<std::size_t>(k)].size())};
    PQclear(PQexecPrepared(conn.get(), "get", 2, values, lengths, formats, 1));
  }
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    const char* values[2] = {tenant.data(), keys[i].data()};
    const int lengths[2] = {static_cast<int>(tenant.size()), static_cast<int>(keys[i].size())};
    PGresult* r = PQexecPrepared(conn.get(), "get", 2, values, lengths, formats, 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
      ReadVehicle(r, v);
    else
      ++failed;
    PQclear(r);
    benchmark::DoNotOptimize(v);
    if (++i == keys.size()) i = 0;
  }
  if (failed) state.SkipWithError("raw point get found no row");
  state.SetItemsProcessed(state.iterations());
}

// --------------------------------------------------------------------- Rls

// The cost of Row-Level Security alone: the serving role runs the same
// point query, the way the library frames it (one pipeline of BEGIN;
// SET LOCAL app.tenant_id; EXECUTE; COMMIT), against the library's shared
// table (ENABLE + FORCE RLS, the library's policy) or its RLS-free twin.
void RlsPointQuery(benchmark::State& state, const char* schema) {
  auto& w = ReadWorld::Get();
  const TenantContext& ctx = w.For(IsolationModel::kShared);
  RawPg conn(Cluster::Get().App(w.world.db));
  conn.Prepare("get", GetSql(schema), {kText, kText});
  const std::string& tenant = ctx.tenant_id().str();
  const std::string set_tenant = "SET LOCAL app.tenant_id = " + conn.Literal(tenant);
  const auto& keys = w.keys;
  PGconn* c = conn.get();
  Vehicle v = MakeVehicle(0);
  const int formats[2] = {1, 1};
  // One pipelined transaction; false on any failure.
  auto query = [&](const std::string& key) {
    const char* values[2] = {tenant.data(), key.data()};
    const int lengths[2] = {static_cast<int>(tenant.size()), static_cast<int>(key.size())};
    bool ok = PQenterPipelineMode(c) &&
              PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) &&
              PQsendQueryParams(c, set_tenant.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) &&
              PQsendQueryPrepared(c, "get", 2, values, lengths, formats, 1) &&
              PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) &&
              PQpipelineSync(c);
    for (int step = 0; ok && step < 4; ++step) {
      PGresult* r = PQgetResult(c);
      if (!r) {
        ok = false;
        break;
      }
      if (step == 2) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
          ReadVehicle(r, v);
        else
          ok = false;
      } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        ok = false;
      }
      PQclear(r);
      while (PGresult* extra = PQgetResult(c)) PQclear(extra);  // the NULL after each result
    }
    PGresult* sync = PQgetResult(c);
    ok = ok && sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    return PQexitPipelineMode(c) && ok;
  };
  for (int k = 0; k < kWarmUp; ++k) (void)query(keys[static_cast<std::size_t>(k)]);
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    if (!query(keys[i])) {
      ++failed;
      break;
    }
    benchmark::DoNotOptimize(v);
    if (++i == keys.size()) i = 0;
  }
  if (failed) state.SkipWithError(("RLS point query failed: " + std::string(PQerrorMessage(c))).c_str());
  state.SetItemsProcessed(state.iterations());
}

[[gnu::noinline]] void BM_Pg_Rls(benchmark::State& state) { RlsPointQuery(state, "tenancy_shared"); }
[[gnu::noinline]] void BM_Pg_Rls_Baseline(benchmark::State& state) {
  RlsPointQuery(state, "bench_norls");
}

// ------------------------------------------------------------ write world

class WriteWorld {
 public:
  static WriteWorld& Get() {
    static WriteWorld w;
    return w;
  }
  const TenantContext& For(IsolationModel m) const {
    return m == IsolationModel::kShared ? shared_ : db_;
  }

  PgWorld world{"w"};
  Repository<Vehicle> repo{*world.store, Vehicles()};

 private:
  WriteWorld()
      : shared_(world.Context(world.Provision("write-shared", IsolationModel::kShared))),
        db_(world.Context(world.Provision("write-database", IsolationModel::kDatabase))) {}

  TenantContext shared_;
  TenantContext db_;
};

// Fresh keys across every run of a process: a running counter per series.
// One key series per model, shared by every write benchmark and its
// baseline: each insert lands at the right end of the primary key's index.
// (Separate series per benchmark put the lower ones mid-index, where every
// insert descends the tree and splits pages in the middle, while the higher
// one enjoys PostgreSQL's rightmost-leaf fast path: a 30 % difference that
// is the keys', not the code's.)
std::uint64_t& NextBatchKey(IsolationModel model) {
  static std::array<std::uint64_t, 2> next{};
  return next[model == IsolationModel::kShared ? 0 : 1];
}

// ---------------------------------------------------------- BatchInsert1000

[[gnu::noinline]] void BM_Pg_BatchInsert1000(benchmark::State& state, IsolationModel model) {
  auto& w = WriteWorld::Get();
  const TenantContext& ctx = w.For(model);
  struct Work {
    const Repository<Vehicle>* repo;
    Vehicle v;
    std::uint64_t* next;
  } work{&w.repo, MakeVehicle(0), &NextBatchKey(model)};
  const std::function<Result<void>(Transaction&)> insert_batch =
      [&work](Transaction& tx) -> Result<void> {
    for (std::int64_t k = 0; k < kBatch; ++k) {
      FormatKey(work.v.id, "k", (*work.next)++);
      if (auto r = work.repo->Insert(tx, work.v); !r) return r;
    }
    return {};
  };
  for (auto _ : state) {
    auto r = w.world.store->Transact(ctx, insert_batch);
    if (!r) {
      state.SkipWithError(("batch insert failed: " + r.error().ToString()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// The library's INSERT parameters for one vehicle, binary, in the form
// PQexecPrepared and PQsendQueryPrepared take them.
struct VehicleInsertParams {
  static constexpr int kFormats[5] = {1, 1, 1, 1, 1};
  char seats[8];
  const char* values[5];
  int lengths[5];

  VehicleInsertParams(const std::string& tenant, const Vehicle& v) {
    StoreBig(static_cast<std::uint64_t>(v.seats), seats);
    const char* vals[5] = {tenant.data(), v.id.data(), v.plate.data(), seats,
                           v.note ? v.note->data() : nullptr};
    const int lens[5] = {static_cast<int>(tenant.size()), static_cast<int>(v.id.size()),
                         static_cast<int>(v.plate.size()), 8,
                         v.note ? static_cast<int>(v.note->size()) : 0};
    std::copy(vals, vals + 5, values);
    std::copy(lens, lens + 5, lengths);
  }
};

// BEGIN; 1000 x PQexecPrepared of the library's INSERT (same parameter types,
// binary); COMMIT, as the owner role, into the same table of the same tenant.
[[gnu::noinline]] void BM_Pg_BatchInsert1000_Baseline(benchmark::State& state,
                                                      IsolationModel model) {
  auto& w = WriteWorld::Get();
  const TenantContext& ctx = w.For(model);
  RawPg conn(Cluster::Get().Owner(w.world.db));
  conn.Prepare("ins", InsertSql(SchemaOf(ctx)), {kText, kText, kText, kInt8, kText});
  const std::string& tenant = ctx.tenant_id().str();
  std::uint64_t& next = NextBatchKey(model);
  Vehicle v = MakeVehicle(0);
  bool failed = false;
  for (auto _ : state) {
    failed |= !conn.TryExec("BEGIN");
    for (std::int64_t k = 0; k < kBatch && !failed; ++k) {
      FormatKey(v.id, "k", next++);
      const VehicleInsertParams p(tenant, v);
      PGresult* r = PQexecPrepared(conn.get(), "ins", 5, p.values, p.lengths,
                                   VehicleInsertParams::kFormats, 1);
      failed |= PQresultStatus(r) != PGRES_COMMAND_OK;
      PQclear(r);
    }
    failed |= !conn.TryExec("COMMIT");
    if (failed) {
      state.SkipWithError(PQerrorMessage(conn.get()));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// ----------------------------------------------------------- InsertMany1000

// One auto-committed InsertMany of 1000 fresh vehicles.
[[gnu::noinline]] void BM_Pg_InsertMany1000(benchmark::State& state, IsolationModel model) {
  auto& w = WriteWorld::Get();
  const TenantContext& ctx = w.For(model);
  std::uint64_t& next = NextBatchKey(model);
  std::vector<Vehicle> batch(static_cast<std::size_t>(kBatch), MakeVehicle(0));
  for (auto _ : state) {
    for (auto& v : batch) FormatKey(v.id, "k", next++);
    auto r = w.repo.InsertMany(ctx, batch);
    if (!r) {
      state.SkipWithError(("insert many failed: " + r.error().ToString()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// The same rows as raw libpq: one pipeline of BEGIN; 1000 x PQsendQueryPrepared
// of the library's INSERT (same parameter types, binary); COMMIT, in chunks of
// PgConnection::kBatchChunk with a flush request after each and the previous
// chunk's results read meanwhile; into the same table. As the owner role
// (BYPASSRLS: the floor), or `as_serving_role`: as the library's role with
// the tenant set once for the session, so every row passes the same RLS
// WITH CHECK as the library's — the pair then differs by the library alone,
// and owner vs serving role is what RLS costs a batched insert.
[[gnu::noinline]] void BM_Pg_InsertMany1000_Baseline(benchmark::State& state, IsolationModel model,
                                                     bool as_serving_role) {
  auto& w = WriteWorld::Get();
  const TenantContext& ctx = w.For(model);
  RawPg conn(as_serving_role ? Cluster::Get().App(w.world.db) : Cluster::Get().Owner(w.world.db));
  if (as_serving_role)
    conn.Exec("SET app.tenant_id = '" + ctx.tenant_id().str() + "'");
  conn.Prepare("ins", InsertSql(SchemaOf(ctx)), {kText, kText, kText, kInt8, kText});
  PGconn* c = conn.get();
  const std::string& tenant = ctx.tenant_id().str();
  std::uint64_t& next = NextBatchKey(model);
  constexpr std::int64_t kChunk = static_cast<std::int64_t>(pg::PgConnection::kBatchChunk);
  Vehicle v = MakeVehicle(0);
  // Reads `n` results (each then its NULL); false on any failure.
  auto read = [c](std::int64_t n) {
    bool ok = true;
    for (std::int64_t i = 0; i < n; ++i) {
      PGresult* r = PQgetResult(c);
      ok &= r && PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      while (PGresult* extra = PQgetResult(c)) PQclear(extra);
    }
    return ok;
  };
  bool failed = false;
  for (auto _ : state) {
    failed |= !PQenterPipelineMode(c);
    failed |= !PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
    std::int64_t unread = 1, previous = 0;  // BEGIN's result comes with the first chunk's
    for (std::int64_t begin = 0; begin < kBatch && !failed; begin += kChunk) {
      const std::int64_t end = std::min(kBatch, begin + kChunk);
      for (std::int64_t k = begin; k < end; ++k) {
        FormatKey(v.id, "k", next++);
        const VehicleInsertParams p(tenant, v);
        failed |= !PQsendQueryPrepared(c, "ins", 5, p.values, p.lengths,
                                       VehicleInsertParams::kFormats, 1);
      }
      unread += end - begin;
      if (end == kBatch) break;
      failed |= !PQsendFlushRequest(c) || PQflush(c) != 0;
      failed |= !read(previous);
      unread -= previous;
      previous = unread;
    }
    failed |= !PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
    failed |= !PQpipelineSync(c);
    failed |= !read(unread + 1);
    PGresult* sync = PQgetResult(c);
    failed |= PQresultStatus(sync) != PGRES_PIPELINE_SYNC;
    PQclear(sync);
    failed |= !PQexitPipelineMode(c);
    if (failed) {
      state.SkipWithError(PQerrorMessage(c));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// --------------------------------------------------------- ProvisionSchema

std::uint64_t& NextSlug() {
  static std::uint64_t n = 0;
  return n;
}

// Directory::Provision of a database-model tenant: control-plane record,
// schema, migration 1 (vehicles), RLS, grants, activation.
[[gnu::noinline]] void BM_Pg_ProvisionSchema(benchmark::State& state) {
  auto& w = WriteWorld::Get();
  std::string slug;
  for (auto _ : state) {
    FormatKey(slug, "p", NextSlug()++);
    ProvisionRequest req;
    req.slug = slug;
    req.model = IsolationModel::kDatabase;
    auto r = w.world.directory->Provision(req);
    if (!r) {
      state.SkipWithError(("provision failed: " + r.error().ToString()).c_str());
      break;
    }
  }
}

// The DDL the library runs for a new schema, in one transaction, one PQexec:
// schema + usage grant, version table, the migration, ENABLE/FORCE RLS, the
// policy, the table grant and the version row.
[[gnu::noinline]] void BM_Pg_ProvisionSchema_Baseline(benchmark::State& state) {
  auto& w = WriteWorld::Get();
  RawPg conn(Cluster::Get().Owner(w.world.db));
  static std::uint64_t n = 0;  // fresh schema names across every run
  std::string schema;
  for (auto _ : state) {
    FormatKey(schema, "raw_", n++);
    const std::string q = "\"" + schema + "\"";
    const std::string sql =
        "BEGIN; CREATE SCHEMA " + q + "; GRANT USAGE ON SCHEMA " + q +
        " TO tenancy_app; SET LOCAL search_path = " + q +
        "; CREATE TABLE tenancy_schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at BIGINT NOT NULL); " +
        kVehiclesDdl +
        " ALTER TABLE vehicles ENABLE ROW LEVEL SECURITY;"
        " ALTER TABLE vehicles FORCE ROW LEVEL SECURITY;"
        " CREATE POLICY tenancy_tenant_isolation ON vehicles"
        " USING (tenant_id = current_setting('app.tenant_id', true))"
        " WITH CHECK (tenant_id = current_setting('app.tenant_id', true));"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON vehicles TO tenancy_app;"
        " INSERT INTO tenancy_schema_version VALUES (1, 'create vehicles', 0); COMMIT";
    if (!conn.TryExec(sql.c_str())) {
      state.SkipWithError(PQerrorMessage(conn.get()));
      break;
    }
  }
}

// ------------------------------------------------------ Migrate1000Schemas

// MigrationTenants() database-model tenants at version 1, in their own
// database. Each run of the library benchmark adds the next migration
// (ALTER TABLE vehicles ADD COLUMN extra_<v> TEXT); each run of the baseline
// adds its own column to the same tables.
class MigrateWorld {
 public:
  static MigrateWorld& Get() {
    static MigrateWorld w;
    return w;
  }

  PgWorld world{"m"};
  std::vector<Tenant> tenants;
  int version = 1;      // the fleet's schema version
  int raw_columns = 0;  // columns the baseline added

  static Schema SchemaUpTo(int latest) {
    Schema s = FleetSchema();
    for (int v = 2; v <= latest; ++v)
      s.migrations.push_back({v, "add extra_" + std::to_string(v),
                              "ALTER TABLE vehicles ADD COLUMN extra_" + std::to_string(v) + " TEXT"});
    return s;
  }

 private:
  MigrateWorld() {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t n = MigrationTenants();
    tenants.reserve(n);
    std::string slug;
    for (std::size_t i = 0; i < n; ++i) {
      FormatKey(slug, "m", i);
      tenants.push_back(world.Provision(slug, IsolationModel::kDatabase));
    }
    ReportSetup("pg_bench migration fleet (" + std::to_string(n) + " database-model tenants)",
                SecondsSince(start));
  }
};

// Reopens the store with one more migration (not timed) and times
// Store::MigrateTenants over the whole fleet.
[[gnu::noinline]] void BM_Pg_Migrate1000Schemas(benchmark::State& state) {
  auto& w = MigrateWorld::Get();
  for (auto _ : state) {
    const int target = w.version + 1;
    auto store = Store::Open(Cluster::Get().App(w.world.db), MigrateWorld::SchemaUpTo(target),
                             PgWorld::Options(w.world.db));
    if (!store) {
      state.SkipWithError(("reopen store failed: " + store.error().ToString()).c_str());
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    MigrationReport report = (*store)->MigrateTenants(w.tenants);
    const double seconds = SecondsSince(start);
    state.SetIterationTime(seconds);
    state.counters["total_s"] = seconds;
    state.counters["schemas"] = static_cast<double>(w.tenants.size());
    w.version = target;
    std::size_t migrated = 0;
    for (const auto& e : report.entries) migrated += !e.tenant.empty() && e.to_version == target;
    if (!report.ok() || migrated != w.tenants.size()) {
      state.SkipWithError("MigrateTenants did not bring every tenant to the new version");
      break;
    }
  }
}

// The same ALTER TABLE, per schema, auto-committed, one PQexec each.
[[gnu::noinline]] void BM_Pg_Migrate1000Schemas_Baseline(benchmark::State& state) {
  auto& w = MigrateWorld::Get();
  RawPg conn(Cluster::Get().Owner(w.world.db));
  std::vector<std::string> names;
  for (const auto& t : w.tenants) names.push_back("\"" + pg::TenantSchemaName(t.id) + "\"");
  for (auto _ : state) {
    const std::string column = "raw_" + std::to_string(++w.raw_columns);
    const auto start = std::chrono::steady_clock::now();
    bool ok = true;
    for (const auto& s : names) {
      const std::string sql = "ALTER TABLE " + s + ".vehicles ADD COLUMN " + column + " TEXT";
      ok = ok && conn.TryExec(sql.c_str());
    }
    const double seconds = SecondsSince(start);
    state.SetIterationTime(seconds);
    state.counters["total_s"] = seconds;
    state.counters["schemas"] = static_cast<double>(names.size());
    if (!ok) {
      state.SkipWithError(PQerrorMessage(conn.get()));
      break;
    }
  }
}

using benchmark::kMicrosecond;
using benchmark::kMillisecond;

BENCHMARK_CAPTURE(BM_Pg_PointGet, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK_CAPTURE(BM_Pg_PointGet, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK_CAPTURE(BM_Pg_PointGet_Baseline, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK_CAPTURE(BM_Pg_PointGet_Baseline, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMicrosecond);

BENCHMARK_CAPTURE(BM_Pg_BatchInsert1000, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_BatchInsert1000, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_BatchInsert1000_Baseline, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_BatchInsert1000_Baseline, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMillisecond);

BENCHMARK_CAPTURE(BM_Pg_InsertMany1000, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_InsertMany1000, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_InsertMany1000_Baseline, shared, IsolationModel::kShared, false)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_InsertMany1000_Baseline, database, IsolationModel::kDatabase, false)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_InsertMany1000_Baseline, shared_serving_role, IsolationModel::kShared, true)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Pg_InsertMany1000_Baseline, database_serving_role, IsolationModel::kDatabase, true)->UseRealTime()->Unit(kMillisecond);

BENCHMARK(BM_Pg_Rls)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK(BM_Pg_Rls_Baseline)->UseRealTime()->Unit(kMicrosecond);

BENCHMARK(BM_Pg_ProvisionSchema)->UseRealTime()->Unit(kMillisecond);
BENCHMARK(BM_Pg_ProvisionSchema_Baseline)->UseRealTime()->Unit(kMillisecond);

BENCHMARK(BM_Pg_Migrate1000Schemas)->Iterations(1)->UseManualTime()->Unit(kMillisecond);
BENCHMARK(BM_Pg_Migrate1000Schemas_Baseline)->Iterations(1)->UseManualTime()->Unit(kMillisecond);

}  // namespace
}  // namespace tenancy::bench

int main(int argc, char** argv) {
  using tenancy::bench::Cluster;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::string why;
  for (const char* suffix : {"r", "w", "m"}) {
    if (!Cluster::Get().Create(suffix, &why)) {
      Cluster::Get().DropAll();
      std::fprintf(stderr, "SKIPPED: no PostgreSQL server for pg_bench: %s\n", why.c_str());
      return tenancy::bench::kSkipExitCode;
    }
  }
  // Die() aborts; the databases are dropped on every normal exit.
  std::atexit([] { Cluster::Get().DropAll(); });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

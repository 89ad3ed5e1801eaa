// Storage benchmarks: repositories, the database LRU and provisioning, each
// beside a raw-SQLite baseline in the same binary.
//
// Names pair up: BM_<Area>_<Case>[/<model>] and BM_<Area>_<Case>_Baseline.
// The baselines use the sqlite3_* C API with the same schema and SQL shape,
// cached prepared statements, WAL and synchronous=NORMAL, on their own files
// in the same scratch directory. All times are wall-clock (UseRealTime):
// storage work blocks on I/O, which CPU time would hide.
//
// Worlds are built once per process and reused; TENANCY_BENCH_SMOKE=1
// shrinks them for ctest's smoke run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <list>
#include <random>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "tenancy/repository.hpp"

namespace tenancy::bench {
namespace {

// Functions registered through BENCHMARK_CAPTURE are [[gnu::noinline]] so
// that profilers (callgrind --toggle-collect) see them as frames of their
// own rather than folded into the capture lambdas.

constexpr std::int64_t kBatch = 1000;
constexpr std::size_t kPageSize = 50;

std::size_t RowsPerTenant() { return SmokeMode() ? 2'000 : 10'000; }
std::size_t ChurnTenants() { return SmokeMode() ? 300 : 10'000; }
constexpr std::size_t kChurnCapacity = 256;

const char* ModelName(IsolationModel m) {
  return m == IsolationModel::kShared ? "shared" : m == IsolationModel::kDatabase ? "database"
                                                                                  : "dedicated";
}

// The read world: per model, one tenant holding RowsPerTenant() vehicles;
// the raw baseline file holds the same rows under the same tenant_id.
class RepoWorld {
 public:
  static RepoWorld& Get() {
    static RepoWorld w;
    return w;
  }

  const TenantContext& For(IsolationModel m) const {
    return m == IsolationModel::kShared ? shared_ : db_;
  }

  World world{"repo"};
  Repository<Vehicle> repo{*world.store, Vehicles()};
  RawDb raw{world.dir / "raw.db"};
  std::string raw_tenant;         // tenant_id of the baseline's rows
  std::vector<std::string> keys;  // every stored key, shuffled

 private:
  RepoWorld()
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
    raw_tenant = shared_.tenant_id().str();
    raw.Exec(kVehiclesDdl);
    raw.Exec("BEGIN");
    RawStmt ins = raw.Prepare(kRawInsert);
    for (std::size_t i = 0; i < n; ++i) {
      const Vehicle v = MakeVehicle(i);
      BindVehicle(ins.get(), raw_tenant, v);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) Die("fill raw", sqlite3_errmsg(raw.get()));
      sqlite3_reset(ins.get());
    }
    raw.Exec("COMMIT");
    ReportSetup("storage_bench repository world (2 models + raw, " + std::to_string(n) +
                    " rows each)",
                SecondsSince(start));
  }

  TenantContext shared_;
  TenantContext db_;
};

// The write world, apart from the read world so the tables the reads see
// keep their size whatever order (or interleaving) the benchmarks run in.
class BatchWorld {
 public:
  static BatchWorld& Get() {
    static BatchWorld w;
    return w;
  }

  const TenantContext& For(IsolationModel m) const {
    return m == IsolationModel::kShared ? shared_ : db_;
  }

  World world{"batch"};
  Repository<Vehicle> repo{*world.store, Vehicles()};
  RawDb raw{world.dir / "raw_batch.db"};

 private:
  BatchWorld()
      : shared_(world.Context(world.Provision("write-shared", IsolationModel::kShared))),
        db_(world.Context(world.Provision("write-database", IsolationModel::kDatabase))) {
    raw.Exec(kVehiclesDdl);
  }

  TenantContext shared_;
  TenantContext db_;
};

// ---------------------------------------------------------------- PointGet

[[gnu::noinline]] void BM_Repo_PointGet(benchmark::State& state, IsolationModel model) {
  auto& w = RepoWorld::Get();
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

void BM_Repo_PointGet_Baseline(benchmark::State& state) {
  auto& w = RepoWorld::Get();
  RawStmt get = w.raw.Prepare(kRawGet);
  sqlite3_stmt* s = get.get();
  const auto& keys = w.keys;
  Vehicle v = MakeVehicle(0);
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    BindText(s, 1, w.raw_tenant);
    BindText(s, 2, keys[i]);
    if (sqlite3_step(s) == SQLITE_ROW)
      ReadVehicle(s, v);
    else
      ++failed;
    sqlite3_reset(s);
    benchmark::DoNotOptimize(v);
    if (++i == keys.size()) i = 0;
  }
  if (failed) state.SkipWithError("raw point get found no row");
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------- BatchInsert1000

// Fresh keys across every run of a process: a running counter per series.
std::uint64_t& NextBatchKey(int series) {
  static std::array<std::uint64_t, 6> next{};
  return next[static_cast<std::size_t>(series)];
}

[[gnu::noinline]] void BM_Repo_BatchInsert1000(benchmark::State& state, IsolationModel model) {
  auto& w = BatchWorld::Get();
  const TenantContext& ctx = w.For(model);
  struct Work {
    const Repository<Vehicle>* repo;
    Vehicle v;
    std::uint64_t* next;
  } work{&w.repo, MakeVehicle(0), &NextBatchKey(static_cast<int>(model))};
  // Built once: Transact takes the callback by reference, so the loop
  // itself allocates nothing on the harness side.
  const std::function<Result<void>(Transaction&)> insert_batch =
      [&work](Transaction& tx) -> Result<void> {
    for (std::int64_t k = 0; k < kBatch; ++k) {
      FormatKey(work.v.id, "b", (*work.next)++);
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

// BEGIN IMMEDIATE; 1000 x the cached INSERT; COMMIT on raw SQLite.
void RawBatchInsert(benchmark::State& state, int series) {
  auto& w = BatchWorld::Get();
  RawStmt begin = w.raw.Prepare("BEGIN IMMEDIATE");
  RawStmt commit = w.raw.Prepare("COMMIT");
  RawStmt ins = w.raw.Prepare(kRawInsert);
  sqlite3_stmt* s = ins.get();
  const std::string tenant = "tn_00000000batch0";
  std::uint64_t& next = NextBatchKey(series);
  Vehicle v = MakeVehicle(0);
  bool failed = false;
  for (auto _ : state) {
    failed |= sqlite3_step(begin.get()) != SQLITE_DONE;
    sqlite3_reset(begin.get());
    for (std::int64_t k = 0; k < kBatch; ++k) {
      FormatKey(v.id, "b", next++);
      BindVehicle(s, tenant, v);
      failed |= sqlite3_step(s) != SQLITE_DONE;
      sqlite3_reset(s);
    }
    failed |= sqlite3_step(commit.get()) != SQLITE_DONE;
    sqlite3_reset(commit.get());
    if (failed) {
      state.SkipWithError(sqlite3_errmsg(w.raw.get()));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Repo_BatchInsert1000_Baseline(benchmark::State& state) { RawBatchInsert(state, 2); }

// ----------------------------------------------------------- InsertMany1000

// One auto-committed InsertMany of 1000 fresh vehicles: the default batch
// path (one SAVEPOINT, the cached INSERT stepped per row, RELEASE), after
// every row is checked and its parameters copied once.
[[gnu::noinline]] void BM_Storage_InsertMany1000(benchmark::State& state, IsolationModel model) {
  auto& w = BatchWorld::Get();
  const TenantContext& ctx = w.For(model);
  std::uint64_t& next = NextBatchKey(model == IsolationModel::kShared ? 3 : 4);
  std::vector<Vehicle> batch(static_cast<std::size_t>(kBatch), MakeVehicle(0));
  for (auto _ : state) {
    for (auto& v : batch) FormatKey(v.id, "m", next++);
    auto r = w.repo.InsertMany(ctx, batch);
    if (!r) {
      state.SkipWithError(("insert many failed: " + r.error().ToString()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// The raw floor for the same rows, as BatchInsert1000's baseline.
void BM_Storage_InsertMany1000_Baseline(benchmark::State& state) { RawBatchInsert(state, 5); }

// ----------------------------------------------------------------- PageList

// Walks the read tenant page by page (keyset paging), wrapping at the end.
[[gnu::noinline]] void BM_Repo_PageList(benchmark::State& state, IsolationModel model) {
  auto& w = RepoWorld::Get();
  const TenantContext& ctx = w.For(model);
  ListQuery query;
  query.limit = kPageSize;
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto page = w.repo.List(ctx, query);
    if (!page) {
      state.SkipWithError(("List failed: " + page.error().ToString()).c_str());
      break;
    }
    rows += static_cast<std::int64_t>(page->items.size());
    query.after.swap(page->next_cursor);  // empty at the end: start over
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(rows);
}

void BM_Repo_PageList_Baseline(benchmark::State& state) {
  auto& w = RepoWorld::Get();
  RawStmt page = w.raw.Prepare(kRawPage);
  sqlite3_stmt* s = page.get();
  std::vector<Vehicle> items(kPageSize, MakeVehicle(0));
  std::string after;
  after.reserve(32);
  std::int64_t rows = 0;
  for (auto _ : state) {
    BindText(s, 1, w.raw_tenant);
    BindText(s, 2, after);
    std::size_t n = 0;
    bool more = false;
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (n == kPageSize) {
        more = true;
        break;
      }
      ReadVehicle(s, items[n++]);
    }
    sqlite3_reset(s);
    if (more)
      after.assign(items[n - 1].id);
    else
      after.clear();
    rows += static_cast<std::int64_t>(n);
    benchmark::DoNotOptimize(items.data());
  }
  state.SetItemsProcessed(rows);
}

// ------------------------------------------------------------ LruOpenChurn

// The store's LRU replayed in the benchmark (the library does not expose its
// eviction count): same capacity, same access sequence, same starting state.
class LruModel {
 public:
  LruModel(std::size_t keys, std::size_t capacity) : pos_(keys), in_(keys, false), cap_(capacity) {}
  void Touch(std::uint32_t k) {
    if (in_[k]) {
      order_.splice(order_.begin(), order_, pos_[k]);
      return;
    }
    ++misses;
    order_.push_front(k);
    pos_[k] = order_.begin();
    in_[k] = true;
    if (order_.size() > cap_) {
      in_[order_.back()] = false;
      order_.pop_back();
      ++evictions;
    }
  }
  std::int64_t misses = 0, evictions = 0;

 private:
  std::list<std::uint32_t> order_;
  std::vector<std::list<std::uint32_t>::iterator> pos_;
  std::vector<bool> in_;
  std::size_t cap_;
};

class ChurnWorld {
 public:
  static ChurnWorld& Get() {
    static ChurnWorld w;
    return w;
  }

  World world{"churn", [] {
                StoreOptions o;
                o.max_open_databases = kChurnCapacity;
                return o;
              }()};
  Repository<Vehicle> repo{*world.store, Vehicles()};
  std::vector<TenantContext> ctxs;
  std::vector<std::string> paths;          // each tenant's database file
  std::vector<std::uint32_t> sequence;     // random tenant indexes, cycled
  std::size_t library_at = 0, baseline_at = 0;  // where each series resumes
  LruModel lru;

 private:
  ChurnWorld() : lru(ChurnTenants(), kChurnCapacity) {
    const auto start = std::chrono::steady_clock::now();
    auto& store = static_cast<sqlite::SqliteStore&>(*world.store);
    const std::size_t n = ChurnTenants();
    ctxs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Tenant t = world.Provision(Key("churn-", i), IsolationModel::kDatabase);
      paths.push_back(Must(store.DatabasePath(t), "database path").string());
      ctxs.push_back(world.Context(t));
    }
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> pick(0, static_cast<std::uint32_t>(n - 1));
    sequence.resize(std::size_t{1} << 16);
    for (auto& s : sequence) s = pick(rng);
    ReportSetup("storage_bench churn world (" + std::to_string(n) +
                    " database tenants provisioned through Directory::Provision)",
                SecondsSince(start));
  }
};

void BM_Store_LruOpenChurn(benchmark::State& state) {
  auto& w = ChurnWorld::Get();
  const std::size_t mask = w.sequence.size() - 1;
  const std::string missing = "no-such-vehicle";
  const std::size_t first = w.library_at;
  std::size_t i = first, unexpected = 0;
  for (auto _ : state) {
    auto r = w.repo.Get(w.ctxs[w.sequence[i]], missing);
    unexpected += r || r.error().code != Errc::kNotFound;
    benchmark::DoNotOptimize(r);
    i = (i + 1) & mask;
  }
  w.library_at = i;
  if (unexpected) state.SkipWithError("Get of a missing key did not answer kNotFound");
  const std::int64_t misses0 = w.lru.misses, evictions0 = w.lru.evictions;
  for (std::size_t k = first, n = 0; n < static_cast<std::size_t>(state.iterations()); ++n) {
    w.lru.Touch(w.sequence[k]);
    k = (k + 1) & mask;
  }
  using benchmark::Counter;
  state.counters["evictions"] = Counter(static_cast<double>(w.lru.evictions - evictions0));
  state.counters["miss_ratio"] =
      Counter(static_cast<double>(w.lru.misses - misses0), Counter::kAvgIterations);
  state.counters["open_dbs"] =
      static_cast<double>(static_cast<sqlite::SqliteStore&>(*w.world.store).open_databases());
  state.counters["tenants"] = static_cast<double>(w.ctxs.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Store_LruOpenChurn_Baseline(benchmark::State& state) {
  auto& w = ChurnWorld::Get();
  const std::size_t mask = w.sequence.size() - 1;
  const std::string missing = "no-such-vehicle";
  std::size_t i = w.baseline_at, unexpected = 0;
  for (auto _ : state) {
    const std::uint32_t t = w.sequence[i];
    sqlite3* db = nullptr;
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_open_v2(w.paths[t].c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, kRawGet, -1, &s, nullptr);
    if (rc == SQLITE_OK) {
      BindText(s, 1, w.ctxs[t].tenant_id().str());
      BindText(s, 2, missing);
      rc = sqlite3_step(s);
    }
    unexpected += rc != SQLITE_DONE;
    sqlite3_finalize(s);
    sqlite3_close_v2(db);
    i = (i + 1) & mask;
  }
  w.baseline_at = i;
  if (unexpected) state.SkipWithError("raw open/select of a tenant database failed");
  state.counters["tenants"] = static_cast<double>(w.ctxs.size());
  state.SetItemsProcessed(state.iterations());
}

// --------------------------------------------------------------- Provision

// A world of its own: provisioning grows the directory without bound.
class ProvisionWorld {
 public:
  static ProvisionWorld& Get() {
    static ProvisionWorld w;
    return w;
  }
  World world{"provision"};
  RawDb raw{world.dir / "raw_control.db"};
  std::filesystem::path raw_tenants_dir = world.dir / "raw_tenants";
  std::uint64_t next_slug = 0;

 private:
  ProvisionWorld() {
    std::filesystem::create_directories(raw_tenants_dir);
    // The directory's own control table, as the baseline's "similar table".
    raw.Exec(R"sql(
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY, slug TEXT NOT NULL, display_name TEXT NOT NULL,
        tier TEXT NOT NULL, model TEXT NOT NULL, state TEXT NOT NULL,
        placement TEXT NOT NULL DEFAULT '', custom_domain TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL);
      CREATE UNIQUE INDEX tenants_live_slug ON tenants(slug) WHERE state <> 'deleted';
      CREATE UNIQUE INDEX tenants_live_domain ON tenants(custom_domain)
        WHERE custom_domain IS NOT NULL AND state <> 'deleted';)sql");
  }
};

[[gnu::noinline]] void BM_Directory_Provision(benchmark::State& state, IsolationModel model) {
  auto& w = ProvisionWorld::Get();
  ProvisionRequest req;
  req.model = model;
  req.slug.reserve(32);
  const std::string_view prefix = model == IsolationModel::kShared ? "ps-" : "pd-";
  for (auto _ : state) {
    FormatKey(req.slug, prefix, w.next_slug++);
    auto r = w.world.directory->Provision(req);
    if (!r || !r->created) {
      state.SkipWithError(r ? "slug was not fresh" : r.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

[[gnu::noinline]] void BM_Directory_Provision_Baseline(benchmark::State& state, IsolationModel model) {
  auto& w = ProvisionWorld::Get();
  RawStmt ins = w.raw.Prepare(
      "INSERT INTO tenants (id, slug, display_name, tier, model, state, placement, custom_domain, "
      "created_at, updated_at, revision) VALUES (?, ?, ?, 'standard', ?, 'active', '', NULL, ?, ?, "
      "1)");
  sqlite3_stmt* s = ins.get();
  const std::string_view prefix = model == IsolationModel::kShared ? "bs-" : "bd-";
  std::string id, slug, path;
  id.reserve(32);
  slug.reserve(32);
  path.reserve(w.raw_tenants_dir.native().size() + 64);
  bool failed = false;
  for (auto _ : state) {
    const std::uint64_t n = w.next_slug++;
    FormatKey(id, "tn_00000000", n);
    FormatKey(slug, prefix, n);
    const std::int64_t now = ToUnixMillis(std::chrono::system_clock::now());
    BindText(s, 1, id);
    BindText(s, 2, slug);
    BindText(s, 3, slug);
    BindText(s, 4, ModelName(model));
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    failed |= sqlite3_step(s) != SQLITE_DONE;
    sqlite3_reset(s);
    if (model == IsolationModel::kDatabase) {
      path.assign(w.raw_tenants_dir.native());
      path.append("/").append(id).append(".db");
      sqlite3* db = nullptr;
      failed |= sqlite3_open_v2(path.c_str(), &db,
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                nullptr) != SQLITE_OK;
      failed |= sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr,
                             nullptr, nullptr) != SQLITE_OK;
      failed |= sqlite3_exec(db, kVehiclesDdl, nullptr, nullptr, nullptr) != SQLITE_OK;
      sqlite3_close_v2(db);
    }
    if (failed) {
      state.SkipWithError("raw provisioning failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

using benchmark::kMicrosecond;
using benchmark::kMillisecond;

BENCHMARK_CAPTURE(BM_Repo_PointGet, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK_CAPTURE(BM_Repo_PointGet, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK(BM_Repo_PointGet_Baseline)->UseRealTime()->Unit(kMicrosecond);

BENCHMARK_CAPTURE(BM_Repo_PageList, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK_CAPTURE(BM_Repo_PageList, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK(BM_Repo_PageList_Baseline)->UseRealTime()->Unit(kMicrosecond);

BENCHMARK_CAPTURE(BM_Repo_BatchInsert1000, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Repo_BatchInsert1000, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMillisecond);
BENCHMARK(BM_Repo_BatchInsert1000_Baseline)->UseRealTime()->Unit(kMillisecond);

BENCHMARK_CAPTURE(BM_Storage_InsertMany1000, shared, IsolationModel::kShared)->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Storage_InsertMany1000, database, IsolationModel::kDatabase)->UseRealTime()->Unit(kMillisecond);
BENCHMARK(BM_Storage_InsertMany1000_Baseline)->UseRealTime()->Unit(kMillisecond);

BENCHMARK(BM_Store_LruOpenChurn)->UseRealTime()->Unit(kMicrosecond);
BENCHMARK(BM_Store_LruOpenChurn_Baseline)->UseRealTime()->Unit(kMicrosecond);

BENCHMARK_CAPTURE(BM_Directory_Provision, Shared, IsolationModel::kShared)
    ->Name("BM_Directory_Provision_Shared")->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Directory_Provision_Baseline, Shared, IsolationModel::kShared)
    ->Name("BM_Directory_Provision_Shared_Baseline")->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Directory_Provision, Database, IsolationModel::kDatabase)
    ->Name("BM_Directory_Provision_Database")->UseRealTime()->Unit(kMillisecond);
BENCHMARK_CAPTURE(BM_Directory_Provision_Baseline, Database, IsolationModel::kDatabase)
    ->Name("BM_Directory_Provision_Database_Baseline")->UseRealTime()->Unit(kMillisecond);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

// Backup and restore throughput of one database-model tenant, beside
// SQLite's own online backup API copying the tenant's database file.
//
//   BM_Backup_Tenant            Backup::Write of the tenant to a new file
//                               (rows read in key order, encoded, BLAKE2b-
//                               hashed and written; the hashing and writing
//                               of full batches on a second thread)
//   BM_Backup_Tenant_Baseline   sqlite3_backup_* from the tenant's file to a new file
//   BM_Restore_Tenant           Backup::Restore of that file as a new tenant:
//                               verify pass, provisioning, the rows built in a
//                               scratch copy of the new tenant's database (no
//                               journal, multi-row INSERTs), one fsync, the
//                               rename that publishes it
//   BM_Restore_Tenant_Baseline  sqlite3_backup_* from a copy of the file into a new file
//                               (/0 bare page copy, /1 into WAL + synchronous=NORMAL)
//
// Both sides report the same byte count — the tenant's database file size —
// so the MB/s ratio is the time ratio. The fair restore comparison is /1:
// its close checkpoints and syncs, as the restore syncs its file before
// publishing it; /0 writes with synchronous=OFF and no journal, a pure page
// copy, the fastest SQLite can do. The backups do not fsync (callers that
// need durability sync the file). Both backups write a new file each
// iteration: truncating the previous one would wait for ext4 to write it
// back (auto_da_alloc). Offboarding a restored tenant is outside the timing.
#include <benchmark/benchmark.h>

#include <fstream>

#include "bench_support.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/repository.hpp"

namespace tenancy::bench {
namespace {

struct BackupWorld {
  World world{"backup"};
  Tenant tenant;
  std::filesystem::path tenant_file;
  std::filesystem::path backup_file;
  std::int64_t bytes = 0;
  std::uint64_t rows = 0;

  BackupWorld() {
    const auto start = std::chrono::steady_clock::now();
    tenant = world.Provision("source", IsolationModel::kDatabase);
    rows = SmokeMode() ? 500 : 60000;
    Repository<Vehicle> vehicles(*world.store, Vehicles());
    const auto ctx = world.Context(tenant);
    Must(world.store->Transact(ctx, [&](Transaction& tx) -> Result<void> {
      for (std::uint64_t n = 0; n < rows; ++n) {
        Vehicle v = MakeVehicle(n);
        // A realistic row: ~200 bytes with a free-text note.
        v.note = "serviced at depot " + std::to_string(n % 40) + "; " + std::string(140 + n % 60, 'n');
        if (auto r = vehicles.Insert(tx, v); !r) return r;
      }
      return {};
    }),
         "fill tenant");
    tenant_file = world.dir / "data" / "tenants" / (tenant.id.str() + ".db");
    // Fold the WAL into the file so the baseline copies what the tenant holds.
    {
      RawDb db(tenant_file.string());
      db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    bytes = static_cast<std::int64_t>(std::filesystem::file_size(tenant_file));
    backup_file = world.dir / "source.tnbk";
    ReportSetup("backup world (" + std::to_string(rows) + " rows, " + std::to_string(bytes) + " bytes)",
                SecondsSince(start));
  }

  Backup MakeBackup() {
    BackupSources s;
    s.directory = world.directory.get();
    return Backup(std::move(s));
  }
};

BackupWorld& Shared() {
  static BackupWorld w;
  return w;
}

// sqlite3_backup from `from` into a fresh file at `to`: a page copy.
// `durable`: the destination as the store keeps tenant files (WAL,
// synchronous=NORMAL) instead of a bare page copy.
void SqliteCopy(const std::filesystem::path& from, const std::filesystem::path& to,
                bool durable = false) {
  std::filesystem::remove(to);
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    Die("open source", sqlite3_errmsg(src));
  if (sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    Die("open destination", sqlite3_errmsg(dst));
  sqlite3_exec(dst,
               durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       : "PRAGMA synchronous=OFF; PRAGMA journal_mode=OFF;",
               nullptr, nullptr, nullptr);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) Die("backup init", sqlite3_errmsg(dst));
  if (sqlite3_backup_step(b, -1) != SQLITE_DONE) Die("backup step", sqlite3_errmsg(dst));
  sqlite3_backup_finish(b);
  sqlite3_close_v2(src);
  sqlite3_close_v2(dst);
}

void BM_Backup_Tenant(benchmark::State& state) {
  auto& w = Shared();
  Backup backup = w.MakeBackup();
  for (auto _ : state) {
    // A new file each time, as the baseline's copy: truncating the last
    // iteration's file instead waits for ext4 to write it back first
    // (auto_da_alloc), which measures the disk, not the backup.
    std::filesystem::remove(w.backup_file);
    std::ofstream out(w.backup_file, std::ios::binary | std::ios::trunc);
    auto r = backup.Write(w.tenant.id, out);
    if (!r) Die("backup", r.error().ToString());
    out.close();
    benchmark::DoNotOptimize(r->bytes);
  }
  state.SetBytesProcessed(state.iterations() * w.bytes);
  state.counters["rows"] = static_cast<double>(w.rows);
  state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(w.backup_file));
}

void BM_Backup_Tenant_Baseline(benchmark::State& state) {
  auto& w = Shared();
  const auto copy = w.world.dir / "baseline-copy.db";
  for (auto _ : state) SqliteCopy(w.tenant_file, copy);
  state.SetBytesProcessed(state.iterations() * w.bytes);
}

void BM_Restore_Tenant(benchmark::State& state) {
  auto& w = Shared();
  Backup backup = w.MakeBackup();
  {
    std::ofstream out(w.backup_file, std::ios::binary | std::ios::trunc);
    if (auto r = backup.Write(w.tenant.id, out); !r) Die("backup", r.error().ToString());
  }
  std::uint64_t n = 0;
  for (auto _ : state) {
    std::ifstream in(w.backup_file, std::ios::binary);
    RestoreOptions options;
    options.slug = "restored-" + std::to_string(n++);
    auto r = backup.Restore(in, options);
    if (!r) Die("restore", r.error().ToString());
    state.PauseTiming();
    Must(w.world.directory->Offboard(r->tenant.id, "bench"), "offboard");
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * w.bytes);
}

void BM_Restore_Tenant_Baseline(benchmark::State& state) {
  auto& w = Shared();
  const auto copy = w.world.dir / "baseline-source.db";
  SqliteCopy(w.tenant_file, copy);
  const auto target = w.world.dir / "baseline-restored.db";
  for (auto _ : state) SqliteCopy(copy, target, state.range(0) != 0);
  state.SetBytesProcessed(state.iterations() * w.bytes);
}

BENCHMARK(BM_Backup_Tenant)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Backup_Tenant_Baseline)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Restore_Tenant)->UseRealTime()->Unit(benchmark::kMillisecond);
// Arg 0: a bare page copy; 1: into a WAL database with synchronous=NORMAL,
// the durability a restored tenant file gets from the store.
BENCHMARK(BM_Restore_Tenant_Baseline)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

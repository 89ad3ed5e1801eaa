// The audit log and the SLO recorder beside their baselines:
//
//   BM_Audit_Append            AuditLog::Append of one entry (validation, compact
//                              details, BLAKE2b-256 chain hash, entry + head in one
//                              transaction) into a WAL file, synchronous=NORMAL
//   BM_Audit_Append_Baseline   a plain sqlite3 INSERT of the same 13 columns into the
//                              same table shape (STRICT, WITHOUT ROWID, same key), same
//                              pragmas, autocommitted: no hashing, no head row
//   BM_Audit_Verify            Verify of a whole chain, per entry (report only)
//   BM_Slo_Record              SloProbe::Record(success, latency): the request path
//   BM_Slo_Record_Baseline     std::atomic<int64_t>::fetch_add(1, relaxed) on one counter
//
// The SLO pair also runs on two threads (one tenant, so both threads share its
// counters, as a hot tenant's requests would).
#include <benchmark/benchmark.h>

#include <atomic>

#include "bench_support.hpp"
#include "tenancy/audit.hpp"
#include "tenancy/slo.hpp"

namespace tenancy::bench {
namespace {

const TenantId& BenchTenant() {
  static const TenantId t = Must(TenantId::Parse("tn_00000000000000a1"), "tenant id");
  return t;
}

AuditEntry SampleEntry() {
  AuditEntry e;
  e.actor = {"usr_4f1c2a", AuditActorKind::kTenantAdmin};
  e.tenant = BenchTenant();
  e.action = "vehicle.update";
  e.target = "vehicle:veh-000123";
  e.outcome = AuditOutcome::kSuccess;
  e.request_id = "req-7f3a9c1e5b2d4a60";
  e.details = R"({"field":"seats","from":4,"to":6})";
  return e;
}

struct AuditWorld {
  std::filesystem::path dir = ScratchRoot::Sub("audit");
  std::unique_ptr<AuditLog> log;
  AuditWorld() {
    AuditOptions o;
    o.path = (dir / "audit.db").string();
    log = Must(AuditLog::Open(std::move(o)), "open audit log");
  }
};

AuditWorld& Audit() {
  static AuditWorld w;
  return w;
}

void BM_Audit_Append(benchmark::State& state) {
  auto& w = Audit();
  const AuditEntry e = SampleEntry();
  for (auto _ : state) {
    auto r = w.log->Append(e);
    if (!r) Die("append", r.error().ToString());
    benchmark::DoNotOptimize(r->seq);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Audit_Append);

void BM_Audit_Append_Baseline(benchmark::State& state) {
  static std::filesystem::path dir = ScratchRoot::Sub("audit_baseline");
  static RawDb db(dir / "plain.db");
  static bool ready = [] {
    db.Exec(
        "CREATE TABLE IF NOT EXISTS entries (chain TEXT NOT NULL, seq INTEGER NOT NULL, at_ms "
        "INTEGER NOT NULL, actor_kind INTEGER NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT "
        "NULL, target TEXT NOT NULL, outcome INTEGER NOT NULL, code TEXT NOT NULL, request_id TEXT "
        "NOT NULL, details TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL, PRIMARY KEY "
        "(chain, seq)) STRICT, WITHOUT ROWID;");
    return true;
  }();
  (void)ready;
  static RawStmt insert = db.Prepare(
      "INSERT INTO entries (chain, seq, at_ms, actor_kind, actor_id, action, target, outcome, "
      "code, request_id, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  static std::int64_t seq = 0;
  const AuditEntry e = SampleEntry();
  const std::string chain = BenchTenant().str();
  const unsigned char zeros[32] = {};
  sqlite3_stmt* s = insert.get();
  for (auto _ : state) {
    BindText(s, 1, chain);
    sqlite3_bind_int64(s, 2, ++seq);
    sqlite3_bind_int64(s, 3, ToUnixMillis(SystemClock().Now()));
    sqlite3_bind_int64(s, 4, static_cast<std::int64_t>(e.actor.kind));
    BindText(s, 5, e.actor.id);
    BindText(s, 6, e.action);
    BindText(s, 7, e.target);
    sqlite3_bind_int64(s, 8, static_cast<std::int64_t>(e.outcome));
    BindText(s, 9, e.code);
    BindText(s, 10, e.request_id);
    BindText(s, 11, e.details);
    sqlite3_bind_blob(s, 12, zeros, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 13, zeros, 32, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) Die("insert", sqlite3_errmsg(db.get()));
    sqlite3_reset(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Audit_Append_Baseline);

void BM_Audit_Verify(benchmark::State& state) {
  static std::filesystem::path dir = ScratchRoot::Sub("audit_verify");
  static std::unique_ptr<AuditLog> log = [] {
    AuditOptions o;
    o.path = (dir / "audit.db").string();
    auto l = Must(AuditLog::Open(std::move(o)), "open audit log");
    const auto start = std::chrono::steady_clock::now();
    const int n = SmokeMode() ? 200 : 10000;
    const AuditEntry e = SampleEntry();
    for (int i = 0; i < n; ++i) Must(l->Append(e), "append");
    ReportSetup("audit: " + std::to_string(n) + " entries", SecondsSince(start));
    return l;
  }();
  std::int64_t entries = 0;
  for (auto _ : state) {
    auto v = Must(log->Verify(AuditChain::Tenant(BenchTenant())), "verify");
    if (!v.ok) Die("verify", v.message);
    entries += v.entries;
  }
  state.SetItemsProcessed(entries);
}
BENCHMARK(BM_Audit_Verify)->Unit(benchmark::kMillisecond);

struct SloWorld {
  std::filesystem::path dir = ScratchRoot::Sub("slo");
  std::unique_ptr<SloMonitor> monitor;
  SloProbe probe;
  SloWorld() {
    SloOptions o;
    o.incidents_path = (dir / "incidents.db").string();
    monitor = Must(SloMonitor::Open(std::move(o)), "open slo monitor");
    probe = Must(monitor->Probe(BenchTenant(), "standard"), "probe");
  }
};

SloWorld& Slo() {
  static SloWorld w;
  return w;
}

void BM_Slo_Record(benchmark::State& state) {
  const SloProbe probe = Slo().probe;
  std::uint32_t i = 0;
  for (auto _ : state) {
    // One failure in 64, one slow request in 32: the common case is the
    // single add, as in production.
    ++i;
    probe.Record((i & 63) != 0, (i & 31) != 0 ? std::chrono::milliseconds{12}
                                              : std::chrono::milliseconds{900});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Slo_Record);
BENCHMARK(BM_Slo_Record)->Threads(2);

std::atomic<std::int64_t> g_counter{0};

void BM_Slo_Record_Baseline(benchmark::State& state) {
  for (auto _ : state) g_counter.fetch_add(1, std::memory_order_relaxed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Slo_Record_Baseline);
BENCHMARK(BM_Slo_Record_Baseline)->Threads(2);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();

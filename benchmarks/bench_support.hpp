// Shared setup of the benchmark suites: a scratch directory, the smoke-mode
// switch, a small fleet schema, and a thin RAII layer over the raw SQLite C
// API that the baselines use.
//
// Nothing here is timed: worlds are built once per process (function-local
// statics) and reused by every repetition.
//
// Thread safety: none; the benchmarks are single-threaded.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <unistd.h>

#include "tenancy/context.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/entity.hpp"
#include "tenancy/result.hpp"
#include "tenancy/store.hpp"

namespace tenancy::bench {

// True when TENANCY_BENCH_SMOKE=1: ctest's smoke runs use small worlds.
inline bool SmokeMode() {
  const char* v = std::getenv("TENANCY_BENCH_SMOKE");
  return v != nullptr && std::string_view(v) == "1";
}

// Setup failures are fatal: a benchmark over a half-built world measures
// nothing. Not used inside timed loops.
[[noreturn]] inline void Die(std::string_view what, std::string_view why) {
  std::fprintf(stderr, "benchmark setup failed: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(why.size()), why.data());
  std::abort();
}

template <class T>
T Must(Result<T> r, std::string_view what) {
  if (!r) Die(what, r.error().ToString());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// The process's scratch directory: $TENANCY_BENCH_TMP (or the system temp
// directory) / tenancy_bench_<pid>; removed at exit unless
// TENANCY_BENCH_KEEP is set.
class ScratchRoot {
 public:
  static const std::filesystem::path& Path() {
    static ScratchRoot root;
    return root.path_;
  }
  // A fresh subdirectory for one world.
  static std::filesystem::path Sub(std::string_view name) {
    auto p = Path() / std::string(name);
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
  }

 private:
  ScratchRoot() {
    const char* base = std::getenv("TENANCY_BENCH_TMP");
    path_ = std::filesystem::path(base && *base ? base : std::filesystem::temp_directory_path().c_str()) /
            ("tenancy_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchRoot() {
    if (std::getenv("TENANCY_BENCH_KEEP")) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path_;
};

// -- the fleet schema: one table, mirrored by Vehicle --

struct Vehicle {
  std::string id;
  std::string plate;
  std::int64_t seats = 0;
  std::optional<std::string> note;
};

inline const Entity<Vehicle>& Vehicles() {
  static const Entity<Vehicle> e = Entity<Vehicle>("vehicles")
                                       .Key("id", &Vehicle::id)
                                       .Column("plate", &Vehicle::plate, {.max_bytes = 64})
                                       .Column("seats", &Vehicle::seats)
                                       .Column("note", &Vehicle::note);
  return e;
}

inline constexpr const char* kVehiclesDdl =
    "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL, plate TEXT NOT NULL, "
    "seats INTEGER NOT NULL, note TEXT, PRIMARY KEY (tenant_id, id));";

inline Schema FleetSchema() {
  Schema s;
  s.migrations.push_back({1, "create vehicles", kVehiclesDdl});
  return s;
}

// Writes the fixed-width key "<prefix><n zero-padded to 8>" into `out`,
// reusing its capacity (no allocation once it has grown).
inline void FormatKey(std::string& out, std::string_view prefix, std::uint64_t n) {
  // Composed in a local buffer first: one assign, and no aliasing for GCC
  // 12's -Wrestrict false positive on chained string appends.
  char buf[96];
  const std::size_t p = std::min(prefix.size(), sizeof buf - 32);
  std::memcpy(buf, prefix.data(), p);
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  (void)ec;
  const auto len = static_cast<std::size_t>(end - digits);
  const std::size_t pad = len < 8 ? 8 - len : 0;
  std::memset(buf + p, '0', pad);
  std::memcpy(buf + p + pad, digits, len);
  out.assign(buf, p + pad + len);
}

inline std::string Key(std::string_view prefix, std::uint64_t n) {
  std::string s;
  FormatKey(s, prefix, n);
  return s;
}

inline Vehicle MakeVehicle(std::uint64_t n) {
  Vehicle v;
  FormatKey(v.id, "v", n);
  FormatKey(v.plate, "B-", n % 100000);
  v.seats = static_cast<std::int64_t>(2 + n % 7);
  if (n % 3 == 0) v.note = "diesel";
  return v;
}

// -- raw SQLite, for the baselines --

class RawStmt {
 public:
  RawStmt() = default;
  RawStmt(sqlite3* db, std::string_view sql) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &s_, nullptr) != SQLITE_OK)
      Die("prepare", sqlite3_errmsg(db));
  }
  RawStmt(RawStmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  RawStmt& operator=(RawStmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~RawStmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const noexcept { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

class RawDb {
 public:
  // Opens (creating) `path` in WAL mode with synchronous=NORMAL, the
  // settings the library uses.
  explicit RawDb(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      Die("open", sqlite3_errmsg(db_));
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      Die(sql, msg);
    }
  }
  RawStmt Prepare(std::string_view sql) const { return RawStmt(db_, sql); }
  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

inline void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text64(s, i, v.data() ? v.data() : "", v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

inline std::string_view ColumnText(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string_view();
}

// Reads the row of a `SELECT id, plate, seats, note` into `v`, reusing its
// strings' capacity: the baseline materializes what the repository does.
inline void ReadVehicle(sqlite3_stmt* s, Vehicle& v) {
  v.id.assign(ColumnText(s, 0));
  v.plate.assign(ColumnText(s, 1));
  v.seats = sqlite3_column_int64(s, 2);
  if (sqlite3_column_type(s, 3) == SQLITE_NULL)
    v.note.reset();
  else if (v.note)
    v.note->assign(ColumnText(s, 3));
  else
    v.note.emplace(ColumnText(s, 3));
}

inline void BindVehicle(sqlite3_stmt* s, std::string_view tenant, const Vehicle& v) {
  BindText(s, 1, tenant);
  BindText(s, 2, v.id);
  BindText(s, 3, v.plate);
  sqlite3_bind_int64(s, 4, v.seats);
  if (v.note)
    BindText(s, 5, *v.note);
  else
    sqlite3_bind_null(s, 5);
}

inline constexpr const char* kRawInsert =
    "INSERT INTO vehicles (tenant_id, id, plate, seats, note) VALUES (?, ?, ?, ?, ?)";
inline constexpr const char* kRawGet =
    "SELECT id, plate, seats, note FROM vehicles WHERE tenant_id = ? AND id = ?";
inline constexpr const char* kRawPage =
    "SELECT id, plate, seats, note FROM vehicles WHERE tenant_id = ? AND id > ? ORDER BY id "
    "LIMIT 51";

// Provisions `slug` in `model` through `directory`; fatal on failure.
inline Tenant ProvisionIn(Directory& directory, const std::string& slug, IsolationModel model) {
  ProvisionRequest req;
  req.slug = slug;
  req.model = model;
  return Must(directory.Provision(req), "provision " + slug).tenant;
}

// The context the benchmarks act in: a service principal of `t`.
inline TenantContext BenchContext(const Directory& directory, const Tenant& t) {
  return Must(directory.MintContext(t.id, Principal{"bench", PrincipalKind::kService}, {}, "bench"),
              "mint context");
}

// A store and a directory under a fresh scratch subdirectory. The directory
// is declared last so it is destroyed first (it borrows the store).
struct World {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Directory> directory;

  explicit World(std::string_view name, StoreOptions options = {}) : dir(ScratchRoot::Sub(name)) {
    store = Must(Store::Open("sqlite://" + (dir / "data").string(), FleetSchema(), options),
                 "open store");
    DirectoryOptions o;
    o.path = (dir / "data" / "control.db").string();
    directory = Must(Directory::Open(std::move(o), *store), "open directory");
  }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    return ProvisionIn(*directory, slug, model);
  }
  TenantContext Context(const Tenant& t) const { return BenchContext(*directory, t); }
};

// Seconds elapsed since `start`, for the setup reports.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Prints one "setup: ..." line on stderr; run_benchmarks.sh collects them.
inline void ReportSetup(std::string_view what, double seconds) {
  std::fprintf(stderr, "setup: %.*s: %.2f s%s\n", static_cast<int>(what.size()), what.data(),
               seconds, SmokeMode() ? " (smoke sizes)" : "");
}

}  // namespace tenancy::bench

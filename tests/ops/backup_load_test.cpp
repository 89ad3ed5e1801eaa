// Restore into a new database-model or dedicated tenant on SQLite builds the
// tenant's database aside and publishes it whole (storage/sqlite/
// sqlite_load.cpp). These tests pin what that must keep: the published file
// is a WAL database with the tenant guard triggers back in place; a restore
// that fails — at its last table, or by a crash before the commit — publishes
// nothing and leaves no file behind once the tenant is gone; a connection
// that has the file open sees the restored rows whole (pages copied in, not
// a file renamed under it); a migration that raced the load is not undone.
#include "ops/backup_world.hpp"

#include <sqlite3.h>
#include <sys/wait.h>

#include <set>
#include <unistd.h>

#include "ops/backup_format.hpp"
#include "storage/sqlite/dump_rows.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/tenant_dump.hpp"
#include "support/raw_sqlite.hpp"

namespace tenancy::testing {
namespace {

namespace fs = std::filesystem;

fs::path DatabaseOf(World& w, const Tenant& t) {
  auto path = static_cast<sqlite::SqliteStore&>(w.store()).DatabasePath(t);
  REQUIRE(path);
  return *path;
}

// Every file under `dir`, recursively, as relative paths.
std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

bool AnyScratch(const fs::path& dir) {
  for (const auto& f : FilesUnder(dir))
    if (f.find("-restore") != std::string::npos) return true;
  return false;
}

// The schema of BackupSchema, but `pairs` has a NOT NULL column no backup
// carries: a restore gets through `items` and fails at its last table.
Schema PairsNeedExtra() {
  Schema s = BackupSchema();
  s.migrations[1].sql =
      "CREATE TABLE pairs (tenant_id TEXT NOT NULL, a TEXT NOT NULL, b INTEGER NOT NULL, "
      "sealed BLOB NOT NULL, extra TEXT NOT NULL, PRIMARY KEY (tenant_id, a, b));";
  return s;
}

// Rows for a writer: `count` items with only the NOT NULL columns set. No
// Catch2 assertions: a forked child runs it too.
bool InsertItems(detail::DumpWriter& writer, int count) {
  detail::DumpTable items;
  items.name = "items";
  items.columns = {{"id", "TEXT", true, 1}, {"secret", "BLOB", true, 0}};
  if (!writer.Table(items)) return false;
  const std::uint8_t secret[] = {1, 2, 3};
  for (int i = 0; i < count; ++i) {
    const std::string id = "k" + std::to_string(1000 + i);
    const Param row[] = {std::string_view(id), BlobView(secret, sizeof secret)};
    if (!writer.Insert(row)) return false;
  }
  return true;
}

constexpr IsolationModel kOwnFileModels[] = {IsolationModel::kDatabase, IsolationModel::kDedicated};

}  // namespace

TEST_CASE("a restored tenant's own database is a WAL file with its guards, and no scratch is left",
          "[backup][sqlite][load]") {
  const auto model = GENERATE(from_range(std::begin(kOwnFileModels), std::end(kOwnFileModels)));
  CAPTURE(std::string(ToString(model)));
  World w;
  const Tenant source = w.Provision("source", model);
  w.Fill(source.id, 70, "s");  // more rows than one INSERT batch, in both tables
  const std::string file = BackupToString(w, source.id);

  auto restored = RestoreFromString(w, file, {.slug = "copy", .model = model});
  REQUIRE(restored);
  CHECK(restored->rows == 140);
  CHECK(w.AllItems(restored->tenant.id) == w.AllItems(source.id));
  CHECK(w.AllPairs(restored->tenant.id) == w.AllPairs(source.id));

  const fs::path db = DatabaseOf(w, restored->tenant);
  CHECK_FALSE(AnyScratch(w.root()));
  RawDb raw(db);
  CHECK(raw.One("PRAGMA journal_mode") == "wal");
  CHECK(raw.One("PRAGMA integrity_check") == "ok");
  CHECK(raw.One("PRAGMA foreign_key_check") == "");
  // The guards are back, exactly as the migrations made them.
  RawDb original(DatabaseOf(w, source));
  const std::string guards =
      "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'tenancy_guard_%'";
  CHECK(raw.One(guards) == original.One(guards));
  CHECK(raw.One(guards) == "4");  // items and pairs: insert and update
  CHECK(raw.Exec("INSERT INTO items (tenant_id, id, secret) VALUES ('someone_else', 'x', x'00')") ==
        SQLITE_CONSTRAINT);
  // The store writes to it as to any tenant's database.
  w.Fill(restored->tenant.id, 2, "new");
  CHECK(w.AllItems(restored->tenant.id).size() == 72);
}

TEST_CASE("a restore that fails at its last table leaves no tenant and no file", "[backup][sqlite][load]") {
  const auto model = GENERATE(from_range(std::begin(kOwnFileModels), std::end(kOwnFileModels)));
  CAPTURE(std::string(ToString(model)));
  World a;
  const Tenant acme = a.Provision("acme", model);
  a.Fill(acme.id, 50, "a");
  const std::string file = BackupToString(a, acme.id);

  World b(a.key_file(), true, {.schema = PairsNeedExtra()});
  const Tenant bystander = b.Provision("bystander", model);  // its files must stay
  const auto files_before = FilesUnder(b.root() / "data");
  const std::size_t live = b.directory().live_count();

  auto r = RestoreFromString(b, file, {.model = model});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kConflict);
  CHECK_THAT(r.error().message, Catch::Contains("pairs"));
  CHECK(b.directory().live_count() == live);
  CHECK_FALSE(b.directory().GetBySlug("acme"));
  // Not a file of the new tenant is left: no database, no scratch, no
  // placement directory.
  CHECK(FilesUnder(b.root() / "data") == files_before);
  CHECK(b.directory().Get(bystander.id));
}

TEST_CASE("a load abandoned before its commit publishes nothing", "[backup][sqlite][load]") {
  World w;
  const Tenant fresh = w.Provision("fresh", IsolationModel::kDatabase);
  const fs::path db = DatabaseOf(w, fresh);
  const fs::path scratch = sqlite::SqliteStore::ScratchPath(db);

  SECTION("the writer is destroyed (an error, an exception)") {
    {
      auto writer = detail::TenantDump::Load(w.store(), fresh);
      REQUIRE(writer);
      REQUIRE(InsertItems(**writer, 100));
      CHECK(fs::exists(scratch));
    }
    CHECK_FALSE(fs::exists(scratch));
    CHECK(w.AllItems(fresh.id).empty());
  }
  SECTION("the process dies (a crash): the tenant's file stays as it was, the scratch goes with it") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto writer = detail::TenantDump::Load(w.store(), fresh);
      if (!writer || !InsertItems(**writer, 100)) ::_exit(2);
      ::_exit(0);  // no destructors, no commit
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(fs::exists(scratch));  // what a crash leaves
    {
      RawDb raw(db);
      CHECK(raw.One("PRAGMA integrity_check") == "ok");
      CHECK(raw.One("SELECT count(*) FROM items") == "0");
    }
    CHECK(w.AllItems(fresh.id).empty());
    REQUIRE(w.directory().Offboard(fresh.id, "crashed restore"));
    CHECK_FALSE(fs::exists(scratch));
    CHECK_FALSE(fs::exists(db));
  }
}

TEST_CASE("a load whose tenant file is open elsewhere copies the pages in, seen whole there",
          "[backup][sqlite][load]") {
  World w;
  const Tenant fresh = w.Provision("fresh", IsolationModel::kDatabase);
  RawDb other(DatabaseOf(w, fresh));  // another process's connection, say
  REQUIRE(other.One("SELECT count(*) FROM items") == "0");

  auto writer = detail::TenantDump::Load(w.store(), fresh);
  REQUIRE(writer);
  REQUIRE(InsertItems(**writer, 75));
  REQUIRE((*writer)->Commit());
  writer->reset();
  // A file renamed over the one this connection has open would leave it
  // reading the old, empty one.
  CHECK(other.One("SELECT count(*) FROM items") == "75");
  CHECK(other.One("PRAGMA integrity_check") == "ok");
  CHECK_FALSE(AnyScratch(w.root()));
}

TEST_CASE("a load does not undo a migration of the tenant's database that happened meanwhile",
          "[backup][sqlite][load]") {
  World w;
  const Tenant fresh = w.Provision("fresh", IsolationModel::kDatabase);
  auto writer = detail::TenantDump::Load(w.store(), fresh);
  REQUIRE(writer);
  REQUIRE(InsertItems(**writer, 10));
  {
    RawDb raw(DatabaseOf(w, fresh));
    REQUIRE(raw.Exec("INSERT INTO tenancy_schema_version (version, name, applied_at) "
                     "VALUES (3, 'meanwhile', 0)") == SQLITE_OK);
  }
  auto r = (*writer)->Commit();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kUnavailable);
  writer->reset();
  RawDb raw(DatabaseOf(w, fresh));
  CHECK(raw.One("SELECT max(version) FROM tenancy_schema_version") == "3");
  CHECK(raw.One("SELECT count(*) FROM items") == "0");
  CHECK_FALSE(AnyScratch(w.root()));
}

}  // namespace tenancy::testing

namespace tenancy::testing {

TEST_CASE("restored rows go in batched: every value kind, any count, and errors still surface",
          "[backup][sqlite][load]") {
  TempDir dir;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "rows.db").c_str(), &db) == SQLITE_OK);
  struct Close {
    sqlite3* db;
    ~Close() { sqlite3_close_v2(db); }
  } close{db};
  sqlite3_extended_result_codes(db, 1);  // as the store's connections
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE t (tenant_id TEXT NOT NULL, k INTEGER NOT NULL, r REAL, s TEXT, "
                       "b BLOB, PRIMARY KEY (tenant_id, k));",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  // Few parameters allowed: batches of two rows ((10 - 1) / 4 columns).
  const bool small = GENERATE(false, true);
  CAPTURE(small);
  if (small) sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 10);
  const int rows = GENERATE(0, 1, 2, 5, 31, 32, 33, 70);
  CAPTURE(rows);

  sqlite::dump::RowInserter inserter("tn_1");
  detail::DumpTable t;
  t.name = "t";
  t.columns = {{"k", "INTEGER", true, 1}, {"r", "REAL", false, 0}, {"s", "TEXT", false, 0},
               {"b", "BLOB", false, 0}};
  REQUIRE(inserter.Table(db, t));
  for (int i = 0; i < rows; ++i) {
    // The values live only for the call, as a parser's do.
    std::string text = i % 3 == 0 ? std::string() : "text " + std::to_string(i);
    Blob blob(static_cast<std::size_t>(i % 4), static_cast<std::uint8_t>(i));
    const Param row[] = {std::int64_t{i}, i % 2 ? Param{i / 4.0} : Param{},
                         i % 5 == 4 ? Param{} : Param{std::string_view(text)}, BlobView(blob)};
    REQUIRE(inserter.Insert(db, row));
    text.assign(text.size(), '#');
    std::fill(blob.begin(), blob.end(), 0xee);
  }
  REQUIRE(inserter.Flush(db));

  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT tenant_id, k, r, typeof(r), s, typeof(s), b, typeof(b) FROM t ORDER BY k",
                             -1, &s, nullptr) == SQLITE_OK);
  int seen = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    const int i = seen++;
    CAPTURE(i);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "tn_1");
    CHECK(sqlite3_column_int(s, 1) == i);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3))) == (i % 2 ? "real" : "null"));
    if (i % 2) CHECK(sqlite3_column_double(s, 2) == i / 4.0);
    const std::string text = i % 3 == 0 ? std::string() : "text " + std::to_string(i);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 5))) == (i % 5 == 4 ? "null" : "text"));
    if (i % 5 != 4)
      CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 4)), sqlite3_column_bytes(s, 4)) == text);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 7))) == "blob");  // empty too
    const Blob want(static_cast<std::size_t>(i % 4), static_cast<std::uint8_t>(i));
    const auto* got = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 6));
    CHECK(Blob(got, got + sqlite3_column_bytes(s, 6)) == want);
  }
  sqlite3_finalize(s);
  CHECK(seen == rows);

  // A duplicate key is reported when its batch is written.
  const Param again[] = {std::int64_t{0}, Param{}, Param{}, Param{}};
  REQUIRE(inserter.Insert(db, again));
  auto dup = inserter.Flush(db);
  if (rows == 0) {
    CHECK(dup);
  } else {
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == Errc::kAlreadyExists);
    CHECK_THAT(dup.error().message, Catch::Contains("insert into t"));
  }
  inserter.Done();
}

}  // namespace tenancy::testing

namespace tenancy::testing {
namespace {

// Accepts `limit` bytes, then fails every write.
class FailingBuf final : public std::streambuf {
 public:
  explicit FailingBuf(std::size_t limit) : limit_(limit) {}
  std::size_t written() const { return written_; }

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    const auto room = static_cast<std::streamsize>(limit_ - written_);
    const std::streamsize took = std::min(n, room);
    written_ += static_cast<std::size_t>(took);
    return took;
  }
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof()) || written_ >= limit_) return traits_type::eof();
    ++written_;
    return c;
  }

 private:
  std::size_t limit_;
  std::size_t written_ = 0;
};

}  // namespace

TEST_CASE("a backup whose output fails anywhere, batches in flight included, reports kStorage",
          "[backup][sqlite][load]") {
  World w;
  const Tenant acme = w.Provision("acme", IsolationModel::kDatabase);
  w.Fill(acme.id, 60, "a");  // ~3 MB: a dozen row batches, written on the pipe's thread
  BackupInfo info;
  const std::string file = BackupToString(w, acme.id, &info);
  REQUIRE(info.bytes > 8 * ops::backup::kBatchBytes);

  for (std::size_t limit : {std::size_t{10}, std::size_t{600}, ops::backup::kBatchBytes + 1000,
                            file.size() / 2, file.size() - 40, file.size() - 1}) {
    CAPTURE(limit);
    FailingBuf buf(limit);
    std::ostream out(&buf);
    auto r = w.MakeBackup().Write(acme.id, out);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kStorage);
    CHECK(buf.written() <= limit);
  }
  // Nothing was left running or locked, and the batches of a good run are
  // in order: the next backup is the same file, byte for byte (the clock
  // stands still).
  BackupInfo again;
  const std::string second = BackupToString(w, acme.id, &again);
  CHECK(again.rows == info.rows);
  CHECK(second.size() == file.size());
  CHECK(second == file);
}

}  // namespace tenancy::testing

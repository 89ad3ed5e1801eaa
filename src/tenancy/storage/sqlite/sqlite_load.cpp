// Restore into a brand-new database-model or dedicated tenant (TenantDump::
// Load): the rows go into a scratch copy of the tenant's freshly migrated,
// empty database, built without a journal, and the finished file replaces
// the tenant's with one rename.
//
// Why: through the tenant's own WAL connection every restored page is
// written twice (into the WAL, then checkpointed into the file) and every
// row pays a statement journal and the tenant guard trigger. The scratch
// file is not yet anyone's database, so it needs none of that: a crash
// while it is built leaves the tenant's (empty) database as it was, and
// the scratch file is removed when the tenant is offboarded.
//
// The order of Commit is what keeps the tenant's file whole at every
// instant: the scratch file is committed with one fsync, switched to WAL
// (the store's mode) and closed; the tenant's idle connections are closed;
// then the rename publishes it atomically and the directory is synced. If
// a connection to the tenant's file is still open somewhere (its -wal or
// -shm exists), renaming under it is unsafe: the pages are copied into the
// file instead with sqlite3_backup, in one transaction of its own.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "storage/sqlite/dump_rows.hpp"
#include "storage/sqlite/migrator.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/sqlite_dump.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace tenancy::sqlite {
namespace {

namespace fs = std::filesystem;

// Leaving WAL (the page copy of the schema left a few frames) checkpoints:
// without a sync, as nothing of the scratch file needs to be durable yet.
// The commit then writes and syncs the file once (FULL: with no journal,
// that is the only sync). The page cache: a typical tenant is built in
// memory and written once at commit; a larger one spills pages straight
// into the scratch file, so this bounds memory, not size.
constexpr const char* kLoadPragmas =
    "PRAGMA synchronous=OFF; PRAGMA journal_mode=OFF; PRAGMA synchronous=FULL; "
    "PRAGMA cache_size=-65536;";

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

void RemoveScratch(const fs::path& scratch) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    fs::remove(fs::path(scratch.string() + suffix), ec);
}

// Makes a rename in `dir` durable.
Result<void> SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(Errc::kStorage, "cannot open the tenant's directory to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Fail(Errc::kStorage, "cannot sync the tenant's directory");
  return {};
}

// Copies every page of `from` into `to` in one write transaction of `to`.
Result<void> CopyPages(sqlite3* to, sqlite3* from) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) return ErrorFromSqlite(to, sqlite3_errcode(to), "start copying pages");
  const int step = sqlite3_backup_step(b, -1);
  const int rc = sqlite3_backup_finish(b);
  if (step != SQLITE_DONE) return ErrorFromSqlite(to, step, "copy pages");
  if (rc != SQLITE_OK) return ErrorFromSqlite(to, rc, "copy pages");
  return {};
}

class SqliteBulkLoader final : public detail::DumpWriter {
 public:
  SqliteBulkLoader(SqliteStore& store, Tenant tenant, fs::path database)
      : store_(store),
        tenant_(std::move(tenant)),
        database_(std::move(database)),
        scratch_(SqliteStore::ScratchPath(database_)),
        rows_(tenant_.id.str()) {}

  ~SqliteBulkLoader() override {
    rows_.Done();
    guards_.clear();
    scratch_db_.reset();  // an unfinished load is never published: just dropped
    if (!published_) RemoveScratch(scratch_);
  }

  // `live`: a connection to the tenant's database, migrated; released here.
  Result<void> Start(detail::Lease live, const ConnectionOptions& options) {
    RemoveScratch(scratch_);  // what a crashed restore may have left
    auto scratch = SqliteConnection::Open(scratch_.string(), /*create=*/true, options);
    if (!scratch) return scratch.error();
    scratch_db_ = std::move(*scratch);
    // The schema, triggers and version rows exactly as the migrations made
    // them: a page copy of the empty database.
    if (auto r = CopyPages(scratch_db_->handle(), static_cast<SqliteConnection&>(*live).handle()); !r)
      return r;
    { auto done = std::move(live); }
    // Defensive mode (SqliteConnection::Open) refuses journal_mode=OFF; this
    // connection runs only the library's own statements.
    sqlite3_db_config(scratch_db_->handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
    if (auto r = scratch_db_->ExecScript(kLoadPragmas); !r) return r;
    auto version = ReadSchemaVersion(*scratch_db_);
    if (!version) return version.error();
    version_ = *version;
    if (auto r = scratch_db_->Begin(); !r) return r;
    if (auto r = scratch_db_->ExecScript("PRAGMA defer_foreign_keys = ON"); !r) return r;
    return DropGuards();
  }

  int schema_version() const noexcept override { return version_; }

  Result<void> Clear() override {
    return Fail(Errc::kInternal, "a bulk load fills a new namespace: there is nothing to clear");
  }

  Result<void> Table(const detail::DumpTable& table) override {
    if (!scratch_db_) return Fail(Errc::kInternal, "the load has ended");
    return rows_.Table(scratch_db_->handle(), table);
  }

  Result<void> Insert(std::span<const Param> values) override {
    if (!scratch_db_) return Fail(Errc::kInternal, "the load has ended");
    return rows_.Insert(scratch_db_->handle(), values);
  }

  Result<void> Commit() override {
    if (!scratch_db_) return Fail(Errc::kInternal, "the load has ended");
    if (auto r = rows_.Flush(scratch_db_->handle()); !r) return r;
    rows_.Done();
    for (const auto& sql : guards_)
      if (auto r = scratch_db_->ExecScript(sql); !r) return r;
    // Deferred foreign keys are checked here; the pages are written and
    // synced once (no journal).
    if (auto r = scratch_db_->Commit(); !r) return r;
    if (auto r = scratch_db_->ExecScript("PRAGMA journal_mode=WAL"); !r) return r;
    scratch_db_.reset();
    if (Exists(scratch_.string() + "-wal"))
      return Fail(Errc::kStorage, "the restored database did not close cleanly");
    return Publish();
  }

 private:
  // The tenant guard triggers (migrator.cpp) check each row's tenant_id;
  // every row here gets the tenant's id from RowInserter, so they are
  // dropped for the load and put back, as they were, before the commit.
  Result<void> DropGuards() {
    struct Guards final : detail::RowSink {
      std::vector<std::pair<std::string, std::string>> found;
      bool OnRow(const RowView& r) override {
        found.emplace_back(r.Text(0), r.Text(1));
        return true;
      }
    } guards;
    if (auto r = scratch_db_->Run("SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger' "
                                  "AND name LIKE 'tenancy\\_guard\\_%' ESCAPE '\\'",
                                  {}, &guards);
        !r)
      return r.error();
    for (auto& [name, sql] : guards.found) {
      if (auto r = scratch_db_->ExecScript("DROP TRIGGER main." + dump::Quote(name)); !r) return r;
      guards_.push_back(std::move(sql));
    }
    return {};
  }

  Result<void> Publish() {
    store_.CloseDatabase(tenant_.id);
    // A migration of the tenant's database since Start would be undone by
    // the replacement: refuse instead. Closing this connection, when it is
    // the last one, also removes the file's -wal and -shm.
    {
      auto check = SqliteConnection::Open(database_.string(), /*create=*/false, ConnectionOptions{});
      if (!check) return check.error();
      auto version = ReadSchemaVersion(**check);
      if (!version) return version.error();
      if (*version != version_)
        return Fail(Errc::kUnavailable,
                    "the tenant's database was migrated while it was restored; restore again");
    }
    if (Exists(database_.string() + "-wal") || Exists(database_.string() + "-shm")) return CopyIn();
    std::error_code ec;
    fs::rename(scratch_, database_, ec);
    if (ec) return Fail(Errc::kStorage, "cannot move the restored database into place: " + ec.message());
    published_ = true;
    return SyncDirectory(database_.parent_path());
  }

  // Another connection has the tenant's file open: SQLite's own page copy
  // replaces its content in one transaction that connection sees whole.
  Result<void> CopyIn() {
    auto target = SqliteConnection::Open(database_.string(), /*create=*/false, ConnectionOptions{});
    if (!target) return target.error();
    auto source = SqliteConnection::Open(scratch_.string(), /*create=*/false, ConnectionOptions{});
    if (!source) return source.error();
    return CopyPages((*target)->handle(), (*source)->handle());
  }

  SqliteStore& store_;
  const Tenant tenant_;
  const fs::path database_;
  const fs::path scratch_;
  std::unique_ptr<SqliteConnection> scratch_db_;
  dump::RowInserter rows_;
  std::vector<std::string> guards_;
  int version_ = 0;
  bool published_ = false;
};

}  // namespace

Result<std::unique_ptr<detail::DumpWriter>> OpenBulkLoader(SqliteStore& store, detail::Lease live,
                                                           const Tenant& tenant) {
  auto database = store.DatabasePath(tenant);
  if (!database) return database.error();
  auto loader = std::make_unique<SqliteBulkLoader>(store, tenant, std::move(*database));
  if (auto r = loader->Start(std::move(live), ConnectionOptions{}); !r) return r.error();
  return std::unique_ptr<detail::DumpWriter>(std::move(loader));
}

}  // namespace tenancy::sqlite

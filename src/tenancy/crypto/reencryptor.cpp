#include "tenancy/reencrypt.hpp"

#include <mutex>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/repository.hpp"

namespace tenancy {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenancy_reencryption (
  tenant_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  target_version INTEGER NOT NULL,
  cursor TEXT NOT NULL,
  rows_seen INTEGER NOT NULL,
  rows_rewritten INTEGER NOT NULL,
  done INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, table_name)
);
)sql";

struct Saved {
  ReencryptProgress progress;
  std::string cursor;
  bool found = false;
};

}  // namespace

struct Reencryptor::Impl {
  Store* store = nullptr;
  mutable std::mutex mu;
  std::unique_ptr<sqlite::SqliteConnection> db;

  Result<Saved> Load(std::string_view tenant, std::string_view table) const {
    struct Row final : detail::RowSink {
      Saved saved;
      bool OnRow(const RowView& r) override {
        saved.found = true;
        saved.progress.target_version = static_cast<int>(r.Int(0));
        saved.cursor = r.Text(1);
        saved.progress.rows_seen = r.Int(2);
        saved.progress.rows_rewritten = r.Int(3);
        saved.progress.done = r.Int(4) != 0;
        return false;
      }
    } row;
    const Param p[] = {tenant, table};
    std::lock_guard lock(mu);
    auto r = db->Run("SELECT target_version, cursor, rows_seen, rows_rewritten, done FROM "
                     "tenancy_reencryption WHERE tenant_id = ? AND table_name = ?",
                     p, &row);
    if (!r) return r.error();
    row.saved.progress.table = std::string(table);
    return row.saved;
  }

  Result<void> Save(std::string_view tenant, const ReencryptProgress& p, const std::string& cursor) {
    const Param params[] = {tenant, std::string_view(p.table), std::int64_t{p.target_version},
                            std::string_view(cursor), p.rows_seen, p.rows_rewritten,
                            std::int64_t{p.done ? 1 : 0}};
    std::lock_guard lock(mu);
    auto r = db->Run("INSERT INTO tenancy_reencryption VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                     "(tenant_id, table_name) DO UPDATE SET target_version = excluded.target_version,"
                     " cursor = excluded.cursor, rows_seen = excluded.rows_seen, rows_rewritten = "
                     "excluded.rows_rewritten, done = excluded.done",
                     params, nullptr);
    if (!r) return r.error();
    return {};
  }
};

Reencryptor::Reencryptor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reencryptor::~Reencryptor() = default;

Result<std::unique_ptr<Reencryptor>> Reencryptor::Open(const std::string& control_db_path,
                                                       Store& store) {
  if (!store.options().cipher)
    return Fail(Errc::kFailedPrecondition, "re-encryption needs a store with a field cipher");
  auto db = sqlite::SqliteConnection::Open(control_db_path, /*create=*/true, sqlite::ConnectionOptions{});
  if (!db) return db.error();
  if (auto r = (*db)->ExecScript(kSchema); !r) return r.error();
  auto impl = std::make_unique<Impl>();
  impl->store = &store;
  impl->db = std::move(*db);
  return std::unique_ptr<Reencryptor>(new Reencryptor(std::move(impl)));
}

Result<ReencryptProgress> Reencryptor::Progress(const TenantId& tenant, std::string_view table) const {
  auto saved = impl_->Load(tenant.str(), table);
  if (!saved) return saved.error();
  if (!saved->found) return Fail(Errc::kNotFound, "no re-encryption has run for that table");
  return saved->progress;
}

Result<ReencryptProgress> Reencryptor::Run(
    const TenantContext& ctx, const EntitySchema& entity, std::size_t batch_size,
    const std::function<bool(const ReencryptProgress&)>& keep_going) {
  if (batch_size == 0 || batch_size > 1000)
    return Fail(Errc::kInvalidArgument, "batch size must be between 1 and 1000");
  const std::string& tenant = ctx.tenant_id().str();
  int target = 0;
  if (auto key = impl_->store->options().cipher->keyring().Unwrap(tenant, 0, &target); !key)
    return key.error();
  auto saved = impl_->Load(tenant, entity.table);
  if (!saved) return saved.error();
  ReencryptProgress progress = saved->progress;
  std::string cursor = saved->cursor;
  if (!saved->found || progress.target_version != target) {
    // A new rotation (or the first run): start over towards the new target.
    progress = ReencryptProgress{entity.table, target, 0, 0, false};
    cursor.clear();
  } else if (progress.done) {
    return progress;
  }
  detail::RepositoryCore core(*impl_->store, std::make_shared<const EntitySchema>(entity));
  for (;;) {
    std::string next;
    std::int64_t seen = 0, rewritten = 0;
    auto batch = impl_->store->Transact(ctx, [&](Transaction& tx) -> Result<void> {
      auto r = core.ReencryptBatch(tx, cursor, batch_size, &seen, &rewritten);
      if (!r) return r.error();
      next = std::move(*r);
      return {};
    });
    if (!batch) return batch.error();
    progress.rows_seen += seen;
    progress.rows_rewritten += rewritten;
    cursor = next;
    progress.done = cursor.empty();
    if (auto r = impl_->Save(tenant, progress, cursor); !r) return r.error();
    if (progress.done || (keep_going && !keep_going(progress))) return progress;
  }
}

}  // namespace tenancy

// Backup::Write and Backup::Verify: one tenant's namespace, keys and
// configuration streamed into one file; a file checked end to end.
#include <boost/json/object.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "ops/backup_format.hpp"
#include "ops/backup_keys.hpp"
#include "storage/tenant_dump.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/config.hpp"
#include "tenancy/directory.hpp"

namespace tenancy {
namespace {

using ops::backup::Kind;

// Writes full row batches on a second thread: hashing and writing one batch
// (about a third of a backup's CPU) overlaps with reading and encoding the
// next. One batch is in flight at a time, so the file's record order is the
// order of Submit; Drain waits for it before any other record is written.
// The thread starts with the first full batch: a small tenant's backup never
// starts one. Without a thread (or if one cannot start) batches are written
// in the caller's thread.
class BatchPipe {
 public:
  explicit BatchPipe(ops::backup::RecordWriter& out) : out_(out) {}
  ~BatchPipe() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  BatchPipe(const BatchPipe&) = delete;
  BatchPipe& operator=(const BatchPipe&) = delete;

  // Hands `batch` over to be written as one 'R' record; `batch` comes back
  // as an empty buffer (with capacity). `full`: more rows follow. An error
  // of an earlier batch is returned here (or by Drain).
  Result<void> Submit(Blob& batch, bool full) {
    if (!thread_.joinable()) {
      if (!full || failed_to_start_) return Direct(batch);
      try {
        thread_ = std::thread([this] { Run(); });
      } catch (const std::system_error&) {
        failed_to_start_ = true;
        return Direct(batch);
      }
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !has_pending_ || error_; });
    if (error_) return *error_;
    std::swap(pending_, batch);
    batch.clear();
    has_pending_ = true;
    cv_.notify_all();
    return {};
  }

  // Waits until every submitted batch is written.
  Result<void> Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return (!has_pending_ && !busy_) || error_; });
    if (error_) return *error_;
    return {};
  }

 private:
  Result<void> Direct(Blob& batch) {
    auto r = out_.Record(Kind::kRows, batch);
    batch.clear();
    return r;
  }

  void Run() {
    Blob writing;
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return has_pending_ || stop_; });
      if (stop_) return;  // the backup ended (after Drain, or failed)
      std::swap(writing, pending_);
      has_pending_ = false;
      busy_ = true;
      cv_.notify_all();  // the next batch may be handed over meanwhile
      lock.unlock();
      auto r = error_ ? Result<void>() : out_.Record(Kind::kRows, writing);
      writing.clear();
      lock.lock();
      busy_ = false;
      if (!r && !error_) error_ = r.error();
      cv_.notify_all();
    }
  }

  ops::backup::RecordWriter& out_;
  std::thread thread_;
  bool failed_to_start_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  Blob pending_;
  bool has_pending_ = false;
  bool busy_ = false;
  bool stop_ = false;
  std::optional<Error> error_;
};

// Encodes rows into batches and hands each to the pipe as one 'R' record.
class RowEncoder final : public detail::DumpRowSink {
 public:
  explicit RowEncoder(BatchPipe& out) : out_(out) { Reset(); }

  Result<void> OnRow(std::span<const Param> values) override {
    for (const auto& v : values) ops::backup::AppendValue(batch_, v);
    ++count_;
    if (batch_.size() >= ops::backup::kBatchBytes) return Flush(/*full=*/true);
    return {};
  }

  Result<void> Flush(bool full = false) {
    if (count_ == 0) return {};
    if (batch_.size() > ops::backup::kMaxRowsBytes)
      return Fail(Errc::kResourceExhausted, "a row is too large to back up");
    for (int i = 0; i < 4; ++i) batch_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(count_ >> (8 * i));
    auto r = out_.Submit(batch_, full);
    Reset();
    return r;
  }

 private:
  void Reset() {
    batch_.clear();
    batch_.resize(4);  // the row count, filled in at Flush
    count_ = 0;
  }
  BatchPipe& out_;
  Blob batch_;
  std::uint32_t count_ = 0;
};

struct NullSink final : ops::backup::BodySink {
  Result<void> OnTable(std::size_t) override { return {}; }
  Result<void> OnRow(std::span<const Param>) override { return {}; }
};

}  // namespace

Backup::Backup(BackupSources sources) : sources_(std::move(sources)) {
  if (!sources_.clock) sources_.clock = &SystemClock();
}

Result<BackupInfo> Backup::Write(const TenantId& id, std::ostream& out) const {
  if (!sources_.directory) return Fail(Errc::kInvalidArgument, "backup needs a directory");
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  auto found = sources_.directory->Get(id);
  if (!found) return found.error();
  const Tenant& tenant = **found;
  if (tenant.state == TenantState::kDeleted)
    return Fail(Errc::kTenantUnknown, "the tenant has been offboarded; nothing to back up");
  if (tenant.state == TenantState::kProvisioning || tenant.state == TenantState::kOffboarding)
    return Fail(Errc::kFailedPrecondition, "the tenant is " + std::string(ToString(tenant.state)) +
                                               "; back it up once that has finished");

  // The snapshot is fixed here; keys are read after it, so every key
  // version a snapshot row is sealed under is among them (versions are
  // only ever added while the tenant lives).
  auto reader = detail::TenantDump::Read(sources_.directory->store(), tenant);
  if (!reader) return reader.error();

  ops::backup::Meta meta;
  BackupInfo& info = meta.info;
  info.tenant = tenant;
  info.created_at = sources_.clock->Now();
  info.engine = std::string(sources_.directory->store().engine());
  info.schema_version = (*reader)->schema_version();
  for (const auto& t : (*reader)->tables()) {
    BackupTable table;
    table.name = t.name;
    for (const auto& c : t.columns) table.columns.push_back({c.name, c.type, c.not_null, c.key});
    info.tables.push_back(std::move(table));
  }
  if (sources_.keyring && !sources_.keyring_path.empty()) {
    auto keys = ops::backup::ReadWrappedKeys(sources_.keyring_path, tenant.id);
    if (!keys) return keys.error();
    meta.keys = std::move(*keys);
  }
  info.key_versions = meta.keys.size();
  if (sources_.config) {
    auto history = sources_.config->History(ConfigScope::Tenant(tenant.id));
    if (!history) return history.error();
    if (!history->empty()) meta.config = history->back().document;
  }
  info.has_config = meta.config.has_value();

  ops::backup::RecordWriter writer(out);
  if (auto r = writer.Header(); !r) return r.error();
  const std::string json = ops::backup::EncodeMeta(meta);
  if (auto r = writer.Record(Kind::kMeta, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
      !r)
    return r.error();
  BatchPipe pipe(writer);
  for (std::size_t t = 0; t < info.tables.size(); ++t) {
    Blob head;
    ops::backup::PutU32(head, static_cast<std::uint32_t>(t));
    if (auto r = writer.Record(Kind::kTable, head); !r) return r.error();
    RowEncoder rows(pipe);
    auto count = (*reader)->ReadRows(t, rows);
    if (!count) return count.error();
    if (auto r = rows.Flush(); !r) return r.error();
    if (auto r = pipe.Drain(); !r) return r.error();
    Blob end;
    ops::backup::PutU64(end, *count);
    if (auto r = writer.Record(Kind::kTableEnd, end); !r) return r.error();
    info.tables[t].rows = *count;
    info.rows += *count;
  }
  reader->reset();  // ends the read transaction before the final flush
  auto hash = writer.Finish();
  if (!hash) return hash.error();
  info.bytes = writer.bytes();
  info.checksum = ops::backup::Hex(*hash);
  return info;
}

Result<BackupInfo> Backup::Verify(std::istream& in) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  ops::backup::Parser parser(in);
  if (auto r = parser.Header(); !r) return r.error();
  auto meta = parser.ReadMeta();
  if (!meta) return meta.error();
  NullSink sink;
  if (auto r = parser.ReadBody(*meta, sink); !r) return r.error();
  return std::move(meta->info);
}

}  // namespace tenancy

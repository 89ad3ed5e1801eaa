#include "ops/audit_db.hpp"

#include <cstring>

namespace tenancy::detail::audit {
namespace {

constexpr const char* kSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS tenancy_audit_entries (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  actor_kind INTEGER NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome INTEGER NOT NULL,
  code TEXT NOT NULL,
  request_id TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (chain, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenancy_audit_heads (
  chain TEXT NOT NULL PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL,
  mac BLOB NOT NULL
) STRICT, WITHOUT ROWID;
PRAGMA user_version = 1;
COMMIT;
)sql";

constexpr const char* kColumns =
    "seq, at_ms, actor_kind, actor_id, action, target, outcome, code, request_id, details, "
    "prev_hash, hash";

const std::string kInsert =
    std::string("INSERT INTO tenancy_audit_entries (chain, ") + kColumns +
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string kUpsertHead =
    "INSERT INTO tenancy_audit_heads (chain, seq, hash, mac) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac";
const std::string kHead = "SELECT seq, hash, mac FROM tenancy_audit_heads WHERE chain = ?";
const std::string kHeads = "SELECT chain, seq, hash, mac FROM tenancy_audit_heads ORDER BY chain";
const std::string kLast =
    "SELECT seq, hash FROM tenancy_audit_entries WHERE chain = ? ORDER BY seq DESC LIMIT 1";
const std::string kFetch = std::string("SELECT ") + kColumns +
                           " FROM tenancy_audit_entries WHERE chain = ? AND seq >= ? ORDER BY seq "
                           "LIMIT ?";
const std::string kChains =
    "SELECT chain FROM tenancy_audit_heads UNION SELECT DISTINCT chain FROM tenancy_audit_entries "
    "ORDER BY 1";

// A 32-byte blob, or all zeros for anything else (which then fails its
// hash check, as an edited value should).
Digest DigestOf(const RowView& r, int i) {
  Digest d{};
  auto b = r.Bytes(i);
  if (b.size() == d.size()) std::memcpy(d.data(), b.data(), d.size());
  return d;
}

ChainRow RowAt(const RowView& r, int first) {
  ChainRow c;
  c.seq = r.Int(first);
  c.at_ms = r.Int(first + 1);
  c.actor_kind = r.Int(first + 2);
  c.actor_id = r.Text(first + 3);
  c.action = r.Text(first + 4);
  c.target = r.Text(first + 5);
  c.outcome = r.Int(first + 6);
  c.code = r.Text(first + 7);
  c.request_id = r.Text(first + 8);
  c.details = r.Text(first + 9);
  c.prev = DigestOf(r, first + 10);
  c.hash = DigestOf(r, first + 11);
  return c;
}

struct IntRow final : RowSink {
  std::optional<std::int64_t> value;
  bool OnRow(const RowView& r) override {
    value = r.Int(0);
    return false;
  }
};

struct HeadSink final : RowSink {
  std::optional<HeadRow> head;
  bool OnRow(const RowView& r) override {
    HeadRow h;
    h.seq = r.Int(0);
    h.hash = DigestOf(r, 1);
    auto mac = r.Bytes(2);
    h.mac.assign(reinterpret_cast<const char*>(mac.data()), mac.size());
    head = std::move(h);
    return false;
  }
};

struct RowsSink final : RowSink {
  std::vector<ChainRow> rows;
  bool OnRow(const RowView& r) override {
    rows.push_back(RowAt(r, 0));
    return true;
  }
};

BlobView Blob(const Digest& d) { return BlobView(d.data(), d.size()); }

}  // namespace

Result<std::unique_ptr<AuditDb>> AuditDb::Open(const std::string& path,
                                               std::chrono::milliseconds busy_timeout,
                                               bool sync_full) {
  sqlite::ConnectionOptions options;
  options.busy_timeout = busy_timeout;
  options.statement_cache_size = 256;  // Page's filter combinations
  auto writer = sqlite::SqliteConnection::Open(path, /*create=*/true, options);
  if (!writer) return writer.error();
  IntRow version;
  if (auto r = (*writer)->Run("PRAGMA user_version", {}, &version); !r) return r.error();
  const std::int64_t found = version.value.value_or(0);
  if (found > kAuditSchemaVersion)
    return Fail(Errc::kFailedPrecondition,
                "the audit database was written by a newer tenancy (schema version " +
                    std::to_string(found) + ")");
  if (found < kAuditSchemaVersion) {
    if (auto r = (*writer)->ExecScript(kSchema); !r) {
      (void)(*writer)->Rollback();
      return r.error();
    }
  }
  if (sync_full) {
    if (auto r = (*writer)->ExecScript("PRAGMA synchronous=FULL;"); !r) return r.error();
  }
  auto reader = sqlite::SqliteConnection::Open(path, /*create=*/false, options);
  if (!reader) return reader.error();
  return std::unique_ptr<AuditDb>(new AuditDb(std::move(*writer), std::move(*reader)));
}

Result<std::optional<HeadRow>> AuditDb::LoadHead(const std::string& chain) {
  HeadSink sink;
  const Param p[] = {std::string_view(chain)};
  if (auto r = writer_->Run(kHead, p, &sink); !r) return r.error();
  return std::move(sink.head);
}

Result<std::optional<std::pair<std::int64_t, Digest>>> AuditDb::LastEntry(
    const std::string& chain) {
  struct Sink final : RowSink {
    std::optional<std::pair<std::int64_t, Digest>> last;
    bool OnRow(const RowView& r) override {
      last.emplace(r.Int(0), DigestOf(r, 1));
      return false;
    }
  } sink;
  const Param p[] = {std::string_view(chain)};
  if (auto r = writer_->Run(kLast, p, &sink); !r) return r.error();
  return sink.last;
}

Result<void> AuditDb::Append(const std::string& chain, const ChainRow& row,
                             std::string_view mac) {
  if (auto r = writer_->Begin(); !r) return r;
  auto fail = [&](Error e) -> Result<void> {
    (void)writer_->Rollback();
    return e;
  };
  const Param entry[] = {std::string_view(chain),
                         row.seq,
                         row.at_ms,
                         row.actor_kind,
                         std::string_view(row.actor_id),
                         std::string_view(row.action),
                         std::string_view(row.target),
                         row.outcome,
                         std::string_view(row.code),
                         std::string_view(row.request_id),
                         std::string_view(row.details),
                         Blob(row.prev),
                         Blob(row.hash)};
  if (auto r = writer_->Run(kInsert, entry, nullptr); !r) return fail(r.error());
  const Param head[] = {std::string_view(chain), row.seq, Blob(row.hash),
                        BlobView(reinterpret_cast<const std::uint8_t*>(mac.data()), mac.size())};
  if (auto r = writer_->Run(kUpsertHead, head, nullptr); !r) return fail(r.error());
  if (auto r = writer_->Commit(); !r) return fail(r.error());
  return {};
}

Result<void> AuditDb::BeginRead() {
  auto r = reader_->Run("BEGIN DEFERRED", {}, nullptr);
  if (!r) return r.error();
  return {};
}

void AuditDb::EndRead() { (void)reader_->Rollback(); }

Result<std::vector<ChainRow>> AuditDb::Fetch(const std::string& chain, std::int64_t from,
                                             std::size_t limit) {
  RowsSink sink;
  const Param p[] = {std::string_view(chain), from, static_cast<std::int64_t>(limit)};
  if (auto r = reader_->Run(kFetch, p, &sink); !r) return r.error();
  return std::move(sink.rows);
}

Result<std::optional<HeadRow>> AuditDb::ReadHead(const std::string& chain) {
  HeadSink sink;
  const Param p[] = {std::string_view(chain)};
  if (auto r = reader_->Run(kHead, p, &sink); !r) return r.error();
  return std::move(sink.head);
}

Result<std::vector<std::pair<std::string, HeadRow>>> AuditDb::Heads(const std::string* chain) {
  if (chain != nullptr) {
    auto h = ReadHead(*chain);
    if (!h) return h.error();
    std::vector<std::pair<std::string, HeadRow>> out;
    if (*h) out.emplace_back(*chain, std::move(**h));
    return out;
  }
  struct Sink final : RowSink {
    std::vector<std::pair<std::string, HeadRow>> heads;
    bool OnRow(const RowView& r) override {
      HeadRow h;
      h.seq = r.Int(1);
      h.hash = DigestOf(r, 2);
      auto mac = r.Bytes(3);
      h.mac.assign(reinterpret_cast<const char*>(mac.data()), mac.size());
      heads.emplace_back(std::string(r.Text(0)), std::move(h));
      return true;
    }
  } sink;
  if (auto r = reader_->Run(kHeads, {}, &sink); !r) return r.error();
  return std::move(sink.heads);
}

Result<std::vector<std::string>> AuditDb::Chains() {
  struct Sink final : RowSink {
    std::vector<std::string> chains;
    bool OnRow(const RowView& r) override {
      chains.emplace_back(r.Text(0));
      return true;
    }
  } sink;
  if (auto r = reader_->Run(kChains, {}, &sink); !r) return r.error();
  return std::move(sink.chains);
}

Result<std::vector<StoredRecord>> AuditDb::Page(const PageSpec& spec) {
  // Built from fixed fragments only; every value is bound.
  std::string sql = std::string("SELECT chain, ") + kColumns + " FROM tenancy_audit_entries WHERE ";
  std::vector<Param> params;
  if (spec.chain) {
    sql += "chain = ? AND seq > ?";
    params.emplace_back(std::string_view(*spec.chain));
    params.emplace_back(spec.after_seq);
  } else {
    sql += "(chain > ? OR (chain = ? AND seq > ?))";
    params.emplace_back(std::string_view(spec.after_chain));
    params.emplace_back(std::string_view(spec.after_chain));
    params.emplace_back(spec.after_seq);
  }
  if (!spec.action.empty()) {
    sql += " AND action = ?";
    params.emplace_back(std::string_view(spec.action));
  } else if (!spec.action_prefix.empty()) {
    sql += " AND substr(action, 1, ?) = ?";
    params.emplace_back(static_cast<std::int64_t>(spec.action_prefix.size()));
    params.emplace_back(std::string_view(spec.action_prefix));
  }
  if (!spec.actor_id.empty()) {
    sql += " AND actor_id = ?";
    params.emplace_back(std::string_view(spec.actor_id));
  }
  if (spec.outcome) {
    sql += " AND outcome = ?";
    params.emplace_back(*spec.outcome);
  }
  if (!spec.request_id.empty()) {
    sql += " AND request_id = ?";
    params.emplace_back(std::string_view(spec.request_id));
  }
  if (spec.from_ms) {
    sql += " AND at_ms >= ?";
    params.emplace_back(*spec.from_ms);
  }
  if (spec.to_ms) {
    sql += " AND at_ms < ?";
    params.emplace_back(*spec.to_ms);
  }
  sql += " ORDER BY chain, seq LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(spec.fetch));

  struct Sink final : RowSink {
    std::vector<StoredRecord> out;
    bool OnRow(const RowView& r) override {
      out.push_back({std::string(r.Text(0)), RowAt(r, 1)});
      return true;
    }
  } sink;
  if (auto r = reader_->Run(sql, params, &sink); !r) return r.error();
  return std::move(sink.out);
}

}  // namespace tenancy::detail::audit

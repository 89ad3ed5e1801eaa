#include <sodium.h>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstring>

#include "storage/sealed_columns.hpp"
#include "storage/sql_text.hpp"
#include "tenancy/repository.hpp"

namespace tenancy::detail {
namespace {

using ParamBuffer = boost::container::small_vector<Param, 16>;

constexpr std::size_t kMaxListLimit = 1000;
constexpr std::size_t kMaxFilters = 16;
constexpr std::size_t kMaxCursorChars = 4096;
constexpr std::uint8_t kCursorFormat = 1;

std::string_view OpSql(FilterOp op) {
  switch (op) {
    case FilterOp::kEq: return " = ";
    case FilterOp::kNe: return " <> ";
    case FilterOp::kLt: return " < ";
    case FilterOp::kLe: return " <= ";
    case FilterOp::kGt: return " > ";
    case FilterOp::kGe: return " >= ";
  }
  return " = ";
}

// Text may not hold NUL bytes: PostgreSQL cannot store them, so neither
// engine accepts them (use a Blob for binary data).
bool HasNul(const Param& p) {
  auto* s = std::get_if<std::string_view>(&p);
  return s && s->find('\0') != std::string_view::npos;
}

Result<void> CheckKey(const EntitySchema& schema, std::span<const Param> key) {
  if (key.size() != schema.key_count)
    return Fail(Errc::kInvalidArgument, schema.table + " has a key of " +
                                            std::to_string(schema.key_count) + " column(s)");
  for (const auto& k : key)
    if (HasNul(k)) return Fail(Errc::kInvalidArgument, "text may not contain NUL bytes");
  return {};
}

// -- keyset cursors: an opaque, versioned encoding of the last key --

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string EncodeCursor(const std::vector<Value>& key) {
  std::string raw;
  raw.push_back(static_cast<char>(kCursorFormat));
  raw.push_back(static_cast<char>(key.size()));
  for (const auto& v : key) {
    switch (v.index()) {
      case 1:
        raw.push_back('i');
        Put64(raw, static_cast<std::uint64_t>(std::get<1>(v)));
        break;
      case 2: {
        raw.push_back('r');
        std::uint64_t bits;
        double d = std::get<2>(v);
        std::memcpy(&bits, &d, sizeof bits);
        Put64(raw, bits);
        break;
      }
      case 3:
      case 4: {
        raw.push_back(v.index() == 3 ? 't' : 'b');
        std::string_view bytes =
            v.index() == 3 ? std::string_view(std::get<3>(v))
                           : std::string_view(reinterpret_cast<const char*>(std::get<4>(v).data()),
                                              std::get<4>(v).size());
        PutU32(raw, static_cast<std::uint32_t>(bytes.size()));
        raw.append(bytes);
        break;
      }
      default: raw.push_back('n');
    }
  }
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::vector<Value>> DecodeCursor(std::string_view text, std::size_t key_count) {
  const Error bad(Errc::kInvalidArgument, "malformed paging cursor");
  if (text.size() > kMaxCursorChars) return bad;
  std::string raw(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return bad;
  raw.resize(len);
  std::size_t at = 0;
  auto take = [&](std::size_t n) -> const unsigned char* {
    if (raw.size() - at < n) return nullptr;
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + at);
    at += n;
    return p;
  };
  auto read64 = [](const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  };
  const unsigned char* head = take(2);
  if (!head || head[0] != kCursorFormat || head[1] != key_count) return bad;
  std::vector<Value> key;
  for (std::size_t i = 0; i < key_count; ++i) {
    const unsigned char* tag = take(1);
    if (!tag) return bad;
    switch (*tag) {
      case 'i': {
        const unsigned char* p = take(8);
        if (!p) return bad;
        key.emplace_back(static_cast<std::int64_t>(read64(p)));
        break;
      }
      case 'r': {
        const unsigned char* p = take(8);
        if (!p) return bad;
        std::uint64_t bits = read64(p);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        key.emplace_back(d);
        break;
      }
      case 't':
      case 'b': {
        const unsigned char* p = take(4);
        if (!p) return bad;
        std::uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
        const unsigned char* bytes = take(n);
        if (!bytes) return bad;
        if (*tag == 't')
          key.emplace_back(std::string(reinterpret_cast<const char*>(bytes), n));
        else
          key.emplace_back(Blob(bytes, bytes + n));
        break;
      }
      case 'n': key.emplace_back(std::monostate{}); break;
      default: return bad;
    }
  }
  if (at != raw.size()) return bad;
  return key;
}

// Passes the first `limit` rows on and remembers the key of the last one.
class PageSink final : public RowSink {
 public:
  PageSink(RowSink& inner, std::size_t limit, std::size_t key_count)
      : inner_(inner), limit_(limit), key_count_(key_count) {}
  bool OnRow(const RowView& row) override {
    if (seen_ == limit_) {
      has_more_ = true;
      return false;
    }
    // Only the page's last row needs its key kept (for the cursor).
    if (++seen_ == limit_) {
      last_key_.clear();
      for (std::size_t i = 0; i < key_count_; ++i) last_key_.push_back(row.Get(static_cast<int>(i)));
    }
    return inner_.OnRow(row);
  }
  std::string NextCursor() const { return has_more_ ? EncodeCursor(last_key_) : std::string(); }

 private:
  RowSink& inner_;
  std::size_t limit_, key_count_, seen_ = 0;
  bool has_more_ = false;
  std::vector<Value> last_key_;
};

struct CountSink final : RowSink {
  std::int64_t value = 0;
  bool OnRow(const RowView& r) override {
    value = r.Int(0);
    return false;
  }
};

}  // namespace

struct RepositoryCore::Statements {
  std::string get, insert, update, upsert, remove, select_prefix, count_prefix, key_list, key_tuple;
  // Largest text or blob each column accepts (its own or the store's).
  std::vector<std::size_t> limits;
};

RepositoryCore::RepositoryCore(Store& store, std::shared_ptr<const EntitySchema> schema)
    : store_(store), schema_(std::move(schema)), sql_(std::make_unique<Statements>()) {
  const auto& s = *schema_;
  if (s.key_count == 0) ThrowDescriptorError("entity '" + s.table + "' declares no key column");
  const std::string table = store_.QualifiedTable(s.table);
  std::string cols, marks, sets, excluded, key_match, keys;
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    const std::string q = QuoteIdentifier(s.columns[i].name);
    cols += (i ? "," : "") + q;
    marks += ",?";
    if (i < s.key_count) {
      key_match += " AND " + q + " = ?";
      keys += (i ? "," : "") + q;
    } else {
      sets += (sets.empty() ? "" : ",") + q + " = ?";
      excluded += (excluded.empty() ? "" : ",") + q + " = excluded." + q;
    }
  }
  auto& q = *sql_;
  for (const auto& c : s.columns)
    q.limits.push_back(c.max_bytes ? c.max_bytes : store_.options().max_field_bytes);
  q.key_list = keys;
  q.key_tuple = s.key_count == 1 ? keys : "(" + keys + ")";
  q.get = "SELECT " + cols + " FROM " + table + " WHERE tenant_id = ?" + key_match;
  q.insert = "INSERT INTO " + table + " (tenant_id," + cols + ") VALUES (?" + marks + ")";
  q.update = "UPDATE " + table + " SET " + (sets.empty() ? QuoteIdentifier(s.columns[0].name) + " = " +
                                                               QuoteIdentifier(s.columns[0].name)
                                                         : sets) +
             " WHERE tenant_id = ?" + key_match;
  q.upsert = q.insert + " ON CONFLICT (tenant_id," + keys + ") DO " +
             (excluded.empty() ? "NOTHING" : "UPDATE SET " + excluded);
  q.remove = "DELETE FROM " + table + " WHERE tenant_id = ?" + key_match;
  q.select_prefix = "SELECT " + cols + " FROM " + table + " WHERE tenant_id = ?";
  q.count_prefix = "SELECT count(*) FROM " + table + " WHERE tenant_id = ?";
}

RepositoryCore::~RepositoryCore() = default;

Result<std::int64_t> RepositoryCore::Run(Scope scope, const std::string& sql,
                                         std::span<const Param> params, RowSink* sink) const {
  if (Transaction* tx = scope.transaction()) {
    // An earlier statement may have ended the transaction (a raw INSERT OR
    // ROLLBACK): running on would autocommit outside the unit of work.
    if (!tx->connection().InTransaction())
      return Fail(Errc::kFailedPrecondition, "the transaction has ended");
    return tx->connection().Run(sql, params, sink);
  }
  auto lease = store_.Acquire(scope.context().tenant());
  if (!lease) return lease.error();
  return (*lease)->Run(sql, params, sink);
}

Result<void> RepositoryCore::CheckRow(std::span<const Param> row) const {
  const auto& cols = schema_->columns;
  if (row.size() != cols.size()) return Fail(Errc::kInternal, "row arity does not match the entity");
  // One switch per value: InsertMany runs this for every row of a batch.
  const std::size_t* limits = sql_->limits.data();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    std::size_t bytes = 0;
    switch (row[i].index()) {
      case 0:
        if (!cols[i].nullable)
          return Fail(Errc::kInvalidArgument, schema_->table + "." + cols[i].name + " may not be null");
        continue;
      case 3: {
        const std::string_view text = *std::get_if<std::string_view>(&row[i]);
        bytes = text.size();
        if (bytes <= limits[i] && std::memchr(text.data(), '\0', bytes) != nullptr)
          return Fail(Errc::kInvalidArgument,
                      schema_->table + "." + cols[i].name + " may not contain NUL bytes");
        break;
      }
      case 4: bytes = std::get_if<BlobView>(&row[i])->size(); break;
      default: continue;
    }
    if (bytes > limits[i])
      return Fail(Errc::kInvalidArgument, schema_->table + "." + cols[i].name + " exceeds " +
                                              std::to_string(limits[i]) + " bytes");
  }
  return {};
}

Result<bool> RepositoryCore::Get(Scope scope, std::span<const Param> key, RowSink& sink) const {
  if (auto k = CheckKey(*schema_, key); !k) return k.error();
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  params.insert(params.end(), key.begin(), key.end());
  struct First final : RowSink {
    RowSink& inner;
    bool found = false;
    explicit First(RowSink& s) : inner(s) {}
    bool OnRow(const RowView& r) override {
      found = true;
      inner.OnRow(r);
      return false;
    }
  } first(sink);
  if (schema_->HasEncryptedColumns()) {
    OpeningSink opening(store_.options().cipher, *schema_, scope.context().tenant_id().str(), first);
    auto r = Run(scope, sql_->get, params, &opening);
    if (!r) return r.error();
    if (opening.error()) return *opening.error();
    return first.found;
  }
  auto r = Run(scope, sql_->get, params, &first);
  if (!r) return r.error();
  return first.found;
}

Result<void> RepositoryCore::PrepareRow(Scope scope, std::span<const Param> row,
                                        SealedRow& sealed) const {
  if (auto r = CheckRow(row); !r) return r;
  if (!schema_->HasEncryptedColumns()) return {};
  return SealRow(store_.options().cipher, *schema_, scope.context().tenant_id().str(), row, sealed);
}

Result<void> RepositoryCore::Insert(Scope scope, std::span<const Param> row) const {
  SealedRow sealed;
  if (auto r = PrepareRow(scope, row, sealed); !r) return r;
  if (schema_->HasEncryptedColumns()) row = sealed.params;
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  params.insert(params.end(), row.begin(), row.end());
  auto r = Run(scope, sql_->insert, params, nullptr);
  if (!r) {
    if (r.error().code == Errc::kAlreadyExists)
      return Fail(Errc::kAlreadyExists, schema_->table + ": a row with that key exists");
    return r.error();
  }
  return {};
}

Result<void> RepositoryCore::InsertMany(Scope scope, std::span<Param> rows) const {
  const std::size_t width = schema_->columns.size() + 1;  // the tenant, then the columns
  if (rows.empty()) return {};
  if (rows.size() % width != 0) return Fail(Errc::kInternal, "row arity does not match the entity");
  const std::size_t count = rows.size() / width;
  auto at_row = [](std::size_t r, const Error& e) {
    return Error(e.code, "row " + std::to_string(r) + ": " + e.message);
  };
  // Every row is confined, checked and sealed before anything reaches the
  // engine, so a bad row costs no round trip and leaves nothing to undo.
  // The rows are bound where they lie: no copy of the batch.
  const bool encrypted = schema_->HasEncryptedColumns();
  std::vector<SealedRow> sealed(encrypted ? count : 0);
  SealedRow unsealed;  // never written: the entity has no encrypted column
  const std::string_view tenant = scope.context().tenant_id().str();
  for (std::size_t r = 0; r < count; ++r) {
    const std::span<Param> row = rows.subspan(r * width, width);
    row[0] = tenant;
    const std::span<const Param> columns = row.subspan(1);
    if (auto p = PrepareRow(scope, columns, encrypted ? sealed[r] : unsealed); !p)
      return at_row(r, p.error());
    if (!encrypted) continue;
    // The ciphertexts live in sealed[r] until the batch has been sent.
    std::copy(sealed[r].params.begin(), sealed[r].params.end(), row.begin() + 1);
  }

  Lease lease;
  Connection* conn = nullptr;
  if (Transaction* tx = scope.transaction()) {
    if (!tx->connection().InTransaction())
      return Fail(Errc::kFailedPrecondition, "the transaction has ended");
    conn = &tx->connection();
  } else {
    auto acquired = store_.Acquire(scope.context().tenant());
    if (!acquired) return acquired.error();
    lease = std::move(*acquired);
    conn = &*lease;
  }
  std::size_t failed = count;
  auto r = store_.RunEach(*conn, sql_->insert, rows, width, &failed);
  if (r) return {};
  Error e = r.error();
  if (e.code == Errc::kAlreadyExists) e.message = schema_->table + ": a row with that key exists";
  return failed < count ? at_row(failed, e) : e;
}

Result<void> RepositoryCore::Update(Scope scope, std::span<const Param> row) const {
  SealedRow sealed;
  if (auto r = PrepareRow(scope, row, sealed); !r) return r;
  if (schema_->HasEncryptedColumns()) row = sealed.params;
  const std::size_t k = schema_->key_count;
  ParamBuffer params(row.begin() + static_cast<std::ptrdiff_t>(k), row.end());
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  params.insert(params.end(), row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k));
  auto r = Run(scope, sql_->update, params, nullptr);
  if (!r) return r.error();
  if (*r == 0) return Fail(Errc::kNotFound, "no " + schema_->table + " with that key");
  return {};
}

Result<void> RepositoryCore::Upsert(Scope scope, std::span<const Param> row) const {
  SealedRow sealed;
  if (auto r = PrepareRow(scope, row, sealed); !r) return r;
  if (schema_->HasEncryptedColumns()) row = sealed.params;
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  params.insert(params.end(), row.begin(), row.end());
  auto r = Run(scope, sql_->upsert, params, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> RepositoryCore::Remove(Scope scope, std::span<const Param> key) const {
  if (auto k = CheckKey(*schema_, key); !k) return k.error();
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  params.insert(params.end(), key.begin(), key.end());
  auto r = Run(scope, sql_->remove, params, nullptr);
  if (!r) return r.error();
  if (*r == 0) return Fail(Errc::kNotFound, "no " + schema_->table + " with that key");
  return {};
}

namespace {

// Appends " AND col op ?" for each filter; fails on an unknown column.
Result<void> AppendFilters(const EntitySchema& schema, std::span<const Filter> filters,
                           std::string& sql, ParamBuffer& params) {
  if (filters.size() > kMaxFilters)
    return Fail(Errc::kInvalidArgument, "at most " + std::to_string(kMaxFilters) + " filters");
  for (const auto& f : filters) {
    if (schema.ColumnIndex(f.column) < 0)
      return Fail(Errc::kInvalidArgument, "unknown filter column '" + f.column.substr(0, 64) + "'");
    if (schema.columns[static_cast<std::size_t>(schema.ColumnIndex(f.column))].encrypted)
      return Fail(Errc::kInvalidArgument, "cannot filter on encrypted column '" + f.column + "'");
    if (HasNul(AsParam(f.value))) return Fail(Errc::kInvalidArgument, "text may not contain NUL bytes");
    sql += " AND \"" + f.column + "\"";
    sql += OpSql(f.op);
    sql += "?";
    params.push_back(AsParam(f.value));
  }
  return {};
}

// Appends the keyset condition after `after` (a cursor), the key order and
// the LIMIT (one more than `limit`, to know whether a next page exists).
// `cursor` owns the decoded values `params` points into.
Result<void> AppendPage(const std::string& key_tuple, const std::string& key_list,
                        std::size_t key_count, const std::string& after, std::size_t limit,
                        std::string& sql, ParamBuffer& params, std::vector<Value>& cursor) {
  if (!after.empty()) {
    auto decoded = DecodeCursor(after, key_count);
    if (!decoded) return decoded.error();
    cursor = std::move(*decoded);
    std::string marks = "?";
    for (std::size_t i = 1; i < cursor.size(); ++i) marks += ",?";
    sql += " AND " + key_tuple + " > " + (cursor.size() == 1 ? marks : "(" + marks + ")");
    for (const auto& v : cursor) params.push_back(AsParam(v));
  }
  sql += " ORDER BY " + key_list + " LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  return {};
}

}  // namespace

Result<std::string> RepositoryCore::List(Scope scope, const ListQuery& query, RowSink& sink) const {
  if (query.limit == 0 || query.limit > kMaxListLimit)
    return Fail(Errc::kInvalidArgument, "limit must be between 1 and " + std::to_string(kMaxListLimit));
  std::string sql = sql_->select_prefix;
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  if (auto r = AppendFilters(*schema_, query.filters, sql, params); !r) return r.error();
  std::vector<Value> cursor;
  if (auto r = AppendPage(sql_->key_tuple, sql_->key_list, schema_->key_count, query.after,
                          query.limit, sql, params, cursor);
      !r)
    return r.error();
  PageSink page(sink, query.limit, schema_->key_count);
  if (schema_->HasEncryptedColumns()) {
    OpeningSink opening(store_.options().cipher, *schema_, scope.context().tenant_id().str(), page);
    auto r = Run(scope, sql, params, &opening);
    if (!r) return r.error();
    if (opening.error()) return *opening.error();
    return page.NextCursor();
  }
  auto r = Run(scope, sql, params, &page);
  if (!r) return r.error();
  return page.NextCursor();
}

Result<std::int64_t> RepositoryCore::Count(Scope scope, std::span<const Filter> filters) const {
  std::string sql = sql_->count_prefix;
  ParamBuffer params;
  params.push_back(std::string_view(scope.context().tenant_id().str()));
  if (auto r = AppendFilters(*schema_, filters, sql, params); !r) return r.error();
  CountSink count;
  auto r = Run(scope, sql, params, &count);
  if (!r) return r.error();
  return count.value;
}

}  // namespace tenancy::detail

namespace tenancy {

int EntitySchema::ColumnIndex(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

bool IsValidIdentifier(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63) return false;
  if (name.starts_with("tenancy_") || name.starts_with("sqlite_") || name == "tenant_id") return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

namespace detail {
void ThrowDescriptorError(const std::string& what) { throw std::logic_error("tenancy entity: " + what); }
}  // namespace detail

}  // namespace tenancy

namespace tenancy::detail {

Result<std::string> RepositoryCore::ReencryptBatch(Scope scope, const std::string& after,
                                                   std::size_t limit, std::int64_t* seen,
                                                   std::int64_t* rewritten) const {
  const FieldCipher* cipher = store_.options().cipher;
  if (!cipher) return Fail(Errc::kFailedPrecondition, "the store has no field cipher");
  if (!schema_->HasEncryptedColumns()) return std::string();
  const std::string& tenant = scope.context().tenant_id().str();
  auto primary = cipher->keyring().Unwrap(tenant, 0, nullptr);
  if (!primary) return primary.error();
  int target = 0;
  (void)cipher->keyring().Unwrap(tenant, 0, &target);

  // Read the raw (sealed) rows of the page.
  struct RawRows final : RowSink {
    std::vector<std::vector<Value>> rows;
    bool OnRow(const RowView& r) override {
      auto& row = rows.emplace_back();
      for (int i = 0; i < r.size(); ++i) row.push_back(r.Get(i));
      return true;
    }
  } raw;
  PageSink page(raw, limit, schema_->key_count);
  {
    std::string sql = sql_->select_prefix;
    ParamBuffer params;
    params.push_back(std::string_view(tenant));
    std::vector<Value> cursor;
    if (auto r = AppendPage(sql_->key_tuple, sql_->key_list, schema_->key_count, after, limit, sql,
                            params, cursor);
        !r)
      return r.error();
    if (auto r = Run(scope, sql, params, &page); !r) return r.error();
  }

  const auto& cols = schema_->columns;
  for (auto& row : raw.rows) {
    ++*seen;
    std::vector<Param> key;
    for (std::size_t i = 0; i < schema_->key_count; ++i) key.push_back(AsParam(row[i]));
    const Blob row_key = EncodeRowKey(key);
    std::string sets, guards;
    std::vector<Blob> fresh;
    fresh.reserve(cols.size());
    std::vector<std::size_t> changed;
    for (std::size_t i = schema_->key_count; i < cols.size(); ++i) {
      if (!cols[i].encrypted || !std::holds_alternative<Blob>(row[i])) continue;
      const Blob& sealed = std::get<Blob>(row[i]);
      auto version = FieldCipher::VersionOf(sealed);
      if (!version) return Error(version.error().code, schema_->table + "." + cols[i].name + ": " + version.error().message);
      if (*version == target) continue;
      const FieldAddress at{tenant, schema_->table, cols[i].name, row_key};
      auto plain = cipher->Open(at, sealed);
      if (!plain) return plain.error();
      auto resealed = cipher->Seal(at, *plain);
      Wipe(*plain);
      if (!resealed) return resealed.error();
      fresh.push_back(std::move(*resealed));
      changed.push_back(i);
    }
    if (changed.empty()) continue;
    ParamBuffer params;
    for (std::size_t j = 0; j < changed.size(); ++j) {
      sets += (j ? ", " : "") + QuoteIdentifier(cols[changed[j]].name) + " = ?";
      params.push_back(BlobView(fresh[j]));
    }
    params.push_back(std::string_view(tenant));
    std::string sql = "UPDATE " + store_.QualifiedTable(schema_->table) + " SET " + sets +
                      " WHERE tenant_id = ?";
    for (std::size_t i = 0; i < schema_->key_count; ++i) {
      sql += " AND " + QuoteIdentifier(cols[i].name) + " = ?";
      params.push_back(key[i]);
    }
    for (std::size_t idx : changed) {
      sql += " AND " + QuoteIdentifier(cols[idx].name) + " = ?";  // unchanged since read
      params.push_back(BlobView(std::get<Blob>(row[idx])));
    }
    auto r = Run(scope, sql, params, nullptr);
    if (!r) return r.error();
    *rewritten += *r;
  }
  return page.NextCursor();
}

}  // namespace tenancy::detail

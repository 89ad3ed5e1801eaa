#include "ops/backup_format.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstring>

#include "tenancy/entity.hpp"

namespace tenancy::ops::backup {
namespace json = boost::json;
namespace {

enum Tag : std::uint8_t { kNull = 0, kInt = 1, kReal = 2, kText = 3, kBlob = 4 };

Error Corrupt(std::string what) {
  return Error(Errc::kDataCorrupted, "backup file is damaged: " + std::move(what));
}

std::string Base64(BlobView bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<Blob> FromBase64(std::string_view text) {
  Blob out(text.size());
  std::size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return Corrupt("a wrapped key is not base64");
  out.resize(len);
  return out;
}

// Typed reads of the metadata JSON; every miss is a damaged file.
Result<const json::value*> Field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return Corrupt("metadata lacks '" + std::string(key) + "'");
  return &it->value();
}
Result<std::string> Str(const json::object& o, std::string_view key) {
  auto v = Field(o, key);
  if (!v) return v.error();
  if (!(*v)->is_string()) return Corrupt("metadata '" + std::string(key) + "' is not a string");
  return std::string((*v)->get_string());
}
Result<std::int64_t> Int(const json::object& o, std::string_view key) {
  auto v = Field(o, key);
  if (!v) return v.error();
  if (!(*v)->is_int64()) return Corrupt("metadata '" + std::string(key) + "' is not an integer");
  return (*v)->get_int64();
}
Result<bool> Bool(const json::object& o, std::string_view key) {
  auto v = Field(o, key);
  if (!v) return v.error();
  if (!(*v)->is_bool()) return Corrupt("metadata '" + std::string(key) + "' is not a boolean");
  return (*v)->get_bool();
}
Result<const json::object*> Obj(const json::object& o, std::string_view key) {
  auto v = Field(o, key);
  if (!v) return v.error();
  if (!(*v)->is_object()) return Corrupt("metadata '" + std::string(key) + "' is not an object");
  return &(*v)->get_object();
}
Result<const json::array*> Arr(const json::object& o, std::string_view key) {
  auto v = Field(o, key);
  if (!v) return v.error();
  if (!(*v)->is_array()) return Corrupt("metadata '" + std::string(key) + "' is not an array");
  return &(*v)->get_array();
}

#define TRY_ASSIGN(var, expr)            \
  auto var##_r = (expr);                 \
  if (!var##_r) return var##_r.error();  \
  auto var = std::move(*var##_r)

Result<Tenant> DecodeTenant(const json::object& o) {
  Tenant t;
  TRY_ASSIGN(id, Str(o, "id"));
  auto parsed = TenantId::Parse(id);
  if (!parsed) return Corrupt("metadata names no valid tenant id");
  t.id = *parsed;
  TRY_ASSIGN(slug, Str(o, "slug"));
  if (!IsValidSlug(slug)) return Corrupt("metadata names no valid slug");
  t.slug = std::move(slug);
  TRY_ASSIGN(name, Str(o, "display_name"));
  t.display_name = std::move(name);
  TRY_ASSIGN(tier, Str(o, "tier"));
  t.tier = std::move(tier);
  TRY_ASSIGN(model, Str(o, "model"));
  auto m = ParseIsolationModel(model);
  if (!m) return Corrupt("metadata names no valid isolation model");
  t.model = *m;
  TRY_ASSIGN(state, Str(o, "state"));
  auto s = ParseTenantState(state);
  if (!s) return Corrupt("metadata names no valid tenant state");
  t.state = *s;
  TRY_ASSIGN(placement, Str(o, "placement"));
  t.placement = std::move(placement);
  TRY_ASSIGN(domain, Field(o, "custom_domain"));
  if (domain->is_string()) {
    t.custom_domain = std::string(domain->get_string());
  } else if (!domain->is_null()) {
    return Corrupt("metadata 'custom_domain' is neither a string nor null");
  }
  TRY_ASSIGN(created, Int(o, "created_at"));
  t.created_at = FromUnixMillis(created);
  TRY_ASSIGN(updated, Int(o, "updated_at"));
  t.updated_at = FromUnixMillis(updated);
  TRY_ASSIGN(revision, Int(o, "revision"));
  t.revision = revision;
  return t;
}

}  // namespace

std::string Hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

namespace {
// The value's little-endian bytes in one append (a byte-wise push_back per
// byte was a fifth of a backup's CPU).
template <class T>
void PutLe(Blob& out, T v) {
  std::uint8_t bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}
// Tag, then a u32 length and the bytes: one resize, two copies.
void PutSized(Blob& out, std::uint8_t tag, const void* data, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + 5 + n);
  std::uint8_t* p = out.data() + at;
  p[0] = tag;
  for (int i = 0; i < 4; ++i) p[1 + i] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(n) >> (8 * i));
  if (n) std::memcpy(p + 5, data, n);
}
}  // namespace

void PutU32(Blob& out, std::uint32_t v) { PutLe(out, v); }
void PutU64(Blob& out, std::uint64_t v) { PutLe(out, v); }
std::uint32_t GetU32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t GetU64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void AppendValue(Blob& out, const Param& value) {
  switch (value.index()) {
    case 1: {
      std::uint8_t v[9] = {kInt};
      const auto bits = static_cast<std::uint64_t>(std::get<1>(value));
      for (int i = 0; i < 8; ++i) v[1 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
      out.insert(out.end(), v, v + 9);
      break;
    }
    case 2: {
      std::uint64_t bits = 0;
      const double d = std::get<2>(value);
      std::memcpy(&bits, &d, sizeof bits);
      std::uint8_t v[9] = {kReal};
      for (int i = 0; i < 8; ++i) v[1 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
      out.insert(out.end(), v, v + 9);
      break;
    }
    case 3: {
      auto s = std::get<3>(value);
      PutSized(out, kText, s.data(), s.size());
      break;
    }
    case 4: {
      auto b = std::get<4>(value);
      PutSized(out, kBlob, b.data(), b.size());
      break;
    }
    default: out.push_back(kNull); break;
  }
}

Result<Param> ReadValue(const std::uint8_t*& p, const std::uint8_t* end) {
  if (p >= end) return Corrupt("a row ends early");
  const std::uint8_t tag = *p++;
  const auto left = static_cast<std::size_t>(end - p);
  switch (tag) {
    case kNull: return Param{};
    case kInt:
    case kReal: {
      if (left < 8) return Corrupt("a number is cut short");
      const std::uint64_t bits = GetU64(p);
      p += 8;
      if (tag == kInt) return Param{static_cast<std::int64_t>(bits)};
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      return Param{d};
    }
    case kText:
    case kBlob: {
      if (left < 4) return Corrupt("a value length is cut short");
      const std::uint32_t n = GetU32(p);
      p += 4;
      if (n > left - 4) return Corrupt("a value runs past its record");
      const std::uint8_t* data = p;
      p += n;
      if (tag == kText) return Param{std::string_view(reinterpret_cast<const char*>(data), n)};
      return Param{BlobView(data, n)};
    }
    default: return Corrupt("unknown value tag " + std::to_string(tag));
  }
}

std::string EncodeMeta(const Meta& meta) {
  const BackupInfo& info = meta.info;
  const Tenant& t = info.tenant;
  json::object tenant;
  tenant["id"] = t.id.str();
  tenant["slug"] = t.slug;
  tenant["display_name"] = t.display_name;
  tenant["tier"] = t.tier;
  tenant["model"] = ToString(t.model);
  tenant["state"] = ToString(t.state);
  tenant["placement"] = t.placement;
  tenant["custom_domain"] = t.custom_domain ? json::value(*t.custom_domain) : json::value(nullptr);
  tenant["created_at"] = ToUnixMillis(t.created_at);
  tenant["updated_at"] = ToUnixMillis(t.updated_at);
  tenant["revision"] = t.revision;

  json::array tables;
  for (const auto& table : info.tables) {
    json::array columns;
    for (const auto& c : table.columns)
      columns.push_back(json::object{{"name", c.name}, {"type", c.type}, {"not_null", c.not_null},
                                     {"key", c.key}});
    tables.push_back(json::object{{"name", table.name}, {"columns", std::move(columns)}});
  }
  json::array keys;
  for (const auto& k : meta.keys)
    keys.push_back(json::object{{"version", k.version},
                                {"primary", k.primary},
                                {"master_key_id", k.master_key_id},
                                {"created_at", k.created_at},
                                {"wrapped", Base64(k.wrapped)}});
  json::object root;
  root["format"] = info.format_version;
  root["tenant"] = std::move(tenant);
  root["created_at"] = ToUnixMillis(info.created_at);
  root["engine"] = info.engine;
  root["schema_version"] = info.schema_version;
  root["tables"] = std::move(tables);
  root["keys"] = std::move(keys);
  root["config"] = meta.config ? json::value(*meta.config) : json::value(nullptr);
  return json::serialize(root);
}

Result<Meta> DecodeMeta(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return Corrupt("metadata is not a JSON object");
  const json::object& root = parsed.get_object();
  Meta meta;
  BackupInfo& info = meta.info;
  TRY_ASSIGN(tenant, Obj(root, "tenant"));
  TRY_ASSIGN(t, DecodeTenant(*tenant));
  info.tenant = std::move(t);
  TRY_ASSIGN(created, Int(root, "created_at"));
  info.created_at = FromUnixMillis(created);
  TRY_ASSIGN(engine, Str(root, "engine"));
  info.engine = std::move(engine);
  TRY_ASSIGN(version, Int(root, "schema_version"));
  if (version < 0 || version > 1'000'000'000) return Corrupt("metadata schema version out of range");
  info.schema_version = static_cast<int>(version);

  TRY_ASSIGN(tables, Arr(root, "tables"));
  for (const auto& tv : *tables) {
    if (!tv.is_object()) return Corrupt("a table entry is not an object");
    BackupTable table;
    TRY_ASSIGN(name, Str(tv.get_object(), "name"));
    // Names reach SQL (quoted) on restore: only what a migration may create.
    if (!IsValidIdentifier(name)) return Corrupt("a table name is not a valid identifier");
    for (const auto& other : info.tables)
      if (other.name == name) return Corrupt("table '" + name + "' is listed twice");
    table.name = std::move(name);
    TRY_ASSIGN(columns, Arr(tv.get_object(), "columns"));
    for (const auto& cv : *columns) {
      if (!cv.is_object()) return Corrupt("a column entry is not an object");
      const auto& co = cv.get_object();
      BackupColumn c;
      TRY_ASSIGN(cname, Str(co, "name"));
      if (!IsValidIdentifier(cname)) return Corrupt("a column name is not a valid identifier");
      for (const auto& other : table.columns)
        if (other.name == cname) return Corrupt("column '" + cname + "' is listed twice");
      c.name = std::move(cname);
      TRY_ASSIGN(type, Str(co, "type"));
      c.type = std::move(type);
      TRY_ASSIGN(not_null, Bool(co, "not_null"));
      c.not_null = not_null;
      TRY_ASSIGN(key, Int(co, "key"));
      if (key < 0 || key > 1000) return Corrupt("a column's key position is out of range");
      c.key = static_cast<int>(key);
      table.columns.push_back(std::move(c));
    }
    info.tables.push_back(std::move(table));
  }

  TRY_ASSIGN(keys, Arr(root, "keys"));
  for (const auto& kv : *keys) {
    if (!kv.is_object()) return Corrupt("a key entry is not an object");
    const auto& ko = kv.get_object();
    WrappedKey k;
    TRY_ASSIGN(kversion, Int(ko, "version"));
    if (kversion <= 0 || kversion > 1'000'000) return Corrupt("a key version is out of range");
    k.version = static_cast<int>(kversion);
    TRY_ASSIGN(primary, Bool(ko, "primary"));
    k.primary = primary;
    TRY_ASSIGN(master, Str(ko, "master_key_id"));
    k.master_key_id = std::move(master);
    TRY_ASSIGN(kcreated, Int(ko, "created_at"));
    k.created_at = kcreated;
    TRY_ASSIGN(wrapped_text, Str(ko, "wrapped"));
    TRY_ASSIGN(wrapped, FromBase64(wrapped_text));
    k.wrapped = std::move(wrapped);
    meta.keys.push_back(std::move(k));
  }
  info.key_versions = meta.keys.size();

  TRY_ASSIGN(config, Field(root, "config"));
  if (config->is_object()) {
    meta.config = config->get_object();
  } else if (!config->is_null()) {
    return Corrupt("metadata 'config' is neither an object nor null");
  }
  info.has_config = meta.config.has_value();
  return meta;
}

#undef TRY_ASSIGN

// -- writing --

RecordWriter::RecordWriter(std::ostream& out) : out_(out) {
  crypto_generichash_init(&state_, nullptr, 0, kHashBytes);
}

Result<void> RecordWriter::Put(const void* data, std::size_t n) {
  crypto_generichash_update(&state_, static_cast<const unsigned char*>(data), n);
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  if (!out_) return Fail(Errc::kStorage, "writing the backup failed");
  bytes_ += n;
  return {};
}

Result<void> RecordWriter::Header() {
  Blob h(kMagic.begin(), kMagic.end());
  PutU32(h, kBackupFormatVersion);
  PutU32(h, 0);
  return Put(h.data(), h.size());
}

Result<void> RecordWriter::Record(Kind kind, std::span<const std::uint8_t> payload) {
  std::uint8_t head[5] = {static_cast<std::uint8_t>(kind)};
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) head[1 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  if (auto r = Put(head, sizeof head); !r) return r;
  return Put(payload.data(), payload.size());
}

Result<std::array<std::uint8_t, kHashBytes>> RecordWriter::Finish() {
  std::array<std::uint8_t, kHashBytes> hash{};
  crypto_generichash_final(&state_, hash.data(), hash.size());
  std::uint8_t head[5] = {static_cast<std::uint8_t>(Kind::kEnd), kHashBytes, 0, 0, 0};
  out_.write(reinterpret_cast<const char*>(head), sizeof head);
  out_.write(reinterpret_cast<const char*>(hash.data()), hash.size());
  out_.flush();
  if (!out_) return Fail(Errc::kStorage, "writing the backup failed");
  bytes_ += sizeof head + hash.size();
  return hash;
}

// -- reading --

Parser::Parser(std::istream& in) : in_(in) {
  crypto_generichash_init(&state_, nullptr, 0, kHashBytes);
}

Result<void> Parser::Get(void* data, std::size_t n) {
  in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (got != n)
    return Corrupt("truncated: the file ends at byte " + std::to_string(bytes_ + got) +
                   " inside a record");
  crypto_generichash_update(&state_, static_cast<const unsigned char*>(data), n);
  bytes_ += n;
  return {};
}

Result<void> Parser::Header() {
  std::uint8_t h[kHeaderBytes];
  in_.read(reinterpret_cast<char*>(h), sizeof h);
  const auto got = static_cast<std::size_t>(in_.gcount());
  // A short file that starts like a backup is a truncated backup; anything
  // else is not a backup at all.
  if (std::memcmp(h, kMagic.data(), std::min(got, kMagic.size())) != 0 || got == 0)
    return Fail(Errc::kInvalidArgument, "not a tenancy backup file (wrong magic)");
  if (got < sizeof h) return Corrupt("truncated: the file ends inside its header");
  crypto_generichash_update(&state_, h, sizeof h);
  bytes_ += sizeof h;
  const std::uint32_t version = GetU32(h + 8);
  if (version == 0 || version > kBackupFormatVersion)
    return Fail(Errc::kUnimplemented, "backup format version " + std::to_string(version) +
                                          " is not supported (this library reads up to " +
                                          std::to_string(kBackupFormatVersion) + ")");
  if (GetU32(h + 12) != 0) return Corrupt("unknown header flags");
  return {};
}

Result<Kind> Parser::NextKind(std::size_t max_payload, std::size_t* length) {
  before_record_ = state_;
  std::uint8_t head[5];
  if (auto r = Get(head, sizeof head); !r) return r.error();
  const std::uint32_t n = GetU32(head + 1);
  if (n > max_payload) return Corrupt("a record claims " + std::to_string(n) + " bytes");
  *length = n;
  return static_cast<Kind>(head[0]);
}

Result<Meta> Parser::ReadMeta() {
  std::size_t n = 0;
  auto kind = NextKind(kMaxMetaBytes, &n);
  if (!kind) return kind.error();
  if (*kind != Kind::kMeta) return Corrupt("the metadata record is missing");
  buffer_.resize(n);
  if (auto r = Get(buffer_.data(), n); !r) return r.error();
  return DecodeMeta(std::string_view(reinterpret_cast<const char*>(buffer_.data()), n));
}

Result<void> Parser::ReadBody(Meta& meta, BodySink& sink) {
  auto& tables = meta.info.tables;
  boost::container::small_vector<Param, 16> row;
  meta.info.rows = 0;
  for (std::size_t t = 0; t < tables.size(); ++t) {
    std::size_t n = 0;
    auto kind = NextKind(16, &n);
    if (!kind) return kind.error();
    if (*kind != Kind::kTable || n != 4) return Corrupt("expected the start of table " + std::to_string(t));
    std::uint8_t idx[4];
    if (auto r = Get(idx, 4); !r) return r;
    if (GetU32(idx) != t) return Corrupt("tables are out of order");
    if (auto r = sink.OnTable(t); !r) return r;
    const std::size_t width = tables[t].columns.size();
    row.resize(width);
    std::uint64_t rows = 0;
    for (;;) {
      kind = NextKind(kMaxRowsBytes, &n);
      if (!kind) return kind.error();
      if (*kind == Kind::kTableEnd) break;
      if (*kind != Kind::kRows) return Corrupt("unexpected record in table '" + tables[t].name + "'");
      buffer_.resize(n);
      if (auto r = Get(buffer_.data(), n); !r) return r;
      if (n < 4) return Corrupt("a row batch is cut short");
      const std::uint8_t* p = buffer_.data();
      const std::uint8_t* end = p + n;
      const std::uint32_t count = GetU32(p);
      p += 4;
      for (std::uint32_t i = 0; i < count; ++i) {
        for (std::size_t c = 0; c < width; ++c) {
          auto v = ReadValue(p, end);
          if (!v) return v.error();
          row[c] = *v;
        }
        if (auto r = sink.OnRow(row); !r) return r;
      }
      if (p != end) return Corrupt("a row batch has bytes after its rows");
      rows += count;
    }
    if (n != 8) return Corrupt("a table end record has the wrong size");
    std::uint8_t total[8];
    if (auto r = Get(total, 8); !r) return r;
    if (GetU64(total) != rows) return Corrupt("table '" + tables[t].name + "' lost rows");
    tables[t].rows = rows;
    meta.info.rows += rows;
  }
  std::size_t n = 0;
  auto kind = NextKind(kHashBytes, &n);
  if (!kind) return kind.error();
  if (*kind != Kind::kEnd || n != kHashBytes) return Corrupt("the end record is missing");
  std::array<std::uint8_t, kHashBytes> expected{};
  crypto_generichash_final(&before_record_, expected.data(), expected.size());
  if (auto r = Get(checksum_.data(), checksum_.size()); !r) return r;
  if (sodium_memcmp(expected.data(), checksum_.data(), kHashBytes) != 0)
    return Corrupt("checksum mismatch: the file was altered or damaged");
  if (in_.peek() != std::char_traits<char>::eof()) return Corrupt("bytes follow the end record");
  in_.clear();
  meta.info.bytes = bytes_;
  meta.info.checksum = Hex(checksum_);
  return {};
}

}  // namespace tenancy::ops::backup

// Reads and writes one tenant's rows with libpq directly: a cursor fetched
// in binary format for reading (numbers and bytea arrive as bytes, nothing
// to parse or unescape), and pipelined INSERTs for writing, prepared once
// per table with the target columns' own types, so a value lands in its
// column as that column's type whatever engine it was read from.
#include "storage/postgres/pg_dump.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "storage/postgres/pg_connection.hpp"
#include "storage/sql_text.hpp"

namespace tenancy::pg {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBool = 16, kBytea = 17, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
              kFloat4 = 700, kFloat8 = 701, kBpchar = 1042, kVarchar = 1043;

// Rows fetched per round trip: the first batch is small, later ones are
// sized from the rows seen so far to about kBatchBytes.
constexpr std::size_t kFirstFetch = 16, kMaxFetch = 4096, kBatchBytes = 4 << 20;
// INSERTs sent before the writer waits for their results.
constexpr std::size_t kInsertChunk = 256;

// The cursor's name: one reader per connection, one table at a time.
constexpr const char* kCursor = "tenancy_dump";

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

// How a column's values map to the backup's value tags.
enum class Kind : std::uint8_t {
  kInteger,  // int2/int4/int8: i64
  kReal,     // float4/float8: f64
  kBoolean,  // i64 0 or 1 (SQLite has no boolean)
  kBytes,    // bytea: blob
  kString,   // text, varchar, char, name: text
  kOther,    // anything else (numeric, timestamps, json, uuid, ...): its text form
};

Kind KindOf(Oid type) {
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8: return Kind::kInteger;
    case kFloat4:
    case kFloat8: return Kind::kReal;
    case kBool: return Kind::kBoolean;
    case kBytea: return Kind::kBytes;
    case kText:
    case kVarchar:
    case kBpchar:
    case kName: return Kind::kString;
    default: return Kind::kOther;
  }
}

std::uint64_t LoadBig(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

struct Column {
  detail::DumpColumn dump;
  Oid type = 0;
};

struct Table {
  std::string name;
  std::vector<Column> columns;  // tenant_id left out, in table order
};

// Runs `sql` with text parameters (none may be NULL) and text results.
PGresult* ExecText(PGconn* conn, const std::string& sql, std::span<const std::string> params) {
  boost::container::small_vector<const char*, 4> values;
  for (const auto& p : params) values.push_back(p.c_str());
  return PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                      nullptr, nullptr, 0);
}

// The schema search_path names (the namespace BeginAs bound). Empty when
// it does not exist.
Result<std::string> CurrentSchema(PGconn* conn) {
  PGresult* r = PQexec(conn, "SELECT current_schema()");
  ResultGuard guard{r};
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return ErrorFromResult(r, conn, "read the namespace");
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) return std::string();
  return std::string(PQgetvalue(r, 0, 0));
}

// The tenant tables of `schema` (library tables left out, as on SQLite),
// or the one named `only`, with their columns and primary-key positions,
// sorted by name. Partitions are left out: their rows are read through
// their parent table.
Result<std::vector<Table>> ReadCatalog(PGconn* conn, const std::string& schema,
                                       const std::string* only) {
  std::string sql =
      "SELECT c.relname, a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod), "
      "a.attnotnull, coalesce(array_position(k.conkey, a.attnum), 0) "
      "FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
      "LEFT JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' "
      "WHERE c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $1) "
      "AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE 'tenancy\\_%'";
  std::vector<std::string> params{schema};
  if (only) {
    sql += " AND c.relname = $2";
    params.push_back(*only);
  }
  sql += " ORDER BY c.relname, a.attnum";
  PGresult* r = ExecText(conn, sql, params);
  ResultGuard guard{r};
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return ErrorFromResult(r, conn, "read the tables");
  std::vector<Table> tables;
  for (int i = 0, n = PQntuples(r); i < n; ++i) {
    const std::string_view table = PQgetvalue(r, i, 0);
    if (tables.empty() || tables.back().name != table) tables.push_back({std::string(table), {}});
    Column c;
    c.dump.name = PQgetvalue(r, i, 1);
    if (c.dump.name == "tenant_id") continue;
    c.type = static_cast<Oid>(std::strtoul(PQgetvalue(r, i, 2), nullptr, 10));
    c.dump.type = PQgetvalue(r, i, 3);
    c.dump.not_null = PQgetvalue(r, i, 4)[0] == 't';
    // tenant_id is key column 1; the others count from there.
    const int pk = std::atoi(PQgetvalue(r, i, 5));
    c.dump.key = pk > 1 ? pk - 1 : 0;
    tables.back().columns.push_back(std::move(c));
  }
  // The byte order SQLite's reader uses, whatever the database's collation.
  std::stable_sort(tables.begin(), tables.end(),
                   [](const Table& a, const Table& b) { return a.name < b.name; });
  return tables;
}

class PgDumpReader final : public detail::DumpReader {
 public:
  PgDumpReader(detail::Lease lease, std::string tenant, int version)
      : lease_(std::move(lease)),
        conn_(static_cast<PgConnection&>(*lease_)),
        tenant_(std::move(tenant)),
        version_(version) {}
  ~PgDumpReader() override {
    // Read only: ending it any way is the same; a failed rollback leaves a
    // connection nobody should reuse.
    if (!conn_.Rollback()) conn_.Discard();
  }

  Result<void> Start() {
    // REPEATABLE READ: one snapshot, taken by the first query below, for
    // the catalog and every row. READ ONLY: a backup cannot write, and it
    // never fails with a serialization error.
    if (auto r = conn_.BeginAs("ISOLATION LEVEL REPEATABLE READ, READ ONLY"); !r) return r;
    PGconn* conn = conn_.handle();
    auto schema = CurrentSchema(conn);
    if (!schema) return schema.error();
    if (schema->empty()) return Fail(Errc::kTenantUnknown, "the tenant's schema does not exist");
    schema_ = std::move(*schema);
    auto tables = ReadCatalog(conn, schema_, nullptr);
    if (!tables) return tables.error();
    tables_ = std::move(*tables);
    for (const auto& t : tables_) {
      detail::DumpTable d;
      d.name = t.name;
      for (const auto& c : t.columns) d.columns.push_back(c.dump);
      dump_tables_.push_back(std::move(d));
    }
    return {};
  }

  int schema_version() const noexcept override { return version_; }
  const std::vector<detail::DumpTable>& tables() const noexcept override { return dump_tables_; }

  Result<std::uint64_t> ReadRows(std::size_t index, detail::DumpRowSink& sink) override {
    const Table& table = tables_.at(index);
    PGconn* conn = conn_.handle();
    // Types the binary format spells simply are read as they are; the
    // others as their text form, which every engine can store.
    std::string sql = std::string("DECLARE ") + kCursor + " NO SCROLL CURSOR FOR SELECT ";
    std::vector<const Column*> keys;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Column& c = table.columns[i];
      if (i) sql += ", ";
      sql += QuoteIdentifier(c.dump.name);
      if (KindOf(c.type) == Kind::kOther) sql += "::text";
      if (c.dump.key) keys.push_back(&c);
    }
    if (table.columns.empty()) sql += "1";
    // The tenant predicate always: Row-Level Security is the second wall.
    sql += " FROM " + QuoteIdentifier(schema_) + "." + QuoteIdentifier(table.name) +
           " WHERE tenant_id = $1";
    std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return a->dump.key < b->dump.key; });
    for (std::size_t i = 0; i < keys.size(); ++i)
      sql += (i ? ", " : " ORDER BY ") + QuoteIdentifier(keys[i]->dump.name);
    {
      const std::string params[] = {tenant_};
      PGresult* r = ExecText(conn, sql, params);
      ResultGuard guard{r};
      if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return ErrorFromResult(r, conn, "read rows of " + table.name);
    }

    // Any way out closes the cursor, so the next table can declare it.
    auto stop = [&](Error e) -> Error {
      (void)Close();
      return e;
    };
    const std::size_t n = table.columns.size();
    boost::container::small_vector<Param, 16> row(n);
    std::uint64_t count = 0;
    std::size_t fetch = kFirstFetch;
    for (;;) {
      const std::string statement =
          "FETCH FORWARD " + std::to_string(fetch) + " FROM " + kCursor;
      PGresult* r = PQexecParams(conn, statement.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                                 /*resultFormat=*/1);
      ResultGuard guard{r};
      if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return stop(ErrorFromResult(r, conn, "read rows of " + table.name));
      if (n && static_cast<std::size_t>(PQnfields(r)) != n)
        return stop(Error(Errc::kInternal, "unexpected result shape reading " + table.name));
      const int rows = PQntuples(r);
      std::size_t bytes = 0;
      for (int i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
          const int col = static_cast<int>(j);
          auto decoded = Decode(r, i, col, KindOf(table.columns[j].type), row[j]);
          if (!decoded) return stop(decoded.error());
          bytes += static_cast<std::size_t>(PQgetlength(r, i, col));
        }
        if (auto s = sink.OnRow(row); !s) return stop(s.error());
      }
      count += static_cast<std::uint64_t>(rows);
      if (static_cast<std::size_t>(rows) < fetch) break;
      const std::size_t per_row = std::max<std::size_t>(1, bytes / static_cast<std::size_t>(rows));
      fetch = std::clamp<std::size_t>(kBatchBytes / per_row, 1, kMaxFetch);
    }
    if (auto c = Close(); !c) return c.error();
    return count;
  }

 private:
  // Value (row, col) of a binary-format result as a Param borrowing from it.
  static Result<void> Decode(const PGresult* r, int row, int col, Kind kind, Param& out) {
    if (PQgetisnull(r, row, col)) {
      out = std::monostate{};
      return {};
    }
    const char* p = PQgetvalue(r, row, col);
    const int len = PQgetlength(r, row, col);
    switch (kind) {
      case Kind::kInteger:
        if (len == 8) out = static_cast<std::int64_t>(LoadBig(p, 8));
        else if (len == 4) out = static_cast<std::int64_t>(static_cast<std::int32_t>(LoadBig(p, 4)));
        else if (len == 2) out = static_cast<std::int64_t>(static_cast<std::int16_t>(LoadBig(p, 2)));
        else break;
        return {};
      case Kind::kReal:
        if (len == 8) out = std::bit_cast<double>(LoadBig(p, 8));
        else if (len == 4) out = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(LoadBig(p, 4))));
        else break;
        return {};
      case Kind::kBoolean:
        if (len != 1) break;
        out = static_cast<std::int64_t>(p[0] != 0);
        return {};
      case Kind::kBytes:
        out = BlobView(reinterpret_cast<const std::uint8_t*>(p), static_cast<std::size_t>(len));
        return {};
      case Kind::kString:
      case Kind::kOther:
        out = std::string_view(p, static_cast<std::size_t>(len));
        return {};
    }
    return Fail(Errc::kDataCorrupted, "unexpected binary value size from PostgreSQL");
  }

  Result<void> Close() {
    PGconn* conn = conn_.handle();
    PGresult* r = PQexec(conn, (std::string("CLOSE ") + kCursor).c_str());
    ResultGuard guard{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorFromResult(r, conn, "close the cursor");
    return {};
  }

  detail::Lease lease_;
  PgConnection& conn_;
  std::string tenant_;
  int version_ = 0;
  std::string schema_;
  std::vector<Table> tables_;
  std::vector<detail::DumpTable> dump_tables_;
};

class PgDumpWriter final : public detail::DumpWriter {
 public:
  PgDumpWriter(detail::Lease lease, std::string tenant, int version)
      : lease_(std::move(lease)),
        conn_(static_cast<PgConnection&>(*lease_)),
        tenant_(std::move(tenant)),
        version_(version) {}
  ~PgDumpWriter() override {
    if (pipeline_) {
      (void)Settle();  // reads what is still in flight
      if (pending_ != 0 || !PQexitPipelineMode(conn_.handle())) {
        // Not cleanly ended: the connection is not fit for another lease
        // (and no ROLLBACK can be sent in pipeline mode).
        conn_.Discard();
        return;
      }
    }
    // A no-op after Commit; otherwise nothing of the restore remains.
    if (!conn_.Rollback()) conn_.Discard();
  }

  Result<void> Start() {
    // READ COMMITTED: the restore reads nothing it writes from, so it needs
    // no snapshot, and it does not fail with serialization errors against
    // other tenants' traffic in shared tables.
    if (auto r = conn_.BeginAs("ISOLATION LEVEL READ COMMITTED"); !r) return r;
    PGconn* conn = conn_.handle();
    // Foreign keys declared DEFERRABLE are checked once, at commit, whatever
    // the order the tables are written in.
    {
      PGresult* r = PQexec(conn, "SET CONSTRAINTS ALL DEFERRED");
      ResultGuard guard{r};
      if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorFromResult(r, conn, "restore");
    }
    auto schema = CurrentSchema(conn);
    if (!schema) return schema.error();
    if (schema->empty()) return Fail(Errc::kTenantUnknown, "the tenant's schema does not exist");
    schema_ = std::move(*schema);
    return {};
  }

  int schema_version() const noexcept override { return version_; }

  Result<void> Clear() override {
    if (auto r = EndPipeline(); !r) return r;
    PGconn* conn = conn_.handle();
    auto tables = ReadCatalog(conn, schema_, nullptr);
    if (!tables) return Failed(tables.error());
    const std::string params[] = {tenant_};
    for (const auto& t : *tables) {
      PGresult* r = ExecText(conn,
                             "DELETE FROM " + QuoteIdentifier(schema_) + "." +
                                 QuoteIdentifier(t.name) + " WHERE tenant_id = $1",
                             params);
      ResultGuard guard{r};
      if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return Failed(ErrorFromResult(r, conn, "clear " + t.name));
    }
    return {};
  }

  Result<void> Table(const detail::DumpTable& table) override {
    if (auto r = EndPipeline(); !r) return r;
    columns_.clear();
    prepared_ = false;
    PGconn* conn = conn_.handle();
    auto found = ReadCatalog(conn, schema_, &table.name);
    if (!found) return Failed(found.error());
    // A missing table or column fails no statement: the transaction goes on.
    if (found->empty())
      return Fail(Errc::kMigrationFailed, "the target has no table '" + table.name + "'");
    const auto& existing = found->front().columns;
    std::string sql = "INSERT INTO " + QuoteIdentifier(schema_) + "." + QuoteIdentifier(table.name) +
                      " (tenant_id";
    std::string values = "$1";
    std::vector<Oid> types{kText};
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const auto& c = table.columns[i];
      auto it = std::find_if(existing.begin(), existing.end(),
                             [&](const Column& e) { return e.dump.name == c.name; });
      if (it == existing.end())
        return Fail(Errc::kMigrationFailed,
                    "the target's table '" + table.name + "' has no column '" + c.name + "'");
      sql += ", " + QuoteIdentifier(c.name);
      values += ", $" + std::to_string(i + 2);
      types.push_back(it->type);
      columns_.push_back({c.name, it->type, KindOf(it->type)});
    }
    sql += ") VALUES (" + values + ")";
    // The unnamed statement: replaced by the next table's, never left
    // behind in the pooled session.
    PGresult* r = PQprepare(conn, "", sql.c_str(), static_cast<int>(types.size()), types.data());
    ResultGuard guard{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      columns_.clear();
      return Failed(ErrorFromResult(r, conn, "prepare the insert into " + table.name));
    }
    table_ = table.name;
    prepared_ = true;
    const std::size_t n = columns_.size() + 1;
    texts_.resize(n);
    values_.resize(n);
    lengths_.resize(n);
    formats_.resize(n);
    values_[0] = tenant_.c_str();
    lengths_[0] = static_cast<int>(tenant_.size());
    formats_[0] = 0;
    return {};
  }

  Result<void> Insert(std::span<const Param> values) override {
    if (failed_) return *failed_;
    if (!prepared_) return Fail(Errc::kInternal, "no table selected");
    if (values.size() != columns_.size()) return Fail(Errc::kInternal, "row has the wrong number of values");
    for (std::size_t i = 0; i < values.size(); ++i)
      if (auto r = Bind(i + 1, columns_[i], values[i]); !r) return r;
    PGconn* conn = conn_.handle();
    if (!pipeline_) {
      if (!PQenterPipelineMode(conn)) return Lost("insert into " + table_);
      pipeline_ = true;
    }
    if (!PQsendQueryPrepared(conn, "", static_cast<int>(values_.size()), values_.data(),
                             lengths_.data(), formats_.data(), 0))
      return Lost("insert into " + table_);
    if (++pending_ >= kInsertChunk) return Settle();
    return {};
  }

  Result<void> Commit() override {
    if (auto r = EndPipeline(); !r) return r;
    prepared_ = false;
    return conn_.Commit();
  }

 private:
  struct Target {
    std::string name;
    Oid type = 0;
    Kind kind = Kind::kString;
  };

  // Binds `v` as parameter `i` for column `c`. Text values travel in the
  // text format (the server parses them as the column's type: numeric,
  // timestamps, json, ...) except into text and bytea columns, where they
  // travel as their bytes (binary format: no NUL termination, no bytea
  // escaping). Blobs go into bytea and text columns only.
  Result<void> Bind(std::size_t i, const Target& c, const Param& v) {
    auto as_bytes = [&](const void* data, std::size_t size) {
      values_[i] = size ? static_cast<const char*>(data) : "";
      lengths_[i] = static_cast<int>(size);
      formats_[i] = 1;
    };
    auto as_text = [&](std::string_view text) -> Result<void> {
      if (text.find('\0') != std::string_view::npos)
        return Fail(Errc::kInvalidArgument, "a text value with a NUL byte cannot go into column '" +
                                                c.name + "' of " + table_);
      texts_[i].assign(text);  // NUL-terminated, as the text format needs
      values_[i] = texts_[i].c_str();
      lengths_[i] = static_cast<int>(texts_[i].size());
      formats_[i] = 0;
      return {};
    };
    auto number = [&](auto x) -> Result<void> {
      if (c.kind == Kind::kBytes)
        return Fail(Errc::kInvalidArgument,
                    "a number cannot go into the bytea column '" + c.name + "' of " + table_);
      std::array<char, 40> buf{};
      auto res = std::to_chars(buf.data(), buf.data() + buf.size() - 1, x);
      return as_text(std::string_view(buf.data(), static_cast<std::size_t>(res.ptr - buf.data())));
    };
    switch (v.index()) {
      case 1: return number(std::get<1>(v));
      case 2: return number(std::get<2>(v));
      case 3: {
        const auto text = std::get<3>(v);
        if (c.kind == Kind::kBytes || c.kind == Kind::kString) {
          as_bytes(text.data(), text.size());
          return {};
        }
        return as_text(text);
      }
      case 4: {
        const auto blob = std::get<4>(v);
        if (c.kind != Kind::kBytes && c.kind != Kind::kString)
          return Fail(Errc::kInvalidArgument,
                      "a blob cannot go into column '" + c.name + "' of " + table_);
        as_bytes(blob.data(), blob.size());
        return {};
      }
      default:
        values_[i] = nullptr;
        lengths_[i] = 0;
        formats_[i] = 0;
        return {};
    }
  }

  // Waits for the results of the INSERTs sent so far. A failed statement
  // aborts the transaction (PostgreSQL runs nothing more in it): its error
  // is kept and answers every later call.
  Result<void> Settle() {
    if (failed_) return *failed_;
    if (!pipeline_ || pending_ == 0) return {};
    PGconn* conn = conn_.handle();
    if (!PQpipelineSync(conn)) return Lost("insert into " + table_);
    std::optional<Error> error;
    for (; pending_ > 0; --pending_) {
      PGresult* r = PQgetResult(conn);
      if (!r) return Lost("insert into " + table_);
      ResultGuard guard{r};
      while (PGresult* extra = PQgetResult(conn)) PQclear(extra);  // up to the query's NULL
      const auto status = PQresultStatus(r);
      if (status == PGRES_COMMAND_OK || status == PGRES_PIPELINE_ABORTED || error) continue;
      Error e = ErrorFromResult(r, conn, "insert into " + table_);
      // A duplicate key is a conflict with what the target holds.
      if (e.code == Errc::kAlreadyExists) e.code = Errc::kConflict;
      error = std::move(e);
    }
    PGresult* sync = PQgetResult(conn);
    const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced) return Lost("insert into " + table_);
    if (error) return Failed(std::move(*error));
    return {};
  }

  Result<void> EndPipeline() {
    if (auto r = Settle(); !r) return r;
    if (pipeline_) {
      if (!PQexitPipelineMode(conn_.handle())) return Lost("insert into " + table_);
      pipeline_ = false;
    }
    return {};
  }

  Error Failed(Error e) {
    failed_ = e;
    return e;
  }

  // The protocol state is unknown: nothing more can run on the connection.
  Error Lost(const std::string& doing) {
    conn_.Discard();
    std::string msg = PQerrorMessage(conn_.handle());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Failed(Error(Errc::kUnavailable, doing + ": connection to PostgreSQL failed: " + msg));
  }

  detail::Lease lease_;
  PgConnection& conn_;
  std::string tenant_;
  int version_ = 0;
  std::string schema_;
  std::string table_;
  std::vector<Target> columns_;
  bool prepared_ = false;
  bool pipeline_ = false;
  std::size_t pending_ = 0;
  std::optional<Error> failed_;
  // The parameters of one INSERT, reused row after row: libpq copies the
  // values when it queues the statement.
  std::vector<std::string> texts_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
};

}  // namespace

Result<std::unique_ptr<detail::DumpReader>> OpenDumpReader(detail::Lease lease, const Tenant& tenant,
                                                           int schema_version) {
  auto reader = std::make_unique<PgDumpReader>(std::move(lease), tenant.id.str(), schema_version);
  if (auto r = reader->Start(); !r) return r.error();
  return std::unique_ptr<detail::DumpReader>(std::move(reader));
}

Result<std::unique_ptr<detail::DumpWriter>> OpenDumpWriter(detail::Lease lease, const Tenant& tenant,
                                                           int schema_version) {
  auto writer = std::make_unique<PgDumpWriter>(std::move(lease), tenant.id.str(), schema_version);
  if (auto r = writer->Start(); !r) return r.error();
  return std::unique_ptr<detail::DumpWriter>(std::move(writer));
}

}  // namespace tenancy::pg

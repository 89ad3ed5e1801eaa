#include "storage/postgres/pg_connection.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/container/static_vector.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "storage/sql_text.hpp"
#include "tenancy/transaction.hpp"

namespace tenancy::pg {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
              kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

std::uint64_t LoadBig(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void StoreBig(std::uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}

// One row of a PGresult, in binary (library SQL) or text (raw SQL) format.
class PgRow final : public RowView {
 public:
  PgRow(const PGresult* r, bool binary) : r_(r), binary_(binary) {}
  void At(int row) noexcept { row_ = row; }

  int size() const noexcept override { return PQnfields(r_); }
  bool IsNull(int i) const noexcept override { return PQgetisnull(r_, row_, i) != 0; }
  std::int64_t Int(int i) const noexcept override {
    const char* p = PQgetvalue(r_, row_, i);
    const int n = PQgetlength(r_, row_, i);
    if (!binary_) {
      std::int64_t v = 0;
      if (PQftype(r_, i) == kBool) return *p == 't' ? 1 : 0;
      auto res = std::from_chars(p, p + n, v);
      if (res.ec != std::errc()) return static_cast<std::int64_t>(Real(i));
      return v;
    }
    switch (PQftype(r_, i)) {
      case kInt8: return static_cast<std::int64_t>(LoadBig(p, 8));
      case kInt4: return static_cast<std::int32_t>(LoadBig(p, 4));
      case kInt2: return static_cast<std::int16_t>(LoadBig(p, 2));
      case kBool: return n > 0 && p[0] != 0;
      case kFloat8:
      case kFloat4: return static_cast<std::int64_t>(Real(i));
      default: return 0;
    }
  }
  double Real(int i) const noexcept override {
    const char* p = PQgetvalue(r_, row_, i);
    if (!binary_) return std::strtod(p, nullptr);
    switch (PQftype(r_, i)) {
      case kFloat8: return std::bit_cast<double>(LoadBig(p, 8));
      case kFloat4: return std::bit_cast<float>(static_cast<std::uint32_t>(LoadBig(p, 4)));
      case kInt8:
      case kInt4:
      case kInt2:
      case kBool: return static_cast<double>(Int(i));
      default: return 0;
    }
  }
  std::string_view Text(int i) const noexcept override {
    return {PQgetvalue(r_, row_, i), static_cast<std::size_t>(PQgetlength(r_, row_, i))};
  }
  BlobView Bytes(int i) const noexcept override {
    if (binary_ || PQftype(r_, i) != kBytea) {
      auto t = Text(i);
      return {reinterpret_cast<const std::uint8_t*>(t.data()), t.size()};
    }
    std::size_t n = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, i)), &n);
    if (!raw) return {};
    unescaped_.assign(raw, raw + n);
    PQfreemem(raw);
    return unescaped_;
  }
  Value Get(int i) const override {
    if (IsNull(i)) return std::monostate{};
    switch (PQftype(r_, i)) {
      case kInt8:
      case kInt4:
      case kInt2:
      case kBool: return Int(i);
      case kFloat8:
      case kFloat4: return Real(i);
      case kBytea: {
        auto b = Bytes(i);
        return Blob(b.begin(), b.end());
      }
      case kNumeric:
        if (!binary_) {
          auto t = Text(i);
          std::int64_t v = 0;
          auto res = std::from_chars(t.data(), t.data() + t.size(), v);
          if (res.ec == std::errc() && res.ptr == t.data() + t.size()) return v;
          return Real(i);
        }
        return std::string(Text(i));
      default: return std::string(Text(i));
    }
  }

 private:
  const PGresult* r_;
  bool binary_;
  int row_ = 0;
  mutable Blob unescaped_;
};

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

// Feeds the rows of `r` to `sink`, or returns the rows changed.
Result<std::int64_t> Consume(PGresult* r, PGconn* conn, bool binary, detail::RowSink* sink,
                             std::string_view doing) {
  switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK: {
      if (sink) {
        PgRow row(r, binary);
        for (int i = 0, n = PQntuples(r); i < n; ++i) {
          row.At(i);
          if (!sink->OnRow(row)) break;
        }
      }
      return 0;
    }
    case PGRES_COMMAND_OK: {
      const char* n = PQcmdTuples(r);
      return n && *n ? std::atoll(n) : 0;
    }
    default: return ErrorFromResult(r, conn, doing);
  }
}

// Reads the single result of the next query in a pipeline (and its NULL).
PGresult* NextResult(PGconn* conn) {
  PGresult* r = PQgetResult(conn);
  if (r && PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
    while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  }
  return r;
}

// The parameters of one library statement as libpq's binary-format arrays.
// Reused from row to row of a batch, so binding allocates nothing after the
// first row (libpq copies the values when the statement is sent).
class BoundParams {
 public:
  void Bind(std::span<const Param> params) {
    const std::size_t n = params.size();
    if (values_.size() != n) {
      values_.resize(n);
      lengths_.resize(n);
      formats_.assign(n, 1);
      numbers_.resize(n);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Param& p = params[i];
      switch (p.index()) {
        case 1:
          StoreBig(static_cast<std::uint64_t>(std::get<1>(p)), numbers_[i].data());
          values_[i] = numbers_[i].data();
          lengths_[i] = 8;
          break;
        case 2:
          StoreBig(std::bit_cast<std::uint64_t>(std::get<2>(p)), numbers_[i].data());
          values_[i] = numbers_[i].data();
          lengths_[i] = 8;
          break;
        case 3: {
          auto v = std::get<3>(p);
          values_[i] = v.data() ? v.data() : "";
          lengths_[i] = static_cast<int>(v.size());
          break;
        }
        case 4: {
          auto v = std::get<4>(p);
          values_[i] = v.empty() ? "" : reinterpret_cast<const char*>(v.data());
          lengths_[i] = static_cast<int>(v.size());
          break;
        }
        default: values_[i] = nullptr; lengths_[i] = 0;
      }
    }
  }
  int size() const noexcept { return static_cast<int>(values_.size()); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  boost::container::small_vector<const char*, 16> values_;
  boost::container::small_vector<int, 16> lengths_, formats_;
  boost::container::small_vector<std::array<char, 8>, 16> numbers_;
};

// True when two rows bind the same parameter types (so the same statement).
bool SameSignature(std::span<const Param> a, std::span<const Param> b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].index() != b[i].index()) return false;
  return true;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace

Error ErrorFromResult(PGresult* result, PGconn* conn, std::string_view doing) {
  std::string msg(doing);
  msg += ": ";
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  msg += primary ? primary : (conn ? PQerrorMessage(conn) : "no result");
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (conn && PQstatus(conn) == CONNECTION_BAD) return Error(Errc::kUnavailable, msg);
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view code = state ? state : "";
  if (code == "23505") return Error(Errc::kAlreadyExists, msg);
  if (code.starts_with("23")) return Error(Errc::kConflict, msg);
  if (code == "42501") return Error(Errc::kPermissionDenied, msg);  // includes RLS WITH CHECK
  if (code == "40001" || code == "40P01") return Error(Errc::kUnavailable, msg);  // retry
  if (code.starts_with("08") || code.starts_with("57") || code.starts_with("53") ||
      code == "55P03")
    return Error(Errc::kUnavailable, msg);
  if (code.starts_with("42") || code.starts_with("22") || code == "0A000")
    return Error(Errc::kInvalidArgument, msg);
  if (code.starts_with("XX")) return Error(Errc::kDataCorrupted, msg);
  return Error(Errc::kStorage, msg);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo,
                                                         std::size_t statement_cache_size,
                                                         bool session_binding) {
  // connect_timeout first, so a value in the URL itself wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "tenancy", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return Fail(Errc::kUnavailable, "cannot allocate a PostgreSQL connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Fail(Errc::kUnavailable, "cannot connect to PostgreSQL: " + msg);
  }
  // Server notices ("policy ... does not exist, skipping") are not errors
  // and must not reach the stderr of an embedding application.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(
      new PgConnection(conn, statement_cache_size, session_binding));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

void PgConnection::BindNamespace(std::string_view tenant, std::string_view schema) {
  // Both are validated identifiers ([a-z0-9_]), so quoting them is safe.
  bound_ = IsIdentifier(tenant) && IsIdentifier(schema);
  if (!bound_ || (tenant == tenant_ && schema == schema_)) return;  // the same tenant again
  tenant_ = tenant;
  schema_ = schema;
  session_bound_ = false;
  set_tenant_ = "SET LOCAL app.tenant_id = '" + tenant_ + "'";
  set_path_ = "SET LOCAL search_path = \"" + schema_ + "\"";
  set_session_tenant_ = set_tenant_.substr(std::string_view("SET LOCAL").size());
  set_session_tenant_.insert(0, "SET");
  set_session_path_ = set_path_.substr(std::string_view("SET LOCAL").size());
  set_session_path_.insert(0, "SET");
}

bool PgConnection::Healthy() const noexcept { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::Ping() noexcept {
  if (!Healthy()) return false;
  PGresult* r = PQexec(conn_, "SELECT 1");
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  if (!ok) broken_ = true;
  last_used_ = std::chrono::steady_clock::now();
  return ok;
}

Error PgConnection::Lost(std::string_view doing) {
  broken_ = PQstatus(conn_) != CONNECTION_OK || broken_;
  std::string msg = PQerrorMessage(conn_);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  return Error(Errc::kUnavailable, std::string(doing) + ": connection to PostgreSQL failed: " + msg);
}

Result<PgConnection::Statement*> PgConnection::Lookup(const std::string& sql,
                                                      std::span<const Param> params) {
  std::string signature;  // up to 15 parameters fit in the string itself
  for (const auto& p : params) signature += "nirtb"[p.index()];
  if (auto it = statements_.find(std::string_view(sql)); it != statements_.end())
    for (auto& [sig, statement] : it->second)
      if (sig == signature) return &statement;
  if (statement_count_ >= cache_limit_) {
    PGresult* r = PQexec(conn_, "DEALLOCATE ALL");
    ResultGuard guard{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorFromResult(r, conn_, "deallocate");
    statements_.clear();
    statement_count_ = 0;
    ++cache_generation_;
  }
  Statement st;
  int positional = 0, tenant = 0;
  st.text = ToDollarParams(sql, &positional, &tenant);
  for (const auto& p : params) {
    static constexpr Oid kByIndex[] = {0, kInt8, kFloat8, kText, kBytea};
    st.types.push_back(kByIndex[p.index()]);
  }
  char name[24] = {'t'};
  auto printed = std::to_chars(name + 1, name + sizeof name, next_statement_++);
  st.name.assign(name, printed.ptr);
  auto& variants = statements_[sql];
  variants.emplace_back(std::move(signature), std::move(st));
  ++statement_count_;
  return &variants.back().second;
}

Result<std::int64_t> PgConnection::Execute(const Call& call, detail::RowSink* sink) {
  const bool raw = call.statement == nullptr;
  const int result_format = raw ? 0 : 1;
  Statement* st = call.statement;
  const bool prepare = st && !st->prepared;
  if (!in_transaction_ && !bound_)
    return Fail(Errc::kInternal, "connection has no tenant namespace bound");
  last_used_ = std::chrono::steady_clock::now();

  // One pipeline, one round trip:
  //   auto-commit:          [SET tenant; SET path;] [prepare;] stmt
  //                         (one implicit transaction, ended by the Sync)
  //   ... without session binding: BEGIN; SET LOCAL tenant; SET LOCAL path;
  //                         [prepare;] stmt; COMMIT
  //   inside a transaction: SAVEPOINT; [prepare;] stmt; RELEASE
  // The savepoint gives statements SQLite's semantics: a failed statement is
  // undone alone, and the transaction goes on.
  boost::container::static_vector<const char*, 3> before;
  boost::container::static_vector<const char*, 1> after;
  const bool binds_session = !in_transaction_ && session_binding_ && !session_bound_;
  if (in_transaction_) {
    before.push_back("SAVEPOINT tenancy_statement");
    after.push_back("RELEASE SAVEPOINT tenancy_statement");
  } else if (!session_binding_) {
    before = {"BEGIN", set_tenant_.c_str(), set_path_.c_str()};
    after.push_back("COMMIT");
  } else if (binds_session) {
    before = {set_session_tenant_.c_str(), set_session_path_.c_str()};
  }
  // The common case, a prepared statement on a session already bound to its
  // tenant, is one statement alone: sent as such, it skips the pipeline's
  // bookkeeping and its Sync (what a plain PQexecPrepared costs).
  if (!in_transaction_ && session_binding_ && session_bound_ && !prepare && !raw)
    return ExecuteAlone(call, sink);
  auto plain = [&](const char* sql) {
    return PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0);
  };
  if (!PQenterPipelineMode(conn_)) return Lost("pipeline");
  bool sent = true;
  for (const char* sql : before) sent = sent && plain(sql);
  if (prepare)
    sent = sent && PQsendPrepare(conn_, st->name.c_str(), st->text.c_str(),
                                 static_cast<int>(st->types.size()), st->types.data());
  sent = sent && (raw ? PQsendQueryParams(conn_, call.raw_sql->c_str(), call.n, call.raw_types,
                                          call.values, call.lengths, call.formats, result_format)
                      : PQsendQueryPrepared(conn_, st->name.c_str(), call.n, call.values,
                                            call.lengths, call.formats, result_format));
  for (const char* sql : after) sent = sent && plain(sql);
  sent = sent && PQpipelineSync(conn_);
  if (!sent) {
    broken_ = true;
    return Lost("send pipeline");
  }

  const int prepare_step = prepare ? static_cast<int>(before.size()) : -1;
  const int statement_step = static_cast<int>(before.size()) + (prepare ? 1 : 0);
  const int steps = statement_step + 1 + static_cast<int>(after.size());
  Result<std::int64_t> outcome = std::int64_t{0};
  for (int step = 0; step < steps; ++step) {
    PGresult* r = NextResult(conn_);
    ResultGuard guard{r};
    if (!r) {
      broken_ = true;
      return Lost("read pipeline");
    }
    const auto status = PQresultStatus(r);
    if (!outcome || status == PGRES_PIPELINE_ABORTED) continue;
    if (step == statement_step) {
      outcome = Consume(r, conn_, !raw, sink, raw ? "raw SQL" : "execute");
    } else if (step == prepare_step) {
      if (status == PGRES_COMMAND_OK) {
        st->prepared = true;
      } else {
        Error e = ErrorFromResult(r, conn_, "prepare");
        if (e.code == Errc::kInvalidArgument) e.code = Errc::kInternal;  // library SQL is ours
        outcome = std::move(e);
      }
    } else if (status != PGRES_COMMAND_OK) {
      outcome = ErrorFromResult(r, conn_, "transaction");
    }
  }
  PGresult* sync = PQgetResult(conn_);
  const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(conn_)) {
    broken_ = true;
    return Lost("end pipeline");
  }
  // A failure rolled the implicit transaction back, settings included.
  if (binds_session) session_bound_ = static_cast<bool>(outcome);
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // Undo the failed statement alone (inside a transaction), or end the
    // failed auto-commit transaction.
    PGresult* r = PQexec(conn_, in_transaction_ ? "ROLLBACK TO SAVEPOINT tenancy_statement; "
                                                  "RELEASE SAVEPOINT tenancy_statement"
                                                : "ROLLBACK");
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) broken_ = true;
  } else if (!in_transaction_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PGresult* r = PQexec(conn_, "ROLLBACK");
    PQclear(r);
  }
  return outcome;
}

Result<std::int64_t> PgConnection::ExecuteAlone(const Call& call, detail::RowSink* sink) {
  PGresult* r = PQexecPrepared(conn_, call.statement->name.c_str(), call.n, call.values,
                               call.lengths, call.formats, /*resultFormat=*/1);
  ResultGuard guard{r};
  if (!r || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return Lost("execute");
  }
  // Auto-committed: a failure ended its own implicit transaction, and the
  // session's tenant settings, committed earlier, stay as they were.
  return Consume(r, conn_, /*binary=*/true, sink, "execute");
}

Result<std::int64_t> PgConnection::Run(const std::string& sql, std::span<const Param> params,
                                       detail::RowSink* sink) {
  if (!Healthy()) return Lost("run");
  auto statement = Lookup(sql, params);
  if (!statement) return statement.error();
  BoundParams bound;
  bound.Bind(params);
  Call call;
  call.statement = *statement;
  call.n = bound.size();
  call.values = bound.values();
  call.lengths = bound.lengths();
  call.formats = bound.formats();
  return Execute(call, sink);
}

Result<void> PgConnection::RunMany(const std::string& sql, std::span<const Param> rows,
                                   std::size_t width, std::size_t* failed_row) {
  const std::size_t count = width ? rows.size() / width : 0;
  *failed_row = count;
  if (!Healthy()) return Lost("run");
  if (!in_transaction_ && !bound_)
    return Fail(Errc::kInternal, "connection has no tenant namespace bound");
  if (count == 0) return {};
  auto row_at = [&](std::size_t i) { return rows.subspan(i * width, width); };

  // Each row's statement (a NULL changes the parameter signature), looked up
  // before the pipeline starts: a lookup may DEALLOCATE the whole cache,
  // which cannot run mid-pipeline. A lookup that adds a statement may move
  // the earlier ones (and an eviction drops them), so pointers are only
  // kept from a pass that added nothing.
  std::vector<Statement*> statement(count);
  for (int pass = 0;; ++pass) {
    const std::uint64_t generation = cache_generation_;
    const std::size_t cached = statement_count_;
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0 && SameSignature(row_at(i), row_at(i - 1))) {
        statement[i] = statement[i - 1];
        continue;
      }
      auto st = Lookup(sql, row_at(i));
      if (!st) return st.error();
      statement[i] = *st;
    }
    if (generation == cache_generation_ && cached == statement_count_) break;
    if (pass == 2)
      return Fail(Errc::kInternal, "the batch needs more prepared statements than the cache holds");
  }
  last_used_ = std::chrono::steady_clock::now();

  boost::container::static_vector<const char*, 3> before;
  const char* after = nullptr;
  const bool binds_session = !in_transaction_ && session_binding_ && !session_bound_;
  if (in_transaction_) {
    before.push_back("SAVEPOINT tenancy_batch");
    after = "RELEASE SAVEPOINT tenancy_batch";
  } else if (!session_binding_) {
    before = {"BEGIN", set_tenant_.c_str(), set_path_.c_str()};
    after = "COMMIT";
  } else {
    // Session-level SETs inside the block: committed with the rows, or
    // undone with them (and the session then counts as unbound).
    before.push_back("BEGIN");
    if (binds_session) {
      before.push_back(set_session_tenant_.c_str());
      before.push_back(set_session_path_.c_str());
    }
    after = "COMMIT";
  }

  // What each result read back answers, in sending order.
  constexpr std::size_t kControl = static_cast<std::size_t>(-1);
  struct Step {
    Statement* prepare = nullptr;  // a PQsendPrepare
    std::size_t row = kControl;    // else a row, or a control statement
  };
  std::vector<Step> steps;
  steps.reserve(count + before.size() + 4);
  boost::container::small_vector<Statement*, 4> preparing;
  Result<void> outcome;
  std::size_t bad_row = count;
  std::size_t read = 0;
  // Reads the results of steps [read, end). False when the connection is lost.
  auto read_until = [&](std::size_t end) {
    for (; read < end; ++read) {
      PGresult* r = NextResult(conn_);
      ResultGuard guard{r};
      if (!r) return false;
      const auto status = PQresultStatus(r);
      if (!outcome || status == PGRES_PIPELINE_ABORTED) continue;
      const Step& step = steps[read];
      if (step.prepare) {
        if (status == PGRES_COMMAND_OK) {
          step.prepare->prepared = true;
        } else {
          Error e = ErrorFromResult(r, conn_, "prepare");
          if (e.code == Errc::kInvalidArgument) e.code = Errc::kInternal;  // library SQL is ours
          outcome = std::move(e);
        }
      } else if (step.row != kControl) {
        // A row's INSERT: only its status matters (no PQcmdTuples parse).
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
          outcome = ErrorFromResult(r, conn_, "execute");
          bad_row = step.row;
        }
      } else if (status != PGRES_COMMAND_OK) {
        outcome = ErrorFromResult(r, conn_, "transaction");
      }
    }
    return true;
  };
  auto lost = [&](std::string_view doing) {
    broken_ = true;
    return Lost(doing);
  };
  auto plain = [&](const char* text) {
    steps.push_back({});
    return PQsendQueryParams(conn_, text, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  };

  if (!PQenterPipelineMode(conn_)) return Lost("pipeline");
  for (const char* text : before)
    if (!plain(text)) return lost("send pipeline");
  BoundParams bound;
  // The results of the statements before the first chunk (BEGIN, the SETs)
  // come back with the first chunk's, after the server has run all of it:
  // they are read with that chunk, one flush later, so the client never
  // waits for a chunk while the server has nothing queued behind it.
  std::size_t previous_chunk_end = 0;
  for (std::size_t begin = 0; begin < count; begin += kBatchChunk) {
    const std::size_t end = std::min(count, begin + kBatchChunk);
    for (std::size_t i = begin; i < end; ++i) {
      Statement* st = statement[i];
      if (!st->prepared && std::find(preparing.begin(), preparing.end(), st) == preparing.end()) {
        preparing.push_back(st);
        steps.push_back({st, kControl});
        if (!PQsendPrepare(conn_, st->name.c_str(), st->text.c_str(),
                           static_cast<int>(st->types.size()), st->types.data()))
          return lost("send pipeline");
      }
      bound.Bind(row_at(i));
      steps.push_back({nullptr, i});
      if (!PQsendQueryPrepared(conn_, st->name.c_str(), bound.size(), bound.values(),
                               bound.lengths(), bound.formats(), /*resultFormat=*/1))
        return lost("send pipeline");
    }
    if (end == count) break;
    // Ask the server for this chunk's results now (it holds them back until
    // a flush or sync), then read the previous chunk's while it works.
    if (!PQsendFlushRequest(conn_) || PQflush(conn_) != 0) return lost("send pipeline");
    if (!read_until(previous_chunk_end)) return lost("read pipeline");
    previous_chunk_end = steps.size();
    if (!outcome) break;  // the rest is skipped by the server: stop sending
  }
  if (outcome && !plain(after)) return lost("send pipeline");
  if (!PQpipelineSync(conn_)) return lost("send pipeline");
  if (!read_until(steps.size())) return lost("read pipeline");
  PGresult* sync = PQgetResult(conn_);
  const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(conn_)) return lost("end pipeline");

  if (binds_session) session_bound_ = static_cast<bool>(outcome);
  if (!outcome) {
    // Undo the batch alone (inside a transaction), or end the failed block.
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PGresult* r = PQexec(conn_, in_transaction_ ? "ROLLBACK TO SAVEPOINT tenancy_batch; "
                                                    "RELEASE SAVEPOINT tenancy_batch"
                                                  : "ROLLBACK");
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!ok) broken_ = true;
    }
    *failed_row = bad_row;
    return outcome;
  }
  if (!in_transaction_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PGresult* r = PQexec(conn_, "ROLLBACK");
    PQclear(r);
  }
  return {};
}

Result<std::int64_t> PgConnection::RunRaw(std::string_view sql, std::span<const Param> params,
                                          const detail::RawScope& scope, detail::RowSink* sink) {
  if (!MentionsTenantParameter(sql))
    return Fail(Errc::kInvalidArgument, "raw SQL must bind the :tenant_id parameter");
  if (!Healthy()) return Lost("run");
  int positional = 0, tenant = 0;
  const std::string text = ToDollarParams(sql, &positional, &tenant);
  if (static_cast<std::size_t>(positional) != params.size())
    return Fail(Errc::kInvalidArgument, "raw SQL has " + std::to_string(positional) +
                                            " ? placeholders but " + std::to_string(params.size()) +
                                            " parameters");
  const int n = positional + (tenant ? 1 : 0);
  std::vector<std::string> text_values(static_cast<std::size_t>(n));
  std::vector<const char*> values(static_cast<std::size_t>(n));
  std::vector<int> lengths(static_cast<std::size_t>(n)), formats(static_cast<std::size_t>(n));
  std::vector<unsigned> types(static_cast<std::size_t>(n), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    switch (p.index()) {
      case 1:  // numbers keep their type: SELECT ? of an integer is an integer
        text_values[i] = std::to_string(std::get<1>(p));
        types[i] = kInt8;
        break;
      case 2: {
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, std::get<2>(p));
        text_values[i].assign(buf, res.ptr);
        types[i] = kFloat8;
        break;
      }
      case 3: text_values[i] = std::string(std::get<3>(p)); break;
      case 4: {
        auto v = std::get<4>(p);
        text_values[i].assign(reinterpret_cast<const char*>(v.data()), v.size());
        formats[i] = 1;
        types[i] = kBytea;
        break;
      }
      default: break;
    }
    values[i] = p.index() == 0 ? nullptr : text_values[i].c_str();
    lengths[i] = static_cast<int>(text_values[i].size());
  }
  if (tenant) {
    const auto t = static_cast<std::size_t>(tenant - 1);
    text_values[t] = std::string(scope.tenant_id);
    types[t] = kText;
    values[t] = text_values[t].c_str();
    lengths[t] = static_cast<int>(text_values[t].size());
  }
  Call call;
  call.raw_sql = &text;
  call.raw_types = types.data();
  call.n = n;
  call.values = values.data();
  call.lengths = lengths.data();
  call.formats = formats.data();
  return Execute(call, sink);
}

Result<void> PgConnection::Begin() {
  // SERIALIZABLE: the same guarantee SQLite's single writer gives, so a
  // read-modify-write cannot lose an update on either engine. Conflicts
  // come back as kUnavailable: retry the unit of work.
  return BeginAs("ISOLATION LEVEL SERIALIZABLE");
}

Result<void> PgConnection::BeginAs(std::string_view characteristics) {
  if (in_transaction_) return Fail(Errc::kInternal, "transaction already open");
  if (!bound_) return Fail(Errc::kInternal, "connection has no tenant namespace bound");
  std::string script = "BEGIN ";
  script += characteristics;
  script += "; " + set_tenant_ + "; " + set_path_;
  if (auto r = ExecScript(script); !r) return r;
  in_transaction_ = true;
  return {};
}

Result<void> PgConnection::Commit() {
  if (!in_transaction_) return Fail(Errc::kInternal, "no transaction to commit");
  in_transaction_ = false;
  PGresult* r = PQexec(conn_, "COMMIT");
  ResultGuard guard{r};
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorFromResult(r, conn_, "commit");
  // COMMIT of a failed transaction reports success but rolls back.
  if (std::strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
    return Fail(Errc::kConflict, "commit: the transaction had failed and was rolled back");
  return {};
}

Result<void> PgConnection::Rollback() {
  in_transaction_ = false;
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
  PGresult* r = PQexec(conn_, "ROLLBACK");
  ResultGuard guard{r};
  if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorFromResult(r, conn_, "rollback");
  return {};
}

Result<void> PgConnection::ExecScript(std::string_view script) {
  if (!Healthy()) return Lost("script");
  const std::string text(script);
  PGresult* r = PQexec(conn_, text.c_str());
  ResultGuard guard{r};
  last_used_ = std::chrono::steady_clock::now();
  const auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    auto e = ErrorFromResult(r, conn_, "script");
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    return e;
  }
  return {};
}

Result<std::vector<std::vector<std::string>>> PgConnection::QueryText(std::string_view sql) {
  if (!Healthy()) return Lost("query");
  const std::string text(sql);
  PGresult* r = PQexec(conn_, text.c_str());
  ResultGuard guard{r};
  last_used_ = std::chrono::steady_clock::now();
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return ErrorFromResult(r, conn_, "query");
  std::vector<std::vector<std::string>> rows;
  for (int i = 0, n = PQntuples(r); i < n; ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0, m = PQnfields(r); j < m; ++j)
      row.emplace_back(PQgetvalue(r, i, j), static_cast<std::size_t>(PQgetlength(r, i, j)));
  }
  return rows;
}

std::string PgConnection::Literal(std::string_view text) {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (!quoted) return "NULL";
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace tenancy::pg

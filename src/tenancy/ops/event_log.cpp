// The outbox (events.hpp): a table in each tenant namespace, numbered per
// tenant by "largest committed + 1" under the primary key.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <variant>

#include "tenancy/events.hpp"
#include "tenancy/repository.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kMaxPageSize = 1000;

struct EventRow {
  std::int64_t seq = 0;
  std::string type;
  std::string payload;
  std::int64_t created_at = 0;  // Unix ms
  std::string request_id;
  std::string trace_id;
};

const Entity<EventRow>& EventRows() {
  static const Entity<EventRow> e =
      Entity<EventRow>("outbox_events")
          .Key("seq", &EventRow::seq)
          .Column("type", &EventRow::type, {.max_bytes = 128})
          .Column("payload", &EventRow::payload)
          .Column("created_at", &EventRow::created_at)
          .Column("request_id", &EventRow::request_id, {.max_bytes = 256})
          .Column("trace_id", &EventRow::trace_id, {.max_bytes = 64});
  return e;
}

Event ToEvent(EventRow&& row) {
  return Event{row.seq, std::move(row.type), std::move(row.payload),
               FromUnixMillis(row.created_at), std::move(row.request_id),
               std::move(row.trace_id)};
}

// A raw-query cell as an integer: SQLite returns integers, PostgreSQL's raw
// path returns text (D13).
Result<std::int64_t> IntCell(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && p == s->data() + s->size()) return out;
  }
  return Fail(Errc::kDataCorrupted, "outbox sequence is not an integer");
}

// The largest committed sequence. Raw SQL because the typed API has no
// "last by key"; raw reads are confined to the tenant in every model.
Result<std::int64_t> LastSeq(Transaction& tx) {
  auto rows = tx.Query(
      "SELECT seq FROM outbox_events WHERE tenant_id = :tenant_id ORDER BY seq DESC LIMIT 1");
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().empty()) return std::int64_t{0};
  return IntCell(rows->front().front());
}

}  // namespace

struct Events::Impl {
  Impl(Store& s, EventOptions o) : store(s), options(o), rows(s, EventRows()) {}
  Store& store;
  EventOptions options;
  Repository<EventRow> rows;
};

Migration Events::SchemaMigration(int version) {
  Migration m;
  m.version = version;
  m.name = "tenancy events outbox";
  m.sql =
      "CREATE TABLE outbox_events (tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, "
      "type TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL, "
      "request_id TEXT NOT NULL, trace_id TEXT NOT NULL, PRIMARY KEY (tenant_id, seq));";
  m.postgres_sql =
      "CREATE TABLE outbox_events (tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, "
      "type TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, "
      "request_id TEXT NOT NULL, trace_id TEXT NOT NULL, PRIMARY KEY (tenant_id, seq));";
  return m;
}

Events::Events(Store& store, EventOptions options)
    : impl_(std::make_unique<Impl>(store, options)) {}
Events::~Events() = default;

Result<std::int64_t> Events::Append(Transaction& tx, std::string_view type,
                                    const boost::json::value& payload) const {
  if (!IsValidEventType(type))
    return Fail(Errc::kInvalidArgument,
                "event type must be dot-separated lower-case segments like 'ride.completed'");
  EventRow row;
  row.payload = boost::json::serialize(payload);
  if (row.payload.size() > impl_->options.max_payload_bytes)
    return Fail(Errc::kInvalidArgument, "event payload is larger than " +
                                            std::to_string(impl_->options.max_payload_bytes) +
                                            " bytes");
  auto last = LastSeq(tx);
  if (!last) return last.error();
  row.seq = *last + 1;
  row.type = std::string(type);
  row.created_at = ToUnixMillis(impl_->options.clock->Now());
  row.request_id = tx.context().request_id();
  row.trace_id = tx.context().trace_id();
  if (auto r = impl_->rows.Insert(tx, row); !r) {
    // Another transaction of this tenant committed the same number first.
    if (r.error() == Errc::kAlreadyExists)
      return Fail(Errc::kUnavailable, "a concurrent event append won; retry the transaction");
    return r.error();
  }
  return row.seq;
}

Result<EventPage> Events::Read(Scope scope, const EventQuery& query) const {
  if (query.limit == 0 || query.limit > kMaxPageSize)
    return Fail(Errc::kInvalidArgument, "limit must be 1..1000");
  if (query.after < 0) return Fail(Errc::kInvalidArgument, "cursor must not be negative");
  const bool all = query.type.empty() || query.type == "*";
  if (!all && !IsValidEventTypePattern(query.type))
    return Fail(Errc::kInvalidArgument, "invalid event type pattern");
  const bool wildcard = !all && query.type.ends_with(".*");

  EventPage out;
  std::int64_t cursor = query.after;
  if (!wildcard) {
    ListQuery q;
    q.limit = query.limit;
    q.filters.push_back({"seq", FilterOp::kGt, Value{cursor}});
    if (!all) q.filters.push_back({"type", FilterOp::kEq, Value{query.type}});
    auto page = impl_->rows.List(scope, q);
    if (!page) return page.error();
    out.more = page->items.size() == query.limit;
    for (auto& row : page->items) out.items.push_back(ToEvent(std::move(row)));
    out.next_after = out.items.empty() ? cursor : out.items.back().sequence;
    return out;
  }
  // A prefix ("ride.*") is matched here, not in SQL: a range on the type
  // column would follow the database's collation, and PostgreSQL's
  // locale-aware collations do not order '.' and '/' bytewise. The scan is
  // bounded, so a page may be short (or empty) with `more` set.
  const std::size_t max_scan = std::max<std::size_t>(kMaxPageSize, query.limit * 10);
  std::size_t scanned = 0;
  while (true) {
    ListQuery q;
    q.limit = query.limit;
    q.filters.push_back({"seq", FilterOp::kGt, Value{cursor}});
    auto page = impl_->rows.List(scope, q);
    if (!page) return page.error();
    for (auto& row : page->items) {
      cursor = row.seq;
      if (EventTypeMatches(query.type, row.type)) out.items.push_back(ToEvent(std::move(row)));
      if (out.items.size() == query.limit) break;
    }
    scanned += page->items.size();
    if (out.items.size() == query.limit) {
      out.more = true;
      break;
    }
    if (page->items.size() < query.limit) break;  // the end, for now
    if (scanned >= max_scan) {
      out.more = true;
      break;
    }
  }
  out.next_after = cursor;
  return out;
}

Result<std::int64_t> Events::LastSequence(Scope scope) const {
  if (Transaction* tx = scope.transaction()) return LastSeq(*tx);
  std::int64_t last = 0;
  auto r = impl_->store.Transact(scope.context(), [&](Transaction& tx) -> Result<void> {
    auto v = LastSeq(tx);
    if (!v) return v.error();
    last = *v;
    return {};
  });
  if (!r) return r.error();
  return last;
}

Result<std::int64_t> Events::Prune(const TenantContext& ctx, TimePoint older_than,
                                   std::size_t max_events) const {
  if (max_events == 0 || max_events > kMaxPageSize)
    return Fail(Errc::kInvalidArgument, "max_events must be 1..1000");
  std::int64_t deleted = 0;
  auto r = impl_->store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto last = LastSeq(tx);
    if (!last) return last.error();
    ListQuery q;
    q.limit = max_events;
    // Raw deletes are refused in the shared SQLite model (D5), so the
    // typed path removes row by row, inside one transaction.
    q.filters.push_back({"seq", FilterOp::kLt, Value{*last}});
    q.filters.push_back({"created_at", FilterOp::kLt, Value{ToUnixMillis(older_than)}});
    auto page = impl_->rows.List(tx, q);
    if (!page) return page.error();
    for (const auto& row : page->items) {
      if (auto d = impl_->rows.Remove(tx, row.seq); !d) return d;
      ++deleted;
    }
    return {};
  });
  if (!r) return r.error();
  return deleted;
}

}  // namespace tenancy

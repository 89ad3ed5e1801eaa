// Export of chains as JSON lines, and their offline verification.
#include <boost/json.hpp>

#include <istream>
#include <ostream>

#include "ops/audit_impl.hpp"

namespace tenancy {

using namespace detail::audit;

namespace {

constexpr std::size_t kExportPage = 1000;

bool WriteLine(std::ostream& out, const boost::json::object& o) {
  out << boost::json::serialize(o) << '\n';
  return static_cast<bool>(out);
}

// -- reading an export back --

const boost::json::string* StringAt(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

std::optional<std::int64_t> IntAt(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::string Text(const boost::json::object& o, std::string_view key, bool& ok) {
  auto* s = StringAt(o, key);
  if (!s) {
    ok = false;
    return {};
  }
  return std::string(s->data(), s->size());
}

// An entry line as a row. Anything malformed leaves the row unable to
// verify (zero hashes, a sequence of -1), so the walk names its position.
ChainRow RowOf(const boost::json::object& o) {
  ChainRow row;
  bool ok = true;
  row.seq = IntAt(o, "seq").value_or(-1);
  row.at_ms = IntAt(o, "at_ms").value_or(0);
  const auto* actor = o.if_contains("actor");
  if (actor && actor->is_object()) {
    row.actor_id = Text(actor->get_object(), "id", ok);
    auto kind = ParseAuditActorKind(Text(actor->get_object(), "kind", ok));
    row.actor_kind = kind ? static_cast<std::int64_t>(*kind) : -1;
  } else {
    ok = false;
  }
  row.action = Text(o, "action", ok);
  row.target = Text(o, "target", ok);
  auto outcome = ParseAuditOutcome(Text(o, "outcome", ok));
  row.outcome = outcome ? static_cast<std::int64_t>(*outcome) : -1;
  row.code = Text(o, "code", ok);
  row.request_id = Text(o, "request_id", ok);
  row.details = Text(o, "details", ok);
  if (!ParseHex(Text(o, "prev_hash", ok), row.prev)) row.prev = Digest{};
  if (!ParseHex(Text(o, "hash", ok), row.hash)) row.hash = Digest{};
  if (!ok) row.hash = Digest{};
  return row;
}

AuditVerification Malformed(std::string_view chain, std::int64_t line, std::string what) {
  AuditVerification v;
  v.ok = false;
  v.chain = std::string(chain);
  v.tamper = AuditTamper::kModified;
  v.message = "line " + std::to_string(line) + ": " + std::move(what);
  return v;
}

}  // namespace

Result<void> AuditLog::Export(const AuditScope& scope, std::ostream& out,
                              const std::optional<AuditChain>& chain) const {
  std::lock_guard lock(impl_->read_mu);
  AuditReadSnapshot snapshot(*impl_->db);
  if (!snapshot.status()) return snapshot.status().error();
  std::vector<AuditChain> chains;
  if (chain) {
    if (!scope.Covers(*chain))
      return Fail(Errc::kPermissionDenied, "the audit chain is outside the caller's scope");
    chains.push_back(*chain);
  } else if (!scope.is_operator()) {
    chains.push_back(AuditChain::Tenant(scope.tenant()));
  } else {
    auto names = impl_->db->Chains();
    if (!names) return names.error();
    for (const auto& n : *names) {
      auto c = AuditChain::Parse(n);
      if (!c) return Fail(Errc::kDataCorrupted, "the audit database holds a malformed chain name");
      chains.push_back(*c);
    }
  }
  const auto stream_failed = [] { return Fail(Errc::kStorage, "writing the audit export failed"); };
  for (const auto& c : chains) {
    const std::string name = c.name();
    if (!WriteLine(out, {{"type", "audit.chain"}, {"chain", name}, {"genesis", AuditGenesis(c)}}))
      return stream_failed();
    for (std::int64_t from = 1;;) {
      auto rows = impl_->db->Fetch(name, from, kExportPage);
      if (!rows) return rows.error();
      for (const auto& row : *rows) {
        auto rec = ToRecord(name, row);
        if (!rec) return rec.error();
        auto o = ToJson(*rec);
        o.emplace("type", "audit.entry");
        if (!WriteLine(out, o)) return stream_failed();
        from = row.seq + 1;
      }
      if (rows->size() < kExportPage) break;
    }
    auto head = impl_->db->ReadHead(name);
    if (!head) return head.error();
    AuditHead h{c, 0, AuditGenesis(c)};
    if (*head) {
      h.seq = (*head)->seq;
      h.hash = Hex((*head)->hash);
    }
    auto o = ToJson(h);
    o.emplace("type", "audit.head");
    if (!WriteLine(out, o)) return stream_failed();
  }
  out.flush();
  if (!out) return stream_failed();
  return {};
}

Result<AuditVerification> VerifyExport(std::istream& in) {
  std::string line;
  std::int64_t line_no = 0;
  std::optional<std::string> chain;  // the open segment's chain
  std::vector<ChainRow> rows;
  std::int64_t total = 0;
  std::string last_chain;
  bool any = false;

  // Entries are addressed by their position in the segment, not by the
  // sequence number they claim: a moved line is found where it sits.
  auto verify_segment = [&](const std::optional<HeadState>& head) -> Result<AuditVerification> {
    FetchRows fetch = [&](std::int64_t from, std::size_t limit) -> Result<std::vector<ChainRow>> {
      std::vector<ChainRow> out;
      for (auto i = static_cast<std::size_t>(from - 1); i < rows.size() && out.size() < limit; ++i)
        out.push_back(rows[i]);
      return out;
    };
    return VerifyChain(*chain, fetch, head, std::nullopt);
  };

  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    const boost::json::object* o = ec ? nullptr : v.if_object();
    const boost::json::string* type = o ? StringAt(*o, "type") : nullptr;
    if (!any) {
      if (!type || *type != "audit.chain")
        return Fail(Errc::kInvalidArgument, "not an audit export: the first line is not a chain line");
      any = true;
    }
    if (type && *type == "audit.chain") {
      if (chain) {
        AuditVerification v2 = Malformed(*chain, line_no, "the chain has no head line");
        v2.tamper = AuditTamper::kBadHead;
        return v2;
      }
      const auto* name = StringAt(*o, "chain");
      if (!name || !AuditChain::Parse(std::string_view(name->data(), name->size())))
        return Malformed("", line_no, "a chain line without a valid chain name");
      chain = std::string(name->data(), name->size());
      last_chain = *chain;
      rows.clear();
      continue;
    }
    if (!chain) return Malformed("", line_no, "an entry outside a chain");
    if (type && *type == "audit.head") {
      HeadState head;
      const auto seq = IntAt(*o, "seq");
      const auto* hash = StringAt(*o, "hash");
      const auto* name = StringAt(*o, "chain");
      if (!seq || !hash || !name || *name != *chain ||
          !ParseHex(std::string_view(hash->data(), hash->size()), head.hash)) {
        auto bad = Malformed(*chain, line_no, "a malformed head line");
        bad.tamper = AuditTamper::kBadHead;
        return bad;
      }
      head.seq = *seq;
      auto r = verify_segment(head);
      if (!r) return r.error();
      total += r->entries;
      if (!r->ok) return r;
      chain.reset();
      continue;
    }
    // An entry line, or a line damaged beyond parsing: both take a position.
    ChainRow row = o ? RowOf(*o) : ChainRow{};
    if (!o) row.seq = -1;
    const auto* name = o ? StringAt(*o, "chain") : nullptr;
    if (!name || *name != *chain) row.hash = Digest{};
    rows.push_back(std::move(row));
  }
  if (!any) return Fail(Errc::kInvalidArgument, "not an audit export: it is empty");
  if (chain) {
    // The head line is missing: the entries can still be checked, and the
    // missing head is reported if they pass.
    auto r = verify_segment(std::nullopt);
    if (!r) return r.error();
    if (!r->ok && r->tamper != AuditTamper::kBadHead) return r;
    AuditVerification bad = Malformed(*chain, line_no, "the export ends without a head line: it was cut off");
    bad.tamper = AuditTamper::kTruncated;
    bad.entries = total + r->entries;
    bad.verified_through = r->verified_through;
    return bad;
  }
  AuditVerification ok;
  ok.chain = last_chain;
  ok.entries = total;
  return ok;
}

}  // namespace tenancy

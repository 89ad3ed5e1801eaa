// The audit vocabulary: names of kinds and outcomes, chains and scopes, the
// actor of a context, entry validation, and the JSON form of records.
#include <boost/json.hpp>

#include "ops/audit_impl.hpp"
#include "tenancy/authz.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kActorKinds[] = {"operator", "tenant_admin", "tenant_user",
                                            "api_key",  "service",      "system"};
constexpr std::string_view kOutcomes[] = {"success", "denied", "failed"};

bool IsWordChar(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// No control characters (C0, DEL): a log reader's terminal must not be
// steered by an entry.
bool IsPrintable(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool IsVisibleAscii(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

bool IsCode(std::string_view s) noexcept {
  if (s.size() > kMaxAuditCodeBytes) return false;
  for (char c : s)
    if (!IsWordChar(c) && c != '.') return false;
  return true;
}

Error Invalid(std::string what) { return Error(Errc::kInvalidArgument, std::move(what)); }

}  // namespace

std::string_view ToString(AuditActorKind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < std::size(kActorKinds) ? kActorKinds[i] : "unknown";
}

std::string_view ToString(AuditOutcome o) noexcept {
  const auto i = static_cast<std::size_t>(o);
  return i < std::size(kOutcomes) ? kOutcomes[i] : "unknown";
}

std::string_view ToString(AuditTamper t) noexcept {
  switch (t) {
    case AuditTamper::kNone: return "none";
    case AuditTamper::kModified: return "modified";
    case AuditTamper::kDeleted: return "deleted";
    case AuditTamper::kInserted: return "inserted";
    case AuditTamper::kReordered: return "reordered";
    case AuditTamper::kBrokenLink: return "broken_link";
    case AuditTamper::kTruncated: return "truncated";
    case AuditTamper::kBadHead: return "bad_head";
  }
  return "unknown";
}

Result<AuditActorKind> ParseAuditActorKind(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kActorKinds); ++i)
    if (kActorKinds[i] == text) return static_cast<AuditActorKind>(i);
  return Invalid("unknown audit actor kind");
}

Result<AuditOutcome> ParseAuditOutcome(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kOutcomes); ++i)
    if (kOutcomes[i] == text) return static_cast<AuditOutcome>(i);
  return Invalid("unknown audit outcome");
}

AuditActor AuditActorOf(const TenantContext& ctx) {
  AuditActor a;
  a.id = ctx.principal().id;
  switch (ctx.principal().kind) {
    case PrincipalKind::kPlatformOperator: a.kind = AuditActorKind::kOperator; break;
    case PrincipalKind::kApiKey: a.kind = AuditActorKind::kApiKey; break;
    case PrincipalKind::kService: a.kind = AuditActorKind::kService; break;
    case PrincipalKind::kSystem: a.kind = AuditActorKind::kSystem; break;
    case PrincipalKind::kUser:
      a.kind = ctx.HasRole(roles::kTenantAdmin) ? AuditActorKind::kTenantAdmin
                                                 : AuditActorKind::kTenantUser;
      break;
  }
  return a;
}

Result<AuditChain> AuditChain::Parse(std::string_view name) {
  if (name == kPlatformName) return Platform();
  auto id = TenantId::Parse(name);
  if (!id) return Invalid("an audit chain is \"platform\" or a tenant id");
  return Tenant(*id);
}

Result<AuditScope> AuditScope::ForContext(const TenantContext& ctx) {
  if (auto r = Require(ctx, Permission::kAuditRead); !r) return r.error();
  if (ctx.principal().kind == PrincipalKind::kPlatformOperator &&
      PermissionsOf(ctx).Has(Permission::kPlatformTenantsRead))
    return Operator();
  return TenantAdmin(ctx.tenant_id());
}

bool IsValidAuditAction(std::string_view action) noexcept {
  if (action.empty() || action.size() > kMaxAuditActionBytes) return false;
  bool dot = false;
  char prev = '.';
  for (char c : action) {
    if (c == '.') {
      if (prev == '.') return false;
      dot = true;
    } else if (!IsWordChar(c)) {
      return false;
    }
    prev = c;
  }
  return dot && prev != '.';
}

namespace detail::audit {

Result<ChainRow> ValidateEntry(const AuditEntry& e) {
  if (e.actor.id.empty() || e.actor.id.size() > 256 || !IsPrintable(e.actor.id))
    return Invalid("audit actor id: 1-256 bytes without control characters");
  if (static_cast<std::size_t>(e.actor.kind) >= std::size(kActorKinds))
    return Invalid("audit actor kind out of range");
  if (e.tenant && e.tenant->empty()) return Invalid("audit tenant: an empty tenant id");
  if (!IsValidAuditAction(e.action))
    return Invalid("audit action: dot-separated words of [a-z0-9_], at most 64 bytes");
  if (e.target.size() > kMaxAuditTargetBytes || !IsPrintable(e.target))
    return Invalid("audit target: at most 512 bytes without control characters");
  if (static_cast<std::size_t>(e.outcome) >= std::size(kOutcomes))
    return Invalid("audit outcome out of range");
  if (!IsCode(e.code)) return Invalid("audit code: [a-z0-9_.], at most 64 bytes");
  if (e.outcome == AuditOutcome::kSuccess && !e.code.empty())
    return Invalid("audit code: a successful action carries no code");
  if (e.outcome != AuditOutcome::kSuccess && e.code.empty())
    return Invalid("audit code: a denied or failed action names its code");
  if (e.request_id.size() > kMaxAuditRequestIdBytes || !IsVisibleAscii(e.request_id))
    return Invalid("audit request id: at most 128 visible ASCII characters");
  ChainRow row;
  if (!e.details.empty()) {
    if (e.details.size() > kMaxAuditDetailsBytes)
      return Invalid("audit details: at most 16 KiB");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(e.details, ec);
    if (ec || !v.is_object()) return Invalid("audit details: a JSON object");
    row.details = boost::json::serialize(v);
    if (row.details.size() > kMaxAuditDetailsBytes)
      return Invalid("audit details: at most 16 KiB");
  }
  row.actor_kind = static_cast<std::int64_t>(e.actor.kind);
  row.actor_id = e.actor.id;
  row.action = e.action;
  row.target = e.target;
  row.outcome = static_cast<std::int64_t>(e.outcome);
  row.code = e.code;
  row.request_id = e.request_id;
  return row;
}

Result<AuditRecord> ToRecord(std::string_view chain, const ChainRow& row) {
  auto c = AuditChain::Parse(chain);
  if (!c || row.actor_kind < 0 || row.actor_kind >= static_cast<std::int64_t>(std::size(kActorKinds)) ||
      row.outcome < 0 || row.outcome >= static_cast<std::int64_t>(std::size(kOutcomes)))
    return Fail(Errc::kDataCorrupted, "the audit database holds a malformed entry");
  AuditRecord r;
  r.chain = *c;
  r.seq = row.seq;
  r.at = FromUnixMillis(row.at_ms);
  r.actor = {row.actor_id, static_cast<AuditActorKind>(row.actor_kind)};
  r.action = row.action;
  r.target = row.target;
  r.outcome = static_cast<AuditOutcome>(row.outcome);
  r.code = row.code;
  r.request_id = row.request_id;
  r.details = row.details;
  r.prev_hash = Hex(row.prev);
  r.hash = Hex(row.hash);
  return r;
}

}  // namespace detail::audit

boost::json::object ToJson(const AuditRecord& r) {
  boost::json::object o;
  o["chain"] = r.chain.name();
  o["seq"] = r.seq;
  o["at_ms"] = ToUnixMillis(r.at);
  o["actor"] = boost::json::object{{"id", r.actor.id}, {"kind", ToString(r.actor.kind)}};
  o["action"] = r.action;
  o["target"] = r.target;
  o["outcome"] = ToString(r.outcome);
  o["code"] = r.code;
  o["request_id"] = r.request_id;
  o["details"] = r.details;
  o["prev_hash"] = r.prev_hash;
  o["hash"] = r.hash;
  return o;
}

boost::json::object ToJson(const AuditHead& h) {
  return {{"chain", h.chain.name()}, {"seq", h.seq}, {"hash", h.hash}};
}

boost::json::object ToJson(const AuditPage& p) {
  boost::json::array items;
  items.reserve(p.items.size());
  for (const auto& r : p.items) items.push_back(ToJson(r));
  return {{"items", std::move(items)}, {"next_cursor", p.next_cursor}};
}

boost::json::object ToJson(const AuditVerification& v) {
  return {{"ok", v.ok},
          {"chain", v.chain},
          {"tamper", ToString(v.tamper)},
          {"seq", v.seq},
          {"verified_through", v.verified_through},
          {"entries", v.entries},
          {"message", v.message}};
}

}  // namespace tenancy

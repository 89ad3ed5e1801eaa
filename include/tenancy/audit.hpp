// tenancy/audit.hpp — the audit log: every control-plane and admin action, in
// a tamper-evident hash chain per tenant (and one for the platform).
//
//   auto audit = tenancy::AuditLog::Open({.path = "./data/audit.db"}).value();
//   tenancy::AuditEntry e;
//   e.actor = tenancy::AuditActorOf(ctx);           // who: from the caller's context
//   e.tenant = ctx.tenant_id();                      // which chain; empty: the platform's
//   e.action = "tenant.suspend";
//   e.target = "tenant:" + id.str();
//   e.outcome = tenancy::AuditOutcome::kSuccess;
//   e.request_id = ctx.request_id();
//   auto appended = audit->Append(e);                // -> AuditRecord{seq, hash, ...}
//   auto page = audit->Read(tenancy::AuditScope::ForContext(ctx).value(), {.limit = 50});
//   auto check = audit->Verify(tenancy::AuditChain::Tenant(id));  // ok, or where and how
//
// Chains. Each tenant has its own chain, and the platform has one (actions
// that belong to no tenant: plans, operator sign-ins). Entry n of a chain
// (n = 1, 2, ...) stores `hash = BLAKE2b-256(encoding)`, where the encoding
// is unambiguous (every field length-prefixed, integers fixed-width big
// endian) and covers the chain's name, n, the previous entry's hash, the
// time and every field of the entry. Entry 1 chains to the chain's genesis
// value, BLAKE2b-256 over a domain tag and the chain's name, so an entry
// cannot be moved to another chain. The hashes are unkeyed: anyone holding
// an export can check it (VerifyExport) without the database or a key.
//
// Heads. Beside the entries, every chain has a head record (last sequence
// number and hash) written in the same transaction as each append. Walking
// a chain only proves that what is there links up; the head is what shows
// that entries were cut off the end (truncation) or that the last entry was
// rewritten. An attacker who can edit the database file can rewrite the
// head too, so: (1) with `AuditOptions::head_key` set, each head carries a
// BLAKE2b MAC under that key (keep the key outside the database, e.g. from
// the KeyProvider), and a rewritten head fails verification; (2) `Heads()`
// returns checkpoints to keep elsewhere (a ticket, object storage with
// retention, a peer), and `Verify(chain, checkpoint)` proves the chain still
// holds that entry unchanged — the only defence against replacing the whole
// file with an older or rewritten copy.
//
// Verification walks a chain in order and stops at the first entry that
// fails, naming its sequence number and the kind of tampering:
//   modified    the entry's content no longer matches its hash
//   deleted     entries are missing (a gap, or later entries renumbered)
//   inserted    an entry not written by the log sits in the chain
//   reordered   an authentic entry sits at another position
//   broken link the entry is intact but does not link to its predecessor:
//               the predecessor was rewritten and its hash recomputed
//   truncated   the chain ends before its head
//   bad head    the head is missing, fails its MAC, or disagrees with the
//               last entry
// The kind is a diagnosis from the evidence left; `verified_through` is the
// last entry that is certainly authentic.
//
// Scope. Reads take an `AuditScope`: a tenant admin's scope reads its own
// tenant's chain only (a cursor or chain naming any other chain is refused);
// the platform operator's scope reads every chain. Pages are ordered by
// (chain, seq) and resumed with an opaque cursor.
//
// Durability. The log writes to its own SQLite file in WAL mode with
// synchronous=NORMAL (the house default): a committed append survives a
// process crash; a power loss may lose the last appends (and then the head
// and the chain agree again). `sync_full` trades append speed for surviving
// power loss too.
//
// Thread safety: all methods may be called from any thread. Appends to one
// chain are serialized (each gets the next sequence number and links to the
// one before); appends to different chains hash and encode in parallel and
// share one SQLite writer. Reads and verification use a second connection
// and do not wait for appends' commits.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/secret.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

// Who acted. The numeric values are stored and hashed: never renumber.
enum class AuditActorKind : std::uint8_t {
  kOperator = 0,     // platform staff
  kTenantAdmin = 1,  // a tenant's administrator
  kTenantUser = 2,   // another signed-in user of a tenant
  kApiKey = 3,       // a tenant's API key
  kService = 4,      // a workload acting for a tenant
  kSystem = 5,       // the platform itself (policies, background jobs)
};

// How it ended. Stored and hashed: never renumber.
enum class AuditOutcome : std::uint8_t {
  kSuccess = 0,
  kDenied = 1,  // refused by authorization, state or quota
  kFailed = 2,  // attempted and failed
};

TENANCY_EXPORT std::string_view ToString(AuditActorKind k) noexcept;
TENANCY_EXPORT std::string_view ToString(AuditOutcome o) noexcept;
TENANCY_EXPORT Result<AuditActorKind> ParseAuditActorKind(std::string_view text);
TENANCY_EXPORT Result<AuditOutcome> ParseAuditOutcome(std::string_view text);

struct AuditActor {
  std::string id{};  // the principal's id: 1–256 bytes, no control characters
  AuditActorKind kind = AuditActorKind::kSystem;
};

// The actor of a context: operators (platform-operator principals) as
// kOperator, API keys as kApiKey, services as kService, the system as
// kSystem, users holding the tenant_admin role as kTenantAdmin, other users
// as kTenantUser.
TENANCY_EXPORT AuditActor AuditActorOf(const TenantContext& ctx);

// A chain: one tenant's, or the platform's.
class TENANCY_EXPORT AuditChain {
 public:
  static AuditChain Platform() { return AuditChain(); }
  // REQUIRES: a non-empty id (an empty one names the platform chain).
  static AuditChain Tenant(const TenantId& id) { return AuditChain(id); }
  // "platform" or a tenant id; kInvalidArgument otherwise.
  static Result<AuditChain> Parse(std::string_view name);

  bool is_platform() const noexcept { return tenant_.empty(); }
  const TenantId& tenant() const noexcept { return tenant_; }  // empty for the platform
  // The name stored and hashed: "platform" or the tenant id.
  std::string name() const { return is_platform() ? std::string(kPlatformName) : tenant_.str(); }

  friend bool operator==(const AuditChain&, const AuditChain&) = default;

  static constexpr std::string_view kPlatformName = "platform";

 private:
  AuditChain() = default;
  explicit AuditChain(TenantId t) : tenant_(std::move(t)) {}
  TenantId tenant_{};
};

inline constexpr std::size_t kMaxAuditActionBytes = 64;
inline constexpr std::size_t kMaxAuditTargetBytes = 512;
inline constexpr std::size_t kMaxAuditCodeBytes = 64;
inline constexpr std::size_t kMaxAuditRequestIdBytes = 128;
inline constexpr std::size_t kMaxAuditDetailsBytes = 16 * 1024;

// True for an action name: dot-separated words of [a-z0-9_], at most 64
// bytes, at least two words, e.g. "tenant.suspend", "api_key.create".
TENANCY_EXPORT bool IsValidAuditAction(std::string_view action) noexcept;

// What to append. The time is the log's clock's, not the caller's.
struct AuditEntry {
  AuditActor actor{};
  std::optional<TenantId> tenant{};  // the chain; empty: the platform's
  std::string action{};              // see IsValidAuditAction
  std::string target{};              // what was acted on, e.g. "tenant:tn_…"; ≤ 512 bytes
  AuditOutcome outcome = AuditOutcome::kSuccess;
  // Why it was denied or failed, e.g. an ErrcName ("permission_denied");
  // [a-z0-9_.], ≤ 64 bytes. Required for kDenied and kFailed, empty for
  // kSuccess.
  std::string code{};
  std::string request_id{};  // ≤ 128 visible ASCII characters; may be empty
  // Empty, or a JSON object (≤ 16 KiB). Stored in compact form, which is
  // what is hashed. Never put secrets here.
  std::string details{};
};

// A stored entry.
struct AuditRecord {
  AuditChain chain = AuditChain::Platform();
  std::int64_t seq = 0;  // 1, 2, ... within the chain
  TimePoint at{};        // millisecond precision
  AuditActor actor{};
  std::string action{};
  std::string target{};
  AuditOutcome outcome = AuditOutcome::kSuccess;
  std::string code{};
  std::string request_id{};
  std::string details{};    // compact JSON object or empty
  std::string prev_hash{};  // 64 lowercase hex digits
  std::string hash{};       // 64 lowercase hex digits
};

// The record as a JSON object (the export's line format, and what an API
// returns): {"chain","seq","at_ms","actor":{"id","kind"},"action","target",
// "outcome","code","request_id","details","prev_hash","hash"}; details is
// the stored JSON text as a string, so the hashed bytes survive.
TENANCY_EXPORT boost::json::object ToJson(const AuditRecord& r);

// The last entry of a chain, as recorded beside it.
struct AuditHead {
  AuditChain chain = AuditChain::Platform();
  std::int64_t seq = 0;  // 0: no entry yet
  std::string hash{};    // hex; the genesis value when seq == 0
};
TENANCY_EXPORT boost::json::object ToJson(const AuditHead& h);

// Who reads. Build it after authorization; the log trusts it.
class TENANCY_EXPORT AuditScope {
 public:
  // Every chain: for platform operators.
  static AuditScope Operator() { return AuditScope(); }
  // One tenant's chain only. REQUIRES: a non-empty id.
  static AuditScope TenantAdmin(const TenantId& tenant) { return AuditScope(tenant); }
  // From a context that holds audit.read: a platform-operator principal
  // holding a platform role gets Operator(), anyone else their context's
  // tenant. kPermissionDenied without audit.read.
  static Result<AuditScope> ForContext(const TenantContext& ctx);

  bool is_operator() const noexcept { return tenant_.empty(); }
  const TenantId& tenant() const noexcept { return tenant_; }
  bool Covers(const AuditChain& chain) const noexcept {
    return is_operator() || (!chain.is_platform() && chain.tenant() == tenant_);
  }

 private:
  AuditScope() = default;
  explicit AuditScope(TenantId t) : tenant_(std::move(t)) {}
  TenantId tenant_{};
};

struct AuditQuery {
  // One chain; empty: every chain in scope (a tenant scope: its own).
  std::optional<AuditChain> chain{};
  std::string after{};      // next_cursor of the previous page; empty: from the start
  std::size_t limit = 100;  // 1..1000
  // Filters (all that are set must match):
  std::string action{};      // exact, or a prefix ending in '.' or '*' ("tenant." / "tenant.*")
  std::string actor_id{};
  std::optional<AuditOutcome> outcome{};
  std::string request_id{};
  std::optional<TimePoint> from{};  // at >= from
  std::optional<TimePoint> to{};    // at < to
};

struct AuditPage {
  std::vector<AuditRecord> items{};  // ordered by (chain, seq)
  std::string next_cursor{};         // empty at the end
};
TENANCY_EXPORT boost::json::object ToJson(const AuditPage& p);

enum class AuditTamper : std::uint8_t {
  kNone = 0,
  kModified,
  kDeleted,
  kInserted,
  kReordered,
  kBrokenLink,
  kTruncated,
  kBadHead,
};
TENANCY_EXPORT std::string_view ToString(AuditTamper t) noexcept;

struct AuditVerification {
  bool ok = true;
  std::string chain{};  // the chain checked (an export: the one that failed, or the last)
  AuditTamper tamper = AuditTamper::kNone;
  std::int64_t seq = 0;               // the first entry (position) that fails; 0 when ok
  std::int64_t verified_through = 0;  // entries 1..this are authentic
  std::int64_t entries = 0;           // entries read
  std::string message{};              // for people: what was found where
};
TENANCY_EXPORT boost::json::object ToJson(const AuditVerification& v);

struct AuditOptions {
  // The audit database (SQLite, WAL); created on first use. A file of its
  // own, like usage.db: appends must not contend with data.
  std::string path{};
  // Source of entry times. Never null; must outlive the log.
  Clock* clock = &SystemClock();
  // Empty, or 32 bytes (kAuditHeadKeyBytes) authenticating every head (see
  // the header comment). The same key must be given at every open.
  SecretBytes head_key{};
  // PRAGMA synchronous=FULL: appends survive power loss, at the cost of a
  // sync per append.
  bool sync_full = false;
  std::chrono::milliseconds busy_timeout{5000};
};
inline constexpr std::size_t kAuditHeadKeyBytes = 32;

class TENANCY_EXPORT AuditLog {
 public:
  // Opens (creating) the database. Errors: kInvalidArgument (empty path,
  // null clock, a head key of the wrong size), kStorage, kDataCorrupted
  // (not a database), kFailedPrecondition (a newer schema).
  static Result<std::unique_ptr<AuditLog>> Open(AuditOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends to the entry's chain and returns the stored record, durable
  // (per the durability above) before returning. Errors: kInvalidArgument
  // naming the field; kDataCorrupted when the chain's stored head disagrees
  // with its last entry or fails its MAC (nothing is appended to a chain
  // whose end cannot be trusted; Verify says more); kUnavailable / kStorage.
  // The head is checked when the log first appends to a chain after Open;
  // later appends link to the entry the log itself wrote last, so an edit
  // made to the file while the log is open stays visible to Verify (a gap,
  // a broken link) rather than being papered over.
  Result<AuditRecord> Append(const AuditEntry& entry);

  // A page of entries in scope. Errors: kInvalidArgument (limit, a
  // malformed cursor or filter), kPermissionDenied (a chain or cursor
  // outside the scope), kDataCorrupted (an unreadable row), kStorage.
  Result<AuditPage> Read(const AuditScope& scope, const AuditQuery& query) const;

  // Checks one chain end to end (and its head). An empty chain with no head
  // is ok. Errors only when the database cannot be read; tampering is an
  // answer (ok == false), not an error.
  Result<AuditVerification> Verify(const AuditChain& chain) const;
  // As Verify, and also that entry `checkpoint.seq` still has
  // `checkpoint.hash` (a checkpoint kept outside the database).
  Result<AuditVerification> Verify(const AuditChain& chain, const AuditHead& checkpoint) const;

  // The heads of the chains in scope, ordered by chain: checkpoints to keep
  // elsewhere.
  Result<std::vector<AuditHead>> Heads(const AuditScope& scope) const;

  // Writes the chains in scope (or one, when `chain` is set) as JSON lines:
  // per chain a {"type":"audit.chain","chain","genesis"} line, one line per
  // entry (ToJson(AuditRecord) plus "type":"audit.entry"), and a
  // {"type":"audit.head","chain","seq","hash"} line. Errors: those of Read;
  // kStorage when the stream fails.
  Result<void> Export(const AuditScope& scope, std::ostream& out,
                      const std::optional<AuditChain>& chain = {}) const;

 private:
  struct Impl;
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks an export offline: every chain's entries recomputed and linked
// from its genesis, and against its head line. The first failure is
// reported (chain named in the message); ok when every chain verifies.
// Errors: kInvalidArgument for a stream that is not an export at all
// (empty, or its first line is not a chain line); a malformed line later
// is reported as tampering at that position.
TENANCY_EXPORT Result<AuditVerification> VerifyExport(std::istream& in);

// The genesis value of a chain (hex), the prev_hash of its entry 1.
TENANCY_EXPORT std::string AuditGenesis(const AuditChain& chain);

}  // namespace tenancy

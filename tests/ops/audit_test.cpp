// The audit log: chains, validation, tampering of every kind (by editing the
// SQLite file with the sqlite3 API, as an attacker with file access would),
// export and offline verification, scoped reads and concurrent appends.
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "ops/audit_chain.hpp"
#include "support/catch_tenancy.hpp"
#include "support/security_fixture.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/audit.hpp"

namespace tenancy {
namespace {

using namespace std::chrono_literals;
using detail::audit::ChainRow;
using detail::audit::Digest;
using testing::TempDir;

TenantId Tid(std::string_view hex16) { return TenantId::Parse("tn_" + std::string(hex16)).value(); }
const TenantId kA = Tid("00000000000000aa");
const TenantId kB = Tid("00000000000000bb");

AuditEntry Entry(std::optional<TenantId> tenant, std::string action, int n) {
  AuditEntry e;
  e.actor = {"user-" + std::to_string(n % 3), AuditActorKind::kTenantAdmin};
  e.tenant = std::move(tenant);
  e.action = std::move(action);
  e.target = "vehicle:v" + std::to_string(n);
  e.outcome = n % 4 == 3 ? AuditOutcome::kDenied : AuditOutcome::kSuccess;
  if (e.outcome == AuditOutcome::kDenied) e.code = "permission_denied";
  e.request_id = "req-" + std::to_string(n);
  if (n % 2 == 0) e.details = R"({"n": )" + std::to_string(n) + R"(, "why": "test"})";
  return e;
}

struct World {
  TempDir dir;
  ManualClock clock;
  std::string path = (dir.path() / "audit.db").string();
  std::unique_ptr<AuditLog> log;

  AuditOptions Options() {
    AuditOptions o;
    o.path = path;
    o.clock = &clock;
    return o;
  }
  explicit World(bool with_key = false) { Reopen(with_key); }
  void Reopen(bool with_key = false) {
    log.reset();
    auto o = Options();
    if (with_key) o.head_key = SecretBytes::CopyOf(Key());
    auto l = AuditLog::Open(std::move(o));
    REQUIRE(l);
    log = std::move(*l);
  }
  static std::vector<unsigned char> Key() { return std::vector<unsigned char>(32, 0x5a); }

  // n entries on a tenant's chain, a second apart.
  std::vector<AuditRecord> Fill(const TenantId& t, int n, int first = 1) {
    std::vector<AuditRecord> out;
    for (int i = first; i < first + n; ++i) {
      clock.Advance(1s);
      auto r = log->Append(Entry(t, "vehicle.update", i));
      REQUIRE(r);
      out.push_back(*r);
    }
    return out;
  }
  AuditVerification Verify(const TenantId& t) {
    auto v = log->Verify(AuditChain::Tenant(t));
    REQUIRE(v);
    return *v;
  }
};

// -- the attacker's tools: the sqlite3 API on the file --

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  ChainRow Load(const std::string& chain, std::int64_t seq) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_,
                               "SELECT seq, at_ms, actor_kind, actor_id, action, target, outcome, "
                               "code, request_id, details, prev_hash, hash FROM "
                               "tenancy_audit_entries WHERE chain = ? AND seq = ?",
                               -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_text(s, 1, chain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, seq);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    ChainRow r;
    r.seq = sqlite3_column_int64(s, 0);
    r.at_ms = sqlite3_column_int64(s, 1);
    r.actor_kind = sqlite3_column_int64(s, 2);
    r.actor_id = Text(s, 3);
    r.action = Text(s, 4);
    r.target = Text(s, 5);
    r.outcome = sqlite3_column_int64(s, 6);
    r.code = Text(s, 7);
    r.request_id = Text(s, 8);
    r.details = Text(s, 9);
    std::memcpy(r.prev.data(), sqlite3_column_blob(s, 10), 32);
    std::memcpy(r.hash.data(), sqlite3_column_blob(s, 11), 32);
    sqlite3_finalize(s);
    return r;
  }
  void Store(const std::string& chain, const ChainRow& r) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_,
                               "INSERT OR REPLACE INTO tenancy_audit_entries (chain, seq, at_ms, "
                               "actor_kind, actor_id, action, target, outcome, code, request_id, "
                               "details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_text(s, 1, chain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, r.seq);
    sqlite3_bind_int64(s, 3, r.at_ms);
    sqlite3_bind_int64(s, 4, r.actor_kind);
    sqlite3_bind_text(s, 5, r.actor_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, r.action.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, r.target.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 8, r.outcome);
    sqlite3_bind_text(s, 9, r.code.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 10, r.request_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, r.details.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 12, r.prev.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 13, r.hash.data(), 32, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
  }
  // Moves entries seq >= from of a chain by `delta` (two steps, so the
  // primary key never collides mid-update).
  void Shift(const std::string& chain, std::int64_t from, std::int64_t delta) {
    Exec("UPDATE tenancy_audit_entries SET seq = -seq WHERE chain = '" + chain +
         "' AND seq >= " + std::to_string(from));
    Exec("UPDATE tenancy_audit_entries SET seq = -seq + (" + std::to_string(delta) +
         ") WHERE chain = '" + chain + "' AND seq < 0");
  }
  void SetSeq(const std::string& chain, std::int64_t from, std::int64_t to) {
    Exec("UPDATE tenancy_audit_entries SET seq = " + std::to_string(to) + " WHERE chain = '" +
         chain + "' AND seq = " + std::to_string(from));
  }

 private:
  static std::string Text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
  }
  sqlite3* db_ = nullptr;
};

// A forged row the attacker signs correctly, as entry `seq` after `prev`.
ChainRow Forge(const std::string& chain, std::int64_t seq, const Digest& prev) {
  ChainRow r;
  r.seq = seq;
  r.at_ms = 1'700'000'000'000;
  r.actor_kind = static_cast<std::int64_t>(AuditActorKind::kOperator);
  r.actor_id = "mallory";
  r.action = "tenant.resume";
  r.target = "tenant:" + chain;
  r.prev = prev;
  r.hash = detail::audit::EntryHash(chain, seq, r);
  return r;
}

}  // namespace

TEST_CASE("audit: appends build one hash chain per tenant and one for the platform", "[audit]") {
  World w;
  auto a = w.Fill(kA, 5);
  auto b = w.Fill(kB, 3);
  auto p = w.log->Append(Entry(std::nullopt, "plan.update", 1));
  REQUIRE(p);
  CHECK(p->chain.is_platform());
  CHECK(p->seq == 1);
  CHECK(p->prev_hash == AuditGenesis(AuditChain::Platform()));

  // Each chain counts from 1 and links to its own genesis, then to its predecessor.
  CHECK(a.front().prev_hash == AuditGenesis(AuditChain::Tenant(kA)));
  CHECK(b.front().prev_hash == AuditGenesis(AuditChain::Tenant(kB)));
  CHECK(AuditGenesis(AuditChain::Tenant(kA)) != AuditGenesis(AuditChain::Tenant(kB)));
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].seq == static_cast<std::int64_t>(i + 1));
    if (i > 0) CHECK(a[i].prev_hash == a[i - 1].hash);
  }
  CHECK(b.back().seq == 3);
  CHECK(a[0].at == w.clock.Now() - 7s);  // times are the log's clock's
  CHECK(a[1].details == R"({"n":2,"why":"test"})");  // stored compact

  for (const auto& t : {kA, kB}) {
    auto v = w.Verify(t);
    CHECK(v.ok);
    CHECK(v.tamper == AuditTamper::kNone);
  }
  CHECK(w.Verify(kA).verified_through == 5);
  auto pv = w.log->Verify(AuditChain::Platform());
  REQUIRE(pv);
  CHECK(pv->ok);
  // A chain never written is empty and fine.
  auto empty = w.Verify(Tid("00000000000000cc"));
  CHECK(empty.ok);
  CHECK(empty.entries == 0);

  // Reopening continues each chain where it ended.
  w.Reopen();
  auto next = w.log->Append(Entry(kA, "vehicle.delete", 6));
  REQUIRE(next);
  CHECK(next->seq == 6);
  CHECK(next->prev_hash == a.back().hash);
  CHECK(w.Verify(kA).ok);
}

TEST_CASE("audit: invalid entries are refused and leave the chain untouched", "[audit]") {
  World w;
  w.Fill(kA, 2);
  auto refused = [&](auto mutate) {
    AuditEntry e = Entry(kA, "vehicle.update", 1);
    mutate(e);
    auto r = w.log->Append(e);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  };
  refused([](AuditEntry& e) { e.action = "noverb"; });
  refused([](AuditEntry& e) { e.action = "Tenant.Suspend"; });
  refused([](AuditEntry& e) { e.action = "tenant..suspend"; });
  refused([](AuditEntry& e) { e.action = "tenant.suspend."; });
  refused([](AuditEntry& e) { e.action = std::string(65, 'a') + ".b"; });
  refused([](AuditEntry& e) { e.actor.id.clear(); });
  refused([](AuditEntry& e) { e.actor.id = "evil\nline"; });
  refused([](AuditEntry& e) { e.actor.kind = static_cast<AuditActorKind>(42); });
  refused([](AuditEntry& e) { e.target = std::string("a\0b", 3); });
  refused([](AuditEntry& e) { e.target = std::string(513, 't'); });
  refused([](AuditEntry& e) { e.outcome = AuditOutcome::kFailed; e.code.clear(); });
  refused([](AuditEntry& e) { e.outcome = AuditOutcome::kSuccess; e.code = "oops"; });
  refused([](AuditEntry& e) { e.outcome = AuditOutcome::kDenied; e.code = "Not Allowed"; });
  refused([](AuditEntry& e) { e.request_id = "has space"; });
  refused([](AuditEntry& e) { e.details = "[1,2]"; });
  refused([](AuditEntry& e) { e.details = "{not json"; });
  refused([](AuditEntry& e) { e.details = R"({"x":")" + std::string(17000, 'x') + R"("})"; });
  refused([](AuditEntry& e) { e.tenant = TenantId(); });

  auto v = w.Verify(kA);
  CHECK(v.ok);
  CHECK(v.entries == 2);
  CHECK(IsValidAuditAction("api_key.create"));
  CHECK(IsValidAuditAction("tenant.quota.override"));
}

TEST_CASE("audit: each kind of tampering is detected and located", "[audit][tamper]") {
  World w;
  const std::string a = kA.str();
  auto records = w.Fill(kA, 10);
  w.Fill(kB, 4);
  REQUIRE(w.Verify(kA).ok);
  auto check = [&](AuditTamper kind, std::int64_t seq, std::int64_t through) {
    auto v = w.Verify(kA);
    INFO(v.message);
    CHECK_FALSE(v.ok);
    CHECK(v.tamper == kind);
    CHECK(v.seq == seq);
    CHECK(v.verified_through == through);
    CHECK(v.message.find(a) != std::string::npos);
    CHECK(w.Verify(kB).ok);  // the other tenant's chain is unaffected
  };
  RawDb raw(w.path);

  SECTION("a field of entry 4 modified") {
    raw.Exec("UPDATE tenancy_audit_entries SET target = 'vehicle:v999' WHERE chain = '" + a +
             "' AND seq = 4");
    check(AuditTamper::kModified, 4, 3);
  }
  SECTION("the outcome of entry 7 flipped (an integer field)") {
    raw.Exec("UPDATE tenancy_audit_entries SET outcome = 0, code = '' WHERE chain = '" + a +
             "' AND seq = 7");
    check(AuditTamper::kModified, 7, 6);
  }
  SECTION("the stored hash of entry 2 replaced") {
    raw.Exec("UPDATE tenancy_audit_entries SET hash = zeroblob(32) WHERE chain = '" + a +
             "' AND seq = 2");
    check(AuditTamper::kModified, 2, 1);
  }
  SECTION("entry 4 deleted") {
    raw.Exec("DELETE FROM tenancy_audit_entries WHERE chain = '" + a + "' AND seq = 4");
    check(AuditTamper::kDeleted, 4, 3);
  }
  SECTION("entry 4 deleted and later entries renumbered to close the gap") {
    raw.Exec("DELETE FROM tenancy_audit_entries WHERE chain = '" + a + "' AND seq = 4");
    raw.Shift(a, 5, -1);
    raw.Exec("UPDATE tenancy_audit_heads SET seq = 9, hash = (SELECT hash FROM "
             "tenancy_audit_entries WHERE chain = '" + a + "' AND seq = 9) WHERE chain = '" + a + "'");
    check(AuditTamper::kDeleted, 4, 3);
  }
  SECTION("a forged entry inserted at 4 with a correct hash, later entries renumbered") {
    const ChainRow third = raw.Load(a, 3);
    raw.Shift(a, 4, +1);
    raw.Store(a, Forge(a, 4, third.hash));
    check(AuditTamper::kInserted, 4, 3);
  }
  SECTION("a forged entry with a bogus hash inserted at 4") {
    raw.Shift(a, 4, +1);
    ChainRow junk = Forge(a, 4, Digest{});
    junk.hash[0] ^= 1;
    raw.Store(a, junk);
    check(AuditTamper::kInserted, 4, 3);
  }
  SECTION("entries 4 and 5 swapped") {
    raw.SetSeq(a, 4, 100);
    raw.SetSeq(a, 5, 4);
    raw.SetSeq(a, 100, 5);
    check(AuditTamper::kReordered, 4, 3);
  }
  SECTION("entries 3 and 8 swapped") {
    raw.SetSeq(a, 3, 100);
    raw.SetSeq(a, 8, 3);
    raw.SetSeq(a, 100, 8);
    check(AuditTamper::kReordered, 3, 2);
  }
  SECTION("the tail cut off (entries 8-10)") {
    raw.Exec("DELETE FROM tenancy_audit_entries WHERE chain = '" + a + "' AND seq >= 8");
    check(AuditTamper::kTruncated, 8, 7);
    // Appending onto a chain whose end disagrees with its head is refused.
    w.Reopen();
    auto r = w.log->Append(Entry(kA, "vehicle.update", 11));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kDataCorrupted);
  }
  SECTION("entry 4 rewritten and its hash recomputed: entry 5's link gives it away") {
    ChainRow four = raw.Load(a, 4);
    four.target = "vehicle:nothing-to-see";
    four.hash = detail::audit::EntryHash(a, 4, four);
    raw.Store(a, four);
    check(AuditTamper::kBrokenLink, 5, 3);
  }
  SECTION("the last entry rewritten with its hash recomputed: the head gives it away") {
    ChainRow last = raw.Load(a, 10);
    last.target = "vehicle:elsewhere";
    last.hash = detail::audit::EntryHash(a, 10, last);
    raw.Store(a, last);
    check(AuditTamper::kModified, 10, 9);
  }
  SECTION("a correctly hashed entry appended behind the log's back") {
    raw.Store(a, Forge(a, 11, raw.Load(a, 10).hash));
    check(AuditTamper::kInserted, 11, 10);
  }
  SECTION("the head deleted") {
    raw.Exec("DELETE FROM tenancy_audit_heads WHERE chain = '" + a + "'");
    check(AuditTamper::kBadHead, 10, 10);
  }
  SECTION("an entry of another tenant's chain moved into this one") {
    raw.Exec("DELETE FROM tenancy_audit_entries WHERE chain = '" + a + "' AND seq = 6");
    raw.Exec("UPDATE tenancy_audit_entries SET chain = '" + a + "', seq = 6 WHERE chain = '" +
             kB.str() + "' AND seq = 4");
    raw.Exec("UPDATE tenancy_audit_heads SET seq = 3, hash = (SELECT hash FROM "
             "tenancy_audit_entries WHERE chain = '" + kB.str() + "' AND seq = 3) WHERE chain = '" +
             kB.str() + "'");
    auto v = w.Verify(kA);
    CHECK_FALSE(v.ok);
    CHECK(v.seq == 6);
    CHECK(v.verified_through == 5);
  }
  CHECK(records.size() == 10);
}

TEST_CASE("audit: truncation with a rewritten head needs the head key or a checkpoint",
          "[audit][tamper]") {
  const auto cut = [](World& w, const std::string& a) {
    RawDb raw(w.path);
    const ChainRow seven = raw.Load(a, 7);
    raw.Exec("DELETE FROM tenancy_audit_entries WHERE chain = '" + a + "' AND seq >= 8");
    // The attacker points the head at the new end (hash of entry 7).
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(w.path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "UPDATE tenancy_audit_heads SET seq = 7, hash = ? WHERE chain = ?",
                               -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(s, 1, seven.hash.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a.c_str(), -1, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
  };
  const std::string a = kA.str();

  SECTION("without a key the chain looks whole; a checkpoint kept elsewhere catches it") {
    World w;
    w.Fill(kA, 10);
    auto heads = w.log->Heads(AuditScope::TenantAdmin(kA));
    REQUIRE(heads);
    REQUIRE(heads->size() == 1);
    const AuditHead checkpoint = heads->front();
    CHECK(checkpoint.seq == 10);
    cut(w, a);
    CHECK(w.Verify(kA).ok);  // the documented limit of an unkeyed head
    auto v = w.log->Verify(AuditChain::Tenant(kA), checkpoint);
    REQUIRE(v);
    CHECK_FALSE(v->ok);
    CHECK(v->tamper == AuditTamper::kTruncated);
    CHECK(v->seq == 8);
  }
  SECTION("with a head key the rewritten head fails its MAC") {
    World w(/*with_key=*/true);
    w.Fill(kA, 10);
    CHECK(w.Verify(kA).ok);
    cut(w, a);
    auto v = w.Verify(kA);
    CHECK_FALSE(v.ok);
    CHECK(v.tamper == AuditTamper::kBadHead);
    w.Reopen(/*with_key=*/true);
    auto r = w.log->Append(Entry(kA, "vehicle.update", 11));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kDataCorrupted);
  }
  SECTION("a checkpoint still matches an untouched chain, and a wrong one is caught") {
    World w;
    w.Fill(kA, 10);
    auto heads = w.log->Heads(AuditScope::Operator());
    REQUIRE(heads);
    AuditHead cp = heads->front();
    w.Fill(kA, 5, 11);
    auto v = w.log->Verify(AuditChain::Tenant(kA), cp);
    REQUIRE(v);
    CHECK(v->ok);
    cp.hash = std::string(64, 'a');
    v = w.log->Verify(AuditChain::Tenant(kA), cp);
    REQUIRE(v);
    CHECK_FALSE(v->ok);
    CHECK(v->seq == 10);
    cp.hash = "xyz";
    CHECK(w.log->Verify(AuditChain::Tenant(kA), cp).error().code == Errc::kInvalidArgument);
    CHECK(w.log->Verify(AuditChain::Tenant(kB), heads->front()).error().code ==
          Errc::kInvalidArgument);
  }
  SECTION("a head key of the wrong size is refused; the wrong key refuses appends") {
    World w(/*with_key=*/true);
    w.Fill(kA, 3);
    AuditOptions o = w.Options();
    o.head_key = SecretBytes::Random(16);
    CHECK(AuditLog::Open(std::move(o)).error().code == Errc::kInvalidArgument);
    w.log.reset();
    AuditOptions other = w.Options();
    other.head_key = SecretBytes::Random(32);
    auto log = AuditLog::Open(std::move(other));
    REQUIRE(log);
    CHECK((*log)->Append(Entry(kA, "vehicle.update", 4)).error().code == Errc::kDataCorrupted);
    auto v = (*log)->Verify(AuditChain::Tenant(kA));
    REQUIRE(v);
    CHECK(v->tamper == AuditTamper::kBadHead);
  }
}

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

AuditVerification Offline(const std::string& text) {
  std::istringstream in(text);
  auto v = VerifyExport(in);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("audit: an export verifies offline and tampered lines are located", "[audit][export]") {
  World w;
  w.Fill(kA, 6);
  w.Fill(kB, 2);
  std::ostringstream out;
  REQUIRE(w.log->Export(AuditScope::TenantAdmin(kA), out));
  const std::string text = out.str();
  // The tenant's export holds its chain only: no trace of the other tenant.
  CHECK(text.find(kB.str()) == std::string::npos);
  auto lines = Lines(text);
  REQUIRE(lines.size() == 8);  // chain line, 6 entries, head line

  // The database is gone for the offline check: only the text remains.
  w.log.reset();
  std::filesystem::remove(w.path);
  auto v = Offline(text);
  CHECK(v.ok);
  CHECK(v.entries == 6);
  CHECK(v.chain == kA.str());

  auto replace = [](std::string line, std::string_view from, std::string_view to) {
    auto pos = line.find(from);
    REQUIRE(pos != std::string::npos);
    return line.replace(pos, from.size(), to);
  };
  SECTION("a field edited in entry 3") {
    lines[3] = replace(lines[3], "vehicle:v3", "vehicle:v4");
    auto t = Offline(Join(lines));
    CHECK_FALSE(t.ok);
    CHECK(t.tamper == AuditTamper::kModified);
    CHECK(t.seq == 3);
  }
  SECTION("the actor kind changed in entry 2") {
    lines[2] = replace(lines[2], "tenant_admin", "operator");
    auto t = Offline(Join(lines));
    CHECK(t.tamper == AuditTamper::kModified);
    CHECK(t.seq == 2);
  }
  SECTION("entries 2 and 3 swapped") {
    std::swap(lines[2], lines[3]);
    auto t = Offline(Join(lines));
    CHECK(t.tamper == AuditTamper::kReordered);
    CHECK(t.seq == 2);
  }
  SECTION("entry 5 dropped") {
    lines.erase(lines.begin() + 5);
    auto t = Offline(Join(lines));
    CHECK(t.tamper == AuditTamper::kDeleted);
    CHECK(t.seq == 5);
  }
  SECTION("the last entries cut off, head kept") {
    lines.erase(lines.begin() + 5, lines.begin() + 7);
    auto t = Offline(Join(lines));
    CHECK(t.tamper == AuditTamper::kTruncated);
    CHECK(t.seq == 5);
  }
  SECTION("the file cut off before its head line") {
    lines.pop_back();
    auto t = Offline(Join(lines));
    CHECK_FALSE(t.ok);
    CHECK(t.tamper == AuditTamper::kTruncated);
  }
  SECTION("a line made unparsable") {
    lines[4] = lines[4].substr(0, lines[4].size() / 2);
    auto t = Offline(Join(lines));
    CHECK_FALSE(t.ok);
    CHECK(t.seq == 4);
  }
  SECTION("not an export at all") {
    std::istringstream empty("");
    CHECK(VerifyExport(empty).error().code == Errc::kInvalidArgument);
    std::istringstream junk("hello\n");
    CHECK(VerifyExport(junk).error().code == Errc::kInvalidArgument);
  }
}

TEST_CASE("audit: the operator's export covers every chain and verifies", "[audit][export]") {
  World w;
  w.Fill(kA, 3);
  w.Fill(kB, 4);
  REQUIRE(w.log->Append(Entry(std::nullopt, "plan.update", 1)));
  std::ostringstream out;
  REQUIRE(w.log->Export(AuditScope::Operator(), out));
  auto v = Offline(out.str());
  CHECK(v.ok);
  CHECK(v.entries == 8);
  // A tenant admin may not export someone else's chain.
  std::ostringstream denied;
  CHECK(w.log->Export(AuditScope::TenantAdmin(kA), denied, AuditChain::Tenant(kB)).error().code ==
        Errc::kPermissionDenied);
  CHECK(denied.str().empty());
  // Tampering in the second chain of the export names that chain.
  auto lines = Lines(out.str());
  for (auto& l : lines) {
    if (l.find(kB.str()) != std::string::npos && l.find("\"seq\":2") != std::string::npos &&
        l.find("audit.entry") != std::string::npos) {
      l.replace(l.find("vehicle.update"), 14, "vehicle.delete");
    }
  }
  auto t = Offline(Join(lines));
  CHECK_FALSE(t.ok);
  CHECK(t.chain == kB.str());
  CHECK(t.seq == 2);
}

TEST_CASE("audit: reads are scoped; tenant admins never see another tenant's entries",
          "[audit][scope]") {
  World w;
  w.Fill(kA, 25);
  w.Fill(kB, 25);
  REQUIRE(w.log->Append(Entry(std::nullopt, "plan.update", 1)));
  const auto scope_a = AuditScope::TenantAdmin(kA);

  // Paging through A's scope yields exactly A's entries, in order.
  std::vector<std::int64_t> seqs;
  AuditQuery q;
  q.limit = 7;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = w.log->Read(scope_a, q);
    REQUIRE(page);
    for (const auto& r : page->items) {
      CHECK(r.chain == AuditChain::Tenant(kA));
      seqs.push_back(r.seq);
    }
    if (page->next_cursor.empty()) break;
    q.after = page->next_cursor;
  }
  REQUIRE(seqs.size() == 25);
  for (std::size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == static_cast<std::int64_t>(i + 1));

  // Crafted cursors and chains pointing elsewhere are refused, never served.
  for (const std::string& cursor : {kB.str() + ":0", kB.str() + ":10", std::string("platform:0")}) {
    AuditQuery c;
    c.after = cursor;
    auto r = w.log->Read(scope_a, c);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kPermissionDenied);
  }
  for (const std::string& cursor : {std::string("garbage"), kA.str() + ":-1", kA.str() + ":1x",
                                   std::string(":5"), kA.str() + ":"}) {
    AuditQuery c;
    c.after = cursor;
    CHECK(w.log->Read(scope_a, c).error().code == Errc::kInvalidArgument);
  }
  AuditQuery other;
  other.chain = AuditChain::Tenant(kB);
  CHECK(w.log->Read(scope_a, other).error().code == Errc::kPermissionDenied);
  other.chain = AuditChain::Platform();
  CHECK(w.log->Read(scope_a, other).error().code == Errc::kPermissionDenied);
  auto heads = w.log->Heads(scope_a);
  REQUIRE(heads);
  REQUIRE(heads->size() == 1);
  CHECK(heads->front().chain == AuditChain::Tenant(kA));

  // The operator reads every chain, each entry once, across chain boundaries.
  std::set<std::pair<std::string, std::int64_t>> seen;
  AuditQuery all;
  all.limit = 9;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = w.log->Read(AuditScope::Operator(), all);
    REQUIRE(page);
    for (const auto& r : page->items) CHECK(seen.emplace(r.chain.name(), r.seq).second);
    if (page->next_cursor.empty()) break;
    all.after = page->next_cursor;
  }
  CHECK(seen.size() == 51);
  CHECK(w.log->Read(AuditScope::Operator(), AuditQuery{.limit = 0}).error().code ==
        Errc::kInvalidArgument);
  CHECK(w.log->Read(AuditScope::Operator(), AuditQuery{.limit = 1001}).error().code ==
        Errc::kInvalidArgument);
}

TEST_CASE("audit: filters narrow a scoped read", "[audit][scope]") {
  World w;
  const TimePoint start = w.clock.Now();
  w.Fill(kA, 12);
  REQUIRE(w.log->Append(Entry(kA, "tenant.suspend", 13)));
  w.Fill(kB, 12);
  auto read = [&](AuditQuery q) {
    q.limit = 100;
    auto r = w.log->Read(AuditScope::TenantAdmin(kA), q);
    REQUIRE(r);
    return r->items;
  };
  AuditQuery q;
  q.outcome = AuditOutcome::kDenied;
  auto denied = read(q);
  CHECK(denied.size() == 3);  // n = 3, 7, 11
  for (const auto& r : denied) CHECK(r.code == "permission_denied");
  q = {};
  q.action = "tenant.*";
  auto tenant_actions = read(q);
  REQUIRE(tenant_actions.size() == 1);
  CHECK(tenant_actions[0].seq == 13);
  q = {};
  q.action = "vehicle.update";
  CHECK(read(q).size() == 12);
  q = {};
  q.request_id = "req-5";
  auto by_request = read(q);
  REQUIRE(by_request.size() == 1);
  CHECK(by_request[0].chain == AuditChain::Tenant(kA));
  q = {};
  q.actor_id = "user-1";
  CHECK(read(q).size() == 5);  // n = 1, 4, 7, 10 and 13
  q = {};
  q.from = start + 3s;
  q.to = start + 6s;
  auto window = read(q);
  REQUIRE(window.size() == 3);
  CHECK(window.front().seq == 3);
  q = {};
  q.action = "tenant*";
  CHECK_FALSE(w.log->Read(AuditScope::TenantAdmin(kA), q));
}

TEST_CASE("audit: concurrent appenders on one chain leave an exact chain", "[audit][concurrency]") {
  World w;
  constexpr int kThreads = 4;
  constexpr int kEach = 150;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::int64_t>> got(kThreads + 1);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = w.log->Append(Entry(kA, "vehicle.update", t * 1000 + i));
        if (r)
          got[t].push_back(r->seq);
        else
          failures.fetch_add(1);
      }
    });
  }
  // Another tenant appends meanwhile: its chain is separate and exact too.
  threads.emplace_back([&] {
    for (int i = 0; i < kEach; ++i) {
      auto r = w.log->Append(Entry(kB, "vehicle.update", i));
      if (r)
        got[kThreads].push_back(r->seq);
      else
        failures.fetch_add(1);
    }
  });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  std::vector<std::int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    CHECK(std::is_sorted(got[t].begin(), got[t].end()));
    all.insert(all.end(), got[t].begin(), got[t].end());
  }
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == kThreads * kEach);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i] == static_cast<std::int64_t>(i + 1));
  auto v = w.Verify(kA);
  CHECK(v.ok);
  CHECK(v.verified_through == kThreads * kEach);
  auto vb = w.Verify(kB);
  CHECK(vb.ok);
  CHECK(vb.verified_through == kEach);
}

TEST_CASE("audit: scopes and actors come from authenticated contexts", "[audit][scope]") {
  testing::SecurityWorld sec;
  const Tenant acme = sec.Provision("acme");
  const Tenant globex = sec.Provision("globex");
  World w;

  const auto admin = sec.Context(acme, {"tenant_admin"}, {"usr_1", PrincipalKind::kUser});
  auto scope = AuditScope::ForContext(admin);
  REQUIRE(scope);
  CHECK_FALSE(scope->is_operator());
  CHECK(scope->tenant() == acme.id);
  CHECK(AuditActorOf(admin).kind == AuditActorKind::kTenantAdmin);
  CHECK(AuditActorOf(admin).id == "usr_1");

  // Without audit.read, no scope at all.
  const auto rider = sec.Context(acme, {"rider"}, {"usr_2", PrincipalKind::kUser});
  CHECK(AuditScope::ForContext(rider).error().code == Errc::kPermissionDenied);
  CHECK(AuditActorOf(rider).kind == AuditActorKind::kTenantUser);
  // A tenant user claiming a platform role gets nothing from it.
  const auto pretender = sec.Context(acme, {"platform_operator"}, {"usr_3", PrincipalKind::kUser});
  CHECK(AuditScope::ForContext(pretender).error().code == Errc::kPermissionDenied);
  // A real platform operator reads everything.
  const auto op = sec.Context(globex, {"platform_operator"}, {"op_1", PrincipalKind::kPlatformOperator});
  auto op_scope = AuditScope::ForContext(op);
  REQUIRE(op_scope);
  CHECK(op_scope->is_operator());
  CHECK(AuditActorOf(op).kind == AuditActorKind::kOperator);
  const auto key = sec.Context(acme, {"dispatcher"}, {"key_1", PrincipalKind::kApiKey});
  CHECK(AuditActorOf(key).kind == AuditActorKind::kApiKey);

  // Entries appended for each tenant; the admin's scope sees acme's only.
  for (const auto* t : {&acme, &globex}) {
    AuditEntry e = Entry(t->id, "tenant.update", 1);
    e.actor = AuditActorOf(t == &acme ? admin : op);
    REQUIRE(w.log->Append(e));
  }
  auto page = w.log->Read(*scope, {});
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].chain.tenant() == acme.id);
  CHECK(page->items[0].actor.id == "usr_1");
  auto everything = w.log->Read(*op_scope, {});
  REQUIRE(everything);
  CHECK(everything->items.size() == 2);
  auto json = ToJson(*page);
  CHECK(json.at("items").as_array().size() == 1);
  CHECK(json.at("items").as_array()[0].as_object().at("actor").as_object().at("kind").as_string() ==
        "tenant_admin");
}

TEST_CASE("audit: options are checked", "[audit]") {
  TempDir dir;
  AuditOptions o;
  CHECK(AuditLog::Open(std::move(o)).error().code == Errc::kInvalidArgument);
  AuditOptions n;
  n.path = (dir.path() / "a.db").string();
  n.clock = nullptr;
  CHECK(AuditLog::Open(std::move(n)).error().code == Errc::kInvalidArgument);
  {
    std::ofstream junk(dir.path() / "junk.db");
    junk << "this is not a database, just text long enough to fill a header page..........";
  }
  AuditOptions j;
  j.path = (dir.path() / "junk.db").string();
  auto r = AuditLog::Open(std::move(j));
  REQUIRE_FALSE(r);
  CHECK((r.error().code == Errc::kDataCorrupted || r.error().code == Errc::kStorage));
  CHECK(AuditChain::Parse("platform"));
  CHECK_FALSE(AuditChain::Parse("tn_xyz"));
  CHECK(ToString(AuditTamper::kBrokenLink) == "broken_link");
  CHECK(ParseAuditActorKind("api_key").value() == AuditActorKind::kApiKey);
  CHECK_FALSE(ParseAuditOutcome("maybe"));
}

}  // namespace tenancy

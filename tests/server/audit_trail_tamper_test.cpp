// The audit chains under attack and under load: a tenant's chain verifies
// after a real story; rows of audit.db modified, deleted, inserted or
// reordered with the sqlite3 API (beside the running server) are reported
// by the verify routes and by tenancyctl at the right position; admin
// actions from several threads leave chains that verify; tenancyctl
// verifies and exports offline.
#include "audit_trail_fixture.hpp"

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "contracts_fixture.hpp"
#include "ops/audit_chain.hpp"

#ifndef TENANCYCTL_PATH
#error "TENANCYCTL_PATH must name the tenancyctl binary"
#endif

namespace tenancyd::testing {
namespace {

namespace fs = std::filesystem;
using S = http::status;
using V = http::verb;

CommandResult Ctl(const fs::path& data, const std::string& args) {
  return RunCommand(std::string("'") + TENANCYCTL_PATH + "' --data '" + data.string() + "' " + args);
}

TEST_CASE("a tenant's chain verifies after a real story, online and offline", "[server][audit_trail]") {
  AuditServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  REQUIRE(s.As(a, V::patch, "/v1/settings", R"({"dispatch.radius_m":3000})").status() == 200);
  REQUIRE(s.As(a, V::patch, "/v1/pricing", R"({"currency":"EUR","base_fare":300})").status() == 200);
  const Answer key = s.As(a, V::post, "/v1/api-keys", R"({"name":"ci","roles":["dispatcher"]})");
  REQUIRE(key.status() == 201);
  REQUIRE(s.As(a, V::post, "/v1/vehicles", R"({"plate":"B-AB 1"})").status() == 201);
  REQUIRE(s.As(a, V::patch, "/v1/settings", R"({"dispatch.radius_m":1})", Str(key.json(), "key")).status() ==
          403);
  REQUIRE(s.As(a, V::delete_, "/v1/api-keys/" + Str(key.json(), "key_id")).status() == 204);
  REQUIRE(s.Op(V::post, "/v1/tenants/alpha/quarantine", R"({"reason":"load"})").status() == 200);
  REQUIRE(s.As(a, V::patch, "/v1/branding", R"({"name":"ro"})").status() == 403);
  REQUIRE(s.Op(V::post, "/v1/tenants/alpha/resume", R"({"reason":"ok"})").status() == 200);
  REQUIRE(s.Op(V::post, "/v1/tenants/alpha/rotate-key").status() == 200);
  REQUIRE(s.Op(V::post, "/v1/tenants/alpha/backup").status() == 200);
  REQUIRE(s.As(b, V::patch, "/v1/branding", R"({"name":"B"})").status() == 200);

  const auto chain = s.Chain(a.id);
  // Everything above on alpha but the vehicle (data plane): onboard,
  // settings, pricing, key created, the dispatcher's refusal, key revoked,
  // quarantine, the read-only refusal, resume, rotation, backup.
  REQUIRE(chain.size() == 11);
  const json::value v = s.As(a, V::get, "/v1/audit/verify").json();
  CHECK(v.at("ok").as_bool());
  CHECK(v.at("entries").as_int64() == 11);
  CHECK(v.at("verified_through").as_int64() == 11);
  CHECK(Str(v, "tamper") == "none");

  // tenancyctl, beside the running server, on the same directory.
  const CommandResult all = Ctl(s.world().data_dir(), "audit verify");
  INFO(all.output);
  CHECK(all.exit_code == 0);
  CHECK(all.output.find("ok        " + a.id) != std::string::npos);
  CHECK(all.output.find("ok        platform") != std::string::npos);
  // The tenant's export from the API, checked offline by tenancyctl.
  tenancy::testing::TempDir dir;
  const fs::path file = dir.path() / "alpha.jsonl";
  WriteFile(file, s.As(a, V::get, "/v1/audit/export").res.body());
  const CommandResult offline = RunCommand(std::string("'") + TENANCYCTL_PATH + "' audit verify --file '" +
                                           file.string() + "' --json");
  INFO(offline.output);
  CHECK(offline.exit_code == 0);
  const json::value report = json::parse(offline.output);
  CHECK(report.at("ok").as_bool());
  CHECK(report.at("chains").as_array()[0].at("entries").as_int64() == 11);
}

TEST_CASE("tampering with audit.db is reported by the verify routes at the right position",
          "[server][audit_trail]") {
  AuditServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  for (int i = 0; i < 5; ++i)
    REQUIRE(s.As(a, V::patch, "/v1/branding", R"({"name":"A)" + std::to_string(i) + R"("})").status() == 200);
  REQUIRE(s.As(b, V::patch, "/v1/branding", R"({"name":"B"})").status() == 200);
  const auto original = s.Chain(a.id);
  REQUIRE(original.size() == 6);
  const std::string& chain = a.id;
  RawAuditDb raw(s.audit_db());
  const std::string where = " WHERE chain = '" + chain + "'";

  // Every view must say the same: the tenant's route, the operator's, an
  // export checked offline, and tenancyctl; beta's chain is unaffected.
  const auto check = [&](std::string_view tamper, std::int64_t seq, std::int64_t through) {
    INFO("expected " << tamper << " at " << seq);
    const json::value mine = s.As(a, V::get, "/v1/audit/verify").json();
    const json::value ops = s.Op(V::get, "/v1/platform/audit/verify?chain=alpha").json();
    for (const json::value* v : {&mine, &ops}) {
      INFO(json::serialize(*v));
      CHECK_FALSE(v->at("ok").as_bool());
      CHECK(Str(*v, "chain") == chain);
      CHECK(Str(*v, "tamper") == tamper);
      CHECK(v->at("seq").as_int64() == seq);
      CHECK(v->at("verified_through").as_int64() == through);
      CHECK(Str(*v, "message").find(chain) != std::string::npos);
    }
    std::istringstream exported(s.As(a, V::get, "/v1/audit/export").res.body());
    auto offline = tenancy::VerifyExport(exported);
    REQUIRE(offline);
    CHECK_FALSE(offline->ok);
    CHECK(offline->seq == seq);
    const CommandResult ctl = Ctl(s.world().data_dir(), "audit verify");
    INFO(ctl.output);
    CHECK(ctl.exit_code == 1);
    CHECK(ctl.output.find("TAMPERED  " + chain) != std::string::npos);
    CHECK(ctl.output.find(std::string(tamper) + " at entry " + std::to_string(seq)) != std::string::npos);
    CHECK(ctl.output.find("ok        " + b.id) != std::string::npos);
    CHECK(s.As(b, V::get, "/v1/audit/verify").json().at("ok").as_bool());
  };

  SECTION("an entry modified") {
    raw.Exec("UPDATE tenancy_audit_entries SET target = 'settings:pricing'" + where + " AND seq = 3");
    check("modified", 3, 2);
  }
  SECTION("the actor of an entry replaced") {
    raw.Exec("UPDATE tenancy_audit_entries SET actor_id = 'someone-else'" + where + " AND seq = 5");
    check("modified", 5, 4);
  }
  SECTION("an entry deleted") {
    raw.Exec("DELETE FROM tenancy_audit_entries" + where + " AND seq = 3");
    check("deleted", 3, 2);
  }
  SECTION("the last entries deleted and the head rewritten to match") {
    raw.Exec("DELETE FROM tenancy_audit_entries" + where + " AND seq >= 5");
    raw.Exec("UPDATE tenancy_audit_heads SET seq = 4, hash = (SELECT hash FROM tenancy_audit_entries" +
             where + " AND seq = 4)" + where);
    // Without a head key nothing in the file can show this: the checkpoint
    // kept elsewhere does (Verify with the head of the original chain).
    tenancy::AuditHead checkpoint{tenancy::AuditChain::Tenant(tenancy::TenantId::Parse(chain).value()),
                                  original.back().seq, original.back().hash};
    auto v = s.log().Verify(checkpoint.chain, checkpoint);
    REQUIRE(v);
    CHECK_FALSE(v->ok);
    CHECK(v->verified_through == 4);
  }
  SECTION("a forged entry inserted, linked to its predecessor, later entries renumbered") {
    raw.Exec("UPDATE tenancy_audit_entries SET seq = -seq" + where + " AND seq >= 3");
    raw.Exec("UPDATE tenancy_audit_entries SET seq = -seq + 1" + where + " AND seq < 0");
    namespace audit = tenancy::detail::audit;
    audit::ChainRow forged;
    forged.at_ms = tenancy::ToUnixMillis(original[1].at) + 1;
    forged.actor_kind = static_cast<std::int64_t>(tenancy::AuditActorKind::kOperator);
    forged.actor_id = "mallory";
    forged.action = "tenant.resume";
    forged.target = "tenant:" + chain;
    REQUIRE(audit::ParseHex(original[1].hash, forged.prev));
    forged.hash = audit::EntryHash(chain, 3, forged);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw.get(),
                               "INSERT INTO tenancy_audit_entries (chain, seq, at_ms, actor_kind, "
                               "actor_id, action, target, outcome, code, request_id, details, "
                               "prev_hash, hash) VALUES (?, 3, ?, ?, ?, ?, ?, 0, '', '', '', ?, ?)",
                               -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, chain.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, forged.at_ms);
    sqlite3_bind_int64(st, 3, forged.actor_kind);
    sqlite3_bind_text(st, 4, forged.actor_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, forged.action.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, forged.target.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 7, forged.prev.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 8, forged.hash.data(), 32, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    check("inserted", 3, 2);
  }
  SECTION("two entries swapped") {
    raw.Exec("UPDATE tenancy_audit_entries SET seq = 100" + where + " AND seq = 3");
    raw.Exec("UPDATE tenancy_audit_entries SET seq = 3" + where + " AND seq = 4");
    raw.Exec("UPDATE tenancy_audit_entries SET seq = 4" + where + " AND seq = 100");
    check("reordered", 3, 2);
  }
}

TEST_CASE("admin actions from several threads leave chains that verify", "[server][audit_trail]") {
  AuditServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  const Onboarded c = s.world().Onboard("gamma");
  constexpr int kEach = 12;
  std::atomic<int> lost{0};  // exchanges that did not complete
  std::atomic<int> ok{0};
  // Each request answered, whatever its status, is exactly one entry.
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  const auto run = [&](int t, auto fn) {
    threads.emplace_back([&, t, fn] {
      for (int i = 0; i < kEach; ++i) {
        const std::optional<Answer> ans = fn(i);
        if (!ans || ans->request_id.empty()) {
          ++lost;
          continue;
        }
        if (ans->status() == 200) ++ok;
        ids[t].push_back(ans->request_id);
      }
    });
  };
  // Two threads on alpha's chain, one on beta's, one operator on gamma's
  // and the platform's.
  for (int t : {0, 1})
    run(t, [&, t](int i) {
      return s.TryCall(V::patch, "/t/alpha/v1/branding", a.key,
                       R"({"name":"T)" + std::to_string(t) + "-" + std::to_string(i) + R"("})");
    });
  run(2, [&](int i) {
    return s.TryCall(V::patch, "/t/beta/v1/settings", b.key,
                     R"({"dispatch.radius_m":)" + std::to_string(1000 + i) + "}");
  });
  run(3, [&](int) { return s.TryCall(V::post, "/v1/tenants/gamma/rotate-key", s.op()); });
  for (auto& t : threads) t.join();
  REQUIRE(lost.load() == 0);
  CHECK(ok.load() > 2 * kEach);

  const auto count = [&](const std::string& chain, const std::vector<std::string>& want) {
    const auto entries = s.Chain(chain);
    std::set<std::string> seen;
    for (const auto& e : entries) seen.insert(e.request_id);
    for (const auto& id : want) CHECK(seen.count(id) == 1);
    return entries.size();
  };
  std::vector<std::string> alpha_ids = ids[0];
  alpha_ids.insert(alpha_ids.end(), ids[1].begin(), ids[1].end());
  CHECK(count(a.id, alpha_ids) == 1 + 2 * kEach);
  CHECK(count(b.id, ids[2]) == 1 + kEach);
  CHECK(count(c.id, ids[3]) == 1 + kEach);
  CHECK(count("platform", ids[3]) == 3 + kEach);
  for (const std::string& chain : {std::string("platform"), a.id, b.id, c.id}) {
    INFO(chain);
    const json::value v = s.Op(V::get, "/v1/platform/audit/verify?chain=" + chain).json();
    CHECK(v.at("ok").as_bool());
  }
  CHECK(s.platform().audit_trail().failures() == 0);
  CHECK(s.platform().audit_trail().appended() == s.All().size());
}

TEST_CASE("tenancyctl audit works on audit.db alone and refuses what is not there",
          "[server][audit_trail]") {
  tenancy::testing::TempDir copy;
  {
    AuditServer s;
    const Onboarded a = s.world().Onboard("alpha");
    REQUIRE(s.As(a, V::patch, "/v1/branding", R"({"name":"A"})").status() == 200);
    // Export through tenancyctl, to a file and to stdout.
    const fs::path out = copy.path() / "all.jsonl";
    const CommandResult written = Ctl(s.world().data_dir(), "audit export '" + out.string() + "'");
    INFO(written.output);
    REQUIRE(written.exit_code == 0);
    const CommandResult one = Ctl(s.world().data_dir(), "audit export --chain " + a.id);
    REQUIRE(one.exit_code == 0);
    CHECK(one.output.find("\"chain\":\"" + a.id + "\"") != std::string::npos);
    CHECK(one.output.find("\"chain\":\"platform\"") == std::string::npos);
    const CommandResult checked = Ctl(s.world().data_dir(), "audit verify --file '" + out.string() + "'");
    INFO(checked.output);
    CHECK(checked.exit_code == 0);
  }
  // Nothing of the data directory but audit.db: verified, nothing created.
  tenancy::testing::TempDir server;  // a directory holding a copy of audit.db only
  {
    AuditServer s;
    s.world().Onboard("alpha");
    fs::copy_file(s.audit_db(), server.path() / "audit.db");
    for (const char* suffix : {"-wal"})
      if (fs::exists(s.audit_db().string() + suffix))
        fs::copy_file(s.audit_db().string() + suffix, server.path() / (std::string("audit.db") + suffix));
  }
  const CommandResult alone = Ctl(server.path(), "audit verify --json");
  INFO(alone.output);
  CHECK(alone.exit_code == 0);
  CHECK(json::parse(alone.output).at("chains").as_array().size() == 2);  // platform, alpha
  CHECK_FALSE(fs::exists(server.path() / "control.db"));
  CHECK_FALSE(fs::exists(server.path() / "master.key"));

  // No audit.db: an error, and none is created.
  tenancy::testing::TempDir empty;
  const CommandResult missing = Ctl(empty.path(), "audit verify");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("no audit log") != std::string::npos);
  CHECK_FALSE(fs::exists(empty.path() / "audit.db"));
  // Bad usage.
  CHECK(Ctl(empty.path(), "audit").exit_code == 2);
  CHECK(Ctl(empty.path(), "audit frobnicate").exit_code == 2);
  CHECK(Ctl(server.path(), "audit verify --chain nope").exit_code == 2);
  CHECK(Ctl(server.path(), "audit verify --bogus x").exit_code == 2);
  // A damaged export is refused offline with the position.
  const fs::path damaged = copy.path() / "damaged.jsonl";
  {
    std::ifstream in(copy.path() / "all.jsonl");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"action\":\"branding.update\"");
    REQUIRE(at != std::string::npos);
    text.replace(at, 26, "\"action\":\"branding.delete\"");
    WriteFile(damaged, text);
  }
  const CommandResult bad = RunCommand(std::string("'") + TENANCYCTL_PATH + "' audit verify --file '" +
                                       damaged.string() + "'");
  INFO(bad.output);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("TAMPERED") != std::string::npos);
  CHECK(bad.output.find("modified at entry 2") != std::string::npos);
}

}  // namespace
}  // namespace tenancyd::testing

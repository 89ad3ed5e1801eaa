// Master-key rotation beyond data keys: token-signing keys are re-wrapped,
// API-key hashes move to the new master on first use, and the counts say
// when the old master key can leave the key file.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/security_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

TokenRequest RiderToken() {
  TokenRequest r;
  r.subject = "u1";
  r.roles = {"rider"};
  r.audience = "app";
  return r;
}

// Appends master key "m2" and restarts the world, as an operator would.
void RotateMaster(SecurityWorld& w) {
  REQUIRE(WriteNewMasterKey(w.key_file(), "m2", /*append=*/true));
  w.Reopen();
  REQUIRE((*w.keys().Current())->id == "m2");
}

// Rewrites the key file with m2 only and restarts: m1 is gone for good.
void DropOldMaster(SecurityWorld& w) {
  const std::string text = ReadFileBytes(w.key_file());
  const auto at = text.find("m2:");
  REQUIRE(at != std::string::npos);
  WriteFileBytes(w.key_file(), text.substr(at));
  REQUIRE(::chmod(w.key_file().c_str(), 0600) == 0);
  w.Reopen();
  REQUIRE_FALSE(w.keys().Get("m1"));
}

MasterKeyUses Uses(SecurityWorld& w) {
  MasterKeyUses uses;
  REQUIRE(w.keyring().CountMasterKeyUses(uses));
  REQUIRE(w.auth().CountMasterKeyUses(uses));
  return uses;
}

MasterKeyUse UseOf(const MasterKeyUses& uses, std::string_view id) {
  const auto it = uses.find(id);
  return it == uses.end() ? MasterKeyUse{} : it->second;
}

std::vector<std::string> SigningRows(SecurityWorld& w, const char* column) {
  RawDb db(w.control_db());
  std::vector<std::string> out;
  for (auto& r : db.Query(std::string("SELECT ") + column + " FROM tenancy_signing_keys ORDER BY kid"))
    out.push_back(r[0].value_or("<null>"));
  return out;
}

}  // namespace

TEST_CASE("signing keys are re-wrapped under the new master key; retired secrets are erased",
          "[auth][keys][rotation]") {
  SecurityWorld w;
  auto acme = w.Provision("acme");
  auto globex = w.Provision("globex");
  auto first = w.auth().IssueToken(acme.id, RiderToken());
  REQUIRE(first);
  REQUIRE(w.auth().IssueToken(globex.id, RiderToken()));
  // acme: an older key retired, a current one; globex: one current key.
  auto retired_kid = w.auth().RotateSigningKey(acme.id);
  REQUIRE(retired_kid);
  auto middle = w.auth().IssueToken(acme.id, RiderToken());  // signed by the key retired below
  REQUIRE(middle);
  auto current_kid = w.auth().RotateSigningKey(acme.id);
  REQUIRE(current_kid);
  REQUIRE(w.auth().RetireSigningKey(acme.id, *retired_kid));
  auto second = w.auth().IssueToken(acme.id, RiderToken());
  REQUIRE(second);

  RotateMaster(w);
  CHECK(UseOf(Uses(w), "m1").signing_keys == 4);
  const auto wrapped_before = SigningRows(w, "wrapped_secret");

  auto changed = w.auth().RewrapSigningKeys();
  REQUIRE(changed);
  CHECK(*changed == 4);
  CHECK(UseOf(Uses(w), "m1").signing_keys == 0);
  CHECK(UseOf(Uses(w), "m2").signing_keys == 3);  // the retired one holds no secret now
  const auto wrapped_after = SigningRows(w, "wrapped_secret");
  REQUIRE(wrapped_after.size() == wrapped_before.size());
  std::size_t erased = 0;
  for (std::size_t i = 0; i < wrapped_after.size(); ++i) {
    CHECK(wrapped_after[i] != wrapped_before[i]);
    if (wrapped_after[i].empty()) ++erased;
  }
  CHECK(erased == 1);
  for (const auto& m : SigningRows(w, "master_key_id")) CHECK(m == "m2");
  CHECK(w.auth().RewrapSigningKeys().value() == 0);  // idempotent

  // Without m1 at all, both tenants still sign, and old tokens still verify.
  DropOldMaster(w);
  CHECK(w.auth().VerifyToken(*first, "app"));
  CHECK(w.auth().VerifyToken(*second, "app"));
  auto third = w.auth().IssueToken(acme.id, RiderToken());
  REQUIRE(third);
  CHECK(w.auth().VerifyToken(*third, "app"));
  CHECK(w.auth().IssueToken(globex.id, RiderToken()));
  // The retired key's tokens stay refused.
  CHECK_FALSE(w.auth().VerifyToken(*middle, "app"));
}

TEST_CASE("re-wrapping signing keys is all or nothing", "[auth][keys][rotation]") {
  SecurityWorld w;
  auto acme = w.Provision("acme");
  auto globex = w.Provision("globex");
  REQUIRE(w.auth().IssueToken(acme.id, RiderToken()));
  REQUIRE(w.auth().IssueToken(globex.id, RiderToken()));
  RotateMaster(w);
  const auto before = SigningRows(w, "wrapped_secret");
  REQUIRE(before.size() == 2);

  SECTION("a damaged wrapped secret stops the whole run") {
    {
      RawDb db(w.control_db());
      db.Query("UPDATE tenancy_signing_keys SET wrapped_secret = ?2 WHERE tenant_id = ?1",
               {globex.id.str()}, {{2, std::string(104, 'x')}});
    }
    const auto damaged = SigningRows(w, "wrapped_secret");
    REQUIRE(damaged != before);
    auto r = w.auth().RewrapSigningKeys();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kDataCorrupted);
    for (const auto& m : SigningRows(w, "master_key_id")) CHECK(m == "m1");
    CHECK(SigningRows(w, "wrapped_secret") == damaged);  // acme's row was not re-wrapped either
  }
  SECTION("a master key the provider no longer has stops the whole run") {
    DropOldMaster(w);
    auto r = w.auth().RewrapSigningKeys();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kNotFound);
    CHECK(SigningRows(w, "wrapped_secret") == before);
  }
}

TEST_CASE("API keys move to the new master key the first time they are used",
          "[auth][apikey][rotation]") {
  SecurityWorld w;
  auto acme = w.Provision("acme");
  auto used = w.auth().CreateApiKey(acme.id, "used", {"dispatcher"});
  auto unused = w.auth().CreateApiKey(acme.id, "unused", {"dispatcher"});
  auto revoked = w.auth().CreateApiKey(acme.id, "revoked", {"dispatcher"});
  auto platform = w.auth().CreateApiKey(TenantId{}, "ops", {"platform_operator"});
  REQUIRE((used && unused && revoked && platform));
  REQUIRE(w.auth().RevokeApiKey(acme.id, revoked->info.key_id));
  CHECK(UseOf(Uses(w), "m1").api_keys == 3);  // revoked keys depend on nothing

  RotateMaster(w);
  CHECK(UseOf(Uses(w), "m1").api_keys == 3);
  CHECK(UseOf(Uses(w), "m2").api_keys == 0);
  REQUIRE(w.auth().AuthenticateApiKey(used->key));
  REQUIRE(w.auth().AuthenticateApiKey(platform->key));
  CHECK(UseOf(Uses(w), "m1").api_keys == 1);
  CHECK(UseOf(Uses(w), "m2").api_keys == 2);
  // A wrong secret for a stale key moves nothing.
  std::string wrong = unused->key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(w.auth().AuthenticateApiKey(wrong));
  CHECK(UseOf(Uses(w), "m1").api_keys == 1);

  // Without m1: re-hashed keys work, the never-presented one cannot be
  // checked any more (which is what the count warned about), and the
  // revoked one stays refused.
  DropOldMaster(w);
  auto again = w.auth().AuthenticateApiKey(used->key);
  REQUIRE(again);
  CHECK((*again)->tenant == acme.id);
  CHECK(w.auth().AuthenticateApiKey(platform->key));
  auto stale = w.auth().AuthenticateApiKey(unused->key);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == Errc::kUnauthenticated);
  CHECK_FALSE(w.auth().AuthenticateApiKey(revoked->key));
}

TEST_CASE("a stale API key presented by many threads at once is re-hashed once and always accepted",
          "[auth][apikey][rotation][threads]") {
  SecurityWorld w;
  auto acme = w.Provision("acme");
  std::vector<NewApiKey> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(w.auth().CreateApiKey(acme.id, "k", {"rider"}).value());
  RotateMaster(w);
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round)
        for (const auto& k : keys)
          if (!w.auth().AuthenticateApiKey(k.key)) refused.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(refused.load() == 0);
  const auto uses = Uses(w);
  CHECK(UseOf(uses, "m1").api_keys == 0);
  CHECK(UseOf(uses, "m2").api_keys == 8);
  DropOldMaster(w);
  for (const auto& k : keys) CHECK(w.auth().AuthenticateApiKey(k.key));
}

TEST_CASE("the keyring counts data keys per master key", "[crypto][keyring][rotation]") {
  SecurityWorld w;
  auto acme = w.Provision("acme");
  w.Provision("globex");
  REQUIRE(w.keyring().Rotate(acme.id));
  CHECK(UseOf(Uses(w), "m1").data_keys == 3);
  RotateMaster(w);
  REQUIRE(w.keyring().Rotate(acme.id));  // wrapped under m2 from the start
  CHECK(UseOf(Uses(w), "m1").data_keys == 3);
  CHECK(UseOf(Uses(w), "m2").data_keys == 1);
  REQUIRE(w.keyring().RewrapAll().value() == 3);
  const auto uses = Uses(w);
  CHECK(UseOf(uses, "m1").data_keys == 0);
  CHECK(UseOf(uses, "m2").data_keys == 4);
  CHECK(uses.find("m1") == uses.end());
}

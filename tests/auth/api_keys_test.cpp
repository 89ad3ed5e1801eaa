// API keys: creation, one-time secrets, uniform refusals, revocation, tenant
// state, platform keys and audited impersonation.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/security_fixture.hpp"
#include "tenancy/authz.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

// ApiKeyInfo (what listing returns) has no field for the secret; only the
// creation result does.
template <class T>
concept CarriesKey = requires(T t) { t.key; };
static_assert(!CarriesKey<ApiKeyInfo>);
static_assert(CarriesKey<NewApiKey>);

struct KeyParts {
  std::string tenant, key_id, secret;
};

KeyParts Split(const std::string& key) {
  KeyParts p;
  REQUIRE(key.starts_with("tk."));
  const auto d1 = key.find('.', 3), d2 = key.find('.', d1 + 1);
  REQUIRE(d2 != std::string::npos);
  p.tenant = key.substr(3, d1 - 3);
  p.key_id = key.substr(d1 + 1, d2 - d1 - 1);
  p.secret = key.substr(d2 + 1);
  return p;
}

void CheckInvalid(const Result<std::shared_ptr<const Authenticated>>& r, const std::string& secret) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kUnauthenticated);
  CHECK(r.error().message == "invalid credentials");
  CHECK_FALSE(ContainsBytes(r.error().message, secret));
}

}  // namespace

TEST_CASE("a created API key authenticates as its tenant", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto created = world.auth().CreateApiKey(acme.id, "dispatch console", {"dispatcher", "rider"},
                                           {"rides:write", "fleet.read"});
  REQUIRE(created);
  const auto parts = Split(created->key);
  CHECK(parts.tenant == acme.id.str());
  CHECK(parts.key_id == created->info.key_id);
  CHECK(parts.key_id.size() == 12);
  CHECK(parts.secret.size() == 43);  // 32 bytes, base64url without padding
  CHECK(Base64UrlDecode(parts.secret)->size() == 32);
  CHECK(created->info.tenant == acme.id.str());
  CHECK(created->info.name == "dispatch console");
  CHECK(created->info.created_at == world.clock().Now());
  CHECK_FALSE(created->info.last_used_at);
  CHECK_FALSE(created->info.revoked_at);

  auto who = world.auth().AuthenticateApiKey(created->key);
  REQUIRE(who);
  CHECK((*who)->tenant == acme.id);
  CHECK_FALSE((*who)->platform());
  CHECK((*who)->principal.kind == PrincipalKind::kApiKey);
  CHECK((*who)->principal.id == created->info.key_id);
  CHECK((*who)->credential_id == created->info.key_id);
  CHECK((*who)->roles == std::vector<std::string>{"dispatcher", "rider"});
  CHECK((*who)->scopes == std::vector<std::string>{"rides:write", "fleet.read"});
  CHECK((*who)->expires_at == TimePoint::max());

  auto ctx = world.auth().ContextFor(**who, "req-1", "0af7651916cd43dd8448eb211c80319c");
  REQUIRE(ctx);
  CHECK(ctx->tenant_id() == acme.id);
  CHECK(ctx->principal().kind == PrincipalKind::kApiKey);
  CHECK(ctx->HasRole("dispatcher"));
  CHECK(ctx->request_id() == "req-1");
  CHECK(Require(*ctx, Permission::kRidesDispatch));
  CHECK(Require(*ctx, Permission::kUsersManage).error().code == Errc::kPermissionDenied);

  // Keys are distinct, and a restart keeps them working.
  auto second = world.auth().CreateApiKey(acme.id, "second", {"rider"});
  REQUIRE(second);
  CHECK(Split(second->key).secret != parts.secret);
  CHECK(second->info.key_id != created->info.key_id);
  world.Reopen();
  CHECK(world.auth().AuthenticateApiKey(created->key));
  CHECK(world.auth().AuthenticateApiKey(second->key).value()->roles == std::vector<std::string>{"rider"});
}

TEST_CASE("the secret is shown once and stored only as a keyed hash", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto created = world.auth().CreateApiKey(acme.id, "ci", {"tenant_admin"});
  REQUIRE(created);
  REQUIRE(world.auth().AuthenticateApiKey(created->key));
  const auto parts = Split(created->key);

  auto list = world.auth().ListApiKeys(acme.id);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  const ApiKeyInfo& info = (*list)[0];
  CHECK(info.key_id == created->info.key_id);
  CHECK(info.name == "ci");
  CHECK(info.roles == std::vector<std::string>{"tenant_admin"});
  for (const std::string* field : {&info.key_id, &info.tenant, &info.name})
    CHECK_FALSE(ContainsBytes(*field, parts.secret));
  CHECK(world.auth().ListApiKeys(world.Provision("beta").id)->empty());

  const auto raw_secret = Base64UrlDecode(parts.secret).value();
  const std::string raw(raw_secret.begin(), raw_secret.end());
  auto check_files = [&](const char* when) {
    INFO(when);
    // The scan sees the control database: the key id is stored in the clear.
    CHECK_FALSE(FilesContaining(world.dir().path(), parts.key_id).empty());
    CHECK(FilesContaining(world.dir().path(), parts.secret).empty());
    CHECK(FilesContaining(world.dir().path(), parts.secret.substr(0, 16)).empty());
    CHECK(FilesContaining(world.dir().path(), raw).empty());
    CHECK(FilesContaining(world.dir().path(), created->key).empty());
  };
  check_files("running");
  world.Close();
  check_files("closed");

  // What is stored is 32 bytes that are not the secret, nor its plain hash.
  RawDb db(world.control_db());
  auto rows = db.Query("SELECT hash FROM tenancy_api_keys WHERE key_id = ?1", {parts.key_id});
  REQUIRE(rows.size() == 1);
  const std::string stored = *rows[0][0];
  CHECK(stored.size() == 32);
  CHECK(stored != raw);
  unsigned char unkeyed[32];
  crypto_generichash(unkeyed, sizeof unkeyed, raw_secret.data(), raw_secret.size(), nullptr, 0);
  CHECK(stored != std::string(reinterpret_cast<const char*>(unkeyed), 32));
  unsigned char sha[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(sha, raw_secret.data(), raw_secret.size());
  CHECK(stored != std::string(reinterpret_cast<const char*>(sha), 32));
}

TEST_CASE("every malformed or altered key gets the same refusal", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto beta = world.Provision("beta");
  auto created = world.auth().CreateApiKey(acme.id, "k", {"rider"});
  REQUIRE(created);
  auto beta_key = world.auth().CreateApiKey(beta.id, "k", {"rider"});
  REQUIRE(beta_key);
  const std::string key = created->key;
  const auto p = Split(key);
  const auto b = Split(beta_key->key);
  REQUIRE(world.auth().AuthenticateApiKey(key));  // cached now: refusals below hit the cache too

  std::string garbled = p.secret;
  garbled[10] = garbled[10] == 'A' ? 'B' : 'A';
  std::string flipped_last = p.secret;
  // The last character carries 4 bits of data and 2 unused bits; a different
  // character with the same data bits is non-canonical and must not pass.
  {
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto idx = alphabet.find(flipped_last.back());
    REQUIRE(idx != std::string::npos);
    flipped_last.back() = alphabet[idx ^ 0x1];
  }
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"empty", ""},
      {"prefix only", "tk."},
      {"wrong prefix", "tx." + key.substr(3)},
      {"upper-case prefix", "TK." + key.substr(3)},
      {"no prefix", key.substr(3)},
      {"bearer-style", "Bearer " + key},
      {"tenant part edited to another tenant", "tk." + beta.id.str() + "." + p.key_id + "." + p.secret},
      {"tenant part edited to platform", "tk.platform." + p.key_id + "." + p.secret},
      {"tenant part not an id", "tk.acme." + p.key_id + "." + p.secret},
      {"another key's id", "tk." + p.tenant + "." + b.key_id + "." + p.secret},
      {"another key's secret", "tk." + p.tenant + "." + p.key_id + "." + b.secret},
      {"unknown key id", "tk." + p.tenant + ".000000000000." + p.secret},
      {"upper-case key id", "tk." + p.tenant + "." + [&] {
         std::string u = p.key_id;
         for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
         return u == p.key_id ? u + "X" : u;
       }() + "." + p.secret},
      {"truncated secret", key.substr(0, key.size() - 1)},
      {"truncated more", key.substr(0, key.size() - 4)},
      {"extended secret", key + "A"},
      {"extended by a block", key + "AAAA"},
      {"padded secret", key + "="},
      {"garbled secret", "tk." + p.tenant + "." + p.key_id + "." + garbled},
      {"non-canonical last character", "tk." + p.tenant + "." + p.key_id + "." + flipped_last},
      {"standard base64 alphabet", "tk." + p.tenant + "." + p.key_id + "." + [&] {
         std::string s = p.secret;
         for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
         return s == p.secret ? s.substr(0, 42) + "+" : s;
       }()},
      {"extra segment", key + ".x"},
      {"missing secret", "tk." + p.tenant + "." + p.key_id + "."},
      {"missing key id", "tk." + p.tenant + "." + p.secret},
      {"whitespace", key + " "},
      {"leading whitespace", " " + key},
      {"NUL inside", key.substr(0, 20) + std::string(1, '\0') + key.substr(21)},
      {"oversized", key + std::string(200, 'A')},
      {"huge", std::string(1 << 20, 'x')},
  };
  for (const auto& [what, text] : bad) {
    INFO(what);
    CheckInvalid(world.auth().AuthenticateApiKey(text), p.secret);
  }
  // None of that disturbed the real key.
  CHECK(world.auth().AuthenticateApiKey(key));
  CHECK(world.auth().AuthenticateApiKey(beta_key->key).value()->tenant == beta.id);
}

TEST_CASE("a key's first uses race on 4 threads; the right secret passes and no other does",
          "[auth][apikey][concurrency]") {
  // The first verification remembers the secret's text for later requests;
  // threads racing to be first, and refusals mixed in, must not disturb it.
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto created = world.auth().CreateApiKey(acme.id, "k", {"rider"});
  REQUIRE(created);
  const std::string key = created->key;
  const auto p = Split(key);
  std::string wrong = p.secret;
  wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
  const std::string wrong_key = "tk." + p.tenant + "." + p.key_id + "." + wrong;
  std::atomic<int> passed{0}, wrongly_passed{0}, wrongly_refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const bool right = (i + t) % 3 != 0;
        auto r = world.auth().AuthenticateApiKey(right ? key : wrong_key);
        if (right && r) ++passed;
        if (right && !r) ++wrongly_refused;
        if (!right && r) ++wrongly_passed;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(wrongly_passed == 0);
  CHECK(wrongly_refused == 0);
  CHECK(passed > 0);
  CheckInvalid(world.auth().AuthenticateApiKey(wrong_key), p.secret);
  CHECK(world.auth().AuthenticateApiKey(key).value()->tenant == acme.id);
}

TEST_CASE("revocation, tenant state and offboarding end a key", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto created = world.auth().CreateApiKey(acme.id, "k", {"rider"});
  REQUIRE(created);
  const std::string secret = Split(created->key).secret;
  REQUIRE(world.auth().AuthenticateApiKey(created->key));

  SECTION("revoked: refused at once, also after a restart") {
    CHECK(world.auth().RevokeApiKey(world.Provision("beta").id, created->info.key_id).error().code ==
          Errc::kNotFound);  // another tenant cannot revoke it
    REQUIRE(world.auth().AuthenticateApiKey(created->key));
    REQUIRE(world.auth().RevokeApiKey(acme.id, created->info.key_id));
    CheckInvalid(world.auth().AuthenticateApiKey(created->key), secret);
    CHECK(world.auth().RevokeApiKey(acme.id, created->info.key_id).error().code == Errc::kNotFound);
    auto list = world.auth().ListApiKeys(acme.id);
    REQUIRE(list->size() == 1);
    CHECK((*list)[0].revoked_at == world.clock().Now());
    world.Reopen();
    CheckInvalid(world.auth().AuthenticateApiKey(created->key), secret);
  }
  SECTION("revoked by another process: seen within the cache TTL") {
    auto other = Authenticator::Open(world.auth_options(), world.directory(), world.keys());
    REQUIRE(other);
    REQUIRE((*other)->RevokeApiKey(acme.id, created->info.key_id));
    world.clock().Advance(std::chrono::seconds(31));  // > api_key_cache_ttl (30 s)
    CheckInvalid(world.auth().AuthenticateApiKey(created->key), secret);
  }
  SECTION("suspended: kTenantSuspended, and back after reactivation") {
    world.Suspend(acme);
    auto r = world.auth().AuthenticateApiKey(created->key);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kTenantSuspended);
    // A wrong secret for a suspended tenant is still just invalid.
    CheckInvalid(world.auth().AuthenticateApiKey(created->key.substr(0, created->key.size() - 2) + "AA"),
                 secret);
    CHECK(world.auth().CreateApiKey(acme.id, "new", {"rider"}).error().code == Errc::kTenantSuspended);
    world.Activate(acme);
    CHECK(world.auth().AuthenticateApiKey(created->key));
  }
  SECTION("offboarded: kUnauthenticated") {
    world.Offboard(acme);
    CheckInvalid(world.auth().AuthenticateApiKey(created->key), secret);
    world.Reopen();
    CheckInvalid(world.auth().AuthenticateApiKey(created->key), secret);
    CHECK(world.auth().CreateApiKey(acme.id, "new", {"rider"}).error().code == Errc::kTenantUnknown);
  }
}

TEST_CASE("last use is recorded", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto created = world.auth().CreateApiKey(acme.id, "k", {"rider"});
  REQUIRE(created);
  CHECK_FALSE(world.auth().ListApiKeys(acme.id).value()[0].last_used_at);

  world.clock().Advance(std::chrono::seconds(10));
  const TimePoint used = world.clock().Now();
  REQUIRE(world.auth().AuthenticateApiKey(created->key));
  auto info = world.auth().ListApiKeys(acme.id).value()[0];
  REQUIRE(info.last_used_at);
  CHECK(ToUnixMillis(*info.last_used_at) == ToUnixMillis(used));

  // Persisted (written back on first use), so a restart still knows.
  world.Reopen();
  info = world.auth().ListApiKeys(acme.id).value()[0];
  REQUIRE(info.last_used_at);
  CHECK(ToUnixMillis(*info.last_used_at) == ToUnixMillis(used));

  // A failed attempt is not a use.
  world.clock().Advance(std::chrono::minutes(5));
  CHECK_FALSE(world.auth().AuthenticateApiKey(created->key + "A"));
  CHECK(ToUnixMillis(*world.auth().ListApiKeys(acme.id).value()[0].last_used_at) == ToUnixMillis(used));
  REQUIRE(world.auth().AuthenticateApiKey(created->key));
  CHECK(ToUnixMillis(*world.auth().ListApiKeys(acme.id).value()[0].last_used_at) ==
        ToUnixMillis(world.clock().Now()));
}

TEST_CASE("roles must match the kind of key", "[auth][apikey]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  for (const char* role : {"platform_operator", "support_readonly"}) {
    auto r = world.auth().CreateApiKey(acme.id, "k", {"rider", role});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
  for (const char* role : {"tenant_admin", "rider", "custom_role"}) {
    auto r = world.auth().CreateApiKey(TenantId{}, "ops", {"platform_operator", role});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
  CHECK(world.auth().CreateApiKey(acme.id, "k", {}).error().code == Errc::kInvalidArgument);
  CHECK(world.auth().CreateApiKey(acme.id, "", {"rider"}).error().code == Errc::kInvalidArgument);
  CHECK(world.auth().CreateApiKey(acme.id, "k", {"Bad Role"}).error().code == Errc::kInvalidArgument);
  CHECK(world.auth().CreateApiKey(acme.id, "k", {"rider"}, {"bad scope!"}).error().code ==
        Errc::kInvalidArgument);
  CHECK(world.auth().CreateApiKey(TenantId::Generate(), "k", {"rider"}).error().code ==
        Errc::kTenantUnknown);
  CHECK(world.auth().ListApiKeys(acme.id)->empty());  // nothing was created
}

TEST_CASE("platform keys act in tenants only by audited impersonation", "[auth][apikey][platform]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto ops = world.auth().CreateApiKey(TenantId{}, "ops", {"platform_operator"});
  REQUIRE(ops);
  CHECK(ops->key.starts_with("tk.platform."));
  CHECK(ops->info.tenant == "platform");
  auto who = world.auth().AuthenticateApiKey(ops->key);
  REQUIRE(who);
  CHECK((*who)->platform());
  CHECK((*who)->tenant.empty());
  CHECK((*who)->principal.kind == PrincipalKind::kPlatformOperator);
  CHECK(world.auth().ListApiKeys(TenantId{})->size() == 1);

  // Never implicitly.
  auto implicit = world.auth().ContextFor(**who, "req-0");
  REQUIRE_FALSE(implicit);
  CHECK(implicit.error().code == Errc::kPermissionDenied);

  // A reason is mandatory, and nothing is recorded without one.
  CHECK(world.auth().Impersonate(**who, acme.id, "", "req-1").error().code == Errc::kInvalidArgument);
  CHECK(world.auth().Impersonate(**who, acme.id, std::string(501, 'r'), "req-1").error().code ==
        Errc::kInvalidArgument);
  CHECK(world.auth().Impersonations(acme.id)->empty());

  world.clock().Advance(std::chrono::seconds(5));
  auto ctx = world.auth().Impersonate(**who, acme.id, "ticket #4711: refund stuck", "req-2");
  REQUIRE(ctx);
  CHECK(ctx->tenant_id() == acme.id);
  CHECK(ctx->principal().kind == PrincipalKind::kPlatformOperator);
  CHECK(ctx->principal().id == ops->info.key_id);
  CHECK(ctx->request_id() == "req-2");
  CHECK(Require(*ctx, Permission::kFleetWrite));

  auto log = world.auth().Impersonations(acme.id);
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK((*log)[0].operator_id == ops->info.key_id);
  CHECK((*log)[0].tenant == acme.id.str());
  CHECK((*log)[0].reason == "ticket #4711: refund stuck");
  CHECK((*log)[0].request_id == "req-2");
  CHECK((*log)[0].at == world.clock().Now());
  world.Reopen();
  CHECK(world.auth().Impersonations(acme.id)->size() == 1);  // durable

  SECTION("support staff get a read-only context") {
    auto support = world.auth().CreateApiKey(TenantId{}, "support", {"support_readonly"});
    REQUIRE(support);
    auto sw = world.auth().AuthenticateApiKey(support->key);
    REQUIRE(sw);
    auto sctx = world.auth().Impersonate(**sw, acme.id, "customer asked", "req-3");
    REQUIRE(sctx);
    const PermissionSet held = PermissionsOf(*sctx);
    CHECK(held.Has(Permission::kFleetRead));
    CHECK(held.Has(Permission::kTenantRead));
    for (Permission p : {Permission::kFleetWrite, Permission::kTenantAdmin, Permission::kUsersManage,
                         Permission::kRidesDispatch, Permission::kRidesBook, Permission::kRidesDrive}) {
      CAPTURE(ToString(p));
      CHECK_FALSE(held.Has(p));
    }
    auto denied = Require(*sctx, Permission::kFleetWrite);
    REQUIRE_FALSE(denied);
    CHECK(denied.error().code == Errc::kPermissionDenied);
    CHECK(world.auth().Impersonations(acme.id)->size() == 2);
    CHECK(world.auth().Impersonations(acme.id).value()[1].operator_id == support->info.key_id);
  }
  SECTION("tenant credentials cannot impersonate") {
    auto tenant_key = world.auth().CreateApiKey(acme.id, "admin", {"tenant_admin"});
    REQUIRE(tenant_key);
    auto tw = world.auth().AuthenticateApiKey(tenant_key->key);
    REQUIRE(tw);
    auto beta = world.Provision("beta");
    CHECK(world.auth().Impersonate(**tw, beta.id, "because", "req-4").error().code ==
          Errc::kPermissionDenied);
    CHECK(world.auth().Impersonations(beta.id)->empty());
  }
  SECTION("unknown and offboarded tenants cannot be entered") {
    auto w2 = world.auth().AuthenticateApiKey(ops->key);
    REQUIRE(w2);
    const TenantId ghost = TenantId::Generate();
    CHECK(world.auth().Impersonate(**w2, ghost, "look", "req-5").error().code == Errc::kTenantUnknown);
    CHECK(world.auth().Impersonations(ghost)->empty());
    world.Offboard(acme);
    CHECK(world.auth().Impersonate(**w2, acme.id, "look", "req-6").error().code == Errc::kTenantUnknown);
  }
  SECTION("a suspended tenant can still be entered by an operator") {
    world.Suspend(acme);
    auto w2 = world.auth().AuthenticateApiKey(ops->key);
    REQUIRE(w2);
    CHECK(world.auth().Impersonate(**w2, acme.id, "investigate suspension", "req-7"));
  }
  SECTION("a revoked platform key is refused") {
    REQUIRE(world.auth().RevokeApiKey(TenantId{}, ops->info.key_id));
    CheckInvalid(world.auth().AuthenticateApiKey(ops->key), Split(ops->key).secret);
  }
}

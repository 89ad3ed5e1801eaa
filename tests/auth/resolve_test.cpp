// Tenant resolution: host (subdomain, custom domain), header, path prefix and
// token claim; unknown, suspended and malformed names; chain order; and the
// credential check after authentication.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "support/security_fixture.hpp"
#include "tenancy/resolve.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

struct Facts {
  std::string host, path = "/";
  std::map<std::string, std::string> headers;
  const Authenticated* credential = nullptr;

  RequestFacts Get() const {
    RequestFacts f;
    f.host = host;
    f.path = path;
    f.header = [this](std::string_view name) -> std::optional<std::string_view> {
      for (const auto& [k, v] : headers) {
        if (k.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < k.size(); ++i)
          same = same && std::tolower(static_cast<unsigned char>(k[i])) ==
                             std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return std::string_view(v);
      }
      return std::nullopt;
    };
    f.credential = credential;
    return f;
  }
};

struct ResolveWorld {
  SecurityWorld world;
  Tenant acme, beta, sleepy;
  ResolveWorld() {
    acme = world.Provision("acme", IsolationModel::kShared, "rides.acme.example");
    beta = world.Provision("beta");
    sleepy = world.Provision("sleepy", IsolationModel::kShared, "rides.sleepy.example");
    world.Suspend(sleepy);
  }
  TenantResolver Resolver(std::vector<ResolvedBy> chain = {ResolvedBy::kHost, ResolvedBy::kHeader,
                                                           ResolvedBy::kPathPrefix, ResolvedBy::kTokenClaim},
                          std::string base = "rides.test") {
    ResolverOptions o;
    o.base_domain = std::move(base);
    o.chain = std::move(chain);
    return TenantResolver(world.directory(), o);
  }
};

Errc Code(const Result<Resolution>& r) { return r ? Errc::kOk : r.error().code; }

}  // namespace

TEST_CASE("hosts resolve by subdomain and custom domain", "[auth][resolve]") {
  ResolveWorld w;
  auto resolver = w.Resolver();
  // One Facts for all calls: a Resolution's path views into it.
  Facts facts;
  facts.path = "/rides/7";
  auto by_host = [&](std::string host) {
    facts.host = std::move(host);
    return resolver.Resolve(facts.Get());
  };

  for (const char* host : {"acme.rides.test", "ACME.Rides.Test", "acme.rides.test:8443",
                           "Acme.RIDES.test:443", "rides.acme.example", "RIDES.ACME.EXAMPLE:443"}) {
    CAPTURE(host);
    auto r = by_host(host);
    REQUIRE(r);
    CHECK(r->tenant->id == w.acme.id);
    CHECK(r->by == ResolvedBy::kHost);
    CHECK(r->path == "/rides/7");
  }
  CHECK(by_host("beta.rides.test")->tenant->id == w.beta.id);

  // Named but unknown.
  CHECK(Code(by_host("ghost.rides.test")) == Errc::kTenantUnknown);
  CHECK(Code(by_host("ghost.rides.test:80")) == Errc::kTenantUnknown);
  // Deeper names under the base domain are not a tenant's (no suffix games).
  CHECK(Code(by_host("x.acme.rides.test")) == Errc::kTenantUnknown);
  // Suspended.
  CHECK(Code(by_host("sleepy.rides.test")) == Errc::kTenantSuspended);
  CHECK(Code(by_host("rides.sleepy.example")) == Errc::kTenantSuspended);
  // Malformed labels.
  CHECK(Code(by_host("ac_me.rides.test")) == Errc::kInvalidArgument);
  CHECK(Code(by_host("-acme.rides.test")) == Errc::kInvalidArgument);

  // Hosts that are not ours name no tenant: they must not be mistaken for
  // one by suffix or prefix matching.
  for (const char* host : {"evil.example.com:443", "evil.example.com", "acme.rides.test.evil.com",
                           "acme.rides.test.evil.com:443", "evilrides.test", "xacme.rides.testx",
                           "rides.test", "rides.test:443", "acme.example.com", "rides.acme.example.evil",
                           "localhost", "127.0.0.1:8080", "[::1]:8080", "", ":443", "acme.rides.test@evil.com",
                           "acme", "..", "."}) {
    CAPTURE(host);
    auto r = by_host(host);
    if (r) FAIL("host " << host << " resolved to " << r->tenant->slug);
    CHECK((r.error().code == Errc::kNotFound || r.error().code == Errc::kInvalidArgument));
  }
  CHECK(Code(by_host(std::string(300, 'a') + ".rides.test")) == Errc::kNotFound);  // oversized: ignored

  SECTION("without a base domain only custom domains resolve") {
    auto custom_only = w.Resolver({ResolvedBy::kHost}, "");
    Facts f;
    f.host = "acme.rides.test";
    CHECK(Code(custom_only.Resolve(f.Get())) == Errc::kNotFound);
    f.host = "rides.acme.example:8080";
    CHECK(custom_only.Resolve(f.Get())->tenant->id == w.acme.id);
  }
  SECTION("a changed custom domain stops resolving at once") {
    TenantUpdate u;
    u.custom_domain = std::optional<std::string>{};
    REQUIRE(w.world.directory().Update(w.acme.id, u));
    CHECK(Code(by_host("rides.acme.example")) == Errc::kNotFound);
  }
}

TEST_CASE("headers name a tenant by id or slug", "[auth][resolve]") {
  ResolveWorld w;
  auto resolver = w.Resolver();
  auto by_header = [&](std::string value, std::string name = "X-Tenant") {
    Facts f;
    f.headers[name] = std::move(value);
    return resolver.Resolve(f.Get());
  };
  CHECK(by_header("acme")->tenant->id == w.acme.id);
  CHECK(by_header("acme")->by == ResolvedBy::kHeader);
  CHECK(by_header(w.beta.id.str())->tenant->id == w.beta.id);
  CHECK(by_header("acme", "x-tenant")->tenant->id == w.acme.id);  // lookup is the caller's, case-blind
  CHECK(Code(by_header("ghost")) == Errc::kTenantUnknown);
  CHECK(Code(by_header(TenantId::Generate().str())) == Errc::kTenantUnknown);
  CHECK(Code(by_header("sleepy")) == Errc::kTenantSuspended);
  CHECK(Code(by_header(w.sleepy.id.str())) == Errc::kTenantSuspended);
  for (const char* bad : {"ACME", "acme;drop", "../acme", "acme ", " acme", "a/b", "tn_XYZ", "acme.rides.test",
                          "-acme", "acme\n"}) {
    CAPTURE(bad);
    CHECK(Code(by_header(bad)) == Errc::kInvalidArgument);
  }
  CHECK(Code(by_header(std::string(64, 'a'))) == Errc::kInvalidArgument);  // longer than a DNS label
  CHECK(Code(by_header("")) == Errc::kNotFound);                           // empty: no opinion
  CHECK(Code(by_header("acme", "X-Other")) == Errc::kNotFound);

  SECTION("a configured header name") {
    ResolverOptions o;
    o.header = "X-Org";
    TenantResolver custom(w.world.directory(), o);
    Facts f;
    f.headers["X-Org"] = "beta";
    CHECK(custom.Resolve(f.Get())->tenant->id == w.beta.id);
    f.headers = {{"X-Tenant", "beta"}};
    CHECK(Code(custom.Resolve(f.Get())) == Errc::kNotFound);
  }
  SECTION("offboarded tenants are unknown by slug and by id") {
    w.world.Offboard(w.beta);
    CHECK(Code(by_header("beta")) == Errc::kTenantUnknown);
    CHECK(Code(by_header(w.beta.id.str())) == Errc::kTenantUnknown);
  }
}

TEST_CASE("path prefixes name a tenant and the rest of the path is returned", "[auth][resolve]") {
  ResolveWorld w;
  auto resolver = w.Resolver();
  auto by_path = [&](std::string path) {
    Facts f;
    f.path = std::move(path);
    auto r = resolver.Resolve(f.Get());
    // Resolution::path views into the facts: copy it out before they die.
    return std::make_pair(Code(r), r ? std::make_pair(r->tenant->slug, std::string(r->path))
                                     : std::make_pair(std::string(), std::string()));
  };
  CHECK(by_path("/t/acme/rides/42") == std::make_pair(Errc::kOk, std::make_pair(std::string("acme"),
                                                                                std::string("/rides/42"))));
  CHECK(by_path("/t/acme") == std::make_pair(Errc::kOk, std::make_pair(std::string("acme"), std::string("/"))));
  CHECK(by_path("/t/acme/") == std::make_pair(Errc::kOk, std::make_pair(std::string("acme"), std::string("/"))));
  CHECK(by_path("/t/" + w.beta.id.str() + "/x").second.first == "beta");
  CHECK(by_path("/t/ghost/x").first == Errc::kTenantUnknown);
  CHECK(by_path("/t/sleepy/x").first == Errc::kTenantSuspended);
  CHECK(by_path("/t/").first == Errc::kInvalidArgument);
  CHECK(by_path("/t//rides").first == Errc::kInvalidArgument);
  CHECK(by_path("/t/ACME/rides").first == Errc::kInvalidArgument);
  CHECK(by_path("/t/..%2facme/rides").first == Errc::kInvalidArgument);
  CHECK(by_path("/t/ac%20me/rides").first == Errc::kInvalidArgument);
  CHECK(by_path("/tx/acme/rides").first == Errc::kNotFound);
  CHECK(by_path("/rides/t/acme").first == Errc::kNotFound);
  CHECK(by_path("t/acme/rides").first == Errc::kNotFound);
  CHECK(by_path("").first == Errc::kNotFound);

  // Elsewhere in the chain the path is passed on untouched.
  Facts f;
  f.host = "acme.rides.test";
  f.path = "/t/beta/rides";
  auto r = resolver.Resolve(f.Get());
  REQUIRE(r);
  CHECK(r->tenant->id == w.acme.id);
  CHECK(r->path == "/t/beta/rides");
}

TEST_CASE("the token claim names the credential's tenant", "[auth][resolve]") {
  ResolveWorld w;
  auto resolver = w.Resolver();
  auto token = w.world.auth().IssueToken(w.beta.id, {.subject = "u1", .roles = {"rider"}, .audience = "app"});
  REQUIRE(token);
  auto who = w.world.auth().VerifyToken(*token, "app");
  REQUIRE(who);
  Facts f;
  f.credential = who->get();
  auto r = resolver.Resolve(f.Get());
  REQUIRE(r);
  CHECK(r->tenant->id == w.beta.id);
  CHECK(r->by == ResolvedBy::kTokenClaim);
  CHECK(TenantResolver::CheckCredential(*r, **who));

  // A platform credential names no tenant.
  auto ops = w.world.auth().CreateApiKey(TenantId{}, "ops", {"platform_operator"});
  auto op = w.world.auth().AuthenticateApiKey(ops->key);
  REQUIRE(op);
  f.credential = op->get();
  CHECK(Code(resolver.Resolve(f.Get())) == Errc::kNotFound);

  // A suspended tenant's credential.
  Authenticated sleepy_user;
  sleepy_user.tenant = w.sleepy.id;
  f.credential = &sleepy_user;
  CHECK(Code(resolver.Resolve(f.Get())) == Errc::kTenantSuspended);
}

TEST_CASE("strategies are tried in the configured order", "[auth][resolve]") {
  ResolveWorld w;
  auto token = w.world.auth().IssueToken(w.acme.id, {.subject = "u1", .roles = {"rider"}, .audience = "app"});
  auto who = w.world.auth().VerifyToken(*token, "app");
  REQUIRE(who);
  Facts f;
  f.host = "beta.rides.test";
  f.headers["X-Tenant"] = w.acme.id.str();
  f.path = "/t/sleepy/rides";
  f.credential = who->get();

  CHECK(w.Resolver().Resolve(f.Get())->tenant->id == w.beta.id);  // default: host first
  auto header_first = w.Resolver({ResolvedBy::kHeader, ResolvedBy::kHost}).Resolve(f.Get());
  REQUIRE(header_first);
  CHECK(header_first->tenant->id == w.acme.id);
  CHECK(header_first->by == ResolvedBy::kHeader);
  // Path first: names a suspended tenant, and that decides (no fall-through).
  CHECK(Code(w.Resolver({ResolvedBy::kPathPrefix, ResolvedBy::kHost}).Resolve(f.Get())) ==
        Errc::kTenantSuspended);
  auto claim_first = w.Resolver({ResolvedBy::kTokenClaim, ResolvedBy::kHost}).Resolve(f.Get());
  REQUIRE(claim_first);
  CHECK(claim_first->by == ResolvedBy::kTokenClaim);
  CHECK(claim_first->tenant->id == w.acme.id);
  CHECK(Code(w.Resolver({}).Resolve(f.Get())) == Errc::kNotFound);  // empty chain names nobody

  // A strategy that finds nothing lets the next one try…
  f.host = "evil.example.com:443";
  CHECK(w.Resolver().Resolve(f.Get())->tenant->id == w.acme.id);  // via the header
  // …but one that names an unknown tenant stops the chain.
  f.host = "ghost.rides.test";
  CHECK(Code(w.Resolver().Resolve(f.Get())) == Errc::kTenantUnknown);
  // A disabled strategy is not consulted.
  f.host = "beta.rides.test";
  auto no_host = w.Resolver({ResolvedBy::kHeader});
  CHECK(no_host.Resolve(f.Get())->tenant->id == w.acme.id);
}

TEST_CASE("CheckCredential denies other tenants' and platform credentials", "[auth][resolve]") {
  ResolveWorld w;
  auto resolver = w.Resolver();
  Facts f;
  f.host = "acme.rides.test";
  auto resolved = resolver.Resolve(f.Get());
  REQUIRE(resolved);

  auto acme_key = w.world.auth().CreateApiKey(w.acme.id, "k", {"rider"});
  auto beta_key = w.world.auth().CreateApiKey(w.beta.id, "k", {"rider"});
  auto ops_key = w.world.auth().CreateApiKey(TenantId{}, "ops", {"platform_operator"});
  auto acme_who = w.world.auth().AuthenticateApiKey(acme_key->key);
  auto beta_who = w.world.auth().AuthenticateApiKey(beta_key->key);
  auto ops_who = w.world.auth().AuthenticateApiKey(ops_key->key);
  REQUIRE(acme_who);
  REQUIRE(beta_who);
  REQUIRE(ops_who);

  CHECK(TenantResolver::CheckCredential(*resolved, **acme_who));
  auto mismatch = TenantResolver::CheckCredential(*resolved, **beta_who);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == Errc::kTenantMismatch);
  auto platform = TenantResolver::CheckCredential(*resolved, **ops_who);
  REQUIRE_FALSE(platform);
  CHECK(platform.error().code == Errc::kPermissionDenied);
}

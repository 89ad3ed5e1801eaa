// The route table: matching, parameters, 405, the /t/{tenant} prefix, and
// routes that would be open by mistake.
#include "server_fixture.hpp"

#include <stdexcept>

#include "router.hpp"

namespace tenancyd::testing {
namespace {

using tenancy::Permission;

Handler Named(std::string name) {
  return [name](Exchange&) -> tenancy::Result<Response> {
    return JsonResponse(http::status::ok, json::object{{"route", name}});
  };
}

Router Sample() {
  Router r;
  r.Add({.method = http::verb::get, .pattern = "/healthz", .handler = Named("health")});
  r.Add({.method = http::verb::get, .pattern = "/v1/tenants/{tenant}", .scope = Scope::kPlatform,
         .permission = Permission::kPlatformTenantsRead, .handler = Named("read")});
  r.Add({.method = http::verb::patch, .pattern = "/v1/tenants/{tenant}", .scope = Scope::kPlatform,
         .permission = Permission::kPlatformTenantsAdmin, .handler = Named("patch")});
  r.Add({.method = http::verb::post, .pattern = "/v1/tenants/{tenant}/suspend",
         .scope = Scope::kPlatform, .permission = Permission::kPlatformTenantsAdmin,
         .handler = Named("suspend")});
  r.Add({.method = http::verb::get, .pattern = "/v1/ping", .scope = Scope::kTenant,
         .permission = Permission::kTenantRead, .handler = Named("ping")});
  r.Add({.method = http::verb::get, .pattern = "/.well-known/jwks.json",
         .scope = Scope::kTenantPublic, .handler = Named("jwks"), .root_requires_host = true});
  return r;
}

TEST_CASE("routes match whole paths and capture parameters", "[server][router]") {
  const Router r = Sample();
  auto m = r.Find(http::verb::get, "/v1/tenants/acme");
  REQUIRE(m.route);
  CHECK(m.route->pattern == "/v1/tenants/{tenant}");
  CHECK(m.params.Get("tenant") == "acme");
  CHECK_FALSE(m.via_prefix);

  auto s = r.Find(http::verb::post, "/v1/tenants/tn_0011223344556677/suspend");
  REQUIRE(s.route);
  CHECK(s.params.Get("tenant") == "tn_0011223344556677");

  for (std::string_view miss : {"/v1/tenants", "/v1/tenants/", "/v1/tenants/acme/", "/v1/tenants//suspend",
                                "/v1/tenants/acme/suspend/x", "/healthz/", "//healthz", "", "healthz",
                                "/HEALTHZ"}) {
    INFO(miss);
    const auto none = r.Find(http::verb::get, miss);
    CHECK_FALSE(none.route);
  }
}

TEST_CASE("a path served for other methods answers 405 with Allow", "[server][router]") {
  const Router r = Sample();
  auto m = r.Find(http::verb::delete_, "/v1/tenants/acme");
  CHECK_FALSE(m.route);
  CHECK(m.allow == "GET, PATCH");
  auto none = r.Find(http::verb::delete_, "/nowhere");
  CHECK(none.allow.empty());
}

TEST_CASE("tenant routes are also reachable under /t/{tenant}", "[server][router]") {
  const Router r = Sample();
  auto m = r.Find(http::verb::get, "/t/acme/v1/ping");
  REQUIRE(m.route);
  CHECK(m.route->pattern == "/v1/ping");
  CHECK(m.via_prefix);
  auto j = r.Find(http::verb::get, "/t/acme/.well-known/jwks.json");
  REQUIRE(j.route);
  CHECK(j.via_prefix);
  // Platform and public routes are not tenant-scoped.
  CHECK_FALSE(r.Find(http::verb::get, "/t/acme/healthz").route);
  CHECK_FALSE(r.Find(http::verb::get, "/t/acme/v1/tenants/x").route);
  CHECK_FALSE(r.Find(http::verb::get, "/t//v1/ping").route);
  CHECK_FALSE(r.Find(http::verb::get, "/t/acme").route);
}

TEST_CASE("routes that would be open by mistake are refused at set-up", "[server][router]") {
  Router r;
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/v1/x", .scope = Scope::kTenant,
                         .handler = Named("x")}),
                  std::logic_error);
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/v1/x", .scope = Scope::kPlatform,
                         .handler = Named("x")}),
                  std::logic_error);
  // Scope and permission must agree.
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/v1/x", .scope = Scope::kPlatform,
                         .permission = Permission::kTenantRead, .handler = Named("x")}),
                  std::logic_error);
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/v1/x", .scope = Scope::kTenant,
                         .permission = Permission::kPlatformTenantsAdmin, .handler = Named("x")}),
                  std::logic_error);
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "v1/x", .handler = Named("x")}),
                  std::logic_error);
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/v1/{x", .handler = Named("x")}),
                  std::logic_error);
  // Longer than an access-log record holds (Router::kMaxPatternBytes).
  CHECK_THROWS_AS(r.Add({.method = http::verb::get, .pattern = "/" + std::string(128, 'a'),
                         .handler = Named("x")}),
                  std::logic_error);
  CHECK(r.routes().empty());
  CHECK_NOTHROW(r.Add({.method = http::verb::get, .pattern = "/" + std::string(127, 'a'),
                       .handler = Named("x")}));
}

TEST_CASE("every route of the app declares a permission fitting its scope", "[server][router]") {
  AppWorld w;
  std::size_t guarded = 0;
  for (const Route& route : w.app().router().routes()) {
    INFO(route.pattern);
    if (route.scope == Scope::kTenant || route.scope == Scope::kPlatform) {
      CHECK(route.permission.has_value());
      ++guarded;
    }
    if (route.pattern.starts_with("/v1/tenants")) CHECK(route.scope == Scope::kPlatform);
  }
  CHECK(guarded >= 14);
}

}  // namespace
}  // namespace tenancyd::testing

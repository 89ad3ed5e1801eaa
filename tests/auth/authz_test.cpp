// Authorization: permission names, the built-in roles, platform roles on
// non-operators, custom roles, and Require's refusals.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "support/security_fixture.hpp"
#include "tenancy/authz.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

using P = Permission;

std::vector<Permission> AllPermissions() {
  std::vector<Permission> all;
  for (std::size_t i = 0; i < kPermissionCount; ++i) all.push_back(static_cast<Permission>(i));
  return all;
}

std::string Names(PermissionSet s) {
  std::string out;
  for (Permission p : AllPermissions())
    if (s.Has(p)) out += std::string(out.empty() ? "" : ",") + std::string(ToString(p));
  return "{" + out + "}";
}

}  // namespace

TEST_CASE("permission names round-trip", "[auth][authz]") {
  const std::map<Permission, std::string_view> names = {
      {P::kTenantRead, "tenant.read"},
      {P::kTenantAdmin, "tenant.admin"},
      {P::kUsersManage, "users.manage"},
      {P::kFleetRead, "fleet.read"},
      {P::kFleetWrite, "fleet.write"},
      {P::kRidesBook, "rides.book"},
      {P::kRidesDispatch, "rides.dispatch"},
      {P::kRidesDrive, "rides.drive"},
      {P::kBillingRead, "billing.read"},
      {P::kAuditRead, "audit.read"},
      {P::kPlatformTenantsRead, "platform.tenants.read"},
      {P::kPlatformTenantsAdmin, "platform.tenants.admin"},
      {P::kPlatformImpersonate, "platform.impersonate"},
  };
  REQUIRE(names.size() == kPermissionCount);
  for (const auto& [p, name] : names) {
    CHECK(ToString(p) == name);
    CHECK(ParsePermission(name).value() == p);
  }
  CHECK(ToString(static_cast<Permission>(kPermissionCount)) == "unknown");
  for (const char* bad : {"", "fleet", "FLEET.WRITE", "fleet.write ", "unknown", "platform.*"}) {
    auto r = ParsePermission(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
  CHECK(ParsePermission(std::string(10000, 'x')).error().message.size() < 200);  // not echoed in full

  PermissionSet s{P::kFleetRead};
  CHECK(s.Has(P::kFleetRead));
  CHECK_FALSE(s.Has(P::kFleetWrite));
  s.Add(P::kFleetWrite);
  CHECK(s.Has(P::kFleetWrite));
  s |= PermissionSet{P::kAuditRead};
  CHECK(s == PermissionSet{P::kFleetRead, P::kFleetWrite, P::kAuditRead});
}

TEST_CASE("built-in roles hold exactly their permissions", "[auth][authz]") {
  // The role table: tenant roles never hold platform permissions; read-only
  // roles never hold a write; drivers and riders only their own actions.
  const std::map<std::string_view, PermissionSet> expected = {
      {roles::kPlatformOperator,
       {P::kPlatformTenantsRead, P::kPlatformTenantsAdmin, P::kPlatformImpersonate, P::kTenantRead,
        P::kAuditRead}},
      {roles::kSupportReadOnly,
       {P::kPlatformTenantsRead, P::kPlatformImpersonate, P::kTenantRead, P::kFleetRead, P::kBillingRead,
        P::kAuditRead}},
      {roles::kTenantAdmin,
       {P::kTenantRead, P::kTenantAdmin, P::kUsersManage, P::kFleetRead, P::kFleetWrite, P::kRidesBook,
        P::kRidesDispatch, P::kBillingRead, P::kAuditRead}},
      {roles::kDispatcher, {P::kTenantRead, P::kFleetRead, P::kFleetWrite, P::kRidesBook, P::kRidesDispatch}},
      {roles::kDriver, {P::kTenantRead, P::kRidesDrive}},
      {roles::kRider, {P::kTenantRead, P::kRidesBook}},
      {roles::kBillingViewer, {P::kTenantRead, P::kBillingRead}},
  };
  const PermissionSet platform{P::kPlatformTenantsRead, P::kPlatformTenantsAdmin, P::kPlatformImpersonate};
  const PermissionSet writes{P::kTenantAdmin,   P::kUsersManage,  P::kFleetWrite,
                             P::kRidesBook,     P::kRidesDispatch, P::kRidesDrive,
                             P::kPlatformTenantsAdmin};
  for (const auto& [role, perms] : expected) {
    CAPTURE(role);
    auto got = BuiltinRole(role);
    REQUIRE(got);
    INFO("got " << Names(*got) << " expected " << Names(perms));
    CHECK(*got == perms);
    const bool is_platform = role == roles::kPlatformOperator || role == roles::kSupportReadOnly;
    CHECK(IsPlatformRole(role) == is_platform);
    if (!is_platform) CHECK((got->bits() & platform.bits()) == 0);
  }
  // Read-only roles hold no write.
  for (auto role : {roles::kSupportReadOnly, roles::kBillingViewer})
    CHECK((BuiltinRole(role)->bits() & writes.bits()) == 0);
  // Nobody but drivers drives; only the platform operator administers tenants.
  for (const auto& [role, perms] : expected) {
    CHECK(perms.Has(P::kRidesDrive) == (role == roles::kDriver));
    CHECK(perms.Has(P::kPlatformTenantsAdmin) == (role == roles::kPlatformOperator));
  }
  for (const char* other : {"", "admin", "Tenant_Admin", "tenant_admin ", "custom", "platform"}) {
    CHECK_FALSE(BuiltinRole(other));
    CHECK_FALSE(IsPlatformRole(other));
  }
}

TEST_CASE("contexts hold the union of their roles, platform roles only for operators",
          "[auth][authz]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");

  auto both = world.Context(acme, {"driver", "rider"}, {"u1", PrincipalKind::kUser});
  CHECK(PermissionsOf(both) == PermissionSet{P::kTenantRead, P::kRidesDrive, P::kRidesBook});
  CHECK(PermissionsOf(world.Context(acme, {}, {"u1", PrincipalKind::kUser})) == PermissionSet{});
  CHECK(PermissionsOf(world.Context(acme, {"no_such_role"}, {"u1", PrincipalKind::kUser})) == PermissionSet{});

  // A platform role smuggled onto a tenant principal counts for nothing.
  for (PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kApiKey, PrincipalKind::kService,
                             PrincipalKind::kSystem}) {
    CAPTURE(static_cast<int>(kind));
    auto ctx = world.Context(acme, {"platform_operator", "support_readonly", "rider"}, {"x", kind});
    CHECK(PermissionsOf(ctx) == *BuiltinRole(roles::kRider));
    auto denied = Require(ctx, P::kPlatformTenantsAdmin);
    REQUIRE_FALSE(denied);
    CHECK(denied.error().code == Errc::kPermissionDenied);
    CHECK_FALSE(Require(ctx, P::kPlatformImpersonate));
    CHECK_FALSE(Require(ctx, P::kAuditRead));
  }
  auto op = world.Context(acme, {"platform_operator"}, {"op", PrincipalKind::kPlatformOperator});
  CHECK(Require(op, P::kPlatformTenantsAdmin));
  CHECK(PermissionsOf(op) == *BuiltinRole(roles::kPlatformOperator));

  // Require names the missing permission and nothing else.
  auto ctx = world.Context(acme, {"rider"}, {"secret-user-id", PrincipalKind::kUser});
  CHECK(Require(ctx, P::kRidesBook));
  for (Permission p : AllPermissions()) {
    auto r = Require(ctx, p);
    if (BuiltinRole(roles::kRider)->Has(p)) {
      CHECK(r);
      continue;
    }
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kPermissionDenied);
    CHECK_THAT(r.error().message, Catch::Contains(std::string(ToString(p))));
    CHECK_THAT(r.error().message, !Catch::Contains("secret-user-id"));
  }
}

TEST_CASE("custom roles: define, resolve, remove", "[auth][authz][roles]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto beta = world.Provision("beta");
  auto catalog = RoleCatalog::Open(world.control_db());
  REQUIRE(catalog);
  RoleCatalog& cat = **catalog;

  REQUIRE(cat.Define(acme.id, "fleet_viewer", {P::kFleetRead, P::kTenantRead}));
  CHECK(cat.Resolve(acme.id, "fleet_viewer") == PermissionSet{P::kFleetRead, P::kTenantRead});
  CHECK_FALSE(cat.Resolve(beta.id, "fleet_viewer"));  // per tenant
  CHECK(cat.Resolve(acme.id, "driver") == BuiltinRole(roles::kDriver));
  CHECK_FALSE(cat.Resolve(acme.id, "nobody"));
  auto list = cat.List(acme.id);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].first == "fleet_viewer");
  CHECK(cat.List(beta.id)->empty());

  auto viewer = world.Context(acme, {"fleet_viewer"}, {"u1", PrincipalKind::kUser});
  CHECK(Require(viewer, P::kFleetRead, &cat));
  CHECK(Require(viewer, P::kFleetWrite, &cat).error().code == Errc::kPermissionDenied);
  CHECK_FALSE(Require(viewer, P::kFleetRead));  // without the catalog: unknown role
  // The same role name in another tenant's context grants nothing.
  auto beta_viewer = world.Context(beta, {"fleet_viewer"}, {"u1", PrincipalKind::kUser});
  CHECK_FALSE(Require(beta_viewer, P::kFleetRead, &cat));

  // Redefine replaces (and is seen at once).
  REQUIRE(cat.Define(acme.id, "fleet_viewer", {P::kFleetRead, P::kFleetWrite}));
  CHECK(Require(viewer, P::kFleetWrite, &cat));
  CHECK_FALSE(Require(viewer, P::kTenantRead, &cat));

  // Persisted.
  auto reopened = RoleCatalog::Open(world.control_db());
  REQUIRE(reopened);
  CHECK((*reopened)->Resolve(acme.id, "fleet_viewer") == PermissionSet{P::kFleetRead, P::kFleetWrite});

  // Remove.
  REQUIRE(cat.Remove(acme.id, "fleet_viewer"));
  CHECK_FALSE(cat.Resolve(acme.id, "fleet_viewer"));
  CHECK_FALSE(Require(viewer, P::kFleetRead, &cat));
  CHECK(cat.Remove(acme.id, "fleet_viewer").error().code == Errc::kNotFound);
  CHECK(cat.Remove(beta.id, "driver").error().code == Errc::kNotFound);  // built-ins are not removable

  SECTION("platform permissions are refused") {
    for (Permission p : {P::kPlatformTenantsRead, P::kPlatformTenantsAdmin, P::kPlatformImpersonate}) {
      auto r = cat.Define(acme.id, "sneaky", {P::kFleetRead, p});
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kPermissionDenied);
    }
    CHECK_FALSE(cat.Resolve(acme.id, "sneaky"));
    CHECK(cat.List(acme.id)->empty());
  }
  SECTION("built-in and malformed names are refused") {
    for (auto name : {roles::kTenantAdmin, roles::kDriver, roles::kRider, roles::kDispatcher,
                      roles::kBillingViewer, roles::kPlatformOperator, roles::kSupportReadOnly}) {
      CAPTURE(name);
      auto r = cat.Define(acme.id, name, {P::kFleetRead});
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kInvalidArgument);
      CHECK(cat.Resolve(acme.id, name) == BuiltinRole(name));  // unchanged
    }
    for (const char* name : {"", "Fleet", "fleet-viewer", "fleet viewer", "tenancy_admin", "tenant_id",
                             "1role", "r;drop"}) {
      CAPTURE(name);
      CHECK(cat.Define(acme.id, name, {P::kFleetRead}).error().code == Errc::kInvalidArgument);
    }
    CHECK(cat.List(acme.id)->empty());
  }
  SECTION("a custom role on an operator context cannot add platform permissions") {
    REQUIRE(cat.Define(acme.id, "helper", {P::kFleetRead}));
    auto op = world.Context(acme, {"helper"}, {"op", PrincipalKind::kPlatformOperator});
    CHECK(PermissionsOf(op, &cat) == PermissionSet{P::kFleetRead});
  }
}

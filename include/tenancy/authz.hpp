// tenancy/authz.hpp — roles, permissions, and the checks every operation makes.
//
// Permissions are fixed names ("fleet.write"); roles are named sets of them.
// Built-in platform roles act across tenants (only through impersonation,
// see auth.hpp); built-in tenant roles act inside one tenant; a tenant may
// define custom roles from the permission set (a `RoleCatalog`).
//
//   if (auto ok = tenancy::Require(ctx, tenancy::Permission::kFleetWrite); !ok) return ok;
//
// Thread safety: free functions are pure; RoleCatalog is safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

enum class Permission : std::uint8_t {
  kTenantRead = 0,     // read the tenant's own settings and status
  kTenantAdmin,        // change branding, zones, pricing, flags, rules
  kUsersManage,        // users, roles and API keys of the tenant
  kFleetRead,          // vehicles, drivers, locations
  kFleetWrite,
  kRidesBook,          // quote and request rides
  kRidesDispatch,      // assign, progress and cancel rides
  kRidesDrive,         // a driver's own ride transitions and location
  kBillingRead,        // receipts, invoices, usage
  kAuditRead,
  kPlatformTenantsRead,   // platform: list and read every tenant
  kPlatformTenantsAdmin,  // platform: onboard, suspend, quarantine, offboard, plans
  kPlatformImpersonate,   // platform: act inside a tenant (audited)
};
inline constexpr std::size_t kPermissionCount = 13;

TENANCY_EXPORT std::string_view ToString(Permission p) noexcept;
TENANCY_EXPORT Result<Permission> ParsePermission(std::string_view name);

// A set of permissions, as a bit mask.
class PermissionSet {
 public:
  constexpr PermissionSet() = default;
  constexpr PermissionSet(std::initializer_list<Permission> ps) {
    for (auto p : ps) bits_ |= Bit(p);
  }
  constexpr bool Has(Permission p) const noexcept { return (bits_ & Bit(p)) != 0; }
  constexpr void Add(Permission p) noexcept { bits_ |= Bit(p); }
  constexpr PermissionSet& operator|=(PermissionSet o) noexcept {
    bits_ |= o.bits_;
    return *this;
  }
  constexpr bool operator==(const PermissionSet&) const = default;
  constexpr std::uint32_t bits() const noexcept { return bits_; }

 private:
  static constexpr std::uint32_t Bit(Permission p) { return 1u << static_cast<unsigned>(p); }
  std::uint32_t bits_ = 0;
};

// Built-in role names and what they hold:
//   platform_operator  platform.tenants.read, platform.tenants.admin, platform.impersonate,
//                      tenant.read, audit.read
//   support_readonly   platform.tenants.read, platform.impersonate, tenant.read, fleet.read,
//                      billing.read, audit.read
//   tenant_admin       tenant.read, tenant.admin, users.manage, fleet.read, fleet.write,
//                      rides.book, rides.dispatch, billing.read, audit.read
//   dispatcher         tenant.read, fleet.read, fleet.write, rides.book, rides.dispatch
//   driver             tenant.read, rides.drive
//   rider              tenant.read, rides.book
//   billing_viewer     tenant.read, billing.read
namespace roles {
inline constexpr std::string_view kPlatformOperator = "platform_operator";
inline constexpr std::string_view kSupportReadOnly = "support_readonly";
inline constexpr std::string_view kTenantAdmin = "tenant_admin";
inline constexpr std::string_view kDispatcher = "dispatcher";
inline constexpr std::string_view kDriver = "driver";
inline constexpr std::string_view kRider = "rider";
inline constexpr std::string_view kBillingViewer = "billing_viewer";
}  // namespace roles

// The permissions of a built-in role; nullopt for any other name.
TENANCY_EXPORT std::optional<PermissionSet> BuiltinRole(std::string_view role) noexcept;
// True for the platform roles (they never come from a tenant credential).
TENANCY_EXPORT bool IsPlatformRole(std::string_view role) noexcept;

// Custom roles of tenants, persisted in the control-plane database.
class TENANCY_EXPORT RoleCatalog {
 public:
  static Result<std::unique_ptr<RoleCatalog>> Open(const std::string& control_db_path);
  ~RoleCatalog();

  // Defines or replaces a tenant's custom role. The name must be a valid
  // identifier and not a built-in role; platform permissions are refused.
  Result<void> Define(const TenantId& tenant, std::string_view role, PermissionSet permissions);
  Result<void> Remove(const TenantId& tenant, std::string_view role);
  // The tenant's custom roles, by name.
  Result<std::vector<std::pair<std::string, PermissionSet>>> List(const TenantId& tenant) const;
  // The permissions of a role for a tenant: built-in first, then custom.
  std::optional<PermissionSet> Resolve(const TenantId& tenant, std::string_view role) const;

 private:
  struct Impl;
  explicit RoleCatalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The permissions a context holds: the union over its roles (built-in, or
// custom from `catalog` when given). Platform roles count only on a
// platform-operator principal.
TENANCY_EXPORT PermissionSet PermissionsOf(const TenantContext& ctx,
                                           const RoleCatalog* catalog = nullptr);

// kPermissionDenied naming the permission (never the principal's secrets)
// unless the context holds `p`.
TENANCY_EXPORT Result<void> Require(const TenantContext& ctx, Permission p,
                                    const RoleCatalog* catalog = nullptr);

}  // namespace tenancy

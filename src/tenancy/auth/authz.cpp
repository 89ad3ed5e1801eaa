#include "tenancy/authz.hpp"

#include <map>
#include <mutex>
#include <shared_mutex>

#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/entity.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kNames[kPermissionCount] = {
    "tenant.read",   "tenant.admin",   "users.manage",  "fleet.read",    "fleet.write",
    "rides.book",    "rides.dispatch", "rides.drive",   "billing.read",  "audit.read",
    "platform.tenants.read", "platform.tenants.admin", "platform.impersonate"};

using P = Permission;
constexpr PermissionSet kPlatformPermissions{P::kPlatformTenantsRead, P::kPlatformTenantsAdmin,
                                             P::kPlatformImpersonate};

}  // namespace

std::string_view ToString(Permission p) noexcept {
  const auto i = static_cast<std::size_t>(p);
  return i < kPermissionCount ? kNames[i] : "unknown";
}

Result<Permission> ParsePermission(std::string_view name) {
  for (std::size_t i = 0; i < kPermissionCount; ++i)
    if (kNames[i] == name) return static_cast<Permission>(i);
  return Fail(Errc::kInvalidArgument, "unknown permission '" + std::string(name.substr(0, 64)) + "'");
}

std::optional<PermissionSet> BuiltinRole(std::string_view role) noexcept {
  if (role == roles::kPlatformOperator)
    return PermissionSet{P::kPlatformTenantsRead, P::kPlatformTenantsAdmin, P::kPlatformImpersonate,
                         P::kTenantRead, P::kAuditRead};
  if (role == roles::kSupportReadOnly)
    return PermissionSet{P::kPlatformTenantsRead, P::kPlatformImpersonate, P::kTenantRead,
                         P::kFleetRead, P::kBillingRead, P::kAuditRead};
  if (role == roles::kTenantAdmin)
    return PermissionSet{P::kTenantRead,  P::kTenantAdmin,    P::kUsersManage, P::kFleetRead,
                         P::kFleetWrite,  P::kRidesBook,      P::kRidesDispatch,
                         P::kBillingRead, P::kAuditRead};
  if (role == roles::kDispatcher)
    return PermissionSet{P::kTenantRead, P::kFleetRead, P::kFleetWrite, P::kRidesBook,
                         P::kRidesDispatch};
  if (role == roles::kDriver) return PermissionSet{P::kTenantRead, P::kRidesDrive};
  if (role == roles::kRider) return PermissionSet{P::kTenantRead, P::kRidesBook};
  if (role == roles::kBillingViewer) return PermissionSet{P::kTenantRead, P::kBillingRead};
  return std::nullopt;
}

bool IsPlatformRole(std::string_view role) noexcept {
  return role == roles::kPlatformOperator || role == roles::kSupportReadOnly;
}

struct RoleCatalog::Impl {
  mutable std::mutex db_mu;
  std::unique_ptr<sqlite::SqliteConnection> db;
  mutable std::shared_mutex cache_mu;
  // tenant → role → permissions; loaded per tenant on first use.
  mutable std::map<std::string, std::map<std::string, PermissionSet, std::less<>>, std::less<>> cache;

  Result<std::map<std::string, PermissionSet, std::less<>>> Load(std::string_view tenant) const {
    struct Rows final : detail::RowSink {
      std::map<std::string, PermissionSet, std::less<>> roles;
      bool OnRow(const RowView& r) override {
        PermissionSet p;
        const auto bits = static_cast<std::uint32_t>(r.Int(1));
        for (std::size_t i = 0; i < kPermissionCount; ++i)
          if (bits & (1u << i)) p.Add(static_cast<Permission>(i));
        roles.emplace(std::string(r.Text(0)), p);
        return true;
      }
    } rows;
    const Param params[] = {tenant};
    std::lock_guard lock(db_mu);
    auto r = db->Run("SELECT role, permissions FROM tenancy_custom_roles WHERE tenant_id = ?", params,
                     &rows);
    if (!r) return r.error();
    return std::move(rows.roles);
  }
};

RoleCatalog::RoleCatalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RoleCatalog::~RoleCatalog() = default;

Result<std::unique_ptr<RoleCatalog>> RoleCatalog::Open(const std::string& control_db_path) {
  auto db = sqlite::SqliteConnection::Open(control_db_path, true, sqlite::ConnectionOptions{});
  if (!db) return db.error();
  if (auto r = (*db)->ExecScript(
          "CREATE TABLE IF NOT EXISTS tenancy_custom_roles (tenant_id TEXT NOT NULL, role TEXT NOT "
          "NULL, permissions INTEGER NOT NULL, PRIMARY KEY (tenant_id, role));");
      !r)
    return r.error();
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return std::unique_ptr<RoleCatalog>(new RoleCatalog(std::move(impl)));
}

Result<void> RoleCatalog::Define(const TenantId& tenant, std::string_view role,
                                 PermissionSet permissions) {
  if (!IsValidIdentifier(role) || BuiltinRole(role))
    return Fail(Errc::kInvalidArgument,
                "a custom role needs a lower-case identifier that is not a built-in role");
  if ((permissions.bits() & kPlatformPermissions.bits()) != 0)
    return Fail(Errc::kPermissionDenied, "tenant roles cannot hold platform permissions");
  const Param p[] = {std::string_view(tenant.str()), role,
                     static_cast<std::int64_t>(permissions.bits())};
  {
    std::lock_guard lock(impl_->db_mu);
    auto r = impl_->db->Run("INSERT INTO tenancy_custom_roles VALUES (?, ?, ?) ON CONFLICT "
                            "(tenant_id, role) DO UPDATE SET permissions = excluded.permissions",
                            p, nullptr);
    if (!r) return r.error();
  }
  std::unique_lock lock(impl_->cache_mu);
  impl_->cache.erase(tenant.str());
  return {};
}

Result<void> RoleCatalog::Remove(const TenantId& tenant, std::string_view role) {
  const Param p[] = {std::string_view(tenant.str()), role};
  {
    std::lock_guard lock(impl_->db_mu);
    auto r = impl_->db->Run("DELETE FROM tenancy_custom_roles WHERE tenant_id = ? AND role = ?", p,
                            nullptr);
    if (!r) return r.error();
    if (*r == 0) return Fail(Errc::kNotFound, "no such custom role");
  }
  std::unique_lock lock(impl_->cache_mu);
  impl_->cache.erase(tenant.str());
  return {};
}

Result<std::vector<std::pair<std::string, PermissionSet>>> RoleCatalog::List(
    const TenantId& tenant) const {
  auto roles = impl_->Load(tenant.str());
  if (!roles) return roles.error();
  return std::vector<std::pair<std::string, PermissionSet>>(roles->begin(), roles->end());
}

std::optional<PermissionSet> RoleCatalog::Resolve(const TenantId& tenant, std::string_view role) const {
  if (auto builtin = BuiltinRole(role)) return builtin;
  {
    std::shared_lock lock(impl_->cache_mu);
    if (auto t = impl_->cache.find(tenant.str()); t != impl_->cache.end()) {
      auto r = t->second.find(role);
      return r == t->second.end() ? std::nullopt : std::optional(r->second);
    }
  }
  auto loaded = impl_->Load(tenant.str());
  if (!loaded) return std::nullopt;  // fail closed
  std::optional<PermissionSet> out;
  if (auto r = loaded->find(role); r != loaded->end()) out = r->second;
  std::unique_lock lock(impl_->cache_mu);
  impl_->cache[tenant.str()] = std::move(*loaded);
  return out;
}

PermissionSet PermissionsOf(const TenantContext& ctx, const RoleCatalog* catalog) {
  PermissionSet all;
  const bool operator_principal = ctx.principal().kind == PrincipalKind::kPlatformOperator;
  for (const auto& role : ctx.roles()) {
    if (IsPlatformRole(role) && !operator_principal) continue;
    if (auto p = catalog ? catalog->Resolve(ctx.tenant_id(), role) : BuiltinRole(role)) all |= *p;
  }
  return all;
}

Result<void> Require(const TenantContext& ctx, Permission p, const RoleCatalog* catalog) {
  if (PermissionsOf(ctx, catalog).Has(p)) return {};
  return Fail(Errc::kPermissionDenied, "missing permission " + std::string(ToString(p)));
}

}  // namespace tenancy

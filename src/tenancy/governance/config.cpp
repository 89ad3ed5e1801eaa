// Config: argument checks, then the implementation (config_impl.hpp).
#include "governance/config_impl.hpp"

namespace tenancy {
namespace {

Result<void> CheckScope(const ConfigScope& scope) {
  switch (scope.layer) {
    case ConfigLayer::kPlatform:
      if (!scope.name.empty()) return Fail(Errc::kInvalidArgument, "the platform scope has no name");
      return {};
    case ConfigLayer::kTier:
      if (!IsValidTier(scope.name))
        return Fail(Errc::kInvalidArgument, "tier names are 1-32 of [a-z0-9_-]");
      return {};
    case ConfigLayer::kTenant:
      if (!TenantId::Parse(scope.name)) return Fail(Errc::kInvalidArgument, "malformed tenant id");
      return {};
    case ConfigLayer::kDefault: break;
  }
  return Fail(Errc::kInvalidArgument, "the defaults are not a writable scope");
}

Result<void> CheckTenant(const Tenant& tenant) {
  if (tenant.id.empty()) return Fail(Errc::kInvalidArgument, "the tenant has no id");
  if (!tenant.tier.empty() && !IsValidTier(tenant.tier))
    return Fail(Errc::kInvalidArgument, "tier names are 1-32 of [a-z0-9_-]");
  return {};
}

}  // namespace

Result<std::unique_ptr<Config>> Config::Open(ConfigOptions options, ConfigSchema schema) {
  if (options.clock == nullptr) return Fail(Errc::kInvalidArgument, "ConfigOptions::clock is null");
  auto db = detail::config::ConfigDb::Open(options.path);
  if (!db) return db.error();
  auto impl = std::make_unique<detail::config::ConfigImpl>(std::move(options), std::move(schema),
                                                           std::move(*db));
  if (auto r = impl->Load(); !r) return r.error();
  return std::unique_ptr<Config>(new Config(std::move(impl)));
}

Config::Config(std::unique_ptr<detail::config::ConfigImpl> impl) : impl_(std::move(impl)) {}
Config::~Config() = default;

Result<ConfigVersion> Config::SetPlatform(const boost::json::object& patch, std::string_view author,
                                          std::optional<std::int64_t> expected_version) {
  return impl_->Write(ConfigScope::Platform(), std::nullopt, &patch, std::nullopt, author,
                      expected_version);
}

Result<ConfigVersion> Config::SetTier(std::string_view tier, const boost::json::object& patch,
                                      std::string_view author,
                                      std::optional<std::int64_t> expected_version) {
  if (!IsValidTier(tier)) return Fail(Errc::kInvalidArgument, "tier names are 1-32 of [a-z0-9_-]");
  return impl_->Write(ConfigScope::Tier(std::string(tier)), std::nullopt, &patch, std::nullopt, author,
                      expected_version);
}

Result<ConfigVersion> Config::SetTenant(const Tenant& tenant, const boost::json::object& patch,
                                        std::string_view author,
                                        std::optional<std::int64_t> expected_version) {
  if (auto r = CheckTenant(tenant); !r) return r.error();
  auto written = impl_->Write(ConfigScope::Tenant(tenant.id), tenant.tier, &patch, std::nullopt,
                              author, expected_version);
  // The write was checked in tenant.tier: when that value is the newest the
  // config has seen, the tenant's readers move to that tier now too.
  if (written) (void)impl_->Snapshot(tenant);
  return written;
}

Result<ConfigVersion> Config::Rollback(const ConfigScope& scope, std::int64_t version,
                                       std::string_view author,
                                       std::optional<std::int64_t> expected_version) {
  if (auto r = CheckScope(scope); !r) return r.error();
  if (version < 1) return Fail(Errc::kInvalidArgument, "versions start at 1");
  return impl_->Write(scope, std::nullopt, nullptr, version, author, expected_version);
}

Result<std::vector<ConfigVersion>> Config::History(const ConfigScope& scope) const {
  if (auto r = CheckScope(scope); !r) return r.error();
  return impl_->History(scope);
}

Result<std::int64_t> Config::CurrentVersion(const ConfigScope& scope) const {
  if (auto r = CheckScope(scope); !r) return r.error();
  return impl_->CurrentVersion(scope);
}

std::shared_ptr<const ConfigSnapshot> Config::Snapshot(const Tenant& tenant) const {
  return impl_->Snapshot(tenant);
}

std::shared_ptr<const ConfigSnapshot> Config::Snapshot(const TenantContext& ctx) const {
  return impl_->Snapshot(ctx.tenant());
}

std::shared_ptr<const ConfigSnapshot> Config::TierSnapshot(std::string_view tier) const {
  return impl_->TierSnapshot(tier);
}

ConfigReader Config::Reader(const Tenant& tenant) const { return impl_->Reader(tenant); }

ConfigReader Config::Reader(const TenantContext& ctx) const { return impl_->Reader(ctx.tenant()); }

Result<void> Config::Reload() { return impl_->Load(); }

const ConfigSchema& Config::schema() const noexcept { return impl_->schema(); }

std::vector<std::string> Config::load_issues() const { return impl_->load_issues(); }

}  // namespace tenancy

// tenancy/resolve.hpp — which tenant a request is for.
//
// A chain of strategies, tried in order; the first that names a tenant
// decides:
//   host         "<slug>.<base domain>" (subdomain) or a tenant's custom domain
//   header       a header (default "X-Tenant") holding a tenant id or slug
//   path prefix  "/t/<slug>/..." (the rest of the path is returned)
//   token claim  the tenant of the verified credential
// A named but unknown tenant is kTenantUnknown; a suspended, provisioning
// or offboarding one kTenantSuspended (distinct, so the server can answer
// 404 and 403). After authentication, `CheckCredential` denies a request
// whose credential belongs to another tenant than the one resolved.
//
// Thread safety: a TenantResolver is immutable and safe to share.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/auth.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/export.hpp"

namespace tenancy {

enum class ResolvedBy : std::uint8_t { kHost, kHeader, kPathPrefix, kTokenClaim };

struct ResolverOptions {
  // Tenants live at "<slug>.<base_domain>"; empty disables subdomains
  // (custom domains still resolve).
  std::string base_domain{};
  std::string header = "X-Tenant";
  std::string path_prefix = "/t/";
  std::vector<ResolvedBy> chain = {ResolvedBy::kHost, ResolvedBy::kHeader, ResolvedBy::kPathPrefix,
                                   ResolvedBy::kTokenClaim};
};

// What a request offers to the strategies. Views must outlive the call.
struct RequestFacts {
  std::string_view host{};  // the Host header, port allowed
  std::string_view path{};
  // Looks up a header by (case-insensitive) name; may be empty.
  std::function<std::optional<std::string_view>(std::string_view)> header{};
  const Authenticated* credential = nullptr;  // when already verified
};

struct Resolution {
  std::shared_ptr<const Tenant> tenant{};
  ResolvedBy by = ResolvedBy::kHost;
  std::string_view path{};  // the path with a tenant prefix removed
};

class TENANCY_EXPORT TenantResolver {
 public:
  // REQUIRES: `directory` outlives the resolver.
  TenantResolver(const Directory& directory, ResolverOptions options);

  // kNotFound when no strategy names a tenant; kTenantUnknown /
  // kTenantSuspended as above; kInvalidArgument for a malformed name.
  Result<Resolution> Resolve(const RequestFacts& facts) const;

  // kTenantMismatch when the credential is another tenant's;
  // kPermissionDenied for platform credentials (they must impersonate).
  static Result<void> CheckCredential(const Resolution& resolved, const Authenticated& who);

 private:
  Result<std::optional<Resolution>> Try(ResolvedBy by, const RequestFacts& facts) const;
  Result<std::shared_ptr<const Tenant>> Named(std::string_view id_or_slug) const;

  const Directory& directory_;
  ResolverOptions options_;
};

}  // namespace tenancy

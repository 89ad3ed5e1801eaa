// Step 2: which tenant the request is for.
#include "middleware/steps.hpp"
#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

namespace {

tenancy::RequestFacts FactsOf(const Exchange& x, const tenancy::Authenticated* credential) {
  tenancy::RequestFacts facts;
  facts.host = x.request[http::field::host];
  facts.path = x.path;
  const Request& req = x.request;
  facts.header = [&req](std::string_view name) -> std::optional<std::string_view> {
    const auto it = req.find(name);
    if (it == req.end()) return std::nullopt;
    return it->value();
  };
  facts.credential = credential;
  return facts;
}

// The route exists only in the form the resolution allows.
tenancy::Result<void> CheckForm(const Exchange& x) {
  const tenancy::ResolvedBy by = x.resolution->by;
  if (x.via_prefix && by != tenancy::ResolvedBy::kPathPrefix)
    return Fail(Errc::kNotFound, "no such resource");
  if (!x.via_prefix && x.route->root_requires_host && by != tenancy::ResolvedBy::kHost)
    return Fail(Errc::kNotFound, "no such resource");
  return {};
}

}  // namespace

tenancy::Result<void> ResolveTenant(const tenancy::TenantResolver& resolver, Exchange& x) {
  auto resolved = resolver.Resolve(FactsOf(x, nullptr));
  if (!resolved) {
    // Nothing named a tenant: on a tenant route the credential will.
    if (resolved.error().code == Errc::kNotFound && x.route->scope == Scope::kTenant &&
        !x.via_prefix && !x.route->root_requires_host) {
      x.resolution_deferred = true;
      return {};
    }
    if (resolved.error().code == Errc::kNotFound) return Fail(Errc::kNotFound, "no such resource");
    return resolved.error();
  }
  x.resolution = std::move(*resolved);
  return CheckForm(x);
}

// Used by authentication once the credential is known.
tenancy::Result<void> ResolveDeferred(const tenancy::TenantResolver& resolver, Exchange& x,
                                      const tenancy::Authenticated& who) {
  auto resolved = resolver.Resolve(FactsOf(x, &who));
  if (!resolved) {
    if (resolved.error().code == Errc::kNotFound)
      return Fail(Errc::kNotFound, "the request names no tenant");
    return resolved.error();
  }
  x.resolution = std::move(*resolved);
  x.resolution_deferred = false;
  return CheckForm(x);
}

}  // namespace tenancyd

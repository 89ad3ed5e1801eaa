// Step 3: who is calling, and the context they act in.
#include <boost/beast/core/string.hpp>

#include "middleware/steps.hpp"
#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<void> ResolveDeferred(const tenancy::TenantResolver& resolver, Exchange& x,
                                      const tenancy::Authenticated& who);

namespace {

// The credential of `Authorization: Bearer <credential>`; kUnauthenticated
// for any other shape. The credential itself is never echoed.
tenancy::Result<std::string_view> BearerCredential(const Request& req, bool& presented) {
  const auto it = req.find(http::field::authorization);
  if (it == req.end()) return Fail(Errc::kUnauthenticated, "this resource needs a credential");
  presented = true;
  std::string_view value = it->value();
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() ||
      !boost::beast::iequals(value.substr(0, kScheme.size()), kScheme) ||
      value[kScheme.size()] != ' ')
    return Fail(Errc::kUnauthenticated, "the Authorization scheme must be Bearer");
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return Fail(Errc::kUnauthenticated, "empty bearer credential");
  return value;
}

}  // namespace

tenancy::Result<void> Authenticate(tenancy::Authenticator& auth,
                                   const tenancy::TenantResolver& resolver,
                                   const AuthSettings& settings, Exchange& x) {
  auto credential = BearerCredential(x.request, x.credential_presented);
  if (!credential) return credential.error();
  // API keys carry a visible "tk." prefix; anything else must be a token.
  auto who = credential->starts_with("tk.") ? auth.AuthenticateApiKey(*credential)
                                            : auth.VerifyToken(*credential, settings.audience);
  if (!who) return who.error();
  x.who = *who;

  if (x.route->scope == Scope::kPlatform) {
    if (!x.who->platform())
      return Fail(Errc::kPermissionDenied, "this resource is for platform operators");
    return {};
  }

  // A tenant route.
  if (x.resolution_deferred)
    if (auto r = ResolveDeferred(resolver, x, *x.who); !r) return r;
  const tenancy::TenantId& tenant = x.resolution->tenant->id;
  if (x.who->platform()) {
    const auto reason = x.request[settings.impersonation_header];
    if (reason.empty())
      return Fail(Errc::kPermissionDenied,
                  "platform operators act inside a tenant only by impersonation: send " +
                      settings.impersonation_header);
    auto ctx = auth.Impersonate(*x.who, tenant, reason, x.request_id);
    if (!ctx) return ctx.error();
    x.context.emplace(std::move(*ctx));
    return {};
  }
  if (auto same = tenancy::TenantResolver::CheckCredential(*x.resolution, *x.who); !same)
    return same.error();
  auto ctx = auth.ContextFor(*x.who, x.request_id, x.TraceIdHex());
  if (!ctx) return ctx.error();
  x.context.emplace(std::move(*ctx));
  return {};
}

}  // namespace tenancyd

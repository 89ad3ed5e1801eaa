#include "services/signup/signup.hpp"

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {
using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<Response> SignUp(const Signup& s, Exchange& x) {
  // Before anything else, so invalid and duplicate attempts cost too.
  const AddressVerdict verdict = s.limiter->TryAcquire(x.connection.peer);
  if (!verdict.allowed) {
    x.retry_after = verdict.retry_after;
    return x.Refuse("rate_limited", Errc::kResourceExhausted,
                    "too many sign-ups from this address; retry later");
  }
  auto body = JsonBody::Parse(x.request, {"name", "slug", "admin_email", "admin_name"});
  if (!body) return body.error();
  auto name = body->RequiredString("name", tenancy::kMaxDisplayNameBytes);
  if (!name) return name.error();
  if (name->empty()) return Fail(Errc::kInvalidArgument, "field 'name' must not be empty");
  auto slug = body->RequiredString("slug", 63);
  if (!slug) return slug.error();
  if (!tenancy::IsValidSlug(*slug))
    return Fail(Errc::kInvalidArgument,
                "field 'slug' must be a DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'");
  auto email = body->RequiredString("admin_email", kMaxEmailBytes);
  if (!email) return email.error();
  if (!LooksLikeEmail(*email))
    return Fail(Errc::kInvalidArgument, "field 'admin_email' is not an email address");
  auto admin_name = body->OptionalString("admin_name", kMaxAdminNameBytes);
  if (!admin_name) return admin_name.error();

  NewTenant t;
  t.request.slug = std::move(*slug);
  t.request.display_name = std::move(*name);
  t.request.model = tenancy::IsolationModel::kShared;  // the default tier, always shared
  t.admin_email = std::move(*email);
  t.admin_name = std::move(*admin_name);
  auto res = CreateTenantWithAdmin(s.directory, s.auth, t, x.audit);
  if (!res) return res.error();
  // Nobody is signed in yet: the platform's sign-up acted (the audit trail
  // records only sign-ups that created a tenant).
  x.audit.actor = tenancy::AuditActor{"signup", tenancy::AuditActorKind::kSystem};
  // The new admin's own view of its tenant (the control plane's URL is
  // for operators).
  res->set(http::field::location, "/t/" + t.request.slug + "/v1/tenant");
  return std::move(*res);
}

void AddSignupRoutes(Router& router, tenancy::Directory& directory, tenancy::Authenticator& auth,
                     const SignupOptions& options) {
  if (!options.enabled) return;
  Signup s{directory, auth, std::make_shared<AddressLimiter>(options.limiter)};
  router.Add(Route{.method = http::verb::post,
                   .pattern = "/v1/signup",
                   .scope = Scope::kPublic,
                   .handler = [s](Exchange& x) { return SignUp(s, x); }});
}

}  // namespace tenancyd

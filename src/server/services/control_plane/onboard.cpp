// POST /v1/tenants: a new tenant and its first admin's credential.
#include <sodium.h>

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

bool LooksLikeEmail(std::string_view e) {
  const auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = e.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  for (unsigned char c : e)
    if (c <= 0x20 || c == 0x7F) return false;
  return true;
}

tenancy::Result<Response> OnboardTenant(const ControlPlane& cp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"slug", "display_name", "tier", "model", "custom_domain",
                                          "admin"});
  if (!body) return body.error();
  tenancy::ProvisionRequest req;
  auto slug = body->RequiredString("slug", 63);
  if (!slug) return slug.error();
  if (!tenancy::IsValidSlug(*slug))
    return Fail(Errc::kInvalidArgument,
                "field 'slug' must be a DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'");
  req.slug = std::move(*slug);
  auto display_name = body->OptionalString("display_name", tenancy::kMaxDisplayNameBytes);
  if (!display_name) return display_name.error();
  req.display_name = display_name->value_or("");
  auto tier = body->OptionalString("tier", 32);
  if (!tier) return tier.error();
  if (*tier && !tenancy::IsValidTier(**tier))
    return Fail(Errc::kInvalidArgument, "field 'tier' must be 1-32 of [a-z0-9_-]");
  req.tier = tier->value_or("");
  auto model = body->OptionalString("model", 16);
  if (!model) return model.error();
  if (*model) {
    auto m = tenancy::ParseIsolationModel(**model);
    if (!m) return Fail(Errc::kInvalidArgument, "field 'model' must be shared, database or dedicated");
    req.model = *m;
  }
  auto domain = body->OptionalString("custom_domain", 253);
  if (!domain) return domain.error();
  if (*domain && !tenancy::IsValidDomain(**domain))
    return Fail(Errc::kInvalidArgument, "field 'custom_domain' must be a host name");
  req.custom_domain = std::move(*domain);

  auto admin = body->RequiredObject("admin", {"name", "email"});
  if (!admin) return admin.error();
  auto admin_name = admin->OptionalString("name", kMaxAdminNameBytes);
  if (!admin_name) return admin_name.error();
  auto admin_email = admin->OptionalString("email", kMaxEmailBytes);
  if (!admin_email) return admin_email.error();
  if ((!*admin_name || (*admin_name)->empty()) && (!*admin_email || (*admin_email)->empty()))
    return Fail(Errc::kInvalidArgument, "field 'admin' needs a name or an email");
  if (*admin_email && !LooksLikeEmail(**admin_email))
    return Fail(Errc::kInvalidArgument, "field 'admin.email' is not an email address");

  NewTenant t{.request = std::move(req), .admin_name = std::move(*admin_name),
              .admin_email = std::move(*admin_email)};
  auto res = CreateTenantWithAdmin(cp.directory, cp.auth, t, x.audit);
  if (!res) return res.error();
  return std::move(*res);
}

tenancy::Result<Response> CreateTenantWithAdmin(tenancy::Directory& directory,
                                                tenancy::Authenticator& auth, const NewTenant& t,
                                                AuditNote& note) {
  const tenancy::ProvisionRequest& req = t.request;
  // Onboarding creates a credential: never twice for one tenant.
  if (auto existing = directory.GetBySlug(req.slug); existing)
    return Fail(Errc::kAlreadyExists, "a tenant with slug '" + req.slug + "' exists");
  auto provisioned = directory.Provision(req);
  if (!provisioned) return provisioned.error();
  if (!provisioned->created)
    return Fail(Errc::kAlreadyExists, "a tenant with slug '" + req.slug + "' exists");
  const tenancy::Tenant& tenant = provisioned->tenant;

  const std::string key_name =
      t.admin_email && !t.admin_email->empty() ? *t.admin_email : t.admin_name.value_or("admin");
  auto key = auth.CreateApiKey(tenant.id, key_name, {std::string(tenancy::roles::kTenantAdmin)});
  if (!key) {
    // A tenant nobody can administer is not onboarded: undo it.
    (void)directory.Offboard(tenant.id, "onboarding failed: no admin credential");
    return key.error();
  }

  json::object admin_out;
  admin_out["name"] = t.admin_name ? json::value(*t.admin_name) : json::value(nullptr);
  admin_out["email"] = t.admin_email ? json::value(*t.admin_email) : json::value(nullptr);
  admin_out["roles"] = json::array{json::string(tenancy::roles::kTenantAdmin)};
  admin_out["api_key"] = json::object{{"client_id", key->info.key_id}, {"key", key->key}};
  json::object out{{"tenant", TenantJson(tenant)}, {"admin", std::move(admin_out)}};
  Response res = JsonResponse(http::status::created, out);
  sodium_memzero(key->key.data(), key->key.size());
  note.tenant = tenant.id.str();
  note.target = "tenant:" + tenant.id.str();
  note.details = json::object{{"slug", tenant.slug},
                              {"tier", tenant.tier},
                              {"model", tenancy::ToString(tenant.model)},
                              {"admin_key_id", key->info.key_id}};
  res.set(http::field::location, "/v1/tenants/" + tenant.id.str());
  // The secret is shown once: no cache may keep it.
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace tenancyd

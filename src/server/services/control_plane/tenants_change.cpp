// PATCH /v1/tenants/{tenant}, the lifecycle changes, offboarding and data
// key rotation.
#include "json_input.hpp"
#include "middleware/audit_trail.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

// The mandatory reason of a lifecycle change: {"reason": "..."} in the body
// or, for DELETE (whose body many clients cannot send), ?reason=.
tenancy::Result<std::string> Reason(const Exchange& x) {
  auto query = ParseForm(x.query, {"reason"});
  if (!query) return query.error();
  auto body = JsonBody::Parse(x.request, {"reason"}, /*allow_empty=*/true);
  if (!body) return body.error();
  auto in_body = body->OptionalString("reason", kMaxReasonBytes);
  if (!in_body) return in_body.error();
  const auto in_query = Lookup(*query, "reason");
  if (*in_body && in_query) return Fail(Errc::kInvalidArgument, "give the reason once");
  std::string reason = *in_body ? **in_body : std::string(in_query.value_or(""));
  if (reason.empty()) return Fail(Errc::kInvalidArgument, "field 'reason' is required");
  if (reason.size() > kMaxReasonBytes)
    return Fail(Errc::kInvalidArgument, "field 'reason' exceeds " + std::to_string(kMaxReasonBytes) + " bytes");
  return reason;
}

// A tenant that may still change: not a tombstone.
tenancy::Result<std::shared_ptr<const tenancy::Tenant>> LiveTarget(const ControlPlane& cp,
                                                                  const Exchange& x) {
  auto t = TargetTenant(cp, x);
  if (!t) return t.error();
  if ((*t)->state == tenancy::TenantState::kDeleted)
    return Fail(Errc::kTenantUnknown, "the tenant was offboarded");
  return t;
}

}  // namespace

tenancy::Result<Response> PatchTenant(const ControlPlane& cp, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  auto body = JsonBody::Parse(x.request, {"display_name", "tier", "custom_domain"});
  if (!body) return body.error();
  if (body->empty()) return Fail(Errc::kInvalidArgument, "nothing to change");
  tenancy::TenantUpdate update;
  auto name = body->OptionalString("display_name", tenancy::kMaxDisplayNameBytes);
  if (!name) return name.error();
  update.display_name = std::move(*name);
  auto tier = body->OptionalString("tier", 32);
  if (!tier) return tier.error();
  if (*tier && !tenancy::IsValidTier(**tier))
    return Fail(Errc::kInvalidArgument, "field 'tier' must be 1-32 of [a-z0-9_-]");
  update.tier = std::move(*tier);
  auto domain = body->NullableString("custom_domain", 253);
  if (!domain) return domain.error();
  if (*domain && **domain && !tenancy::IsValidDomain(***domain))
    return Fail(Errc::kInvalidArgument, "field 'custom_domain' must be a host name");
  update.custom_domain = std::move(*domain);

  auto t = LiveTarget(cp, x);
  if (!t) return t.error();
  // The audit entry: which fields changed; a tier change is its own action
  // (it changes the tenant's plan).
  x.audit.tenant = (*t)->id.str();
  json::array fields;
  for (const auto& [field, value] : body->object()) fields.emplace_back(field);
  x.audit.details["fields"] = std::move(fields);
  if (update.tier && *update.tier != (*t)->tier) {
    x.audit.action = "tenant.change_tier";
    x.audit.details["from_tier"] = (*t)->tier;
    x.audit.details["to_tier"] = *update.tier;
  }
  auto updated = cp.directory.Update((*t)->id, update);
  if (!updated) return updated.error();
  return JsonResponse(http::status::ok, TenantJson(*updated));
}

tenancy::Result<Response> ChangeTenantState(const ControlPlane& cp, Exchange& x,
                                            tenancy::TenantState to) {
  auto reason = Reason(x);
  if (!reason) return reason.error();
  auto t = LiveTarget(cp, x);
  if (!t) return t.error();
  const tenancy::TenantId id = (*t)->id;
  x.audit.tenant = id.str();
  x.audit.details = json::object{{"reason", ScrubCredentials(*reason)},
                                 {"from", tenancy::ToString((*t)->state)}};
  // Resuming a quarantined tenant is a release: its rates come back too.
  if (to == tenancy::TenantState::kActive && (*t)->state == tenancy::TenantState::kQuarantined)
    x.audit.action = "tenant.release";
  if (cp.quarantine && to == tenancy::TenantState::kQuarantined) {
    if (auto q = cp.quarantine->Quarantine(id, *reason); !q) return q.error();
  } else if (cp.quarantine && to == tenancy::TenantState::kActive &&
             (*t)->state == tenancy::TenantState::kQuarantined) {
    if (auto r = cp.quarantine->Release(id, *reason); !r) return r.error();
  } else {
    auto changed = cp.directory.ChangeState(id, to, *reason);
    if (!changed) return changed.error();
    return JsonResponse(http::status::ok, TenantJson(*changed));
  }
  auto now = cp.directory.Get(id);
  if (!now) return now.error();
  return JsonResponse(http::status::ok, TenantJson(**now));
}

tenancy::Result<Response> OffboardTenant(const ControlPlane& cp, Exchange& x) {
  auto reason = Reason(x);
  if (!reason) return reason.error();
  auto t = LiveTarget(cp, x);
  if (!t) return t.error();
  x.audit.tenant = (*t)->id.str();
  x.audit.details = json::object{{"reason", ScrubCredentials(*reason)}};
  auto gone = cp.directory.Offboard((*t)->id, *reason);
  if (!gone) return gone.error();
  return JsonResponse(http::status::ok, TenantJson(*gone));
}

tenancy::Result<Response> RotateTenantKey(const ControlPlane& cp, Exchange& x) {
  if (auto body = JsonBody::Parse(x.request, {}, /*allow_empty=*/true); !body) return body.error();
  auto t = LiveTarget(cp, x);
  if (!t) return t.error();
  x.audit.tenant = (*t)->id.str();
  auto version = cp.keyring.Rotate((*t)->id);
  if (!version) return version.error();
  x.audit.details = json::object{{"primary_version", *version}};
  return JsonResponse(http::status::ok, json::object{{"tenant_id", (*t)->id.str()},
                                                     {"primary_version", *version}});
}

}  // namespace tenancyd

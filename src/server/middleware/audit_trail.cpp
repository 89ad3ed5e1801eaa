// The audit trail's table and its sink (see audit_trail.hpp).
#include "middleware/audit_trail.hpp"

#include <boost/json/serialize.hpp>

#include <array>

namespace tenancyd {
namespace {

using tenancy::AuditActor;
using tenancy::AuditActorKind;
using tenancy::AuditEntry;
using tenancy::AuditOutcome;
using tenancy::PrincipalKind;
using tenancy::TenantId;
using V = http::verb;
constexpr AuditChains kBoth = AuditChains::kPlatformAndTenant;
constexpr AuditChains kOwn = AuditChains::kTenant;

// Every write of the control plane and of tenant administration. A write
// route that is neither here nor data plane fails the audit_trail_tests'
// coverage check, so a new admin route cannot be forgotten silently.
constexpr std::array kRoutes{
    // Operators (platform.tenants.admin).
    AuditedRoute{V::post, "/v1/tenants", "tenant.onboard", "tenants", kBoth},
    AuditedRoute{V::patch, "/v1/tenants/{tenant}", "tenant.update", "tenant:{tenant}", kBoth},
    AuditedRoute{V::delete_, "/v1/tenants/{tenant}", "tenant.offboard", "tenant:{tenant}", kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/offboard", "tenant.offboard", "tenant:{tenant}", kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/suspend", "tenant.suspend", "tenant:{tenant}", kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/quarantine", "tenant.quarantine", "tenant:{tenant}",
                 kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/resume", "tenant.resume", "tenant:{tenant}", kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/rotate-key", "tenant.rotate_key", "tenant:{tenant}",
                 kBoth},
    AuditedRoute{V::post, "/v1/tenants/{tenant}/backup", "tenant.backup", "tenant:{tenant}", kBoth},
    AuditedRoute{V::post, "/v1/restore", "tenant.restore", "tenants", kBoth},
    AuditedRoute{V::post, "/v1/platform/idle-tenants/apply", "idle_policy.apply", "tenants", kBoth},
    // Tenant administration (tenant.admin, users.manage).
    AuditedRoute{V::patch, "/v1/settings", "settings.update", "settings", kOwn},
    AuditedRoute{V::patch, "/v1/branding", "branding.update", "settings:branding", kOwn},
    AuditedRoute{V::put, "/v1/zones", "zones.replace", "settings:zones", kOwn},
    AuditedRoute{V::patch, "/v1/pricing", "pricing.update", "settings:pricing", kOwn},
    AuditedRoute{V::put, "/v1/flags", "flags.replace", "flags", kOwn},
    AuditedRoute{V::delete_, "/v1/flags", "flags.delete", "flags", kOwn},
    AuditedRoute{V::post, "/v1/api-keys", "api_key.create", "api_keys", kOwn},
    AuditedRoute{V::delete_, "/v1/api-keys/{key_id}", "api_key.revoke", "api_key:{key_id}", kOwn},
    AuditedRoute{V::post, "/v1/webhooks", "webhook.create", "webhooks", kOwn},
    AuditedRoute{V::patch, "/v1/webhooks/{id}", "webhook.update", "webhook:{id}", kOwn},
    AuditedRoute{V::delete_, "/v1/webhooks/{id}", "webhook.delete", "webhook:{id}", kOwn},
    AuditedRoute{V::post, "/v1/webhooks/{id}/rotate-secret", "webhook.rotate_secret", "webhook:{id}",
                 kOwn},
    AuditedRoute{V::post, "/v1/webhooks/deliveries/{id}/redeliver", "webhook.redeliver",
                 "delivery:{id}", kOwn},
    // Public routes: only what their handlers note.
    AuditedRoute{V::post, "/v1/signup", "tenant.signup", "tenants", kBoth, /*only_noted=*/true},
    AuditedRoute{V::post, "/oauth/token", "token.refuse", "token", kOwn, /*only_noted=*/true},
};

AuditActor ActorOf(const tenancy::Principal& p) {
  AuditActor a;
  a.id = p.id.empty() ? std::string("unknown") : p.id;
  switch (p.kind) {
    case PrincipalKind::kPlatformOperator: a.kind = AuditActorKind::kOperator; break;
    case PrincipalKind::kApiKey: a.kind = AuditActorKind::kApiKey; break;
    case PrincipalKind::kService: a.kind = AuditActorKind::kService; break;
    case PrincipalKind::kSystem: a.kind = AuditActorKind::kSystem; break;
    case PrincipalKind::kUser: a.kind = AuditActorKind::kTenantUser; break;
  }
  return a;
}

AuditOutcome OutcomeOf(unsigned status) {
  if (status < 400) return AuditOutcome::kSuccess;
  if (status == 403 || status == 404 || status == 429) return AuditOutcome::kDenied;
  return AuditOutcome::kFailed;
}

bool IsCode(std::string_view s) {
  if (s.empty() || s.size() > tenancy::kMaxAuditCodeBytes) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

// The refusal's code: the handler's, the problem's, or the HTTP status.
std::string CodeOf(const AccountingRecord& r, const AuditNote& note) {
  if (IsCode(note.code)) return note.code;
  if (IsCode(r.problem_code)) return std::string(r.problem_code);
  return "http_" + std::to_string(r.status);
}

// The tenant a {tenant} parameter names: an id (offboarded ones included)
// or a live slug; nullopt when none exists.
std::optional<TenantId> ResolveTenantParam(const tenancy::Directory& directory,
                                           std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (auto id = TenantId::Parse(name)) {
    if (directory.Get(*id)) return *id;
    return std::nullopt;
  }
  if (!tenancy::IsValidSlug(name)) return std::nullopt;
  if (auto t = directory.GetBySlug(name)) return (*t)->id;
  return std::nullopt;
}

// `pattern` with each "{name}" replaced by the route's parameter; {tenant}
// by the resolved tenant's id when there is one.
std::string ExpandTarget(std::string_view pattern, const RouteParams* params,
                         const std::optional<TenantId>& tenant) {
  std::string out;
  while (!pattern.empty()) {
    const auto open = pattern.find('{');
    const auto close = open == std::string_view::npos ? open : pattern.find('}', open);
    if (close == std::string_view::npos) {
      out += pattern;
      break;
    }
    out += pattern.substr(0, open);
    const std::string_view name = pattern.substr(open + 1, close - open - 1);
    if (name == "tenant" && tenant) {
      out += tenant->str();
    } else {
      out += SafeTargetPart(params ? params->Get(name) : std::string_view{});
    }
    pattern.remove_prefix(close + 1);
  }
  return out.substr(0, tenancy::kMaxAuditTargetBytes);
}

}  // namespace

std::span<const AuditedRoute> AuditedRoutes() noexcept { return kRoutes; }

AuditTrail::AuditTrail(tenancy::AuditLog& log, const tenancy::Directory& directory)
    : log_(log), directory_(directory) {
  for (const AuditedRoute& r : kRoutes) by_pattern_[r.pattern].push_back(&r);
}

const AuditedRoute* AuditTrail::Find(http::verb method, std::string_view pattern) const noexcept {
  const auto it = by_pattern_.find(pattern);
  if (it == by_pattern_.end()) return nullptr;
  for (const AuditedRoute* r : it->second)
    if (r->method == method) return r;
  return nullptr;
}

std::vector<AuditEntry> AuditTrail::EntriesOf(const AccountingRecord& r) const {
  std::vector<AuditEntry> out;
  if (r.route.empty()) return out;  // no route: nothing was attempted
  static const AuditNote kNoNote;
  const AuditNote& note = r.audit ? *r.audit : kNoNote;
  const AuditedRoute* route = Find(r.method, r.route);
  // A tenant-scoped route is the only kind that resolves a tenant.
  const bool tenant_route = r.tenant != nullptr;
  const tenancy::Principal* who = r.context ? &r.context->principal() : r.principal;
  const bool by_operator = who && who->kind == PrincipalKind::kPlatformOperator;
  // An operator inside a tenant (or refused there) is recorded on any route.
  const bool impersonation = tenant_route && by_operator;
  if (!route && !impersonation) return out;
  if (route && route->only_noted && note.empty()) return out;

  AuditEntry e;
  if (note.actor) {
    e.actor = *note.actor;
  } else if (r.context) {
    e.actor = tenancy::AuditActorOf(*r.context);
  } else if (r.principal) {
    e.actor = ActorOf(*r.principal);
  } else {
    return out;  // nobody authenticated: nothing to attribute
  }
  e.outcome = note.outcome.value_or(OutcomeOf(r.status));
  if (e.outcome != AuditOutcome::kSuccess) e.code = CodeOf(r, note);

  // The tenant the action concerns.
  std::optional<TenantId> tenant;
  if (!note.tenant.empty())
    if (auto id = TenantId::Parse(note.tenant)) tenant = *id;
  if (!tenant && route && r.params && !r.params->Get("tenant").empty())
    tenant = ResolveTenantParam(directory_, r.params->Get("tenant"));
  if (!tenant && r.tenant) tenant = *r.tenant;

  e.action = !note.action.empty() ? note.action
             : route             ? std::string(route->action)
                                 : std::string(kImpersonateAction);
  if (!note.target.empty()) {
    e.target = note.target.substr(0, tenancy::kMaxAuditTargetBytes);
  } else if (route) {
    e.target = ExpandTarget(route->target, r.params, tenant);
  } else {
    e.target = "route:" + std::string(http::to_string(r.method)) + " " + std::string(r.route);
  }
  e.request_id = std::string(r.request_id.substr(0, tenancy::kMaxAuditRequestIdBytes));

  boost::json::object details = note.details;
  if (impersonation && r.context) details["impersonated"] = true;
  if (e.outcome != AuditOutcome::kSuccess) details["status"] = r.status;
  if (!details.empty()) {
    e.details = boost::json::serialize(details);
    if (e.details.size() > tenancy::kMaxAuditDetailsBytes)
      e.details = boost::json::serialize(boost::json::object{{"truncated", true}, {"status", r.status}});
  }

  // The chains.
  bool to_platform = false;
  bool to_tenant = false;
  if (route && (route->only_noted || !tenant_route)) {
    // Platform routes and the public ones: as the table says.
    to_platform = route->chains == AuditChains::kPlatformAndTenant || !tenant;
    to_tenant = tenant.has_value();
  } else if (r.context) {
    to_tenant = true;
    to_platform = impersonation;
  } else {
    // Refused before a context: the caller may belong to another tenant,
    // which the addressed one must not learn; an operator's attempt is
    // the addressed tenant's business too.
    to_platform = true;
    to_tenant = impersonation;
  }
  if (to_tenant && tenant) {
    e.tenant = *tenant;
    out.push_back(e);
  }
  if (to_platform) {
    e.tenant.reset();
    out.push_back(std::move(e));
  }
  return out;
}

void AuditTrail::Record(const AccountingRecord& record) noexcept {
  try {
    for (const AuditEntry& e : EntriesOf(record)) {
      if (log_.Append(e)) {
        appended_.fetch_add(1, std::memory_order_relaxed);
      } else {
        failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } catch (...) {
    // The request was answered already; an entry that could not even be
    // built is a failure to count, not a crash.
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace tenancyd

// Tenant sprawl: idle tenants by last activity, and the policy that
// notifies, suspends or archives them.
//
//   GET  /v1/platform/idle-tenants?days=30&tier=trial
//     → {"days", "tier" (or null), "as_of", "count", "truncated",
//        "tenants": [{"tenant_id", "slug", "tier", "state", "created_at",
//                     "last_request_at" (null: never), "idle_since", "idle_days"}]}
//   POST /v1/platform/idle-tenants/apply  {"days": 30, "tier": "trial", "action": "notify"}
//     → {"action", "tier", "days", "as_of", "matched", "changed",
//        "results": [{"tenant_id", "slug", "idle_days", "state_before", "state",
//                     "outcome": "notified"|"suspended"|"archived"|"unchanged"|"failed",
//                     "error"?}]}
//
// A tenant is idle when its last request inside it (middleware/observe.hpp;
// durable, observability/activity.hpp) — or, never having made one, its
// creation — is at least `days` days old. Live tenants only (active,
// quarantined, suspended). Actions: notify appends a `tenant.idle` event to
// the tenant's outbox (its webhooks deliver it; suspended tenants' events
// wait for their return); suspend moves active and quarantined tenants to
// suspended; archive offboards (data deleted, keys crypto-shredded) and is
// refused with 409 `failed_precondition` unless the server allows it
// (ObservabilityOptions::idle_archive_allowed), before anything changes.
// The tier is required: a policy names the tenants it is for.
#include <boost/json.hpp>

#include "error_status.hpp"
#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/ops/observe.hpp"
#include "services/ops/observe_input.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::size_t kMaxListed = 10000;

struct IdleTenant {
  tenancy::Tenant tenant;
  Idleness idle;
};

bool Eligible(const tenancy::Tenant& t) {
  return t.state == tenancy::TenantState::kActive || t.state == tenancy::TenantState::kQuarantined ||
         t.state == tenancy::TenantState::kSuspended;
}

// Every live tenant of `tier` (any when empty) idle for `days` or more.
tenancy::Result<std::vector<IdleTenant>> FindIdle(const Observe& o, std::int64_t days,
                                                  std::string_view tier, std::int64_t now_ms) {
  const ActivityData activity = o.obs.Activity();
  std::vector<IdleTenant> out;
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  auto walked = o.directory.ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    if (!Eligible(t) || (!tier.empty() && t.tier != tier)) return true;
    const auto it = activity.tenants.find(t.id);
    const Idleness idle = IdlenessOf(t, it == activity.tenants.end() ? TenantActivity{} : it->second, now_ms);
    if (now_ms - idle.idle_since_ms >= days * kDayMs) out.push_back({t, idle});
    return true;
  });
  if (!walked) return walked.error();
  return out;
}

json::value Time(std::optional<std::int64_t> ms) {
  return ms ? json::value(Rfc3339(tenancy::FromUnixMillis(*ms))) : json::value(nullptr);
}

}  // namespace

Idleness IdlenessOf(const tenancy::Tenant& t, const TenantActivity& a, std::int64_t now_ms) {
  Idleness i;
  if (a.last_request_ms != 0) i.last_request_ms = a.last_request_ms;
  i.idle_since_ms = a.last_request_ms != 0 ? a.last_request_ms : tenancy::ToUnixMillis(t.created_at);
  i.idle_days = now_ms > i.idle_since_ms ? (now_ms - i.idle_since_ms) / kDayMs : 0;
  return i;
}

tenancy::Result<Response> IdleTenants(const Observe& o, Exchange& x) {
  auto params = ParseForm(x.query, {"days", "tier"});
  if (!params) return params.error();
  auto days = QueryInt(*params, "days", 1, kMaxIdleDays, 30);
  if (!days) return days.error();
  const auto tier = Lookup(*params, "tier");
  if (tier && !tenancy::IsValidTier(*tier))
    return Fail(Errc::kInvalidArgument, "parameter 'tier' must be 1-32 of [a-z0-9_-]");
  const std::int64_t now_ms = o.obs.NowMillis();
  auto idle = FindIdle(o, *days, tier.value_or(""), now_ms);
  if (!idle) return idle.error();
  json::array tenants;
  for (const IdleTenant& i : *idle) {
    if (tenants.size() == kMaxListed) break;
    tenants.push_back(json::object{{"tenant_id", i.tenant.id.str()},
                                   {"slug", i.tenant.slug},
                                   {"tier", i.tenant.tier},
                                   {"state", tenancy::ToString(i.tenant.state)},
                                   {"created_at", Rfc3339(i.tenant.created_at)},
                                   {"last_request_at", Time(i.idle.last_request_ms)},
                                   {"idle_since", Time(i.idle.idle_since_ms)},
                                   {"idle_days", i.idle.idle_days}});
  }
  return JsonResponse(http::status::ok,
                      json::object{{"days", *days},
                                   {"tier", tier ? json::value(std::string(*tier)) : json::value(nullptr)},
                                   {"as_of", Time(now_ms)},
                                   {"count", idle->size()},
                                   {"truncated", idle->size() > kMaxListed},
                                   {"tenants", std::move(tenants)}});
}

tenancy::Result<Response> ApplyIdlePolicy(const Observe& o, Exchange& x) {
  if (auto q = ParseForm(x.query, {}); !q || !q->empty())
    return Fail(Errc::kInvalidArgument, "this resource takes no query parameters");
  auto body = JsonBody::Parse(x.request, {"days", "tier", "action"});
  if (!body) return body.error();
  auto days = body->OptionalInt("days", 1, kMaxIdleDays);
  if (!days) return days.error();
  if (!*days) return Fail(Errc::kInvalidArgument, "field 'days' is required");
  auto tier = body->RequiredString("tier", 32);
  if (!tier) return tier.error();
  if (!tenancy::IsValidTier(*tier))
    return Fail(Errc::kInvalidArgument, "field 'tier' must be 1-32 of [a-z0-9_-]");
  auto action = body->RequiredString("action", 16);
  if (!action) return action.error();
  if (*action != "notify" && *action != "suspend" && *action != "archive")
    return Fail(Errc::kInvalidArgument, "field 'action' must be notify, suspend or archive");
  if (*action == "archive" && !o.obs.options().idle_archive_allowed)
    return Fail(Errc::kFailedPrecondition,
                "archiving idle tenants is not allowed by this server's configuration");

  const std::int64_t now_ms = o.obs.NowMillis();
  auto idle = FindIdle(o, **days, *tier, now_ms);
  if (!idle) return idle.error();
  const std::string reason = "idle for " + std::to_string(**days) + " days or more (sprawl policy)";
  tenancy::Logger& log = o.obs.logger();
  json::array results;
  std::int64_t changed = 0;
  for (const IdleTenant& i : *idle) {
    const tenancy::Tenant& t = i.tenant;
    json::object r{{"tenant_id", t.id.str()},
                   {"slug", t.slug},
                   {"idle_days", i.idle.idle_days},
                   {"state_before", tenancy::ToString(t.state)}};
    tenancy::TenantState after = t.state;
    std::string_view outcome = "unchanged";
    tenancy::Result<void> done;
    if (*action == "notify") {
      // As the operator who applied the policy: a suspended tenant's outbox
      // is reachable to operators only.
      auto ctx = o.directory.MintContext(t.id, x.who->principal, {}, x.request_id, x.TraceIdHex());
      if (!ctx) {
        done = ctx.error();
      } else {
        const json::object payload{{"tenant", t.id.str()},
                                   {"idle_days", i.idle.idle_days},
                                   {"policy_days", **days},
                                   {"last_request_at", Time(i.idle.last_request_ms)},
                                   {"idle_since", Time(i.idle.idle_since_ms)}};
        done = o.store.Transact(*ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
          auto seq = o.events.Append(tx, kTenantIdleEvent, payload);
          if (!seq) return seq.error();
          return {};
        });
        if (done) outcome = "notified";
      }
    } else if (*action == "suspend") {
      if (t.state != tenancy::TenantState::kSuspended) {
        auto moved = o.directory.ChangeState(t.id, tenancy::TenantState::kSuspended, reason);
        if (moved) {
          after = moved->state;
          outcome = "suspended";
        } else {
          done = moved.error();
        }
      }
    } else {
      auto gone = o.directory.Offboard(t.id, reason);
      if (gone) {
        after = gone->state;
        outcome = "archived";
      } else {
        done = gone.error();
      }
    }
    if (!done) {
      outcome = "failed";
      // The problem table's code, and its generic text where the library's
      // message may tell internal state.
      const ErrorStatus& row = StatusOf(done.error().code);
      r["error"] = json::object{
          {"code", row.code},
          {"message", row.hide_detail ? std::string(row.generic_detail) : done.error().message}};
    }
    if (outcome != "unchanged" && outcome != "failed") ++changed;
    r["state"] = tenancy::ToString(after);
    r["outcome"] = outcome;
    log.Info(tenancy::LogScope::Platform(x.request_id), "idle-tenant policy applied",
             {{"tenant", t.id}, {"action", *action}, {"outcome", outcome}, {"idle_days", i.idle.idle_days}});
    if (outcome != "archived")
      log.Info(tenancy::LogScope(t.id, x.request_id), "idle-tenant policy applied",
               {{"action", *action}, {"outcome", outcome}, {"idle_days", i.idle.idle_days}});
    results.push_back(std::move(r));
  }
  return JsonResponse(http::status::ok, json::object{{"action", *action},
                                                     {"tier", *tier},
                                                     {"days", **days},
                                                     {"as_of", Time(now_ms)},
                                                     {"matched", idle->size()},
                                                     {"changed", changed},
                                                     {"results", std::move(results)}});
}

}  // namespace tenancyd

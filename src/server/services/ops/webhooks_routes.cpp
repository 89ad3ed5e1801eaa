// Webhook subscriptions, deliveries and the delivery log, for the
// caller's tenant (tenancy::Webhooks confines every call to its context).
#include <boost/json.hpp>

#include <charconv>
#include <optional>
#include <vector>

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/data_plane.hpp"
#include "services/ops/ops.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxDescriptionBytes = 256;
constexpr std::size_t kMaxPatterns = 64;
constexpr std::size_t kMaxPatternBytes = 128;
constexpr std::int64_t kMaxOverlapSeconds = 7 * 24 * 3600;

json::object SubscriptionJson(const tenancy::WebhookSubscription& s) {
  json::array types;
  for (const auto& t : s.event_types) types.emplace_back(t);
  json::object o{{"id", s.id},
                 {"url", s.url},
                 {"event_types", std::move(types)},
                 {"enabled", s.enabled},
                 {"description", s.description},
                 {"created_at", Rfc3339(s.created_at)},
                 {"updated_at", Rfc3339(s.updated_at)}};
  o["previous_secret_expires_at"] = s.previous_secret_expires_at
                                        ? json::value(Rfc3339(*s.previous_secret_expires_at))
                                        : json::value(nullptr);
  return o;
}

json::object DeliveryJson(const tenancy::WebhookDelivery& d) {
  return json::object{{"id", d.id},
                      {"subscription_id", d.subscription_id},
                      {"event_sequence", d.event_sequence},
                      {"event_type", d.event_type},
                      {"state", tenancy::ToString(d.state)},
                      {"attempts", d.attempts},
                      {"total_attempts", d.total_attempts},
                      {"next_attempt_at", Rfc3339(d.next_attempt_at)},
                      {"last_status", d.last_status},
                      {"last_error", d.last_error},
                      {"created_at", Rfc3339(d.created_at)},
                      {"updated_at", Rfc3339(d.updated_at)}};
}

json::object AttemptJson(const tenancy::DeliveryAttempt& a) {
  return json::object{{"attempt", a.attempt},
                      {"subscription_id", a.subscription_id},
                      {"at", Rfc3339(a.at)},
                      {"status", a.status},
                      {"latency_us", a.latency.count()},
                      {"outcome", a.outcome},
                      {"error", a.error}};
}

// `event_types`: a non-empty array of pattern strings (the library checks
// each pattern's syntax).
tenancy::Result<std::vector<std::string>> ReadPatterns(const JsonBody& body) {
  const json::value* v = body.Raw("event_types");
  if (!v || !v->is_array() || v->as_array().empty() || v->as_array().size() > kMaxPatterns)
    return Fail(Errc::kInvalidArgument,
                "field 'event_types' must be an array of 1-64 event type patterns");
  std::vector<std::string> out;
  for (const json::value& p : v->as_array()) {
    if (!p.is_string() || p.as_string().size() > kMaxPatternBytes)
      return Fail(Errc::kInvalidArgument, "field 'event_types' must hold strings of at most 128 bytes");
    out.emplace_back(p.as_string());
  }
  return out;
}

// The library's refusals of a target, as the client's problem (422).
tenancy::Error TargetError(Exchange& x, const tenancy::Error& e) {
  if (e == Errc::kPermissionDenied) return x.Unprocessable("webhook_target_refused", e.message);
  if (e == Errc::kUnavailable)
    return x.Unprocessable("webhook_target_unresolvable", "the webhook URL's host does not resolve");
  if (e == Errc::kResourceExhausted)
    return x.Refuse("webhook_limit_reached", Errc::kFailedPrecondition, e.message);
  return e;
}

Response NoStore(Response res) {
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace

tenancy::Result<Response> CreateWebhook(const Ops& o, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"url", "event_types", "enabled", "description"});
  if (!body) return body.error();
  tenancy::NewSubscription req;
  auto url = body->RequiredString("url", kMaxUrlBytes);
  if (!url) return url.error();
  req.url = std::move(*url);
  auto patterns = ReadPatterns(*body);
  if (!patterns) return patterns.error();
  req.event_types = std::move(*patterns);
  auto enabled = body->OptionalBool("enabled");
  if (!enabled) return enabled.error();
  req.enabled = enabled->value_or(true);
  auto description = body->OptionalString("description", kMaxDescriptionBytes);
  if (!description) return description.error();
  req.description = description->value_or("");
  auto sub = o.webhooks.Subscribe(*x.context, req);
  if (!sub) return TargetError(x, sub.error());
  // The audit entry: the subscription, never its URL (receivers put
  // credentials in paths and queries) nor its secret.
  x.audit.target = "webhook:" + sub->subscription.id;
  json::array types;
  for (const auto& t : sub->subscription.event_types) types.emplace_back(t);
  x.audit.details = json::object{{"event_types", std::move(types)},
                                 {"enabled", sub->subscription.enabled}};
  json::object out = SubscriptionJson(sub->subscription);
  out["secret"] = sub->secret;  // the only time it is shown
  return NoStore(Created(out, "/v1/webhooks/" + sub->subscription.id));
}

tenancy::Result<Response> ListWebhooks(const Ops& o, Exchange& x) {
  auto params = ParseForm(x.query, {});
  if (!params) return params.error();
  auto subs = o.webhooks.ListSubscriptions(*x.context);
  if (!subs) return subs.error();
  json::array items;
  for (const auto& s : *subs) items.push_back(SubscriptionJson(s));
  return JsonResponse(http::status::ok, json::object{{"items", std::move(items)}});
}

tenancy::Result<Response> GetWebhook(const Ops& o, Exchange& x) {
  auto sub = o.webhooks.GetSubscription(*x.context, x.Param("id"));
  if (!sub) return sub.error();
  return JsonResponse(http::status::ok, SubscriptionJson(*sub));
}

tenancy::Result<Response> PatchWebhook(const Ops& o, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"url", "event_types", "enabled", "description"});
  if (!body) return body.error();
  tenancy::SubscriptionChange change;
  auto url = body->OptionalString("url", kMaxUrlBytes);
  if (!url) return url.error();
  change.url = std::move(*url);
  if (body->Has("event_types")) {
    auto patterns = ReadPatterns(*body);
    if (!patterns) return patterns.error();
    change.event_types = std::move(*patterns);
  }
  auto enabled = body->OptionalBool("enabled");
  if (!enabled) return enabled.error();
  change.enabled = *enabled;
  auto description = body->OptionalString("description", kMaxDescriptionBytes);
  if (!description) return description.error();
  change.description = std::move(*description);
  auto sub = o.webhooks.UpdateSubscription(*x.context, x.Param("id"), change);
  if (!sub) return TargetError(x, sub.error());
  json::array fields;  // which ones changed, not to what (a URL may hold credentials)
  for (const auto& [name, value] : body->object()) fields.emplace_back(name);
  x.audit.details = json::object{{"fields", std::move(fields)}};
  return JsonResponse(http::status::ok, SubscriptionJson(*sub));
}

tenancy::Result<Response> DeleteWebhook(const Ops& o, Exchange& x) {
  if (auto r = o.webhooks.RemoveSubscription(*x.context, x.Param("id")); !r) return r.error();
  return Response{http::status::no_content, 11};
}

tenancy::Result<Response> RotateWebhookSecret(const Ops& o, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"overlap_s"}, /*allow_empty=*/true);
  if (!body) return body.error();
  auto overlap = body->OptionalInt("overlap_s", 0, kMaxOverlapSeconds);
  if (!overlap) return overlap.error();
  auto secret = o.webhooks.RotateSecret(*x.context, x.Param("id"),
                                        std::chrono::seconds{overlap->value_or(24 * 3600)});
  if (!secret) return secret.error();
  x.audit.details = json::object{{"overlap_s", overlap->value_or(24 * 3600)}};
  auto sub = o.webhooks.GetSubscription(*x.context, x.Param("id"));
  if (!sub) return sub.error();
  json::object out = SubscriptionJson(*sub);
  out["secret"] = std::move(*secret);
  return NoStore(JsonResponse(http::status::ok, out));
}

tenancy::Result<Response> ListDeliveries(const Ops& o, Exchange& x) {
  auto params = ParseForm(x.query, {"state", "subscription_id", "limit", "cursor"});
  if (!params) return params.error();
  tenancy::DeliveryQuery q;
  if (auto s = Lookup(*params, "state")) {
    if (*s == "pending") {
      q.state = tenancy::DeliveryState::kPending;
    } else if (*s == "delivered") {
      q.state = tenancy::DeliveryState::kDelivered;
    } else if (*s == "dead") {
      q.state = tenancy::DeliveryState::kDead;
    } else {
      return Fail(Errc::kInvalidArgument, "parameter 'state' must be pending, delivered or dead");
    }
  }
  if (auto s = Lookup(*params, "subscription_id")) q.subscription_id = std::string(*s);
  if (auto v = Lookup(*params, "limit")) {
    std::size_t limit = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit < 1 || limit > 1000)
      return Fail(Errc::kInvalidArgument, "parameter 'limit' must be 1-1000");
    q.limit = limit;
  }
  if (auto c = Lookup(*params, "cursor")) q.after = std::string(*c);
  auto page = o.webhooks.ListDeliveries(*x.context, q);
  if (!page) return page.error();
  json::array items;
  for (const auto& d : page->items) items.push_back(DeliveryJson(d));
  return JsonResponse(http::status::ok, PageJson(std::move(items), page->next_cursor));
}

tenancy::Result<Response> GetDelivery(const Ops& o, Exchange& x) {
  auto d = o.webhooks.GetDelivery(*x.context, x.Param("id"));
  if (!d) return d.error();
  auto attempts = o.webhooks.ListAttempts(*x.context, x.Param("id"));
  if (!attempts) return attempts.error();
  json::array log;
  for (const auto& a : *attempts) log.push_back(AttemptJson(a));
  json::object out = DeliveryJson(*d);
  out["attempt_log"] = std::move(log);
  return JsonResponse(http::status::ok, out);
}

tenancy::Result<Response> RedeliverDelivery(const Ops& o, Exchange& x) {
  auto empty = JsonBody::Parse(x.request, {}, /*allow_empty=*/true);
  if (!empty) return empty.error();
  auto d = o.webhooks.Redeliver(*x.context, x.Param("id"));
  if (!d) {
    if (d.error() == Errc::kFailedPrecondition)
      return x.Refuse("delivery_pending", Errc::kFailedPrecondition, d.error().message);
    return d.error();
  }
  return JsonResponse(http::status::accepted, DeliveryJson(*d));
}

}  // namespace tenancyd

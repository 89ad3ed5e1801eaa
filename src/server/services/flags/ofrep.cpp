#include "services/flags/ofrep.hpp"

#include <boost/json.hpp>

#include <set>

#include "conditional.hpp"

namespace tenancyd {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxContextDepth = 16;
constexpr std::size_t kMaxKeyBytes = 256;

// The request's context: {"context": {...}} (an empty body counts as {}).
// nullopt with `error` set when it is not that shape.
std::optional<json::object> ReadContext(const Request& req, std::string& error) {
  if (req.body().empty()) return json::object{};
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = kMaxContextDepth;
  json::value v = json::parse(req.body(), ec, {}, opts);
  if (ec || !v.is_object()) {
    error = "the body must be a JSON object {\"context\": {...}}";
    return std::nullopt;
  }
  json::object& o = v.as_object();
  for (const auto& [k, _] : o)
    if (k != "context") {
      error = "unknown field in the request; only 'context' is accepted";
      return std::nullopt;
    }
  const json::value* c = o.if_contains("context");
  if (!c) return json::object{};
  if (!c->is_object()) {
    error = "'context' must be an object";
    return std::nullopt;
  }
  return c->as_object();
}

Response OfrepJson(http::status status, const json::value& body) {
  Response res = JsonResponse(status, body);
  res.set(http::field::cache_control, "no-store");
  return res;
}

// One flag's result in OFREP's shape; `status` is set for single answers.
json::object Evaluate(const tenancy::TenantFlags& flags, std::string_view key,
                      const json::object& context, http::status& status) {
  const auto d = flags.Evaluate(key, json::value(nullptr), context);
  status = http::status::ok;
  if (d.error != tenancy::FlagError::kNone) {
    status = d.error == tenancy::FlagError::kFlagNotFound ? http::status::not_found
                                                          : http::status::bad_request;
    return json::object{{"key", key},
                        {"errorCode", tenancy::ToString(d.error)},
                        {"errorDetails", d.error_message.empty()
                                             ? std::string(tenancy::ToString(d.error))
                                             : d.error_message}};
  }
  json::object out{{"key", key}, {"reason", tenancy::ToString(d.reason)}};
  if (d.reason != tenancy::FlagReason::kDisabled) {
    out["value"] = d.value;
    out["variant"] = d.variant;
  }
  out["metadata"] = d.metadata ? json::value(*d.metadata) : json::value(json::object{});
  return out;
}

}  // namespace

tenancy::Result<Response> OfrepEvaluateOne(tenancy::FlagStore& flags, Exchange& x) {
  const std::string_view key = x.Param("key");
  std::string error;
  auto context = ReadContext(x.request, error);
  if (!context)
    return OfrepJson(http::status::bad_request,
                     json::object{{"key", key.substr(0, kMaxKeyBytes)},
                                  {"errorCode", "INVALID_CONTEXT"},
                                  {"errorDetails", error}});
  http::status status;
  json::object out = Evaluate(flags.For(*x.context), key, *context, status);
  return OfrepJson(status, out);
}

tenancy::Result<Response> OfrepEvaluateAll(tenancy::FlagStore& flags, Exchange& x) {
  std::string error;
  auto context = ReadContext(x.request, error);
  if (!context)
    return OfrepJson(http::status::bad_request,
                     json::object{{"errorCode", "INVALID_CONTEXT"}, {"errorDetails", error}});
  const tenancy::TenantFlags tenant_flags = flags.For(*x.context);
  std::set<std::string> keys;
  for (auto& k : flags.Platform().Keys()) keys.insert(std::move(k));
  for (auto& k : flags.Overrides(x.context->tenant_id()).Keys()) keys.insert(std::move(k));
  json::array results;
  for (const std::string& key : keys) {
    http::status ignored;
    results.push_back(Evaluate(tenant_flags, key, *context, ignored));
  }
  // OFREP's bulk polling: the answer carries an ETag, and a provider that
  // sends it back in If-None-Match gets 304 while nothing it would see
  // changed (flags, overrides, or its own context).
  Response res = OfrepJson(http::status::ok, json::object{{"flags", std::move(results)}});
  const std::string etag = EntityTag(res.body());
  res.set(http::field::etag, etag);
  if (MatchesIfNoneMatch(x.request[http::field::if_none_match], etag)) {
    res.result(http::status::not_modified);
    res.body().clear();
    res.erase(http::field::content_type);
  }
  return res;
}

void AddOfrepRoutes(Router& router, tenancy::FlagStore& flags) {
  tenancy::FlagStore* f = &flags;
  router.Add(Route{.method = http::verb::post,
                   .pattern = "/ofrep/v1/evaluate/flags/{key}",
                   .scope = Scope::kTenant,
                   .permission = tenancy::Permission::kTenantRead,
                   .handler = [f](Exchange& x) { return OfrepEvaluateOne(*f, x); },
                   .reads_only = true});
  router.Add(Route{.method = http::verb::post,
                   .pattern = "/ofrep/v1/evaluate/flags",
                   .scope = Scope::kTenant,
                   .permission = tenancy::Permission::kTenantRead,
                   .handler = [f](Exchange& x) { return OfrepEvaluateAll(*f, x); },
                   .reads_only = true});
}

}  // namespace tenancyd

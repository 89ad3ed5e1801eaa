// POST /oauth/token: the client-credentials grant (RFC 6749 §4.4).
#include <sodium.h>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>

#include "json_input.hpp"
#include "services/auth/auth_service.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;

namespace {

constexpr std::size_t kMaxScopeBytes = 1024;

// RFC 6749 §5.2: {"error": code, "error_description": text}; no-store.
Response OAuthError(http::status status, std::string_view error, std::string_view description,
                    bool basic_challenge = false) {
  Response res = JsonResponse(status, json::object{{"error", error}, {"error_description", description}});
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  if (basic_challenge) res.set(http::field::www_authenticate, R"(Basic realm="tenancyd")");
  return res;
}

Response InvalidRequest(std::string_view why) {
  return OAuthError(http::status::bad_request, "invalid_request", why);
}

Response InvalidClient() {
  return OAuthError(http::status::unauthorized, "invalid_client", "client authentication failed",
                    true);
}

bool IsFormType(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string_view m = media;
  while (!m.empty() && m.back() == ' ') m.remove_suffix(1);
  return boost::beast::iequals(m, "application/x-www-form-urlencoded");
}

std::vector<std::string> SplitScope(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto sp = s.find(' ');
    if (sp != 0) out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

void Wipe(QueryParams& params) {
  for (auto& [k, v] : params) sodium_memzero(v.data(), v.size());
}

// A refusal to a client that proved its key goes to the key's tenant's
// audit chain (a key asking for roles it does not hold, a suspended
// tenant's client still trying): the audit trail records this route only
// when noted. Refusals before the proof are not noted: anyone could send
// them. Names the key's id, never the key.
Response Refused(Exchange& x, const tenancy::Authenticated& who, std::string_view error,
                 Response res) {
  x.audit.tenant = who.tenant.str();  // empty for a platform key: the platform chain
  x.audit.actor = tenancy::AuditActor{
      who.principal.id, who.platform() ? tenancy::AuditActorKind::kOperator
                                       : tenancy::AuditActorKind::kApiKey};
  x.audit.target = "api_key:" + who.credential_id;
  x.audit.outcome = tenancy::AuditOutcome::kDenied;
  x.audit.code = std::string(error);
  return res;
}

}  // namespace

tenancy::Result<Response> IssueAccessToken(const TokenService& tokens, Exchange& x) {
  const Request& req = x.request;
  if (!IsFormType(req[http::field::content_type]))
    return InvalidRequest("the body must be application/x-www-form-urlencoded");
  if (!x.query.empty()) return InvalidRequest("parameters belong in the body, not the URL");
  auto form = ParseForm(req.body(), {});
  if (!form) return InvalidRequest(form.error().message);
  struct Scrub {
    QueryParams& p;
    ~Scrub() { Wipe(p); }
  } scrub{*form};

  const auto grant = Lookup(*form, "grant_type");
  if (!grant || grant->empty()) return InvalidRequest("grant_type is required");
  if (*grant != "client_credentials")
    return OAuthError(http::status::bad_request, "unsupported_grant_type",
                      "only client_credentials is supported");

  // Exactly one client authentication method (RFC 6749 §2.3).
  std::optional<ClientCredentials> client;
  const auto body_id = Lookup(*form, "client_id");
  const auto body_secret = Lookup(*form, "client_secret");
  if (const auto authz = req.find(http::field::authorization); authz != req.end()) {
    if (body_secret) return InvalidRequest("use one client authentication method");
    client = ParseBasicCredentials(authz->value());
    if (!client) return InvalidClient();
    if (body_id && *body_id != client->id) return InvalidRequest("client_id differs from the Basic credentials");
  } else if (body_id && body_secret) {
    client.emplace();
    client->id = std::string(*body_id);
    client->secret = std::string(*body_secret);
  } else {
    return InvalidClient();
  }

  auto who = tokens.auth.AuthenticateApiKey(client->secret);
  if (!who) {
    if (who.error().code == Errc::kTenantSuspended)
      return OAuthError(http::status::bad_request, "invalid_grant", "the client's tenant is suspended");
    if (who.error().code == Errc::kUnauthenticated) return InvalidClient();
    return who.error();  // storage trouble: a 5xx problem, not the client's fault
  }
  // The id must name the key presented (not secret, so no constant time).
  if ((*who)->credential_id != client->id)
    return Refused(x, **who, "client_id_mismatch", InvalidClient());
  if ((*who)->platform())
    return Refused(x, **who, "unauthorized_client",
                   OAuthError(http::status::bad_request, "unauthorized_client",
                              "platform keys do not receive tenant access tokens"));

  std::vector<std::string> roles = (*who)->roles;
  if (const auto scope = Lookup(*form, "scope")) {
    if (scope->size() > kMaxScopeBytes) return InvalidRequest("scope is too long");
    std::vector<std::string> asked = SplitScope(*scope);
    if (asked.empty())
      return Refused(x, **who, "invalid_scope",
                     OAuthError(http::status::bad_request, "invalid_scope", "scope is empty"));
    for (const auto& s : asked)
      if (std::find(roles.begin(), roles.end(), s) == roles.end())
        return Refused(x, **who, "invalid_scope",
                       OAuthError(http::status::bad_request, "invalid_scope",
                                  "the client holds no role named in scope"));
    std::sort(asked.begin(), asked.end());
    asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
    roles = std::move(asked);
  }

  tenancy::TokenRequest treq;
  treq.subject = client->id;
  treq.roles = roles;
  treq.audience = tokens.audience;
  treq.ttl = tokens.ttl;
  auto token = tokens.auth.IssueToken((*who)->tenant, treq);
  if (!token) {
    if (token.error().code == Errc::kTenantSuspended)
      return Refused(x, **who, "invalid_grant",
                     OAuthError(http::status::bad_request, "invalid_grant",
                                "the client's tenant is suspended"));
    return token.error();
  }
  // tokens.ttl is checked at start-up against the library's cap
  // (AuthOptions::max_token_ttl), so it is the token's lifetime.
  std::string scope_out;
  for (const auto& r : roles) scope_out += (scope_out.empty() ? "" : " ") + r;
  Response res = JsonResponse(http::status::ok,
                              json::object{{"access_token", *token},
                                           {"token_type", "Bearer"},
                                           {"expires_in", tokens.ttl.count()},
                                           {"scope", scope_out}});
  sodium_memzero(token->data(), token->size());
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::pragma, "no-cache");
  return res;
}

}  // namespace tenancyd

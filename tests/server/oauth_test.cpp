// POST /oauth/token (RFC 6749 §4.4, §2.3.1, §5.2) without sockets.
#include "server_fixture.hpp"

#include <sodium.h>

#include "json_input.hpp"
#include "services/auth/auth_service.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

std::string Base64(std::string_view text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Response Token(AppWorld& w, std::string body, std::string basic = {}, std::string type = std::string(kForm)) {
  Request req = MakeRequest(http::verb::post, "/oauth/token", std::move(body), std::move(type));
  if (!basic.empty()) req.set(http::field::authorization, "Basic " + Base64(basic));
  return w.Call(std::move(req));
}

void RequireOAuthError(const Response& res, S status, std::string_view error) {
  INFO(res.body());
  REQUIRE(res.result() == status);
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(Str(BodyJson(res), "error") == error);
  CHECK(!Str(BodyJson(res), "error_description").empty());
}

TEST_CASE("client credentials in Basic or in the body buy a verifiable token", "[server][oauth]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Response basic = Token(w, "grant_type=client_credentials", a.client_id + ":" + a.key);
  REQUIRE(basic.result() == S::ok);
  CHECK(basic[http::field::cache_control] == "no-store");
  CHECK(basic[http::field::pragma] == "no-cache");
  const json::value v = BodyJson(basic);
  CHECK(Str(v, "token_type") == "Bearer");
  CHECK(v.at("expires_in").as_int64() == 900);
  CHECK(Str(v, "scope") == "tenant_admin");
  const std::string token = Str(v, "access_token");
  CHECK(std::count(token.begin(), token.end(), '.') == 2);
  // The token authenticates on tenant routes, as its tenant.
  const Response ping = w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), token));
  REQUIRE(ping.result() == S::ok);
  CHECK(Str(BodyJson(ping), "id") == a.id);
  RequireProblem(w.Call(WithBearer(MakeRequest(http::verb::get, "/t/nope/v1/tenant"), token)), S::not_found,
                 "tenant_unknown");

  // The body form, with '+' and percent-encoding decoded as a form.
  std::string encoded_key;
  for (char c : a.key) encoded_key += c == '-' ? std::string("%2D") : std::string(1, c);
  const Response body = Token(w, "grant_type=client_credentials&scope=tenant_admin&client_id=" + a.client_id +
                                      "&client_secret=" + encoded_key);
  REQUIRE(body.result() == S::ok);

  // Tokens expire by the clock (a ManualClock here).
  w.clock().Advance(std::chrono::seconds(900 + 61));
  RequireProblem(w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), token)), S::unauthorized,
                 "unauthenticated");
}

TEST_CASE("token endpoint errors follow RFC 6749 §5.2", "[server][oauth]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const std::string good = a.client_id + ":" + a.key;

  RequireOAuthError(Token(w, "grant_type=password&username=x", good), S::bad_request, "unsupported_grant_type");
  RequireOAuthError(Token(w, "scope=tenant_admin", good), S::bad_request, "invalid_request");
  RequireOAuthError(Token(w, R"({"grant_type":"client_credentials"})", good, "application/json"),
                    S::bad_request, "invalid_request");
  RequireOAuthError(Token(w, "grant_type=client_credentials&grant_type=client_credentials", good),
                    S::bad_request, "invalid_request");
  RequireOAuthError(Token(w, "grant_type=client_credentials&client_secret=" + a.key, good), S::bad_request,
                    "invalid_request");
  RequireOAuthError(Token(w, "grant_type=client_credentials&scope=platform_operator", good), S::bad_request,
                    "invalid_scope");
  RequireOAuthError(Token(w, "grant_type=client_credentials&scope=%20", good), S::bad_request, "invalid_scope");

  // invalid_client: 401 with a Basic challenge, whatever was wrong.
  for (const std::string& creds : {a.client_id + ":" + a.key + "x", b.client_id + ":" + a.key,
                                   std::string(":") + a.key, a.client_id + ":", std::string("no-colon")}) {
    INFO(creds);
    const Response res = Token(w, "grant_type=client_credentials", creds);
    RequireOAuthError(res, S::unauthorized, "invalid_client");
    CHECK(res[http::field::www_authenticate] == R"(Basic realm="tenancyd")");
    CHECK(res.body().find(a.key) == std::string::npos);
  }
  RequireOAuthError(Token(w, "grant_type=client_credentials"), S::unauthorized, "invalid_client");
  Request garbled = MakeRequest(http::verb::post, "/oauth/token", "grant_type=client_credentials",
                                std::string(kForm));
  garbled.set(http::field::authorization, "Basic %%%not-base64");
  RequireOAuthError(w.Call(std::move(garbled)), S::unauthorized, "invalid_client");

  // Platform keys get no tenant token.
  const std::string op = w.OperatorKey();
  const std::string op_id = op.substr(12, 12);  // "tk.platform." + 12 hex
  RequireOAuthError(Token(w, "grant_type=client_credentials", op_id + ":" + op), S::bad_request,
                    "unauthorized_client");

  // A suspended tenant's client is refused until it is resumed.
  const auto id = tenancy::TenantId::Parse(a.id).value();
  REQUIRE(w.app().platform().directory().ChangeState(id, tenancy::TenantState::kSuspended, "x"));
  RequireOAuthError(Token(w, "grant_type=client_credentials", good), S::bad_request, "invalid_grant");
  REQUIRE(w.app().platform().directory().ChangeState(id, tenancy::TenantState::kActive, "y"));
  CHECK(Token(w, "grant_type=client_credentials", good).result() == S::ok);
  // A revoked key is an unknown client.
  REQUIRE(w.app().platform().auth().RevokeApiKey(id, a.client_id));
  RequireOAuthError(Token(w, "grant_type=client_credentials", good), S::unauthorized, "invalid_client");
}

TEST_CASE("scope narrows the token's roles to ones the key holds", "[server][oauth]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const auto id = tenancy::TenantId::Parse(a.id).value();
  auto key = w.app().platform().auth().CreateApiKey(id, "ops", {"dispatcher", "billing_viewer"});
  REQUIRE(key);
  const std::string creds = key->info.key_id + ":" + key->key;
  const Response narrowed = Token(w, "grant_type=client_credentials&scope=billing_viewer", creds);
  REQUIRE(narrowed.result() == S::ok);
  CHECK(Str(BodyJson(narrowed), "scope") == "billing_viewer");
  RequireOAuthError(Token(w, "grant_type=client_credentials&scope=tenant_admin", creds), S::bad_request,
                    "invalid_scope");
  const Response all = Token(w, "grant_type=client_credentials", creds);
  REQUIRE(all.result() == S::ok);
  CHECK(Str(BodyJson(all), "scope") == "dispatcher billing_viewer");
}

}  // namespace
}  // namespace tenancyd::testing

namespace tenancyd::testing {
namespace {

TEST_CASE("form decoding: '+', escapes, repeats and hostile input", "[server][form]") {
  auto f = ParseForm("a=1&b=x+y%2Bz%20w&c&&d=&e=%41%62", {});
  REQUIRE(f);
  REQUIRE(f->size() == 5);
  CHECK(*Lookup(*f, "a") == "1");
  CHECK(*Lookup(*f, "b") == "x y+z w");
  CHECK(Lookup(*f, "c")->empty());
  CHECK(Lookup(*f, "d")->empty());
  CHECK(*Lookup(*f, "e") == "Ab");
  CHECK_FALSE(Lookup(*f, "z"));
  // The last value is exactly its bytes, whatever follows it in memory.
  const std::string buffer = "cursor=tn_0123456789abcdef\xff\xff";
  auto last = ParseForm(std::string_view(buffer).substr(0, buffer.size() - 2), {});
  REQUIRE(last);
  CHECK(*Lookup(*last, "cursor") == "tn_0123456789abcdef");
  for (const char* bad : {"a=%zz", "a=%4", "a=%", "%=1", "a=1&a=2", "a=1&b=2&a=3"}) {
    INFO(bad);
    CHECK_FALSE(ParseForm(bad, {}));
  }
  CHECK_FALSE(ParseForm("a=1&other=2", {"a"}));
  CHECK(ParseForm("a=1", {"a"}));
  auto nul = ParseForm("a=%00b", {});
  REQUIRE(nul);
  CHECK(Lookup(*nul, "a")->size() == 2);
}

TEST_CASE("Basic client credentials are decoded per RFC 6749 §2.3.1", "[server][form]") {
  auto c = ParseBasicCredentials("Basic " + Base64("my%3Aid:s%2Bcr+et"));
  REQUIRE(c);
  CHECK(c->id == "my:id");
  CHECK(c->secret == "s+cr et");
  CHECK(c->via_basic);
  CHECK(ParseBasicCredentials("basic " + Base64("a:b")));
  CHECK_FALSE(ParseBasicCredentials("Bearer " + Base64("a:b")));
  CHECK_FALSE(ParseBasicCredentials("Basic " + Base64("no colon")));
  CHECK_FALSE(ParseBasicCredentials("Basic !!!"));
  CHECK_FALSE(ParseBasicCredentials("Basic "));
  CHECK_FALSE(ParseBasicCredentials("Basic " + std::string(5000, 'A')));
  CHECK_FALSE(ParseBasicCredentials("Basic " + Base64("a&b:c")));
}

}  // namespace
}  // namespace tenancyd::testing

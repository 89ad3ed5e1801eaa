// The story so far over real sockets: an operator onboards two tenants, a
// tenant's client buys a token, the token verifies against the tenant's
// JWKS with libsodium directly (independent of our verifier), and neither
// tenant's credential reaches the other.
#include "live_server.hpp"

#include <sodium.h>

namespace tenancyd::testing {
namespace {

using S = http::status;

std::vector<unsigned char> B64Url(std::string_view text) {
  std::vector<unsigned char> out(text.size());
  std::size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    FAIL("not base64url: " << text);
  out.resize(len);
  return out;
}

std::string B64(std::string_view text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Onboarded OnboardOverTheWire(TestClient& c, const std::string& operator_key, const std::string& slug) {
  auto res = c.Roundtrip(WithBearer(
      MakeRequest(http::verb::post, "/v1/tenants",
                  R"({"slug":")" + slug + R"(","display_name":"Tenant )" + slug +
                      R"(","admin":{"name":"Admin of )" + slug + R"("}})"),
      operator_key));
  REQUIRE(res);
  INFO(res->body());
  REQUIRE(res->result() == S::created);
  const json::value v = BodyJson(*res);
  return {Str(v.at("tenant"), "id"), slug, Str(v.at("admin").at("api_key"), "client_id"),
          Str(v.at("admin").at("api_key"), "key")};
}

std::string TokenFor(TestClient& c, const Onboarded& t) {
  Request req = MakeRequest(http::verb::post, "/oauth/token", "grant_type=client_credentials",
                            "application/x-www-form-urlencoded");
  req.set(http::field::authorization, "Basic " + B64(t.client_id + ":" + t.key));
  auto res = c.Roundtrip(std::move(req));
  REQUIRE(res);
  INFO(res->body());
  REQUIRE(res->result() == S::ok);
  return Str(BodyJson(*res), "access_token");
}

TEST_CASE("onboard → token → JWKS → the signature verifies with libsodium alone", "[server][e2e]") {
  REQUIRE(sodium_init() >= 0);
  LiveServer s;
  s.Start();
  TestClient c = s.Connect();
  const std::string op = s.world().OperatorKey();
  const Onboarded acme = OnboardOverTheWire(c, op, "acme");
  const std::string token = TokenFor(c, acme);

  auto jwks_res = c.Roundtrip(MakeRequest(http::verb::get, "/t/acme/.well-known/jwks.json"));
  REQUIRE(jwks_res);
  REQUIRE(jwks_res->result() == S::ok);
  const json::value jwks = BodyJson(*jwks_res);

  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  REQUIRE(dot1 != dot2);
  const auto header_bytes = B64Url(std::string_view(token).substr(0, dot1));
  const json::value header = json::parse(std::string(header_bytes.begin(), header_bytes.end()));
  CHECK(Str(header, "alg") == "EdDSA");
  const std::string kid = Str(header, "kid");

  const json::object* key = nullptr;
  for (const auto& k : jwks.at("keys").as_array())
    if (Str(k, "kid") == kid) key = &k.as_object();
  REQUIRE(key);
  CHECK(Str(*key, "kty") == "OKP");
  CHECK(Str(*key, "crv") == "Ed25519");
  const auto pk = B64Url(Str(*key, "x"));
  REQUIRE(pk.size() == crypto_sign_PUBLICKEYBYTES);
  const auto sig = B64Url(std::string_view(token).substr(dot2 + 1));
  REQUIRE(sig.size() == crypto_sign_BYTES);
  const std::string_view signing_input = std::string_view(token).substr(0, dot2);
  CHECK(crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                                    signing_input.size(), pk.data()) == 0);
  // One flipped byte and it does not.
  std::string tampered(signing_input);
  tampered[tampered.size() / 2] ^= 1;
  CHECK(crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(tampered.data()),
                                    tampered.size(), pk.data()) != 0);
  const auto payload_bytes = B64Url(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1));
  const json::value claims = json::parse(std::string(payload_bytes.begin(), payload_bytes.end()));
  CHECK(Str(claims, "tid") == acme.id);
  CHECK(Str(claims, "sub") == acme.client_id);
  CHECK(Str(claims, "aud") == "tenancyd");

  // The token works on the tenant's routes over the same connection.
  auto me = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/t/acme/v1/tenant"), token));
  REQUIRE(me);
  CHECK(me->result() == S::ok);
  CHECK(Str(BodyJson(*me), "display_name") == "Tenant acme");
}

TEST_CASE("a tenant's credentials never read another tenant over the wire", "[server][e2e]") {
  LiveServer s;
  s.Start();
  TestClient c = s.Connect();
  const std::string op = s.world().OperatorKey();
  const Onboarded a = OnboardOverTheWire(c, op, "alpha");
  const Onboarded b = OnboardOverTheWire(c, op, "beta");
  const std::string a_token = TokenFor(c, a);

  for (const std::string& cred : {a.key, a_token}) {
    auto by_path = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/t/beta/v1/tenant"), cred));
    REQUIRE(by_path);
    RequireProblem(*by_path, S::not_found, "not_found");
    CHECK(by_path->body().find(b.id) == std::string::npos);
    Request hdr = WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), cred);
    hdr.set("X-Tenant", b.id);
    auto by_header = c.Roundtrip(std::move(hdr));
    REQUIRE(by_header);
    RequireProblem(*by_header, S::not_found, "not_found");
    // The control plane is closed to tenant credentials, whichever tenant.
    auto cp = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/v1/tenants/" + b.id), cred));
    REQUIRE(cp);
    RequireProblem(*cp, S::forbidden, "permission_denied");
    auto own = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), cred));
    REQUIRE(own);
    CHECK(Str(BodyJson(*own), "id") == a.id);
  }
  // The operator suspends beta: its key is refused, alpha's is not.
  auto sus = c.Roundtrip(WithBearer(
      MakeRequest(http::verb::post, "/v1/tenants/beta/suspend", R"({"reason":"test"})"), op));
  REQUIRE(sus);
  REQUIRE(sus->result() == S::ok);
  auto refused = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/v1/ping"), b.key));
  REQUIRE(refused);
  RequireProblem(*refused, S::forbidden, "tenant_suspended");
  auto fine = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/v1/ping"), a.key));
  REQUIRE(fine);
  CHECK(fine->result() == S::ok);
}

}  // namespace
}  // namespace tenancyd::testing

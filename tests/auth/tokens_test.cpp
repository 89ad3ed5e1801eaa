// Access tokens: EdDSA JWTs. Round trips, every kind of tampering, time,
// audience and issuer, algorithm confusion, cross-tenant use, revocation,
// signing-key rotation, the cache, the RFC 8037 test vector, and signatures
// checked independently with the openssl command-line tool.
#include <catch2/catch.hpp>

#include <sodium.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <string>

#include "support/security_fixture.hpp"
#include "tenancy/resolve.hpp"

using namespace tenancy;
using namespace tenancy::testing;
namespace fs = std::filesystem;

namespace {

using Verified = Result<std::shared_ptr<const Authenticated>>;

struct Jws {
  std::string header, payload, signature;  // base64url parts
  std::string Text() const { return header + "." + payload + "." + signature; }
  std::string SigningInput() const { return header + "." + payload; }
};

Jws SplitToken(const std::string& token) {
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  REQUIRE(d1 != std::string::npos);
  REQUIRE(d2 != std::string::npos);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}

std::string B64(std::string_view text) {
  return Base64UrlEncode({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}
std::string B64(std::span<const unsigned char> bytes) { return Base64UrlEncode(bytes); }
std::string Unb64(std::string_view text) {
  auto raw = Base64UrlDecode(text);
  REQUIRE(raw);
  return std::string(raw->begin(), raw->end());
}

std::string Claim(const std::string& json, const std::string& name) {
  std::smatch m;
  const std::regex re("\"" + name + "\":(\"[^\"]*\"|-?[0-9]+)");
  if (!std::regex_search(json, m, re)) return {};
  std::string v = m[1];
  if (v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::vector<std::string> All(const std::string& json, const std::string& name) {
  std::vector<std::string> out;
  const std::regex re("\"" + name + "\":\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

void CheckRefused(const Verified& r) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kUnauthenticated);
  CHECK(r.error().message == "invalid credentials");
}

std::int64_t NowSeconds(SecurityWorld& w) {
  return std::chrono::duration_cast<std::chrono::seconds>(w.clock().Now().time_since_epoch()).count();
}

// Signs arbitrary JWS with a tenant's real signing key, which the test digs
// out of the control database and unwraps with the master key from the key
// file — so the claim checks can be tested apart from the signature check.
class Forge {
 public:
  Forge(SecurityWorld& world, const Tenant& tenant) {
    RawDb db(world.control_db());
    auto rows = db.Query(
        "SELECT kid, wrapped_secret, master_key_id FROM tenancy_signing_keys WHERE tenant_id = ?1 "
        "AND current = 1 AND retired_at IS NULL",
        {tenant.id.str()});
    REQUIRE(rows.size() == 1);
    kid = *rows[0][0];
    const std::string wrapped = *rows[0][1];
    auto master = world.keys().Get(*rows[0][2]);
    REQUIRE(master);
    const std::string ad = "tenancy.sign.v1\x1f" + kid;
    constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    REQUIRE(wrapped.size() == kNonce + crypto_sign_SECRETKEYBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long len = 0;
    const auto* w = reinterpret_cast<const unsigned char*>(wrapped.data());
    REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(
                secret_key, &len, nullptr, w + kNonce, wrapped.size() - kNonce,
                reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), w, (*master)->key.data()) == 0);
    REQUIRE(len == crypto_sign_SECRETKEYBYTES);
  }
  ~Forge() { sodium_memzero(secret_key, sizeof secret_key); }

  std::string Sign(const std::string& header_json, const std::string& payload_json) const {
    const std::string input = B64(header_json) + "." + B64(payload_json);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                         secret_key);
    return input + "." + B64(std::span<const unsigned char>(sig));
  }
  std::string Header(const std::string& extra = "") const {
    return R"({"alg":"EdDSA","typ":"JWT","kid":")" + kid + "\"" + extra + "}";
  }

  std::string kid;
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES]{};
};

struct Claims {
  std::string iss = "tenancy", sub = "u1", aud = "\"app\"", tid, jti = "forged-jti", roles = "[\"rider\"]";
  std::int64_t iat = 0, nbf = 0, exp = 0;
  bool with_iat = true, with_exp = true, with_nbf = true;
  std::string Json() const {
    std::string s = "{\"iss\":\"" + iss + "\",\"sub\":\"" + sub + "\",\"aud\":" + aud;
    if (with_iat) s += ",\"iat\":" + std::to_string(iat);
    if (with_nbf) s += ",\"nbf\":" + std::to_string(nbf);
    if (with_exp) s += ",\"exp\":" + std::to_string(exp);
    return s + ",\"jti\":\"" + jti + "\",\"tid\":\"" + tid + "\",\"roles\":" + roles + "}";
  }
};

Claims ValidClaims(SecurityWorld& w, const Tenant& t) {
  Claims c;
  c.tid = t.id.str();
  c.iat = c.nbf = NowSeconds(w);
  c.exp = c.iat + 600;
  return c;
}

TokenRequest Request(std::string subject = "u1", std::vector<std::string> roles = {"rider"},
                     std::string audience = "app") {
  TokenRequest r;
  r.subject = std::move(subject);
  r.roles = std::move(roles);
  r.audience = std::move(audience);
  return r;
}

// -- openssl, run as an independent implementation --

int Run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void RequireOpenssl() {
  // Not optional: without an independent implementation these checks would
  // prove nothing, so a missing tool fails the test loudly.
  if (Run("command -v openssl") != 0) FAIL("the openssl command-line tool is required (apt install openssl)");
}

std::string Hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  REQUIRE(sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                         nullptr, nullptr, nullptr) == 0);
  return out;
}

// SubjectPublicKeyInfo / PKCS#8 DER for Ed25519 (RFC 8410).
std::string PublicDer(const std::string& x) { return Hex("302a300506032b6570032100") + x; }
std::string PrivateDer(const std::string& seed) { return Hex("302e020100300506032b657004220420") + seed; }

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("base64url helpers are canonical and unpadded", "[auth][token][base64]") {
  const std::string bytes = "\xfb\xff\xfe";
  CHECK(B64(std::string_view(bytes)) == "-__-");
  CHECK(Unb64("-__-") == bytes);
  CHECK(B64(std::string_view("")) == "");
  CHECK(B64(std::string_view("f")) == "Zg");
  CHECK(B64(std::string_view("fo")) == "Zm8");
  CHECK(B64(std::string_view("foo")) == "Zm9v");
  CHECK(Base64UrlDecode("").value().empty());
  // "Zh" and "Zm9" carry non-zero unused bits (canonical: "Zg", "Zm8").
  for (const char* bad : {"Zg==", "Zg=", "+/+/", "Zh", "Zm9", "Z", "Zm 9v", "Zm9v\n", "Zm9v."}) {
    CAPTURE(bad);
    auto r = Base64UrlDecode(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
}

TEST_CASE("RFC 8037 Appendix A: Ed25519 test vector", "[auth][token][rfc8037]") {
  const std::string d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
  const std::string x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string expected =
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

  const std::string seed = Unb64(d);
  REQUIRE(seed.size() == crypto_sign_SEEDBYTES);
  CHECK(B64(std::string_view(seed)) == d);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  REQUIRE(crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data())) == 0);
  CHECK(B64(std::span<const unsigned char>(pk)) == x);
  CHECK(Unb64(x) == std::string(reinterpret_cast<const char*>(pk), sizeof pk));

  // The signing input decodes to the RFC's header and payload.
  const auto dot = input.find('.');
  CHECK(Unb64(input.substr(0, dot)) == R"({"alg":"EdDSA"})");
  CHECK(Unb64(input.substr(dot + 1)) == "Example of Ed25519 signing");

  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(), sk);
  CHECK(B64(std::span<const unsigned char>(sig)) == expected);
  const std::string expected_raw = Unb64(expected);
  CHECK(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(expected_raw.data()),
                                    reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                                    pk) == 0);
  sodium_memzero(sk, sizeof sk);
}

TEST_CASE("openssl agrees with libsodium and verifies tenancy's tokens", "[auth][token][openssl]") {
  RequireOpenssl();
  TempDir tmp;
  auto path = [&](const char* name) { return (tmp.path() / name).string(); };

  SECTION("RFC 8037 key: openssl's signature equals libsodium's") {
    const std::string seed = Unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    WriteFileBytes(path("priv.der"), PrivateDer(seed));
    WriteFileBytes(path("input"), input);
    REQUIRE(Run("openssl pkey -inform DER -in " + path("priv.der") + " -out " + path("priv.pem")) == 0);
    REQUIRE(Run("openssl pkey -in " + path("priv.pem") + " -pubout -outform DER -out " + path("pub.der")) == 0);
    const std::string pub_der = ReadFileBytes(path("pub.der"));
    REQUIRE(pub_der.size() == 44);
    CHECK(B64(std::string_view(pub_der).substr(12)) == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    REQUIRE(Run("openssl pkeyutl -sign -rawin -inkey " + path("priv.pem") + " -in " + path("input") +
                " -out " + path("sig")) == 0);
    const std::string openssl_sig = ReadFileBytes(path("sig"));
    unsigned char pk[32], sk[64], sig[64];
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(), sk);
    CHECK(openssl_sig == std::string(reinterpret_cast<const char*>(sig), 64));
    CHECK(B64(std::string_view(openssl_sig)) ==
          "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  }

  SECTION("a tenancy token verifies with the key published in the JWKS") {
    SecurityWorld world;
    auto acme = world.Provision("acme");
    auto token = world.auth().IssueToken(acme.id, Request());
    REQUIRE(token);
    const Jws jws = SplitToken(*token);
    auto jwks = world.auth().Jwks(acme.id);
    REQUIRE(jwks);
    const auto xs = All(*jwks, "x");
    REQUIRE(xs.size() == 1);
    CHECK(All(*jwks, "kid") == std::vector<std::string>{Claim(Unb64(jws.header), "kid")});
    CHECK(All(*jwks, "kty") == std::vector<std::string>{"OKP"});
    CHECK(All(*jwks, "crv") == std::vector<std::string>{"Ed25519"});

    WriteFileBytes(path("pub.der"), PublicDer(Unb64(xs[0])));
    REQUIRE(Run("openssl pkey -pubin -inform DER -in " + path("pub.der") + " -out " + path("pub.pem")) == 0);
    WriteFileBytes(path("input"), jws.SigningInput());
    WriteFileBytes(path("sig"), Unb64(jws.signature));
    CHECK(Run("openssl pkeyutl -verify -pubin -inkey " + path("pub.pem") + " -rawin -in " + path("input") +
              " -sigfile " + path("sig")) == 0);
    // openssl is not a rubber stamp: a changed input fails.
    WriteFileBytes(path("input2"), jws.SigningInput() + "x");
    CHECK(Run("openssl pkeyutl -verify -pubin -inkey " + path("pub.pem") + " -rawin -in " + path("input2") +
              " -sigfile " + path("sig")) != 0);

    // And openssl signing our signing input with the tenant's key produces
    // exactly the token's signature (Ed25519 is deterministic).
    Forge forge(world, acme);
    WriteFileBytes(path("tenant.der"), PrivateDer(std::string(reinterpret_cast<const char*>(forge.secret_key), 32)));
    REQUIRE(Run("openssl pkey -inform DER -in " + path("tenant.der") + " -out " + path("tenant.pem")) == 0);
    REQUIRE(Run("openssl pkeyutl -sign -rawin -inkey " + path("tenant.pem") + " -in " + path("input") +
                " -out " + path("sig2")) == 0);
    CHECK(B64(std::string_view(ReadFileBytes(path("sig2")))) == jws.signature);
  }
}

TEST_CASE("issued tokens verify and carry their claims", "[auth][token]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request("user-42", {"dispatcher", "rider"}, "fleet-app"));
  REQUIRE(token);
  const Jws jws = SplitToken(*token);
  const std::string header = Unb64(jws.header), payload = Unb64(jws.payload);
  CHECK(Claim(header, "alg") == "EdDSA");
  CHECK(Claim(header, "typ") == "JWT");
  CHECK_FALSE(Claim(header, "kid").empty());
  CHECK(Claim(payload, "tid") == acme.id.str());
  CHECK(Claim(payload, "sub") == "user-42");
  CHECK(Claim(payload, "aud") == "fleet-app");
  CHECK(Claim(payload, "iss") == "tenancy");
  CHECK(ContainsBytes(payload, R"("roles":["dispatcher","rider"])"));
  const auto now = NowSeconds(world);
  CHECK(Claim(payload, "iat") == std::to_string(now));
  CHECK(Claim(payload, "nbf") == std::to_string(now));
  CHECK(Claim(payload, "exp") == std::to_string(now + 900));
  CHECK(Claim(payload, "jti").size() >= 16);

  auto who = world.auth().VerifyToken(*token, "fleet-app");
  REQUIRE(who);
  CHECK((*who)->tenant == acme.id);
  CHECK_FALSE((*who)->platform());
  CHECK((*who)->principal.id == "user-42");
  CHECK((*who)->principal.kind == PrincipalKind::kUser);
  CHECK((*who)->roles == std::vector<std::string>{"dispatcher", "rider"});
  CHECK((*who)->audiences == std::vector<std::string>{"fleet-app"});
  CHECK((*who)->credential_id == Claim(payload, "jti"));
  CHECK((*who)->expires_at == TimePoint{std::chrono::seconds{now + 900}});
  auto ctx = world.auth().ContextFor(**who, "req-1");
  REQUIRE(ctx);
  CHECK(ctx->tenant_id() == acme.id);
  CHECK(ctx->principal().id == "user-42");

  // Each token is unique; a restarted authenticator verifies old tokens.
  auto other = world.auth().IssueToken(acme.id, Request("user-42", {"dispatcher", "rider"}, "fleet-app"));
  CHECK(Claim(Unb64(SplitToken(*other).payload), "jti") != Claim(payload, "jti"));
  world.Reopen();
  CHECK(world.auth().VerifyToken(*token, "fleet-app"));

  SECTION("ttl is capped by max_token_ttl") {
    TokenRequest r = Request();
    r.ttl = std::chrono::hours(10);
    auto long_lived = world.auth().IssueToken(acme.id, r);
    REQUIRE(long_lived);
    const std::string p = Unb64(SplitToken(*long_lived).payload);
    CHECK(std::stoll(Claim(p, "exp")) - std::stoll(Claim(p, "iat")) == 3600);
  }
  SECTION("bad requests are refused") {
    CHECK(world.auth().IssueToken(acme.id, Request("u", {"platform_operator"})).error().code ==
          Errc::kInvalidArgument);
    CHECK(world.auth().IssueToken(acme.id, Request("u", {"support_readonly"})).error().code ==
          Errc::kInvalidArgument);
    CHECK(world.auth().IssueToken(acme.id, Request("")).error().code == Errc::kInvalidArgument);
    CHECK(world.auth().IssueToken(acme.id, Request("u", {}, "")).error().code == Errc::kInvalidArgument);
    TokenRequest zero = Request();
    zero.ttl = std::chrono::seconds(0);
    CHECK(world.auth().IssueToken(acme.id, zero).error().code == Errc::kInvalidArgument);
    CHECK(world.auth().IssueToken(TenantId::Generate(), Request()).error().code == Errc::kTenantUnknown);
  }
}

TEST_CASE("tampered tokens are refused", "[auth][token]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto beta = world.Provision("beta");
  auto token = world.auth().IssueToken(acme.id, Request("u1", {"rider"}));
  REQUIRE(token);
  REQUIRE(world.auth().IssueToken(beta.id, Request()));
  const Jws jws = SplitToken(*token);
  const std::string header = Unb64(jws.header), payload = Unb64(jws.payload);
  REQUIRE(world.auth().VerifyToken(*token, "app"));

  auto with_payload = [&](const std::string& p) { return Jws{jws.header, B64(p), jws.signature}.Text(); };
  auto with_header = [&](const std::string& h) { return Jws{B64(h), jws.payload, jws.signature}.Text(); };
  std::string sig = Unb64(jws.signature);

  std::vector<std::pair<const char*, std::string>> bad = {
      {"subject changed", with_payload(Replace(payload, "\"u1\"", "\"u2\""))},
      {"role escalated", with_payload(Replace(payload, "[\"rider\"]", "[\"tenant_admin\"]"))},
      {"expiry extended", with_payload(Replace(payload, "\"exp\":" + Claim(payload, "exp"),
                                               "\"exp\":" + std::to_string(NowSeconds(world) + 86400)))},
      {"tenant changed", with_payload(Replace(payload, acme.id.str(), beta.id.str()))},
      {"whitespace added to payload", with_payload(" " + payload)},
      {"typ changed", with_header(Replace(header, "\"JWT\"", "\"jwt\""))},
      {"header re-encoded", with_header(header + " ")},
      {"kid of another tenant", with_header(Replace(header, Claim(header, "kid"), [&] {
         auto bt = world.auth().IssueToken(beta.id, Request());
         return Claim(Unb64(SplitToken(*bt).header), "kid");
       }()))},
      {"signature bit flipped", [&] {
         std::string s = sig;
         s[10] = static_cast<char>(s[10] ^ 0x04);
         return Jws{jws.header, jws.payload, B64(std::string_view(s))}.Text();
       }()},
      {"signature truncated", Jws{jws.header, jws.payload, jws.signature.substr(0, 80)}.Text()},
      {"signature extended", Jws{jws.header, jws.payload, jws.signature + "AA"}.Text()},
      {"signature empty", Jws{jws.header, jws.payload, ""}.Text()},
      {"signature of another token", [&] {
         auto other = world.auth().IssueToken(acme.id, Request("u1", {"rider"}));
         return Jws{jws.header, jws.payload, SplitToken(*other).signature}.Text();
       }()},
      {"signature non-canonical (S + L)", [&] {
         // Ed25519 malleability: S and S + L verify in lax implementations.
         static const unsigned char L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                             0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                             0,    0,    0,    0,    0,    0,    0,    0,
                                             0,    0,    0,    0,    0,    0,    0,    0x10};
         std::string s = sig;
         unsigned carry = 0;
         for (int i = 0; i < 32; ++i) {
           const unsigned v = static_cast<unsigned char>(s[32 + i]) + L[i] + carry;
           s[32 + i] = static_cast<char>(v & 0xff);
           carry = v >> 8;
         }
         return Jws{jws.header, jws.payload, B64(std::string_view(s))}.Text();
       }()},
      {"padded signature", jws.Text() + "="},
      {"two segments", jws.SigningInput()},
      {"four segments", jws.Text() + ".e30"},
      {"empty", ""},
      {"dots only", ".."},
      {"oversized", jws.header + "." + B64(payload + std::string(9000, ' ')) + "." + jws.signature},
      {"lower-cased", [&] {
         std::string t = *token;
         for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
         return t;
       }()},
  };
  for (const auto& [what, text] : bad) {
    INFO(what);
    CheckRefused(world.auth().VerifyToken(text, "app"));
  }
  CHECK(world.auth().VerifyToken(*token, "app"));
}

TEST_CASE("token time claims are checked with the configured skew", "[auth][token][time]") {
  SecurityWorld world;  // skew 60 s
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request());  // exp = now + 900
  REQUIRE(token);
  REQUIRE(world.auth().IssueToken(acme.id, Request()));
  Forge forge(world, acme);

  SECTION("expired: refused fresh and from the cache") {
    auto fresh = world.auth().IssueToken(acme.id, Request());
    REQUIRE(world.auth().VerifyToken(*token, "app"));  // cached
    world.clock().Advance(std::chrono::seconds(900 + 59));
    CHECK(world.auth().VerifyToken(*token, "app"));  // within the skew
    world.clock().Advance(std::chrono::seconds(1));
    CheckRefused(world.auth().VerifyToken(*token, "app"));  // cached entry
    CheckRefused(world.auth().VerifyToken(*fresh, "app"));  // never verified before
    world.Reopen();
    CheckRefused(world.auth().VerifyToken(*token, "app"));
  }
  SECTION("issued in the future: refused until the skew allows") {
    world.clock().Advance(std::chrono::seconds(1000));
    auto future = world.auth().IssueToken(acme.id, Request());
    world.clock().Advance(-std::chrono::seconds(1000));
    CheckRefused(world.auth().VerifyToken(*future, "app"));
    world.clock().Advance(std::chrono::seconds(1000 - 60));
    CHECK(world.auth().VerifyToken(*future, "app"));
  }
  SECTION("nbf beyond the skew, with a current iat") {
    Claims c = ValidClaims(world, acme);
    c.nbf = c.iat + 61;
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
    c.nbf = c.iat + 60;
    c.jti = "nbf-ok";
    CHECK(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  }
  SECTION("iat in the future, with a current nbf") {
    Claims c = ValidClaims(world, acme);
    c.iat = c.nbf + 61;
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  }
  SECTION("missing or mistyped time claims") {
    Claims c = ValidClaims(world, acme);
    c.with_exp = false;
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
    c = ValidClaims(world, acme);
    c.with_iat = false;
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
    c = ValidClaims(world, acme);
    const std::string text_exp =
        Replace(c.Json(), "\"exp\":" + std::to_string(c.exp), "\"exp\":\"" + std::to_string(c.exp) + "\"");
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), text_exp), "app"));
    c.exp = c.iat - 3600;
    CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  }
  SECTION("the forge makes tokens the authenticator accepts (control)") {
    Claims c = ValidClaims(world, acme);
    auto who = world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app");
    REQUIRE(who);
    CHECK((*who)->credential_id == "forged-jti");
    c.aud = R"(["other","app"])";
    c.jti = "array-aud";
    CHECK(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  }
}

TEST_CASE("audience and issuer must match", "[auth][token]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request("u1", {"rider"}, "app"));
  REQUIRE(token);
  CheckRefused(world.auth().VerifyToken(*token, "admin-portal"));
  CheckRefused(world.auth().VerifyToken(*token, ""));
  REQUIRE(world.auth().VerifyToken(*token, "app"));
  CheckRefused(world.auth().VerifyToken(*token, "admin-portal"));  // cached: audience still checked
  CheckRefused(world.auth().VerifyToken(*token, "APP"));

  // Another issuer (same control database and keys) does not accept ours.
  AuthOptions other = world.auth_options();
  other.issuer = "someone-else";
  auto foreign = Authenticator::Open(other, world.directory(), world.keys());
  REQUIRE(foreign);
  CheckRefused((*foreign)->VerifyToken(*token, "app"));

  Forge forge(world, acme);
  Claims c = ValidClaims(world, acme);
  c.iss = "evil";
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  c = ValidClaims(world, acme);
  c.aud = R"(["a",1])";
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "a"));
  c = ValidClaims(world, acme);
  c.sub = "";
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  c = ValidClaims(world, acme);
  c.roles = R"(["rider","platform_operator"])";
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
}

TEST_CASE("only EdDSA is accepted: none, HMAC confusion and key-carrying headers are refused",
          "[auth][token][alg]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request());
  REQUIRE(token);
  const Jws jws = SplitToken(*token);
  const std::string kid = Claim(Unb64(jws.header), "kid");
  const std::string payload = Unb64(jws.payload);
  auto jwks = world.auth().Jwks(acme.id);
  const std::string x = All(*jwks, "x").at(0);
  const std::string pk = Unb64(x);
  REQUIRE(pk.size() == 32);

  auto hs256 = [&](const std::string& header, std::string_view key) {
    const std::string input = B64(header) + "." + jws.payload;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    crypto_auth_hmacsha256_final(&st, mac);
    return input + "." + B64(std::span<const unsigned char>(mac));
  };
  const std::string hs_header = R"({"alg":"HS256","typ":"JWT","kid":")" + kid + "\"}";

  // The classic confusion: HMAC keyed with the public key bytes (32 bytes:
  // exactly crypto_auth_hmacsha256's key size) and with its text forms.
  {
    const std::string t = hs256(hs_header, pk);
    const std::string input = t.substr(0, t.rfind('.'));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                           reinterpret_cast<const unsigned char*>(pk.data()));
    REQUIRE(t.substr(t.rfind('.') + 1) == B64(std::span<const unsigned char>(mac)));  // same MAC
    CheckRefused(world.auth().VerifyToken(t, "app"));
  }
  CheckRefused(world.auth().VerifyToken(hs256(hs_header, x), "app"));
  CheckRefused(world.auth().VerifyToken(hs256(hs_header, *jwks), "app"));
  CheckRefused(world.auth().VerifyToken(hs256(R"({"alg":"HS512","kid":")" + kid + "\"}", pk), "app"));

  // alg: none, with and without a signature.
  const std::string none = B64(R"({"alg":"none","typ":"JWT","kid":")" + kid + "\"}");
  CheckRefused(world.auth().VerifyToken(none + "." + jws.payload + ".", "app"));
  CheckRefused(world.auth().VerifyToken(none + "." + jws.payload + "." + jws.signature, "app"));
  CheckRefused(world.auth().VerifyToken(B64(R"({"alg":"None"})") + "." + jws.payload + ".", "app"));

  // Properly signed with the tenant's real key, but with a header the
  // verifier must refuse.
  Forge forge(world, acme);
  const std::string claims = ValidClaims(world, acme).Json();
  REQUIRE(world.auth().VerifyToken(forge.Sign(forge.Header(), claims), "app"));  // control
  const std::vector<std::pair<const char*, std::string>> headers = {
      {"crit", forge.Header(R"(,"crit":["exp"])")},
      {"jwk", forge.Header(R"(,"jwk":{"kty":"OKP","crv":"Ed25519","x":")" + x + "\"}")},
      {"jku", forge.Header(R"(,"jku":"https://evil.example/jwks.json")")},
      {"x5u", forge.Header(R"(,"x5u":"https://evil.example/cert.pem")")},
      {"alg lower case", R"({"alg":"eddsa","typ":"JWT","kid":")" + forge.kid + "\"}"},
      {"alg Ed25519", R"({"alg":"Ed25519","typ":"JWT","kid":")" + forge.kid + "\"}"},
      {"alg as array", R"({"alg":["EdDSA"],"typ":"JWT","kid":")" + forge.kid + "\"}"},
      {"alg missing", R"({"typ":"JWT","kid":")" + forge.kid + "\"}"},
      {"kid missing", R"({"alg":"EdDSA","typ":"JWT"})"},
      {"kid unknown", R"({"alg":"EdDSA","typ":"JWT","kid":"k0000000000000000"})"},
      {"kid not a string", R"({"alg":"EdDSA","typ":"JWT","kid":7})"},
      {"typ not JWT", R"({"alg":"EdDSA","typ":"at+jwt","kid":")" + forge.kid + "\"}"},
      {"header not an object", R"(["EdDSA"])"},
      {"header not JSON", "alg=EdDSA"},
  };
  for (const auto& [what, h] : headers) {
    INFO(what);
    CheckRefused(world.auth().VerifyToken(forge.Sign(h, claims), "app"));
  }

  // An attacker's own key announced in the header (jwk) is never trusted.
  unsigned char apk[32], ask[64];
  crypto_sign_keypair(apk, ask);
  const std::string attacker_header =
      R"({"alg":"EdDSA","typ":"JWT","kid":")" + kid + R"(","jwk":{"kty":"OKP","crv":"Ed25519","x":")" +
      B64(std::span<const unsigned char>(apk)) + "\"}}";
  const std::string input = B64(attacker_header) + "." + B64(claims);
  unsigned char asig[64];
  crypto_sign_detached(asig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(), ask);
  CheckRefused(world.auth().VerifyToken(input + "." + B64(std::span<const unsigned char>(asig)), "app"));
  (void)payload;
}

TEST_CASE("a token is good for its own tenant only", "[auth][token][tenant]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto beta = world.Provision("beta");
  auto token = world.auth().IssueToken(acme.id, Request());
  REQUIRE(token);
  REQUIRE(world.auth().IssueToken(beta.id, Request()));
  const Jws jws = SplitToken(*token);

  // tid edited to B: the signature no longer matches.
  const std::string edited = Replace(Unb64(jws.payload), acme.id.str(), beta.id.str());
  CheckRefused(world.auth().VerifyToken(Jws{jws.header, B64(edited), jws.signature}.Text(), "app"));

  // Signed by A's key (validly) but naming B: the key's tenant decides.
  Forge forge(world, acme);
  Claims c = ValidClaims(world, acme);
  c.tid = beta.id.str();
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));
  c.tid = "";
  CheckRefused(world.auth().VerifyToken(forge.Sign(forge.Header(), c.Json()), "app"));

  // A's valid token presented to a request resolved as B.
  auto who = world.auth().VerifyToken(*token, "app");
  REQUIRE(who);
  ResolverOptions ro;
  ro.base_domain = "rides.test";
  TenantResolver resolver(world.directory(), ro);
  RequestFacts facts;
  facts.host = "beta.rides.test";
  facts.path = "/rides";
  facts.credential = who->get();
  auto resolved = resolver.Resolve(facts);
  REQUIRE(resolved);
  CHECK(resolved->tenant->id == beta.id);
  auto check = TenantResolver::CheckCredential(*resolved, **who);
  REQUIRE_FALSE(check);
  CHECK(check.error().code == Errc::kTenantMismatch);
  facts.host = "acme.rides.test";
  CHECK(TenantResolver::CheckCredential(resolver.Resolve(facts).value(), **who));
}

TEST_CASE("revoked tokens are refused even when cached", "[auth][token][revoke]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request());
  auto keep = world.auth().IssueToken(acme.id, Request());
  REQUIRE(token);
  auto who = world.auth().VerifyToken(*token, "app");
  REQUIRE(who);
  REQUIRE(world.auth().VerifyToken(*keep, "app"));
  REQUIRE(world.auth().RevokeToken((*who)->credential_id, (*who)->expires_at));
  CheckRefused(world.auth().VerifyToken(*token, "app"));
  CHECK(world.auth().VerifyToken(*keep, "app"));  // only that one
  world.Reopen();
  CheckRefused(world.auth().VerifyToken(*token, "app"));
  CHECK(world.auth().VerifyToken(*keep, "app"));

  SECTION("a revocation outlives a restart for as long as the token could pass") {
    // Tokens pass until exp + skew; so must their revocations, also when
    // the revocation list is reloaded by a restart inside that window.
    TokenRequest shortlived = Request();
    shortlived.ttl = std::chrono::seconds(120);
    auto t = world.auth().IssueToken(acme.id, shortlived);
    REQUIRE(t);
    auto w = world.auth().VerifyToken(*t, "app");
    REQUIRE(w);
    REQUIRE(world.auth().RevokeToken((*w)->credential_id, (*w)->expires_at));
    world.clock().Advance(std::chrono::seconds(120 + 30));  // expired, but within the 60 s skew
    world.Reopen();
    CheckRefused(world.auth().VerifyToken(*t, "app"));
  }
  CHECK(world.auth().RevokeToken("", world.clock().Now()).error().code == Errc::kInvalidArgument);
  CHECK(world.auth().RevokeToken(std::string(129, 'j'), world.clock().Now()).error().code ==
        Errc::kInvalidArgument);
}

TEST_CASE("signing keys rotate, and retired keys stop verifying", "[auth][token][rotate]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto beta = world.Provision("beta");
  auto old_token = world.auth().IssueToken(acme.id, Request());
  REQUIRE(old_token);
  const std::string old_kid = Claim(Unb64(SplitToken(*old_token).header), "kid");
  REQUIRE(world.auth().VerifyToken(*old_token, "app"));
  CHECK(All(*world.auth().Jwks(acme.id), "kid") == std::vector<std::string>{old_kid});

  auto new_kid = world.auth().RotateSigningKey(acme.id);
  REQUIRE(new_kid);
  CHECK(*new_kid != old_kid);
  auto new_token = world.auth().IssueToken(acme.id, Request());
  REQUIRE(new_token);
  CHECK(Claim(Unb64(SplitToken(*new_token).header), "kid") == *new_kid);
  CHECK(world.auth().VerifyToken(*old_token, "app"));
  CHECK(world.auth().VerifyToken(*new_token, "app"));
  auto jwks = world.auth().Jwks(acme.id);
  // Both keys were made at the same (manual) instant: compare as sets.
  auto kids = All(*jwks, "kid");
  std::sort(kids.begin(), kids.end());
  auto expected = std::vector<std::string>{old_kid, *new_kid};
  std::sort(expected.begin(), expected.end());
  CHECK(kids == expected);
  CHECK(All(*jwks, "x").size() == 2);

  // Still verifies after a restart (the old key is loaded by kid).
  world.Reopen();
  CHECK(world.auth().VerifyToken(*old_token, "app"));

  // Only the owner can retire it.
  CHECK(world.auth().RetireSigningKey(beta.id, old_kid).error().code == Errc::kNotFound);
  REQUIRE(world.auth().RetireSigningKey(acme.id, old_kid));
  CheckRefused(world.auth().VerifyToken(*old_token, "app"));  // was cached
  CHECK(world.auth().VerifyToken(*new_token, "app"));
  CHECK(All(*world.auth().Jwks(acme.id), "kid") == std::vector<std::string>{*new_kid});
  CHECK(world.auth().RetireSigningKey(acme.id, old_kid).error().code == Errc::kNotFound);
  world.Reopen();
  CheckRefused(world.auth().VerifyToken(*old_token, "app"));

  SECTION("retiring the current key makes the next issue use a new one") {
    REQUIRE(world.auth().RetireSigningKey(acme.id, *new_kid));
    CheckRefused(world.auth().VerifyToken(*new_token, "app"));
    auto third = world.auth().IssueToken(acme.id, Request());
    REQUIRE(third);
    const std::string third_kid = Claim(Unb64(SplitToken(*third).header), "kid");
    CHECK(third_kid != *new_kid);
    CHECK(third_kid != old_kid);
    CHECK(world.auth().VerifyToken(*third, "app"));
    CHECK(All(*world.auth().Jwks(acme.id), "kid") == std::vector<std::string>{third_kid});
  }
}

TEST_CASE("tenant state is checked on every verification", "[auth][token][tenant]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto token = world.auth().IssueToken(acme.id, Request());
  auto fresh = world.auth().IssueToken(acme.id, Request());
  REQUIRE(token);
  REQUIRE(world.auth().VerifyToken(*token, "app"));  // cached
  world.Suspend(acme);
  for (const std::string* t : {&*token, &*fresh}) {
    auto r = world.auth().VerifyToken(*t, "app");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kTenantSuspended);
  }
  CHECK(world.auth().IssueToken(acme.id, Request()).error().code == Errc::kTenantSuspended);
  CHECK(world.auth().RotateSigningKey(acme.id).error().code == Errc::kTenantSuspended);
  world.Activate(acme);
  CHECK(world.auth().VerifyToken(*token, "app"));
  world.Offboard(acme);
  CheckRefused(world.auth().VerifyToken(*token, "app"));
  CheckRefused(world.auth().VerifyToken(*fresh, "app"));
}

TEST_CASE("the verification cache shares results and still honours expiry", "[auth][token][cache]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  TokenRequest r = Request();
  r.ttl = std::chrono::seconds(120);
  auto token = world.auth().IssueToken(acme.id, r);
  REQUIRE(token);
  auto first = world.auth().VerifyToken(*token, "app");
  auto second = world.auth().VerifyToken(*token, "app");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->get() == second->get());  // the same cached object

  world.clock().Advance(std::chrono::seconds(120 + 60));  // past exp + skew
  CheckRefused(world.auth().VerifyToken(*token, "app"));
  world.clock().Advance(-std::chrono::seconds(60));  // back inside: cache may serve again
  CHECK(world.auth().VerifyToken(*token, "app"));

  SECTION("a cache holding many tokens stays bounded and correct") {
    AuthOptions small = world.auth_options();
    small.cache_entries = 4;
    auto auth = Authenticator::Open(small, world.directory(), world.keys());
    REQUIRE(auth);
    std::vector<std::string> tokens;
    for (int i = 0; i < 10; ++i) tokens.push_back((*auth)->IssueToken(acme.id, Request()).value());
    for (int round = 0; round < 2; ++round)
      for (const auto& t : tokens) CHECK((*auth)->VerifyToken(t, "app"));
  }
}

TEST_CASE("revocations and retirements made by another process are seen within the cache lifetime",
          "[auth][token]") {
  SecurityWorld world;
  const Tenant t = world.Provision("acme");
  // A second process on the same control database.
  auto other = Authenticator::Open(world.auth_options(), world.directory(), world.keys());
  REQUIRE(other);
  TokenRequest req;
  req.subject = "u1";
  req.roles = {"rider"};
  req.audience = "api";
  const std::string token = world.auth().IssueToken(t.id, req).value();
  auto first = (*other)->VerifyToken(token, "api");
  REQUIRE(first);  // now cached there

  REQUIRE(world.auth().RevokeToken((*first)->credential_id, (*first)->expires_at));
  world.clock().Advance(std::chrono::seconds(31));
  CHECK((*other)->VerifyToken(token, "api").error().code == Errc::kUnauthenticated);

  // A token signed with a key retired elsewhere stops verifying there too.
  const std::string token2 = world.auth().IssueToken(t.id, req).value();
  REQUIRE((*other)->VerifyToken(token2, "api"));
  const auto jwks = world.auth().Jwks(t.id).value();
  const auto at = jwks.find("\"kid\":\"") + 7;
  const std::string kid = jwks.substr(at, jwks.find('"', at) - at);
  REQUIRE(world.auth().RetireSigningKey(t.id, kid));
  world.clock().Advance(std::chrono::seconds(31));
  CHECK((*other)->VerifyToken(token2, "api").error().code == Errc::kUnauthenticated);
}

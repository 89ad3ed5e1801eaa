// Configuration schema: settings of every type, their bounds, the built-in
// domain settings (branding, time zone), and errors that name the field.
#include <boost/json/parse.hpp>

#include <string>

#include "support/catch_tenancy.hpp"
#include "tenancy/config.hpp"

using namespace tenancy;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

ConfigSchema TestSchema() {
  ConfigSchema s;
  REQUIRE(s.Add(SettingSpec::Integer("dispatch.radius_m", 1500, 100, 50'000, "Search radius.")));
  REQUIRE(s.Add(SettingSpec::Bool("payments.cash", true, "Cash accepted.")));
  REQUIRE(s.Add(SettingSpec::Number("dispatch.driver_share", 0.8, 0, 1, "Driver's share.")));
  REQUIRE(s.Add(SettingSpec::String("support.email", "help@example.com", 254, "Support address.",
                                    R"([^@\s]+@[^@\s]+\.[a-z]+)")));
  REQUIRE(s.Add(SettingSpec::Enum("booking.mode", "instant", {"instant", "scheduled", "both"},
                                  "Booking modes.")));
  return s;
}

std::string Invalid(const ConfigSchema& s, std::string_view key, std::string_view json) {
  auto r = s.Validate(key, J(json));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  return r.error().message;
}

}  // namespace

TEST_CASE("the schema starts with the built-in domain settings", "[config][schema]") {
  const ConfigSchema s;
  CHECK(s.Keys() == std::vector<std::string_view>{"branding", "time_zone", "zones", "pricing"});
  REQUIRE(s.Find("pricing"));
  CHECK(s.Find("pricing")->type == SettingType::kPricing);
  CHECK(s.Find("time_zone")->default_value == J(R"("UTC")"));
  CHECK(s.Find("nope") == nullptr);
  const auto doc = s.Describe();
  REQUIRE(doc.size() == 4);
  CHECK(doc[0].at("key") == "branding");
  CHECK(doc[0].at("type") == "branding");
  CHECK(!doc[0].at("doc").as_string().empty());
}

TEST_CASE("adding settings: keys, bounds, defaults and patterns are checked", "[config][schema]") {
  ConfigSchema s = TestSchema();
  CHECK(s.size() == 9);
  CHECK(s.Find("dispatch.radius_m")->max_int == 50'000);

  auto err = [&](SettingSpec spec) {
    auto r = s.Add(std::move(spec));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    return r.error().message;
  };
  CHECK(err(SettingSpec::Integer("dispatch.radius_m", 1, 0, 10, "")) ==
        "dispatch.radius_m: a setting with this key exists already");
  CHECK(err(SettingSpec::Bool("Dispatch.x", true, "")).find("malformed") != std::string::npos);
  CHECK(err(SettingSpec::Bool("dispatch..x", true, "")).find("malformed") != std::string::npos);
  CHECK(err(SettingSpec::Bool("dispatch.", true, "")).find("malformed") != std::string::npos);
  CHECK(err(SettingSpec::Bool("1st", true, "")).find("malformed") != std::string::npos);
  CHECK(err(SettingSpec::Bool(std::string(129, 'a'), true, "")).find("malformed") != std::string::npos);
  CHECK(err(SettingSpec::Integer("a.b", 5, 10, 1, "")) == "a.b: min_int exceeds max_int");
  CHECK(err(SettingSpec::Integer("a.b", 50, 0, 10, "")) == "default value: a.b: must be <= 10");
  CHECK(err(SettingSpec::Number("a.b", 0.5, 1, 0, "")) == "a.b: min_number exceeds max_number");
  CHECK(err(SettingSpec::Enum("a.b", "x", {"y", "z"}, "")) ==
        "default value: a.b: must be one of \"y\", \"z\"");
  CHECK(err(SettingSpec::String("a.b", "", 10, "", "([a-z")).starts_with("a.b: pattern does not compile"));
  CHECK(err(SettingSpec::String("a.b", "", kMaxSettingStringBytes + 1, "")) ==
        "a.b: max_length exceeds 4096");
  SettingSpec zones;
  zones.key = "service.area";
  zones.type = SettingType::kZones;
  zones.default_value = J(R"({"type": "FeatureCollection", "features": [{}]})");
  CHECK(err(zones) == "default value: service.area.features[0].type: is missing");
  // A failed Add leaves the schema as it was.
  CHECK(s.size() == 9);
  CHECK(s.Find("a.b") == nullptr);
  CHECK(s.Add(SettingSpec::Integer("a.b", 5, 0, 10, "")));
}

TEST_CASE("values are checked by type, naming the field", "[config][schema][validation]") {
  const ConfigSchema s = TestSchema();
  CHECK(s.Validate("dispatch.radius_m", J("2000")));
  CHECK(s.Validate("dispatch.radius_m", J("2000.0")));  // whole doubles are integers
  CHECK(Invalid(s, "dispatch.radius_m", "99") == "dispatch.radius_m: must be >= 100");
  CHECK(Invalid(s, "dispatch.radius_m", "50001") == "dispatch.radius_m: must be <= 50000");
  CHECK(Invalid(s, "dispatch.radius_m", "150.5") == "dispatch.radius_m: must be an integer");
  CHECK(Invalid(s, "dispatch.radius_m", "\"1500\"") == "dispatch.radius_m: must be an integer, not a string");
  CHECK(Invalid(s, "dispatch.radius_m", "18446744073709551615") == "dispatch.radius_m: is out of range");
  CHECK(Invalid(s, "payments.cash", "1") == "payments.cash: must be a boolean, not a number");
  CHECK(s.Validate("dispatch.driver_share", J("1")));
  CHECK(Invalid(s, "dispatch.driver_share", "1.01") == "dispatch.driver_share: must be <= 1");
  CHECK(Invalid(s, "dispatch.driver_share", "-0.5") == "dispatch.driver_share: must be >= 0");
  CHECK(s.Validate("support.email", J(R"("ops@acme.example")")));
  CHECK(Invalid(s, "support.email", R"("not an email")") ==
        R"(support.email: must match the pattern [^@\s]+@[^@\s]+\.[a-z]+)");
  CHECK(Invalid(s, "support.email", ("\"" + std::string(255, 'a') + "\"")) ==
        "support.email: must be at most 254 bytes");
  CHECK(Invalid(s, "support.email", R"("a\u0000b@c.de")") ==
        "support.email: must be UTF-8 without control characters");
  CHECK(Invalid(s, "booking.mode", R"("later")") ==
        R"(booking.mode: must be one of "instant", "scheduled", "both")");
  CHECK(Invalid(s, "no.such", "1") == "no.such: unknown setting");
  CHECK(Invalid(s, "zones", R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]})") ==
        "zones.features[0].geometry.coordinates[0]: ring is not closed (the last position must equal the first)");
  CHECK(Invalid(s, "pricing", R"({"currency":"EUR","surge":[{"multiplier":2},{"multiplier":0.9}]})") ==
        "pricing.surge[1].multiplier: must be >= 1");
}

TEST_CASE("a pattern with catastrophic backtracking refuses instead of hanging", "[config][schema]") {
  ConfigSchema s;
  REQUIRE(s.Add(SettingSpec::String("evil.re", "aa", 4096, "", "(a+)+b|aa")));
  std::string value = "\"" + std::string(200, 'a') + "c\"";
  auto r = s.Validate("evil.re", J(value));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  CHECK(r.error().message == "evil.re: is too complex to check against the pattern");
  CHECK(s.Validate("evil.re", J(R"("aaab")")));  // the same pattern still matches what it should
}

TEST_CASE("branding: name, colours and an https logo", "[config][branding]") {
  auto ok = Branding::Parse(J(R"({"name": "ACME Cabs 🚕", "primary_color": "#FF8800",
      "secondary_color": "#00aa11", "logo_url": "https://cdn.acme.example:8443/logo.svg?v=2#top"})"));
  REQUIRE(ok);
  CHECK(ok->name == "ACME Cabs 🚕");
  CHECK(ok->primary_color == "#FF8800");
  CHECK(ok->accent_color.empty());
  CHECK(ok->logo_url == "https://cdn.acme.example:8443/logo.svg?v=2#top");

  auto err = [](std::string_view json) {
    auto r = Branding::Parse(J(json));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    return r.error().message;
  };
  const std::string base = R"("name": "A", "primary_color": "#000000")";
  CHECK(err(R"({"primary_color": "#000000"})") == "branding.name: is missing");
  CHECK(err(R"({"name": "", "primary_color": "#000000"})") == "branding.name: must be 1 to 100 characters");
  CHECK(err(R"({"name": ")" + std::string(101, 'x') + R"(", "primary_color": "#000000"})") ==
        "branding.name: must be 1 to 100 characters");
  // 100 characters of 4 bytes each are fine: characters, not bytes.
  std::string cabs;
  for (int i = 0; i < 100; ++i) cabs += "🚕";
  CHECK(Branding::Parse(J(R"({"name": ")" + cabs + R"(", "primary_color": "#000000"})")));
  CHECK(err(R"({"name": "a\nb", "primary_color": "#000000"})") ==
        "branding.name: must be UTF-8 without control characters");
  CHECK(err(R"({"name": "A"})") == "branding.primary_color: is missing");
  CHECK(err(R"({"name": "A", "primary_color": "red"})") == "branding.primary_color: must be a colour \"#RRGGBB\"");
  CHECK(err(R"({"name": "A", "primary_color": "#12345G"})") == "branding.primary_color: must be a colour \"#RRGGBB\"");
  CHECK(err("{" + base + R"(, "accent_color": "#FFF"})") == "branding.accent_color: must be a colour \"#RRGGBB\"");
  CHECK(err("{" + base + R"(, "font": "Comic Sans"})") == "branding.font: unknown member");
  for (const char* url : {"javascript:alert(1)", "data:image/png;base64,AAAA", "http://acme.example/logo.png",
                          "HTTP://acme.example/logo.png", "//acme.example/logo.png", "https:/acme.example/x",
                          "ftp://acme.example/x", "https:acme.example"}) {
    INFO(url);
    CHECK(err("{" + base + R"(, "logo_url": ")" + url + R"("})") == "branding.logo_url: must be an https:// URL");
  }
  CHECK(err("{" + base + R"(, "logo_url": "https://user:pw@acme.example/x"})") ==
        "branding.logo_url: must not carry credentials (user@host)");
  CHECK(err("{" + base + R"(, "logo_url": "https://acme.example/a b.png"})") ==
        "branding.logo_url: has characters that must be percent-encoded, or a bad escape");
  CHECK(err("{" + base + R"(, "logo_url": "https://acme.example/%zz"})") ==
        "branding.logo_url: has characters that must be percent-encoded, or a bad escape");
  CHECK(err("{" + base + R"(, "logo_url": "https://-bad-.example/x"})") ==
        "branding.logo_url: has an invalid host name");
  CHECK(err("{" + base + R"(, "logo_url": "https:///x"})") == "branding.logo_url: has an invalid host name");
  CHECK(err("{" + base + R"(, "logo_url": "https://acme.example:99999/x"})") ==
        "branding.logo_url: has an invalid port");
  const std::string long_url = "https://acme.example/" + std::string(2048, 'a');
  CHECK(err("{" + base + R"(, "logo_url": ")" + long_url + R"("})") ==
        "branding.logo_url: must be at most 2048 bytes");
  CHECK(Branding::Parse(J("{" + base + R"(, "logo_url": "HTTPS://[2001:db8::1]/logo.png"})")));
  CHECK(Branding::Parse(J("{" + base + R"(, "logo_url": "https://acme.example/logo%20big.png"})")));
}

TEST_CASE("time zone names: plausible IANA names only", "[config][timezone]") {
  for (const char* ok : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                         "Etc/GMT-14", "America/Port-au-Prince", "EST5EDT"}) {
    INFO(ok);
    CHECK(CheckTimeZoneName(ok));
  }
  auto err = [](std::string_view name) {
    auto r = CheckTimeZoneName(name);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(r.error().message.starts_with("time_zone: "));
    return r.error().message;
  };
  err("");
  err("/etc/passwd");
  err("Europe/");
  err("Europe//Berlin");
  err("../../etc/passwd");
  err("Europe/../Berlin");
  err("Europe/Ber lin");
  err("Europe/Berlin\n");
  err("America/VeryLongCityNameHere");
  err(".hidden/zone");
  err(std::string(65, 'A'));
}

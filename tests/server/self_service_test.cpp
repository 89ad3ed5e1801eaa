// Tenant self-service without sockets: settings, branding, zones, pricing
// (422 naming the field), flags (persisted), API keys, usage and quotas;
// billing (receipts, invoices from metered usage, platform revenue); OFREP
// single and bulk evaluation with the tenant's tier in targeting.
#include "data_plane_fixture.hpp"

#include "plans.hpp"
#include "services/billing/billing.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

Response Patch(AppWorld& w, const Onboarded& t, const std::string& path, const std::string& body,
               const std::string& key = {}) {
  return As(w, t, V::patch, path, body, key);
}

std::string Detail(const Response& r) { return Str(BodyJson(r), "detail"); }

TEST_CASE("settings: validated writes, 422 naming the field, authored by the caller",
          "[server][self-service][config]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const json::value before = Expect(As(w, a, V::get, "/v1/settings"), S::ok);
  CHECK(before.at("settings").at("dispatch.radius_m").as_int64() == 5000);

  const json::value after = Expect(Patch(w, a, "/v1/settings", R"({"dispatch.radius_m":1500})"), S::ok);
  CHECK(after.at("settings").at("dispatch.radius_m").as_int64() == 1500);
  CHECK(after.at("versions").at("tenant").as_int64() == before.at("versions").at("tenant").as_int64() + 1);
  // Only alpha's.
  CHECK(Expect(As(w, b, V::get, "/v1/settings"), S::ok).at("settings").at("dispatch.radius_m").as_int64() ==
        5000);

  const Response range = Patch(w, a, "/v1/settings", R"({"dispatch.radius_m":5})");
  RequireProblem(range, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(range).find("dispatch.radius_m") != std::string::npos);
  const Response unknown = Patch(w, a, "/v1/settings", R"({"dispatch.radius":5})");
  RequireProblem(unknown, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(unknown).find("dispatch.radius") != std::string::npos);
  const Response rule = Patch(w, a, "/v1/settings", R"({"dispatch.rule":"{\"no_such_op\":[1]}"})");
  RequireProblem(rule, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(rule).find("dispatch.rule") != std::string::npos);
  RequireProblem(Patch(w, a, "/v1/settings", "[]"), S::bad_request, "invalid_argument");
  RequireProblem(Patch(w, a, "/v1/settings", "{"), S::bad_request, "invalid_argument");
  // Nothing of the refused writes stuck.
  CHECK(Expect(As(w, a, V::get, "/v1/settings"), S::ok).at("settings").at("dispatch.radius_m").as_int64() ==
        1500);

  auto history = w.app().platform().config().History(tenancy::ConfigScope::Tenant(IdOf(a)));
  REQUIRE(history);
  REQUIRE(history->size() == 1);
  CHECK(history->back().author == a.client_id);

  // Writing needs tenant.admin; a dispatcher reads (tenant.read) only.
  const std::string dispatcher = KeyWithRoles(w, a, {"dispatcher"});
  RequireProblem(Patch(w, a, "/v1/settings", R"({"dispatch.radius_m":2000})", dispatcher), S::forbidden,
                 "permission_denied");
  Expect(As(w, a, V::get, "/v1/settings", {}, dispatcher), S::ok);
}

TEST_CASE("branding merges, pricing merges, zones replace; errors name the field",
          "[server][self-service][config]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const json::value br =
      Expect(Patch(w, a, "/v1/branding", R"({"name":"Alpha Cabs","primary_color":"#112233"})"), S::ok);
  CHECK(Str(br, "name") == "Alpha Cabs");
  const json::value br2 = Expect(Patch(w, a, "/v1/branding", R"({"accent_color":"#445566"})"), S::ok);
  CHECK(Str(br2, "name") == "Alpha Cabs");  // kept
  CHECK(Str(br2, "accent_color") == "#445566");
  const Response bad_color = Patch(w, a, "/v1/branding", R"({"primary_color":"red"})");
  RequireProblem(bad_color, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(bad_color).find("branding.primary_color") != std::string::npos);
  const Response bad_logo = Patch(w, a, "/v1/branding", R"J({"logo_url":"javascript:alert(1)"})J");
  RequireProblem(bad_logo, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(bad_logo).find("logo_url") != std::string::npos);
  CHECK(Expect(As(w, a, V::get, "/v1/branding"), S::ok) == br2);

  Expect(Patch(w, a, "/v1/pricing", R"({"currency":"EUR","base_fare":300,"per_km":90})"), S::ok);
  const json::value p = Expect(Patch(w, a, "/v1/pricing", R"({"per_km":110})"), S::ok);
  CHECK(p.at("base_fare").as_int64() == 300);
  CHECK(p.at("per_km").as_int64() == 110);
  const Response surge =
      Patch(w, a, "/v1/pricing", R"({"surge":[{"from":"22:00","to":"02:00","multiplier":0.5}]})");
  RequireProblem(surge, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(surge).find("pricing.surge[0].multiplier") != std::string::npos);
  // A surge rule may only name a zone the tenant has.
  const Response zone_ref =
      Patch(w, a, "/v1/pricing", R"({"surge":[{"zones":["airport"],"multiplier":2}]})");
  RequireProblem(zone_ref, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(zone_ref).find("airport") != std::string::npos);

  const std::string zones = R"({"type":"FeatureCollection","features":[{"type":"Feature",
      "properties":{"id":"airport"},"geometry":{"type":"Polygon",
      "coordinates":[[[13.50,52.36],[13.53,52.36],[13.53,52.38],[13.50,52.38],[13.50,52.36]]]}}]})";
  Expect(As(w, a, V::put, "/v1/zones", zones), S::ok);
  Expect(Patch(w, a, "/v1/pricing", R"({"surge":[{"zones":["airport"],"multiplier":2}]})"), S::ok);
  const Response open_ring = As(w, a, V::put, "/v1/zones", R"({"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Polygon",
       "coordinates":[[[1,1],[2,1],[2,2],[1,2]]]}}]})");
  RequireProblem(open_ring, S::unprocessable_entity, "validation_failed");
  CHECK(Detail(open_ring).find("zones.features[0]") != std::string::npos);
  CHECK(Expect(As(w, a, V::get, "/v1/zones"), S::ok).at("features").as_array().size() == 1);
}

TEST_CASE("flags: a tenant's flagd document serves at once and survives a restart; bad ones are 422",
          "[server][self-service][flags]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const std::string doc = R"({"flags":{"new-ui":{"state":"ENABLED","variants":{"on":true,"off":false},
      "defaultVariant":"off","targeting":{"if":[{"==":[{"var":"tenant.slug"},"alpha"]},"on","off"]}}}})";
  Expect(As(w, a, V::put, "/v1/flags", doc), S::ok);
  const Response bad = As(w, a, V::put, "/v1/flags",
                          R"({"flags":{"broken":{"state":"ENABLED","variants":{"on":true},"defaultVariant":"missing"}}})");
  RequireProblem(bad, S::unprocessable_entity, "invalid_flags");
  CHECK(Detail(bad).find("broken") != std::string::npos);

  const auto eval = [&](const Onboarded& t) {
    return As(w, t, V::post, "/ofrep/v1/evaluate/flags/new-ui", R"({"context":{}})");
  };
  const json::value on = Expect(eval(a), S::ok);
  CHECK(on.at("value").as_bool());
  CHECK(Str(on, "reason") == "TARGETING_MATCH");
  RequireProblem(As(w, b, V::get, "/v1/nothing"), S::not_found, "not_found");
  CHECK(Str(Expect(eval(b), S::not_found), "errorCode") == "FLAG_NOT_FOUND");  // a's flags are a's

  w.Reopen();
  CHECK(Expect(eval(a), S::ok).at("value").as_bool());
  CHECK(Expect(As(w, a, V::get, "/v1/flags"), S::ok).at("flags").as_object().contains("new-ui"));
  Expect(As(w, a, V::delete_, "/v1/flags"), S::no_content);
  CHECK(Str(Expect(eval(a), S::not_found), "errorCode") == "FLAG_NOT_FOUND");
  w.Reopen();
  CHECK(Str(Expect(eval(a), S::not_found), "errorCode") == "FLAG_NOT_FOUND");
}

TEST_CASE("OFREP: single and bulk evaluation, tier targeting, OFREP error shapes", "[server][ofrep]") {
  AppWorld w;
  const Onboarded free = w.Onboard("cheap", R"(,"tier":"free")");
  const Onboarded ent = w.Onboard("bigco", R"(,"tier":"enterprise")");
  // The platform's flags, targeting on the tier the server adds.
  auto platform = tenancy::FlagSet::Parse(R"({"flags":{
      "fast-dispatch":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off",
        "targeting":{"if":[{"==":[{"var":"tenant.tier"},"enterprise"]},"on",null]},
        "metadata":{"owner":"dispatch"}},
      "banner":{"state":"ENABLED","variants":{"a":"hello","b":"bye"},"defaultVariant":"a"},
      "old":{"state":"DISABLED","variants":{"x":1},"defaultVariant":"x"}}})");
  REQUIRE(platform);
  w.app().platform().flags().SetPlatform(*platform);

  const auto one = [&](const Onboarded& t, const std::string& key, const std::string& body) {
    return As(w, t, V::post, "/ofrep/v1/evaluate/flags/" + key, body);
  };
  const json::value e = Expect(one(ent, "fast-dispatch", R"({"context":{"targetingKey":"u1"}})"), S::ok);
  CHECK(Str(e, "key") == "fast-dispatch");
  CHECK(e.at("value").as_bool() == true);
  CHECK(Str(e, "variant") == "on");
  CHECK(Str(e, "reason") == "TARGETING_MATCH");
  CHECK(Str(e.at("metadata"), "owner") == "dispatch");
  const json::value f = Expect(one(free, "fast-dispatch", R"({"context":{}})"), S::ok);
  CHECK(f.at("value").as_bool() == false);
  CHECK(Str(f, "reason") == "DEFAULT");
  // A caller cannot claim another tier: the server's attributes win.
  const json::value spoof =
      Expect(one(free, "fast-dispatch", R"({"context":{"tenant":{"tier":"enterprise"}}})"), S::ok);
  CHECK(spoof.at("value").as_bool() == false);

  const json::value missing = Expect(one(free, "nope", "{}"), S::not_found);
  CHECK(Str(missing, "errorCode") == "FLAG_NOT_FOUND");
  CHECK(Str(missing, "key") == "nope");
  const json::value disabled = Expect(one(free, "old", "{}"), S::ok);
  CHECK(Str(disabled, "reason") == "DISABLED");
  CHECK_FALSE(disabled.as_object().contains("value"));
  CHECK(Str(Expect(one(free, "banner", R"({"context":[]})"), S::bad_request), "errorCode") ==
        "INVALID_CONTEXT");
  CHECK(Str(Expect(one(free, "banner", R"({"ctx":{}})"), S::bad_request), "errorCode") ==
        "INVALID_CONTEXT");

  const json::value bulk =
      Expect(As(w, ent, V::post, "/ofrep/v1/evaluate/flags", R"({"context":{"targetingKey":"u"}})"), S::ok);
  const auto& flags = bulk.at("flags").as_array();
  REQUIRE(flags.size() == 3);
  std::map<std::string, json::value> by_key;
  for (const auto& x : flags) by_key[Str(x, "key")] = x;
  CHECK(by_key.at("fast-dispatch").at("value").as_bool() == true);
  CHECK(Str(by_key.at("banner"), "value") == "hello");
  CHECK(Str(by_key.at("old"), "reason") == "DISABLED");
  CHECK(Str(Expect(As(w, ent, V::post, "/ofrep/v1/evaluate/flags", R"({"context":"x"})"), S::bad_request),
            "errorCode") == "INVALID_CONTEXT");
  // The tenant's own flag set overrides the platform's flag by flag.
  Expect(As(w, free, V::put, "/v1/flags",
            R"({"flags":{"banner":{"state":"ENABLED","variants":{"c":"mine"},"defaultVariant":"c"}}})"),
         S::ok);
  CHECK(Str(Expect(one(free, "banner", "{}"), S::ok), "value") == "mine");
  CHECK(Str(Expect(one(ent, "banner", "{}"), S::ok), "value") == "hello");
  // Evaluation needs a credential of the tenant.
  CHECK(w.Call(MakeRequest(V::post, "/t/cheap/ofrep/v1/evaluate/flags/banner", "{}")).result() ==
        S::unauthorized);
}

TEST_CASE("API keys: create with tenant roles, list, use, revoke", "[server][self-service][keys]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const Onboarded b = w.Onboard("beta");
  const Response created =
      As(w, a, V::post, "/v1/api-keys", R"({"name":"dispatch desk","roles":["dispatcher"]})");
  const json::value k = Expect(created, S::created);
  CHECK(created[http::field::cache_control] == "no-store");
  const std::string key = Str(k, "key");
  const std::string key_id = Str(k, "key_id");
  Expect(As(w, a, V::post, "/v1/vehicles", R"({"plate":"K1"})", key), S::created);
  RequireProblem(As(w, a, V::get, "/v1/api-keys", {}, key), S::forbidden, "permission_denied");
  const json::value list = Expect(As(w, a, V::get, "/v1/api-keys"), S::ok);
  bool found = false;
  for (const auto& item : list.at("items").as_array()) {
    CHECK_FALSE(item.as_object().contains("key"));  // never shown again
    found = found || Str(item, "key_id") == key_id;
  }
  CHECK(found);
  RequireProblem(As(w, a, V::post, "/v1/api-keys", R"({"name":"x","roles":["platform_operator"]})"),
                 S::bad_request, "invalid_argument");
  RequireProblem(As(w, a, V::post, "/v1/api-keys", R"({"name":"x","roles":[]})"), S::bad_request,
                 "invalid_argument");
  RequireProblem(As(w, a, V::post, "/v1/api-keys", R"({"name":"x","roles":["no_such_role"]})"),
                 S::bad_request, "invalid_argument");
  // b cannot revoke a's key.
  CHECK(As(w, b, V::delete_, "/v1/api-keys/" + key_id).result() != S::no_content);
  Expect(As(w, a, V::get, "/v1/vehicles", {}, key), S::ok);
  Expect(As(w, a, V::delete_, "/v1/api-keys/" + key_id), S::no_content);
  RequireProblem(As(w, a, V::get, "/v1/vehicles", {}, key), S::unauthorized, "unauthenticated");
}

TEST_CASE("quota status and usage show the tenant's own numbers", "[server][self-service][quota]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha", R"(,"tier":"free")");
  Expect(As(w, a, V::post, "/v1/vehicles", R"({"plate":"Q1"})"), S::created);
  const json::value q = Expect(As(w, a, V::get, "/v1/quotas"), S::ok);
  std::map<std::string, json::value> by_name;
  for (const auto& item : q.at("items").as_array()) by_name[Str(item, "name")] = item;
  REQUIRE(by_name.count("vehicles"));
  CHECK(by_name["vehicles"].at("used").as_int64() == 1);
  CHECK(by_name["vehicles"].at("limit").as_int64() == DefaultPlan("free")->limits.at("vehicles").amount);
  CHECK(Str(by_name["rides.booked"], "period") == "month");
  CHECK(Str(by_name["api.requests"], "kind") == "rate");

  const json::value usage = Expect(As(w, a, V::get, "/v1/usage"), S::ok);
  std::int64_t requests = 0;
  for (const auto& t : usage.at("totals").as_array()) {
    CHECK(Str(t, "tenant_id") == a.id);
    if (Str(t, "meter") == "api.requests") requests = t.at("amount").as_int64();
  }
  CHECK(requests >= 2);  // the vehicle and the quota reads
  RequireProblem(As(w, a, V::get, "/v1/usage?month=2024-13"), S::bad_request, "invalid_argument");
}

TEST_CASE("receipts and invoices: the invoice bills exactly the metered requests and rides",
          "[server][billing]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha", R"(,"tier":"standard")");
  const Onboarded b = w.Onboard("beta");
  Expect(Patch(w, a, "/v1/pricing", R"({"currency":"EUR","base_fare":200,"per_km":100,"per_minute":0})"),
         S::ok);
  const std::string driver =
      Str(Expect(As(w, a, V::post, "/v1/drivers", R"({"name":"D"})"), S::created), "id");
  Expect(As(w, a, V::put, "/v1/drivers/" + driver + "/location", R"({"lon":13.39,"lat":52.5})"), S::ok);
  Expect(As(w, a, V::put, "/v1/drivers/" + driver + "/availability", R"({"availability":"available"})"),
         S::ok);
  const json::value ride = Expect(
      As(w, a, V::post, "/v1/rides",
         R"({"pickup":{"lon":13.39,"lat":52.5},"dropoff":{"lon":13.45,"lat":52.5},"rider":{"name":"Rae"}})",
         {}, {{"Idempotency-Key", "inv-1"}}),
      S::created);
  const std::string id = Str(ride, "id");
  for (const char* step : {"arriving", "start"}) Expect(As(w, a, V::post, "/v1/rides/" + id + "/" + step), S::ok);
  Expect(As(w, a, V::post, "/v1/rides/" + id + "/complete", R"({"distance_m":5000,"duration_s":600})"), S::ok);

  const json::value receipt = Expect(As(w, a, V::get, "/v1/receipts/" + id), S::ok);
  CHECK(receipt.at("total").as_int64() == 200 + 500);
  CHECK(Str(receipt, "currency") == "EUR");
  CHECK(Str(receipt, "rider_name") == "Rae");
  RequireProblem(As(w, b, V::get, "/v1/receipts/" + id), S::not_found, "not_found");
  CHECK(Expect(As(w, b, V::get, "/v1/receipts"), S::ok).at("items").as_array().empty());
  CHECK(Expect(As(w, a, V::get, "/v1/receipts"), S::ok).at("items").as_array().size() == 1);

  // The invoice request itself is metered after it is answered: compare it
  // with the usage report taken just before.
  auto report = w.app().platform().metering().Query(IdOf(a), w.clock().Now() - 40 * 24h,
                                                    w.clock().Now() + 40 * 24h, kApiRequests);
  REQUIRE(report);
  REQUIRE(report->totals.size() == 1);
  const std::int64_t metered = report->totals[0].amount;
  const json::value inv = Expect(As(w, a, V::get, "/v1/invoices"), S::ok);
  CHECK(inv.at("usage").at("api_requests").as_int64() == metered);
  CHECK(inv.at("usage").at("rides_booked").as_int64() == 1);
  CHECK(inv.at("usage").at("rides_completed").as_int64() == 1);
  CHECK(inv.at("usage").at("ride_revenue").as_int64() == 700);
  const TierPrice& price = PriceOf("standard");
  CHECK(inv.at("total").as_int64() == price.base_cents_per_month + price.cents_per_ride);
  CHECK(Str(inv, "tier") == "standard");
  // Another month is empty.
  const json::value old = Expect(As(w, a, V::get, "/v1/invoices?month=2001-01"), S::ok);
  CHECK(old.at("usage").at("api_requests").as_int64() == 0);
  RequireProblem(As(w, a, V::get, "/v1/invoices?month=01-2001"), S::bad_request, "invalid_argument");
  // A dispatcher has no billing.read.
  RequireProblem(As(w, a, V::get, "/v1/invoices", {}, KeyWithRoles(w, a, {"dispatcher"})),
                 S::forbidden, "permission_denied");

  // The platform's revenue: every tenant, from the same meters.
  const Response rev = w.Call(WithBearer(MakeRequest(V::get, "/v1/platform/revenue"), w.OperatorKey()));
  const json::value r = Expect(rev, S::ok);
  std::map<std::string, json::value> by_tenant;
  for (const auto& t : r.at("tenants").as_array()) by_tenant[Str(t, "tenant_id")] = t;
  REQUIRE(by_tenant.count(a.id));
  CHECK(by_tenant[a.id].at("usage").at("ride_revenue").as_int64() == 700);
  CHECK(by_tenant[a.id].at("usage").at("rides_booked").as_int64() == 1);
  CHECK(Str(by_tenant[a.id], "tier") == "standard");
  // A tenant's key cannot read it.
  RequireProblem(w.Call(WithBearer(MakeRequest(V::get, "/v1/platform/revenue"), a.key)), S::forbidden,
                 "permission_denied");
}

TEST_CASE("months parse strictly and cover whole UTC months", "[server][billing]") {
  auto m = ParseMonth("2024-02");
  REQUIRE(m);
  CHECK(tenancy::ToUnixMillis(m->start) == 1'706'745'600'000);  // 2024-02-01T00:00Z
  CHECK(tenancy::ToUnixMillis(m->end) == 1'709'251'200'000);    // 2024-03-01T00:00Z (leap year)
  auto dec = ParseMonth("2023-12");
  REQUIRE(dec);
  CHECK(tenancy::ToUnixMillis(dec->end) == 1'704'067'200'000);  // 2024-01-01
  for (const char* bad : {"2024-00", "2024-13", "2024-1", "24-01", "2024/01", "1969-12", "2024-01x", ""})
    CHECK_FALSE(ParseMonth(bad));
  CHECK(MonthOf(tenancy::FromUnixMillis(1'709'251'199'999)).label == "2024-02");
}

}  // namespace
}  // namespace tenancyd::testing

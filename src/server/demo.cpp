#include "demo.hpp"

#include <boost/json.hpp>

#include <chrono>

#include "tenancy/authz.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kDemoKeyName = "demo admin";

struct DemoSpec {
  std::string_view slug, display_name, description, tier;
  tenancy::IsolationModel model;
  // The zone: a rectangle [west, south, east, north]; drivers and the
  // trip lie inside it.
  double west, south, east, north;
  std::string_view zone_id, currency;
  int base_fare, per_km, per_minute;
  std::string_view color;
};

constexpr DemoSpec kSpecs[] = {
    {"city-cabs", "City Cabs", "a city fleet on the shared model", "standard",
     tenancy::IsolationModel::kShared, 13.30, 52.40, 13.50, 52.60, "berlin", "EUR", 300, 100, 10, "#F2B705"},
    {"partner-rides", "Partner Rides", "a partner on its own database", "premium",
     tenancy::IsolationModel::kDatabase, -0.20, 51.45, 0.00, 51.55, "london", "GBP", 350, 120, 15, "#0B6E4F"},
    {"enterprise-mobility", "Enterprise Mobility", "an enterprise on a dedicated placement",
     "enterprise", tenancy::IsolationModel::kDedicated, -74.05, 40.68, -73.90, 40.82, "manhattan",
     "USD", 400, 150, 20, "#1A73E8"},
};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string ZonesJson(const DemoSpec& s) {
  const std::string w = Num(s.west), so = Num(s.south), e = Num(s.east), n = Num(s.north);
  return R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":")" +
         std::string(s.zone_id) + R"("},"geometry":{"type":"Polygon","coordinates":[[[)" + w + "," +
         so + "],[" + e + "," + so + "],[" + e + "," + n + "],[" + w + "," + n + "],[" + w + "," + so +
         "]]]}}]}";
}

std::string TripJson(const DemoSpec& s) {
  const double lon = (s.west + s.east) / 2, lat = (s.south + s.north) / 2;
  return R"({"pickup":{"lon":)" + Num(lon) + R"(,"lat":)" + Num(lat) + R"(},"dropoff":{"lon":)" +
         Num(lon + (s.east - s.west) / 5) + R"(,"lat":)" + Num(lat + (s.north - s.south) / 5) + "}}";
}

// One call through the app's pipeline as the tenant's admin.
tenancy::Result<json::value> Call(App& app, const DemoSpec& s, const std::string& key,
                                  http::verb method, const std::string& path,
                                  const std::string& body = {}) {
  Request req{method, "/t/" + std::string(s.slug) + path, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::authorization, "Bearer " + key);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  const Response res = app.Handle(std::move(req));
  boost::system::error_code ec;
  json::value v = res.body().empty() ? json::value() : json::parse(res.body(), ec);
  if (res.result_int() >= 300) {
    std::string detail = "demo: " + std::string(http::to_string(method)) + " " + path + " answered " +
                         std::to_string(res.result_int());
    if (!ec && v.is_object())
      if (const auto* d = v.as_object().if_contains("detail"); d && d->is_string())
        detail += ": " + std::string(d->as_string());
    return Fail(Errc::kInternal, detail);
  }
  return v;
}

tenancy::Result<void> Configure(App& app, const DemoSpec& s, const std::string& key) {
  if (auto r = Call(app, s, key, http::verb::put, "/v1/zones", ZonesJson(s)); !r) return r.error();
  const std::string pricing = R"({"currency":")" + std::string(s.currency) +
                              R"(","base_fare":)" + std::to_string(s.base_fare) +
                              R"(,"per_km":)" + std::to_string(s.per_km) +
                              R"(,"per_minute":)" + std::to_string(s.per_minute) + "}";
  if (auto r = Call(app, s, key, http::verb::patch, "/v1/pricing", pricing); !r) return r.error();
  if (auto r = Call(app, s, key, http::verb::patch, "/v1/branding",
                    R"({"name":")" + std::string(s.display_name) + R"(","primary_color":")" +
                        std::string(s.color) + R"("})");
      !r)
    return r.error();
  // The fleet only on the first run: vehicles hold the plan's gauge.
  auto vehicles = Call(app, s, key, http::verb::get, "/v1/vehicles?limit=1");
  if (!vehicles) return vehicles.error();
  if (!vehicles->at("items").as_array().empty()) return {};
  static constexpr std::string_view kDrivers[] = {"Ada", "Grace", "Linus"};
  for (int i = 0; i < 3; ++i) {
    const std::string plate = std::string(s.zone_id.substr(0, 3)) + "-" + std::to_string(100 + i);
    auto v = Call(app, s, key, http::verb::post, "/v1/vehicles",
                  R"({"plate":")" + plate + R"(","model":"Demo EV","seats":4})");
    if (!v) return v.error();
    const std::string vehicle_id(v->at("id").as_string());
    auto d = Call(app, s, key, http::verb::post, "/v1/drivers",
                  R"({"name":")" + std::string(kDrivers[i]) + R"(","vehicle_id":")" + vehicle_id + R"("})");
    if (!d) return d.error();
    const std::string driver = "/v1/drivers/" + std::string(d->at("id").as_string());
    // Spread near the zone's centre, where the printed trip starts.
    const double lon = (s.west + s.east) / 2 + 0.002 * (i - 1);
    const double lat = (s.south + s.north) / 2 + 0.001 * i;
    if (auto r = Call(app, s, key, http::verb::put, driver + "/location",
                      R"({"lon":)" + Num(lon) + R"(,"lat":)" + Num(lat) + "}");
        !r)
      return r.error();
    if (auto r = Call(app, s, key, http::verb::put, driver + "/availability",
                      R"({"availability":"available"})");
        !r)
      return r.error();
  }
  return {};
}

// POSIX shell single quotes around `s` (keys and JSON have no quote, but
// stay safe).
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

tenancy::Result<std::vector<DemoTenant>> ProvisionDemo(App& app) {
  Platform& p = app.platform();
  std::vector<DemoTenant> out;
  for (const DemoSpec& s : kSpecs) {
    tenancy::ProvisionRequest req;
    req.slug = std::string(s.slug);
    req.display_name = std::string(s.display_name);
    req.tier = std::string(s.tier);
    req.model = s.model;
    // Idempotent by slug: a re-run finds the tenant made by the first.
    auto provisioned = p.directory().Provision(req);
    if (!provisioned) return provisioned.error();
    const tenancy::Tenant& tenant = provisioned->tenant;
    if (tenant.state != tenancy::TenantState::kActive)
      return Fail(Errc::kFailedPrecondition, "demo tenant '" + req.slug + "' is " +
                                                 std::string(tenancy::ToString(tenant.state)));
    // Keys are shown once: a re-run revokes the last demo key and issues
    // a fresh one.
    if (auto keys = p.auth().ListApiKeys(tenant.id); keys) {
      for (const auto& k : *keys)
        if (k.name == kDemoKeyName && !k.revoked_at) (void)p.auth().RevokeApiKey(tenant.id, k.key_id);
    }
    auto key = p.auth().CreateApiKey(tenant.id, kDemoKeyName, {std::string(tenancy::roles::kTenantAdmin)});
    if (!key) return key.error();
    if (auto r = Configure(app, s, key->key); !r) return r.error();
    out.push_back(DemoTenant{.slug = req.slug,
                             .display_name = req.display_name,
                             .description = std::string(s.description),
                             .tier = tenant.tier,
                             .model = std::string(tenancy::ToString(tenant.model)),
                             .client_id = key->info.key_id,
                             .key = key->key,
                             .trip = TripJson(s)});
  }
  return out;
}

std::string DemoInstructions(const std::vector<DemoTenant>& tenants, std::string_view base_url) {
  const std::string base(base_url);
  // One Idempotency-Key per run: pasting the booking line twice replays
  // the same ride (200) instead of booking another.
  const auto run = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string t = "\ntenancyd demo: " + std::to_string(tenants.size()) +
                  " tenants are ready. Paste any line below into a shell.\n";
  for (const DemoTenant& d : tenants) {
    const std::string url = base + "/t/" + d.slug;
    const std::string auth = "-H " + Quote("Authorization: Bearer " + d.key);
    const std::string json = "-H 'Content-Type: application/json'";
    t += "\n== " + d.display_name + " (" + d.slug + "): " + d.description + ", tier " + d.tier + " ==\n";
    t += "  client_id: " + d.client_id + "\n";
    t += "  api key:   " + d.key + "\n";
    t += "# an access token (OAuth 2.0 client credentials):\n";
    t += "curl -s -u " + Quote(d.client_id + ":" + d.key) + " -d grant_type=client_credentials " +
         base + "/oauth/token\n";
    t += "# a fare quote:\n";
    t += "curl -s " + auth + " " + json + " -d " + Quote(d.trip) + " " + url + "/v1/quotes\n";
    t += "# book a ride (dispatched to the nearest driver) and read it back:\n";
    t += "RIDE=$(curl -s " + auth + " " + json + " -H " +
         Quote("Idempotency-Key: demo-" + d.slug + "-" + std::to_string(run)) + " -d " + Quote(d.trip) +
         " " + url + "/v1/rides | grep -o '\"id\":\"[^\"]*\"' | head -1 | cut -d'\"' -f4); echo \"$RIDE\"\n";
    t += "curl -s " + auth + " " + url + "/v1/rides/$RIDE\n";
  }
  t += "\nThe keys above are shown once; a re-run of --demo issues fresh ones.\n";
  return t;
}

}  // namespace tenancyd

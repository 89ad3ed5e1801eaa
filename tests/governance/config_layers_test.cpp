// Per-tenant configuration: layer precedence and fallback, validation of
// patches and of merged results, versions, history, rollback, optimistic
// concurrency, persistence, tenant isolation and tier changes.
#include <boost/json/parse.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include "support/catch_tenancy.hpp"
#include "support/fleet_fixture.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/config.hpp"

using namespace tenancy;
using tenancy::testing::TempDir;

namespace {

boost::json::object Obj(std::string_view text) { return boost::json::parse(text).as_object(); }

ConfigSchema TestSchema() {
  ConfigSchema s;
  REQUIRE(s.Add(SettingSpec::Integer("dispatch.radius_m", 1500, 100, 50'000, "Search radius.")));
  REQUIRE(s.Add(SettingSpec::Integer("dispatch.max_wait_s", 300, 0, 3600, "Longest wait.")));
  REQUIRE(s.Add(SettingSpec::Bool("payments.cash", true, "Cash accepted.")));
  REQUIRE(s.Add(SettingSpec::Number("dispatch.driver_share", 0.8, 0, 1, "Driver's share.")));
  REQUIRE(s.Add(SettingSpec::Enum("booking.mode", "instant", {"instant", "scheduled", "both"}, "Modes.")));
  return s;
}

Tenant MakeTenant(std::string tier, std::int64_t revision = 1) {
  Tenant t;
  t.id = TenantId::Generate();
  t.slug = "t" + t.id.str().substr(3, 8);
  t.tier = std::move(tier);
  t.state = TenantState::kActive;
  t.revision = revision;
  return t;
}

// A config store on a fresh file with a manual clock; Reopen() simulates a
// restart.
struct World {
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<Config> config;

  explicit World(ConfigSchema schema = TestSchema()) { Reopen(std::move(schema)); }
  void Reopen(ConfigSchema schema = TestSchema()) {
    config.reset();
    ConfigOptions o;
    o.path = (dir.path() / "config.db").string();
    o.clock = &clock;
    auto c = Config::Open(o, std::move(schema));
    INFO((c ? std::string() : c.error().ToString()));
    REQUIRE(c);
    config = std::move(*c);
  }
  Config& operator*() { return *config; }
  Config* operator->() { return config.get(); }
};

template <class T>
T Must(Result<T> r) {
  INFO((r ? std::string() : r.error().ToString()));
  REQUIRE(r);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::int64_t Radius(const ConfigSnapshot& s) { return Must(s.GetInt("dispatch.radius_m")); }

constexpr std::string_view kAirportZones = R"({"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"id": "airport", "name": "Airport"},
   "geometry": {"type": "Polygon", "coordinates": [[[13.50, 52.36], [13.53, 52.36], [13.53, 52.38],
                                                     [13.50, 52.38], [13.50, 52.36]]]}},
  {"type": "Feature", "properties": {"id": "center"},
   "geometry": {"type": "Polygon", "coordinates": [[[13.37, 52.50], [13.43, 52.50], [13.43, 52.53],
                                                     [13.37, 52.53], [13.37, 52.50]]]}}]})";

constexpr std::string_view kAirportPricing = R"({"currency": "EUR", "base_fare": 300, "per_km": 150,
  "minimum_fare": 800, "surge": [{"zones": ["airport"], "days": ["fri"], "from": "22:00", "to": "02:00",
  "multiplier": 1.5}]})";

}  // namespace

TEST_CASE("layers: tenant beats tier beats platform beats default", "[config][layers]") {
  World w;
  const Tenant a = MakeTenant("premium"), b = MakeTenant("premium"), c = MakeTenant("standard");
  CHECK(Radius(*w->Snapshot(a)) == 1500);
  CHECK(Must(w->Snapshot(a)->SourceOf("dispatch.radius_m")) == ConfigLayer::kDefault);

  Must(w->SetPlatform(Obj(R"({"dispatch.radius_m": 2000, "payments.cash": false})"), "ops"));
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": 3000})"), "ops"));
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 4000, "booking.mode": "both"})"), "alice"));

  auto sa = w->Snapshot(a), sb = w->Snapshot(b), sc = w->Snapshot(c);
  CHECK(Radius(*sa) == 4000);
  CHECK(Radius(*sb) == 3000);
  CHECK(Radius(*sc) == 2000);
  CHECK(Must(sa->SourceOf("dispatch.radius_m")) == ConfigLayer::kTenant);
  CHECK(Must(sb->SourceOf("dispatch.radius_m")) == ConfigLayer::kTier);
  CHECK(Must(sc->SourceOf("dispatch.radius_m")) == ConfigLayer::kPlatform);
  // Each key falls through on its own.
  CHECK(Must(sa->GetBool("payments.cash")) == false);
  CHECK(Must(sa->GetString("booking.mode")) == "both");
  CHECK(Must(sb->GetString("booking.mode")) == "instant");
  CHECK(Must(sa->GetNumber("dispatch.driver_share")) == 0.8);
  CHECK(Must(sa->GetNumber("dispatch.radius_m")) == 4000.0);  // integers read as numbers
  CHECK(sa->versions() == ConfigVersions{1, 1, 1});
  CHECK(sb->versions() == ConfigVersions{1, 1, 0});
  CHECK(sc->versions() == ConfigVersions{1, 0, 0});
  CHECK(sa->tier() == "premium");
  // The tier snapshot is what a tenant without overrides sees.
  CHECK(Radius(*w->TierSnapshot("premium")) == 3000);
  CHECK(Radius(*w->TierSnapshot("")) == 2000);
  CHECK(sa->ToJson().at("dispatch.radius_m") == 4000);
  CHECK(sa->ToJson().size() == w->schema().size());
}

TEST_CASE("removing an override falls back to the layer below", "[config][layers]") {
  World w;
  const Tenant a = MakeTenant("premium");
  Must(w->SetPlatform(Obj(R"({"dispatch.radius_m": 2000})"), "ops"));
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": 3000})"), "ops"));
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 4000})"), "alice"));
  CHECK(Radius(*w->Snapshot(a)) == 4000);
  auto v = Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": null})"), "alice"));
  CHECK(v.document.empty());
  CHECK(Radius(*w->Snapshot(a)) == 3000);
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": null})"), "ops"));
  CHECK(Radius(*w->Snapshot(a)) == 2000);
  Must(w->SetPlatform(Obj(R"({"dispatch.radius_m": null})"), "ops"));
  CHECK(Radius(*w->Snapshot(a)) == 1500);
  CHECK(Must(w->Snapshot(a)->SourceOf("dispatch.radius_m")) == ConfigLayer::kDefault);
  // Removing what is not there is a harmless new version.
  auto again = Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": null})"), "alice"));
  CHECK(again.version == 3);
}

TEST_CASE("patches are refused whole: unknown keys and invalid values name the field", "[config][validation]") {
  World w;
  const Tenant a = MakeTenant("standard");
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2500})"), "alice"));
  const auto before = w->Snapshot(a);

  auto refused = [&](std::string_view patch) {
    auto r = w->SetTenant(a, Obj(patch), "alice");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    return r.error().message;
  };
  CHECK(refused(R"({"dispatch.radius_m": 3000, "dispatch.radius": 5})") == "dispatch.radius: unknown setting");
  CHECK(refused(R"({"dispatch.radius_m": 3000, "payments.cash": "yes"})") ==
        "payments.cash: must be a boolean, not a string");
  CHECK(refused(R"({"dispatch.max_wait_s": -1})") == "dispatch.max_wait_s: must be >= 0");
  CHECK(refused(R"({"pricing": {"currency": "EUR", "surge": [{"multiplier": 2}, {"multiplier": 0.5}]}})") ==
        "pricing.surge[1].multiplier: must be >= 1");
  CHECK(refused(R"j({"branding": {"name": "X", "primary_color": "#000000", "logo_url": "javascript:alert(1)"}})j") ==
        "branding.logo_url: must be an https:// URL");
  CHECK(refused(R"({"time_zone": "../etc/passwd"})").starts_with("time_zone: "));
  CHECK(refused(R"({"zones": {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "z"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 91], [0, 0]]]}}]}})") ==
        "zones.features[0].geometry.coordinates[0][2][1]: latitude must be within [-90, 90]");
  // Nothing of the refused patches was applied or stored.
  CHECK(Radius(*w->Snapshot(a)) == 2500);
  CHECK(w->Snapshot(a) == before);
  CHECK(Must(w->CurrentVersion(ConfigScope::Tenant(a.id))) == 1);
  CHECK(Must(w->History(ConfigScope::Tenant(a.id))).size() == 1);
}

TEST_CASE("merged results are checked: surge rules must name zones of the same configuration",
          "[config][validation][merge]") {
  World w;
  const Tenant a = MakeTenant("premium");
  // Without zones, a surge rule naming "airport" is refused, naming the field.
  auto r = w->SetTenant(a, Obj(std::string(R"({"pricing": )") + std::string(kAirportPricing) + "}"), "alice");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  CHECK(r.error().message == "pricing.surge[0].zones[0]: unknown zone \"airport\" (not in \"zones\")");

  // Zones and pricing in one patch: valid together.
  Must(w->SetTenant(a, Obj(std::string(R"({"zones": )") + std::string(kAirportZones) + R"(, "pricing": )" +
                           std::string(kAirportPricing) + "}"),
                    "alice"));
  // Removing the zones alone would orphan the rule: refused.
  r = w->SetTenant(a, Obj(R"({"zones": null})"), "alice");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.starts_with("pricing.surge[0].zones[0]: unknown zone \"airport\""));

  // Zones at the tier, pricing at the tenant: a tier write that drops the
  // airport is refused, naming the tenant whose merged result breaks.
  const Tenant b = MakeTenant("premium");
  Must(w->SetTier("premium", Obj(std::string(R"({"zones": )") + std::string(kAirportZones) + "}"), "ops"));
  Must(w->SetTenant(b, Obj(std::string(R"({"pricing": )") + std::string(kAirportPricing) + "}"), "bob"));
  r = w->SetTier("premium", Obj(R"({"zones": {"type": "FeatureCollection", "features": []}})"), "ops");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "pricing.surge[0].zones[0]: unknown zone \"airport\" (not in \"zones\") "
                             "(in the merged configuration of tenant " + b.id.str() + ")");
  // ... and so is a platform write whose pricing names a zone no tier has.
  r = w->SetPlatform(Obj(R"({"pricing": {"currency": "EUR", "surge": [{"zones": ["harbour"], "multiplier": 2}]}})"), "ops");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.starts_with("pricing.surge[0].zones[0]: unknown zone \"harbour\""));
}

TEST_CASE("history grows per scope, with author, time, patch and document", "[config][history]") {
  World w;
  const Tenant a = MakeTenant("standard");
  const auto scope = ConfigScope::Tenant(a.id);
  CHECK(Must(w->History(scope)).empty());
  CHECK(Must(w->CurrentVersion(scope)) == 0);

  const auto t0 = w.clock.Now();
  auto v1 = Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2000})"), "alice"));
  w.clock.Advance(std::chrono::minutes(5));
  auto v2 = Must(w->SetTenant(a, Obj(R"({"payments.cash": false})"), "bob"));
  w.clock.Advance(std::chrono::minutes(5));
  auto v3 = Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2200})"), "carol"));
  CHECK(v1.version == 1);
  CHECK(v2.version == 2);
  CHECK(v3.version == 3);

  auto h = Must(w->History(scope));
  REQUIRE(h.size() == 3);
  CHECK(h[0].author == "alice");
  CHECK(h[1].author == "bob");
  CHECK(h[2].author == "carol");
  CHECK(h[0].at == t0);
  CHECK(h[2].at == t0 + std::chrono::minutes(10));
  CHECK(h[1].patch == Obj(R"({"payments.cash": false})"));
  CHECK(h[1].document == Obj(R"({"dispatch.radius_m": 2000, "payments.cash": false})"));
  CHECK(h[2].document == Obj(R"({"dispatch.radius_m": 2200, "payments.cash": false})"));
  CHECK(h[2].scope == scope);
  CHECK_FALSE(h[2].rollback_of);
  CHECK(h[2].document == v3.document);
  CHECK(Must(w->CurrentVersion(scope)) == 3);
  // Other scopes have their own sequences.
  CHECK(Must(w->SetPlatform(Obj(R"({"dispatch.radius_m": 900})"), "ops")).version == 1);
  CHECK(Must(w->History(ConfigScope::Platform())).size() == 1);
  CHECK(Must(w->History(ConfigScope::Tier("standard"))).empty());
}

TEST_CASE("rollback restores a version exactly, as a new version", "[config][history][rollback]") {
  World w;
  const Tenant a = MakeTenant("standard");
  const auto scope = ConfigScope::Tenant(a.id);
  Must(w->SetTenant(a, Obj(std::string(R"({"dispatch.radius_m": 2000, "zones": )") + std::string(kAirportZones) + "}"), "alice"));
  const auto good = w->Snapshot(a)->ToJson();
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 9000, "zones": null, "booking.mode": "scheduled"})"), "bob"));
  CHECK(w->Snapshot(a)->ToJson() != good);

  auto rb = Must(w->Rollback(scope, 1, "carol"));
  CHECK(rb.version == 3);
  CHECK(rb.rollback_of == 1);
  CHECK(rb.author == "carol");
  auto h = Must(w->History(scope));
  REQUIRE(h.size() == 3);
  CHECK(h[2].document == h[0].document);
  // The patch says what the rollback changed.
  CHECK(h[2].patch.at("dispatch.radius_m") == 2000);
  CHECK(h[2].patch.at("booking.mode").is_null());
  CHECK(h[2].patch.contains("zones"));
  CHECK(w->Snapshot(a)->ToJson() == good);
  CHECK(w->Snapshot(a)->zones().FirstZoneAt(13.51, 52.37) == "airport");
  CHECK(w->Snapshot(a)->versions().tenant == 3);
  // History stays append-only: versions 1 and 2 are still there.
  CHECK(h[1].document.at("dispatch.radius_m") == 9000);

  auto missing = w->Rollback(scope, 7, "carol");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kNotFound);
  CHECK(w->Rollback(scope, 0, "carol").error().code == Errc::kInvalidArgument);
  CHECK(Must(w->History(scope)).size() == 3);
}

TEST_CASE("a rollback to a document that is no longer valid is refused", "[config][rollback][merge]") {
  World w;
  const Tenant a = MakeTenant("premium");
  Must(w->SetTier("premium", Obj(std::string(R"({"zones": )") + std::string(kAirportZones) + "}"), "ops"));
  Must(w->SetTenant(a, Obj(std::string(R"({"pricing": )") + std::string(kAirportPricing) + "}"), "alice"));  // v1
  Must(w->SetTenant(a, Obj(R"({"pricing": null})"), "alice"));                                               // v2
  Must(w->SetTier("premium", Obj(R"({"zones": null})"), "ops"));  // fine now: nobody names the airport
  auto r = w->Rollback(ConfigScope::Tenant(a.id), 1, "alice");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  CHECK(r.error().message.starts_with("pricing.surge[0].zones[0]: unknown zone \"airport\""));
  CHECK(Must(w->CurrentVersion(ConfigScope::Tenant(a.id))) == 2);
}

TEST_CASE("optimistic concurrency: a stale expected version is a conflict", "[config][conflict]") {
  World w;
  const Tenant a = MakeTenant("standard");
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2000})"), "alice", 0));
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2100})"), "bob", 1));
  auto stale = w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2200})"), "carol", 1);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == Errc::kConflict);
  CHECK(stale.error().message == "tenant " + a.id.str() + " is at version 2, not 1");
  CHECK(Radius(*w->Snapshot(a)) == 2100);
  CHECK(w->SetPlatform(Obj(R"({"dispatch.radius_m": 2000})"), "ops", 3).error().code == Errc::kConflict);
  CHECK(w->Rollback(ConfigScope::Tenant(a.id), 1, "dave", 5).error().code == Errc::kConflict);
  CHECK(Must(w->Rollback(ConfigScope::Tenant(a.id), 1, "dave", 2)).version == 3);
}

TEST_CASE("two processes on one file: conflicts are detected and writes build on the stored state",
          "[config][conflict][persistence]") {
  TempDir dir;
  ManualClock clock;
  ConfigOptions o;
  o.path = (dir.path() / "config.db").string();
  o.clock = &clock;
  auto one = Must(Config::Open(o, TestSchema()));
  auto two = Must(Config::Open(o, TestSchema()));
  const Tenant a = MakeTenant("standard");
  Must(one->SetTenant(a, Obj(R"({"dispatch.radius_m": 2000})"), "alice"));
  // `two` has not seen version 1: expecting 0 is a conflict...
  CHECK(two->SetTenant(a, Obj(R"({"payments.cash": false})"), "bob", 0).error().code == Errc::kConflict);
  // ... and a write without expectation applies its patch to version 1.
  auto v2 = Must(two->SetTenant(a, Obj(R"({"payments.cash": false})"), "bob"));
  CHECK(v2.version == 2);
  CHECK(v2.document == Obj(R"({"dispatch.radius_m": 2000, "payments.cash": false})"));
  // `one` picks up the other process's write on Reload.
  CHECK(Must(one->Snapshot(a)->GetBool("payments.cash")) == true);
  Must(one->Reload());
  CHECK(Must(one->Snapshot(a)->GetBool("payments.cash")) == false);
  CHECK(Radius(*one->Snapshot(a)) == 2000);
}

TEST_CASE("configuration persists across reopen", "[config][persistence]") {
  World w;
  const Tenant a = MakeTenant("premium");
  Must(w->SetPlatform(Obj(R"({"dispatch.radius_m": 2000, "time_zone": "Europe/Berlin"})"), "ops"));
  Must(w->SetTier("premium", Obj(std::string(R"({"zones": )") + std::string(kAirportZones) + "}"), "ops"));
  Must(w->SetTenant(a, Obj(std::string(R"({"pricing": )") + std::string(kAirportPricing) + "}"), "alice"));
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2500})"), "alice"));
  const auto before = w->Snapshot(a)->ToJson();
  const auto history = Must(w->History(ConfigScope::Tenant(a.id)));

  w.Reopen();
  const auto after = w->Snapshot(a);
  CHECK(after->ToJson() == before);
  CHECK(after->versions() == ConfigVersions{1, 1, 2});
  CHECK(after->time_zone() == "Europe/Berlin");
  CHECK(after->pricing().surge.size() == 1);
  CHECK(after->zones().size() == 2);
  const auto reread = Must(w->History(ConfigScope::Tenant(a.id)));
  REQUIRE(reread.size() == history.size());
  for (std::size_t i = 0; i < reread.size(); ++i) {
    CHECK(reread[i].document == history[i].document);
    CHECK(reread[i].patch == history[i].patch);
    CHECK(reread[i].at == history[i].at);
  }
  // The next version continues the sequence.
  CHECK(Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2600})"), "alice")).version == 3);
  CHECK(w->load_issues().empty());
}

TEST_CASE("values the schema no longer accepts are left out on load, then dropped", "[config][persistence]") {
  ConfigSchema wide = TestSchema();
  REQUIRE(wide.Add(SettingSpec::Integer("legacy.knob", 1, 0, 10, "Going away.")));
  World w(wide);
  const Tenant a = MakeTenant("standard");
  Must(w->SetTenant(a, Obj(R"({"legacy.knob": 7, "dispatch.radius_m": 4000})"), "alice"));

  ConfigSchema narrow = TestSchema();  // without legacy.knob
  REQUIRE(narrow.Add(SettingSpec::Integer("dispatch.new_radius", 1, 0, 10, "")));
  w.Reopen(narrow);
  const auto issues = w->load_issues();
  REQUIRE(issues.size() == 1);
  CHECK(issues[0] == "tenant " + a.id.str() + ": legacy.knob: unknown setting");
  CHECK(Radius(*w->Snapshot(a)) == 4000);
  CHECK(w->Snapshot(a)->GetInt("legacy.knob").error().code == Errc::kNotFound);
  auto v = Must(w->SetTenant(a, Obj(R"({"payments.cash": false})"), "alice"));
  CHECK(v.document == Obj(R"({"dispatch.radius_m": 4000, "payments.cash": false})"));
}

TEST_CASE("tenants are isolated: writes, history and rollback", "[config][isolation]") {
  World w;
  const Tenant a = MakeTenant("standard"), b = MakeTenant("standard");
  const auto b_before = w->Snapshot(b);
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 4000, "branding": {"name": "A Cabs", "primary_color": "#AA0000"}})"), "alice"));
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 4100})"), "alice"));
  CHECK(Radius(*w->Snapshot(a)) == 4100);
  CHECK(w->Snapshot(a)->branding().name == "A Cabs");
  CHECK(Radius(*w->Snapshot(b)) == 1500);
  CHECK(w->Snapshot(b)->branding().name == "Fleet");
  CHECK(w->Snapshot(b) == b_before);  // b's published snapshot was not even rebuilt
  CHECK(Must(w->History(ConfigScope::Tenant(b.id))).empty());
  CHECK(w->Rollback(ConfigScope::Tenant(b.id), 1, "mallory").error().code == Errc::kNotFound);
  Must(w->SetTenant(b, Obj(R"({"dispatch.radius_m": 200})"), "bob"));
  Must(w->Rollback(ConfigScope::Tenant(a.id), 1, "alice"));
  CHECK(Radius(*w->Snapshot(a)) == 4000);
  CHECK(Radius(*w->Snapshot(b)) == 200);
  CHECK(Must(w->History(ConfigScope::Tenant(b.id))).size() == 1);
}

TEST_CASE("a held snapshot never changes; a new one sees every returned write", "[config][snapshot]") {
  World w;
  const Tenant a = MakeTenant("standard");
  auto reader = w->Reader(a);
  const auto held = w->Snapshot(a);
  const ConfigSnapshot* first = &reader.Get();
  CHECK(Radius(*first) == 1500);
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2000})"), "alice"));
  CHECK(Radius(*held) == 1500);
  CHECK(Radius(*w->Snapshot(a)) == 2000);
  CHECK(Radius(reader.Get()) == 2000);
  Must(w->SetPlatform(Obj(R"({"dispatch.max_wait_s": 60})"), "ops"));
  CHECK(Must(reader.Get().GetInt("dispatch.max_wait_s")) == 60);
  CHECK(Must(held->GetInt("dispatch.max_wait_s")) == 300);
  auto shared = reader.Share();
  Must(w->SetTenant(a, Obj(R"({"dispatch.radius_m": 2100})"), "alice"));
  CHECK(Radius(*shared) == 2000);
  CHECK(Radius(reader.Get()) == 2100);
  // Typed getters refuse the wrong type and unknown keys.
  CHECK(held->GetBool("dispatch.radius_m").error().code == Errc::kInvalidArgument);
  CHECK(held->GetString("zones").error().code == Errc::kInvalidArgument);
  CHECK(held->GetInt("dispatch.nope").error().code == Errc::kNotFound);
  CHECK(Must(held->GetZones("zones")) == &held->zones());
  CHECK(Must(held->GetPricing("pricing")) == &held->pricing());
  CHECK(Must(held->GetBranding("branding")) == &held->branding());
  CHECK(held->GetPricing("zones").error().code == Errc::kInvalidArgument);
  CHECK(Must(held->GetJson("time_zone")) == "UTC");
}

TEST_CASE("the snapshot follows the tenant's tier; stale revisions never move it back", "[config][tier]") {
  World w;
  Must(w->SetTier("standard", Obj(R"({"dispatch.radius_m": 2000})"), "ops"));
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": 3000})"), "ops"));
  Tenant a = MakeTenant("standard", 5);
  auto reader = w->Reader(a);
  CHECK(Radius(reader.Get()) == 2000);

  Tenant moved = a;
  moved.tier = "premium";
  moved.revision = 6;
  CHECK(Radius(*w->Snapshot(moved)) == 3000);
  CHECK(w->Snapshot(moved)->tier() == "premium");
  CHECK(Radius(reader.Get()) == 3000);  // the reader followed
  CHECK(Radius(*w->Snapshot(a)) == 3000);  // a stale context (revision 5) sees the current tier

  // A tier write reaches the tenants of that tier only.
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": 3100})"), "ops"));
  Must(w->SetTier("standard", Obj(R"({"dispatch.radius_m": 2100})"), "ops"));
  CHECK(Radius(reader.Get()) == 3100);
  // Tenant overrides are checked at the tier the tenant is in now.
  Must(w->SetTenant(moved, Obj(R"({"dispatch.max_wait_s": 10})"), "alice"));
  CHECK(Radius(reader.Get()) == 3100);
  CHECK(Must(reader.Get().GetInt("dispatch.max_wait_s")) == 10);
  Tenant back = moved;
  back.tier = "standard";
  back.revision = 7;
  CHECK(Radius(*w->Snapshot(back)) == 2100);
  CHECK(Must(reader.Get().GetInt("dispatch.max_wait_s")) == 10);
}

TEST_CASE("with the directory: a tier change in the directory moves the tenant's config",
          "[config][tier][directory]") {
  tenancy::testing::FleetWorld fleet;
  const Tenant t = fleet.Provision("acme", IsolationModel::kShared);
  REQUIRE(t.tier == "standard");
  World w;
  Must(w->SetTier("premium", Obj(R"({"dispatch.radius_m": 5000})"), "ops"));
  auto ctx = fleet.Context(t);
  auto reader = w->Reader(ctx);
  CHECK(Radius(reader.Get()) == 1500);
  TenantUpdate up;
  up.tier = "premium";
  Must(fleet.directory().Update(t.id, up));
  auto now = Must(fleet.directory().Get(t.id));
  CHECK(Radius(*w->Snapshot(*now)) == 5000);
  CHECK(Radius(reader.Get()) == 5000);
  CHECK(Radius(*w->Snapshot(ctx)) == 5000);  // the old context is older: it does not move it back
  CHECK(Radius(*w->Snapshot(fleet.Context(t))) == 5000);  // a fresh context carries the new tier
}

TEST_CASE("the domain settings end to end: zones, pricing and a quote", "[config][pricing][zones]") {
  World w;
  const Tenant a = MakeTenant("standard");
  Must(w->SetTenant(a, Obj(std::string(R"({"time_zone": "Europe/Berlin", "zones": )") + std::string(kAirportZones) +
                           R"(, "pricing": )" + std::string(kAirportPricing) + "}"),
                    "alice"));
  const auto s = w->Snapshot(a);
  CHECK(s->issues().empty());
  const std::string_view zone = s->zones().FirstZoneAt(13.515, 52.37);
  CHECK(zone == "airport");
  auto q = Must(Quote(s->pricing(), TripFacts{.distance_m = 20'000, .duration_s = 1'200, .zone = zone,
                                               .weekday = Weekday::kSat, .local_minute = 60}));
  // (300 + 3000) × 1.5 = 4950: Friday night's window.
  CHECK(q.subtotal == 3300);
  CHECK(q.surge_milli == 1500);
  CHECK(q.total == 4950);
  CHECK(q.currency == "EUR");
}

TEST_CASE("bad arguments are refused", "[config][validation]") {
  World w;
  const Tenant a = MakeTenant("standard");
  CHECK(w->SetTenant(a, Obj("{}"), "").error().code == Errc::kInvalidArgument);
  CHECK(w->SetTenant(a, Obj("{}"), std::string(kMaxConfigAuthorBytes + 1, 'x')).error().code == Errc::kInvalidArgument);
  CHECK(w->SetTenant(a, Obj("{}"), "bad\nauthor").error().code == Errc::kInvalidArgument);
  CHECK(w->SetTier("Premium!", Obj("{}"), "ops").error().code == Errc::kInvalidArgument);
  CHECK(w->SetTenant(Tenant{}, Obj("{}"), "ops").error().code == Errc::kInvalidArgument);
  CHECK(w->History(ConfigScope{ConfigLayer::kTenant, "not-an-id"}).error().code == Errc::kInvalidArgument);
  CHECK(w->History(ConfigScope{ConfigLayer::kDefault, ""}).error().code == Errc::kInvalidArgument);
  CHECK(w->History(ConfigScope{ConfigLayer::kPlatform, "x"}).error().code == Errc::kInvalidArgument);
  ConfigOptions o;
  CHECK(Config::Open(o).error().code == Errc::kInvalidArgument);  // no path
  o.path = (w.dir.path() / "other.db").string();
  o.clock = nullptr;
  CHECK(Config::Open(o).error().code == Errc::kInvalidArgument);
  CHECK(Must(w->CurrentVersion(ConfigScope::Tenant(a.id))) == 0);
}

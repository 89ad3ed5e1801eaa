// Pricing: parsing with named fields, the quote's integer arithmetic and
// rounding, surge windows by zone, day and time (across midnight), the
// JsonLogic adjustment, and hostile rules refused at save time.
#include <boost/json/parse.hpp>

#include <string>

#include "support/catch_tenancy.hpp"
#include "tenancy/pricing.hpp"

using namespace tenancy;

namespace {

// Deeply nested rules need more than boost::json's default depth of 32.
boost::json::value Json(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 1000;
  return boost::json::parse(text, {}, options);
}

Pricing MustParse(std::string_view json, const PricingLimits& limits = {}) {
  auto p = Pricing::Parse(Json(json), limits);
  INFO((p ? std::string() : p.error().ToString()));
  REQUIRE(p);
  return *p;
}

std::string ParseError(std::string_view json, const PricingLimits& limits = {}) {
  auto p = Pricing::Parse(Json(json), limits);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == Errc::kInvalidArgument);
  return p.error().message;
}

FareQuote MustQuote(const Pricing& p, const TripFacts& t) {
  auto q = Quote(p, t);
  INFO((q ? std::string() : q.error().ToString()));
  REQUIRE(q);
  return *q;
}

TripFacts Trip(std::int64_t m, std::int64_t s, std::string_view zone = {}, Weekday day = Weekday::kWed,
               int minute = 12 * 60) {
  return {.distance_m = m, .duration_s = s, .zone = zone, .weekday = day, .local_minute = minute};
}

constexpr std::string_view kBasic =
    R"({"currency": "EUR", "base_fare": 250, "per_km": 120, "per_minute": 30, "minimum_fare": 500})";

}  // namespace

TEST_CASE("weekday names round-trip", "[pricing]") {
  for (int i = 0; i < 7; ++i) {
    const auto d = static_cast<Weekday>(i);
    CHECK(*ParseWeekday(ToString(d)) == d);
  }
  CHECK_FALSE(ParseWeekday("Mon"));
  CHECK_FALSE(ParseWeekday("monday"));
}

TEST_CASE("quote arithmetic: components, half-up rounding, minimum fare", "[pricing][quote]") {
  const Pricing p = MustParse(kBasic);
  CHECK(p.currency == "EUR");

  // 10 km, 15 min: 250 + 1200 + 450 = 1900.
  auto q = MustQuote(p, Trip(10'000, 900));
  CHECK(q.base == 250);
  CHECK(q.distance == 1200);
  CHECK(q.time == 450);
  CHECK(q.subtotal == 1900);
  CHECK(q.surge_milli == 1000);
  CHECK(q.surged == 1900);
  CHECK(q.rule_adjustment == 0);
  CHECK_FALSE(q.minimum_applied);
  CHECK(q.total == 1900);
  CHECK(q.currency == "EUR");

  // 120 × 1.234 km = 148.08 → 148; 120 × 1.2375 km = 148.5 → 149 (half up).
  CHECK(MustQuote(p, Trip(1234, 0)).distance == 148);
  CHECK(MustQuote(p, Trip(1237, 0)).distance == 148);  // 148.44
  CHECK(MustQuote(MustParse(R"({"currency":"EUR","per_km":2})"), Trip(250, 0)).distance == 1);  // 0.5 → 1
  CHECK(MustQuote(MustParse(R"({"currency":"EUR","per_km":2})"), Trip(249, 0)).distance == 0);  // 0.498
  // 30 per minute × 61 s = 30.5 → 31.
  CHECK(MustQuote(p, Trip(0, 61)).time == 31);

  // A short trip is raised to the minimum fare.
  q = MustQuote(p, Trip(500, 60));  // 250 + 60 + 30 = 340
  CHECK(q.subtotal == 340);
  CHECK(q.minimum_applied);
  CHECK(q.total == 500);
  // Exactly the minimum is not "applied".
  q = MustQuote(MustParse(R"({"currency":"EUR","base_fare":500,"minimum_fare":500})"), Trip(0, 0));
  CHECK_FALSE(q.minimum_applied);
  CHECK(q.total == 500);
}

TEST_CASE("facts out of range are refused", "[pricing][quote]") {
  const Pricing p = MustParse(kBasic);
  CHECK(Quote(p, Trip(-1, 0)).error().code == Errc::kInvalidArgument);
  CHECK(Quote(p, Trip(kMaxTripDistanceM + 1, 0)).error().code == Errc::kInvalidArgument);
  CHECK(Quote(p, Trip(0, -5)).error().code == Errc::kInvalidArgument);
  CHECK(Quote(p, Trip(0, 0, {}, Weekday::kMon, 1440)).error().code == Errc::kInvalidArgument);
  CHECK(Quote(p, Trip(0, 0, {}, static_cast<Weekday>(9), 0)).error().code == Errc::kInvalidArgument);
  // The largest amounts cannot overflow: they are refused as a fare too large.
  Pricing huge = MustParse(R"({"currency":"EUR","per_km":1000000000})");
  auto q = Quote(huge, Trip(kMaxTripDistanceM, 0));
  REQUIRE_FALSE(q);
  CHECK(q.error().code == Errc::kInvalidArgument);
}

TEST_CASE("surge by zone and time window; the highest multiplier wins", "[pricing][surge]") {
  const Pricing p = MustParse(R"({"currency": "EUR", "base_fare": 1000, "surge": [
      {"zones": ["airport"], "from": "06:00", "to": "09:00", "multiplier": 1.5},
      {"zones": ["airport", "center"], "days": ["fri", "sat"], "from": "22:00", "to": "02:00", "multiplier": 2},
      {"days": ["sun"], "multiplier": 1.25}]})");
  REQUIRE(p.surge.size() == 3);
  CHECK(p.surge[0].multiplier_milli == 1500);
  CHECK(p.surge[2].from_minute == 0);
  CHECK(p.surge[2].to_minute == 1440);

  auto total = [&](std::string_view zone, Weekday day, int minute) {
    return MustQuote(p, Trip(0, 0, zone, day, minute)).total;
  };
  // Morning window, any day, airport only; [from, to).
  CHECK(total("airport", Weekday::kTue, 6 * 60) == 1500);
  CHECK(total("airport", Weekday::kTue, 9 * 60 - 1) == 1500);
  CHECK(total("airport", Weekday::kTue, 9 * 60) == 1000);
  CHECK(total("airport", Weekday::kTue, 6 * 60 - 1) == 1000);
  CHECK(total("center", Weekday::kTue, 7 * 60) == 1000);
  CHECK(total("", Weekday::kTue, 7 * 60) == 1000);
  // Night window crossing midnight, starting Friday and Saturday.
  CHECK(total("center", Weekday::kFri, 22 * 60) == 2000);
  CHECK(total("center", Weekday::kFri, 23 * 60 + 59) == 2000);
  CHECK(total("center", Weekday::kSat, 1 * 60 + 59) == 2000);  // Friday's night
  CHECK(total("center", Weekday::kSat, 2 * 60) == 1000);
  CHECK(total("center", Weekday::kFri, 1 * 60) == 1000);       // Thursday's night: not listed
  CHECK(total("center", Weekday::kFri, 21 * 60 + 59) == 1000);
  CHECK(total("center", Weekday::kSun, 1 * 60) == 2000);       // Saturday's night beats Sunday's 1.25
  CHECK(total("center", Weekday::kSun, 3 * 60) == 1250);       // Sunday everywhere
  CHECK(total("", Weekday::kSun, 12 * 60) == 1250);
  CHECK(total("airport", Weekday::kSun, 7 * 60) == 1500);      // 1.5 beats 1.25
  CHECK(total("elsewhere", Weekday::kMon, 0) == 1000);          // Sunday's window ended at midnight

  auto q = MustQuote(p, Trip(0, 0, "airport", Weekday::kTue, 7 * 60));
  CHECK(q.surge_milli == 1500);
  CHECK(q.surge_multiplier() == 1.5);
  CHECK(q.surged == 1500);
}

TEST_CASE("SurgeRule::Applies: from == to is a full day from `from`", "[pricing][surge]") {
  SurgeRule r;
  r.days = 1u << static_cast<unsigned>(Weekday::kMon);
  r.from_minute = 600;
  r.to_minute = 600;
  CHECK(r.Applies("", Weekday::kMon, 600));
  CHECK(r.Applies("", Weekday::kMon, 1439));
  CHECK(r.Applies("", Weekday::kTue, 599));
  CHECK_FALSE(r.Applies("", Weekday::kTue, 600));
  CHECK_FALSE(r.Applies("", Weekday::kMon, 599));
}

TEST_CASE("surge rounding: half up in thousandths", "[pricing][surge]") {
  // 333 × 1.5 = 499.5 → 500; 333 × 1.001 = 333.333 → 333.
  const Pricing p = MustParse(R"({"currency":"EUR","base_fare":333,"surge":[
      {"zones":["a"],"multiplier":1.5},{"zones":["b"],"multiplier":1.001}]})");
  CHECK(MustQuote(p, Trip(0, 0, "a")).surged == 500);
  CHECK(MustQuote(p, Trip(0, 0, "b")).surged == 333);
}

TEST_CASE("a JsonLogic rule adjusts the fare", "[pricing][rule]") {
  const Pricing p = MustParse(R"({"currency": "EUR", "base_fare": 250, "per_km": 100, "minimum_fare": 700,
      "surge": [{"zones": ["airport"], "multiplier": 2}],
      "rule": {"if": [
        {">": [{"var": "distance_m"}, 30000]}, {"-": [{"var": "fare"}, 500]},
        {"==": [{"var": "zone"}, "airport"]}, {"+": [{"var": "fare"}, 400]},
        {"and": [{"==": [{"var": "weekday"}, "sun"]}, {"<": [{"var": "local_minute"}, 360]}]},
          {"*": [{"var": "fare"}, 1.1]},
        null]}})");
  REQUIRE(p.rule);

  // Long trip: 250 + 4000 = 4250, rule −500 → 3750.
  auto q = MustQuote(p, Trip(40'000, 0));
  CHECK(q.surged == 4250);
  CHECK(q.rule_adjustment == -500);
  CHECK(q.total == 3750);
  // Airport: (250 + 1000) × 2 = 2500, rule +400 → 2900.
  q = MustQuote(p, Trip(10'000, 0, "airport"));
  CHECK(q.surged == 2500);
  CHECK(q.rule_adjustment == 400);
  CHECK(q.total == 2900);
  // Sunday early hours: 1250 × 1.1 = 1375.
  q = MustQuote(p, Trip(10'000, 0, "", Weekday::kSun, 300));
  CHECK(q.total == 1375);
  // null: unchanged; then the minimum applies after the rule.
  q = MustQuote(p, Trip(1'000, 0, "", Weekday::kSun, 600));
  CHECK(q.rule_adjustment == 0);
  CHECK(q.surged == 350);
  CHECK(q.minimum_applied);
  CHECK(q.total == 700);
}

TEST_CASE("rule results are rounded half away from zero and never negative", "[pricing][rule]") {
  auto p = MustParse(R"({"currency":"EUR","base_fare":1001,"rule":{"/":[{"var":"fare"},2]}})");
  CHECK(MustQuote(p, Trip(0, 0)).total == 501);  // 500.5 → 501
  p = MustParse(R"({"currency":"EUR","base_fare":100,"rule":{"-":[{"var":"fare"},1000]}})");
  auto q = MustQuote(p, Trip(0, 0));
  CHECK(q.total == 0);
  CHECK(q.rule_adjustment == -100);
  // The rule sees every documented input.
  p = MustParse(R"({"currency":"EUR","base_fare":7,"per_km":1000,"per_minute":60,
      "rule":{"+":[{"var":"base_fare"},{"var":"distance_fare"},{"var":"time_fare"},{"var":"subtotal"},
                   {"var":"surge"},{"var":"duration_s"},{"var":"distance_m"}]}})");
  // 7 + 3000 + 120 + 3127 (subtotal) + 1 (surge) + 120 + 3000 = 9375
  CHECK(MustQuote(p, Trip(3000, 120)).total == 9375);
}

TEST_CASE("a rule returning a non-number is refused at save time", "[pricing][rule]") {
  CHECK(ParseError(R"({"currency":"EUR","rule":{"cat":["free", "ride"]}})") ==
        "pricing.rule: must return a number (the fare) or null, not a string");
  CHECK(ParseError(R"({"currency":"EUR","rule":{"==":[1,1]}})").starts_with("pricing.rule:"));
}

TEST_CASE("hostile rules are refused at save time", "[pricing][rule][limits]") {
  SECTION("too deep") {
    std::string deep = "1";
    for (int i = 0; i < 40; ++i) deep = R"({"+":[)" + deep + ",1]}";
    auto msg = ParseError(R"({"currency":"EUR","rule":)" + deep + "}");
    CHECK(msg.starts_with("pricing.rule: "));
  }
  SECTION("too many nodes") {
    std::string wide = R"({"+":[)";
    for (int i = 0; i < 3000; ++i) wide += (i ? ",1" : "1");
    wide += "]}";
    auto msg = ParseError(R"({"currency":"EUR","rule":)" + wide + "}");
    CHECK(msg.starts_with("pricing.rule: "));
  }
  SECTION("unknown operator") {
    auto msg = ParseError(R"({"currency":"EUR","rule":{"method":["x","toString"]}})");
    CHECK(msg.starts_with("pricing.rule: "));
  }
  SECTION("too many steps at run time (caught by the save-time trial)") {
    // Each map over a 1000-element merge costs ~1000 steps; nesting makes it explode.
    const std::string big = R"({"merge":[)" + [] {
      std::string s;
      for (int i = 0; i < 900; ++i) s += (i ? ",1" : "1");
      return s;
    }() + "]}";
    const std::string rule = R"({"reduce":[{"map":[)" + big + R"(,{"map":[)" + big +
                             R"(,1]}]},{"+":[{"var":"accumulator"},1]},0]})";
    auto msg = ParseError(R"({"currency":"EUR","rule":)" + rule + "}");
    CHECK(msg.starts_with("pricing.rule: exceeds its evaluation limits on a sample trip"));
  }
  SECTION("a custom limit") {
    PricingLimits limits;
    limits.rule.max_nodes = 3;
    CHECK(ParseError(R"({"currency":"EUR","rule":{"+":[{"var":"fare"},1,2]}})", limits).starts_with("pricing.rule: "));
    CHECK(Pricing::Parse(boost::json::parse(R"({"currency":"EUR","rule":{"+":[{"var":"fare"},1,2]}})")));
  }
}

TEST_CASE("pricing validation names the field", "[pricing][validation]") {
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":1.2},{"multiplier":0.5}]})") ==
        "pricing.surge[1].multiplier: must be >= 1");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":10.5}]})") ==
        "pricing.surge[0].multiplier: must be <= 10");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":1.2345}]})") ==
        "pricing.surge[0].multiplier: may have at most 3 decimal places");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{}]})") == "pricing.surge[0].multiplier: is missing");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"from":"25:00"}]})") ==
        "pricing.surge[0].from: must be between 00:00 and 23:59");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"from":"24:00"}]})") ==
        "pricing.surge[0].from: must be between 00:00 and 23:59");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"to":"7:30"}]})") ==
        "pricing.surge[0].to: must be a time \"HH:MM\"");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"to":"12:60"}]})") ==
        "pricing.surge[0].to: must be between 00:00 and 24:00");
  CHECK(MustParse(R"({"currency":"EUR","surge":[{"multiplier":2,"from":"18:00","to":"24:00"}]})").surge[0].to_minute == 1440);
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"days":["mon","funday"]}]})") ==
        "pricing.surge[0].days[1]: must be one of mon, tue, wed, thu, fri, sat, sun");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"days":[]}]})") ==
        "pricing.surge[0].days: must name at least one day (leave it out for every day)");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"zones":[]}]})") ==
        "pricing.surge[0].zones: must name at least one zone (leave it out for every zone)");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"zones":["a",3]}]})") ==
        "pricing.surge[0].zones[1]: must be a zone id, not a number");
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2,"when":"always"}]})") ==
        "pricing.surge[0].when: unknown member");
  CHECK(ParseError(R"({"currency":"eur"})") ==
        "pricing.currency: must be an ISO 4217 alpha-3 code (three letters A-Z, e.g. \"EUR\")");
  CHECK(ParseError(R"({"currency":"EURO"})").starts_with("pricing.currency: "));
  CHECK(ParseError(R"({"base_fare":1})") == "pricing.currency: is missing");
  CHECK(ParseError(R"({"currency":"EUR","base_fare":-1})") == "pricing.base_fare: must be >= 0");
  CHECK(ParseError(R"({"currency":"EUR","per_km":2.5})") == "pricing.per_km: must be an integer");
  CHECK(ParseError(R"({"currency":"EUR","per_minute":"3"})") ==
        "pricing.per_minute: must be an integer, not a string");
  CHECK(ParseError(R"({"currency":"EUR","minimum_fare":1000000001})") ==
        "pricing.minimum_fare: must be <= 1000000000");
  CHECK(ParseError(R"({"currency":"EUR","tip":5})") == "pricing.tip: unknown member");
  CHECK(ParseError(R"([1])") == "pricing: must be an object, not an array");
  PricingLimits limits;
  limits.max_surge_rules = 1;
  CHECK(ParseError(R"({"currency":"EUR","surge":[{"multiplier":2},{"multiplier":3}]})", limits) ==
        "pricing.surge: at most 1 rules");
  // Whole doubles are integers (JavaScript writers send 250.0 as 250 or 250.0).
  CHECK(MustParse(R"({"currency":"EUR","base_fare":250.0})").base_fare == 250);
}

// tenancy/pricing.hpp — a tenant's fare model and the fare quote.
//
// Pricing is configured as JSON (the "pricing" setting of config.hpp):
//
//   {"currency": "EUR",            // ISO 4217 alpha-3 (three letters A–Z)
//    "base_fare": 250,             // all amounts: integer minor units (cents),
//    "per_km": 120,                //   0 ≤ amount ≤ kMaxFareAmount
//    "per_minute": 30,
//    "minimum_fare": 500,
//    "surge": [{"zones": ["airport"],          // optional; absent: every zone
//               "days": ["fri", "sat"],        // optional; absent: every day
//               "from": "22:00", "to": "02:00", // local time, [from, to)
//               "multiplier": 1.5}],           // 1 ≤ m ≤ 10, at most 3 decimals
//    "rule": {"if": [{">": [{"var": "distance_m"}, 30000]},
//                    {"-": [{"var": "fare"}, 200]}, null]}}   // optional JsonLogic
//
// A surge window with `to` earlier than `from` (or equal to it) crosses
// midnight: "fri 22:00–02:00" covers Friday from 22:00 and the first two
// hours of Saturday (the night belongs to the day it started on). "to" may
// be "24:00". When several surge rules match a trip, the highest multiplier
// applies, so the order of the rules does not matter. Zone ids are checked
// against the tenant's zones when the configuration is saved.
//
// The fare, in integer arithmetic (every division rounds half up):
//   distance = per_km × distance_m / 1000
//   time     = per_minute × duration_s / 60
//   subtotal = base_fare + distance + time
//   surged   = subtotal × multiplier            (multiplier in thousandths)
//   fare     = the rule's value for the data below, when there is a rule and
//              it returns a number (rounded half away from zero and held
//              within [0, kMaxFareAmount]: a discount never makes a fare
//              negative); `null` keeps `surged`
//   total    = max(fare, minimum_fare)
// The rule sees: distance_m, duration_s, zone (pickup zone id, "" when
// none), weekday ("mon"…"sun"), local_minute (0–1439), base_fare,
// distance_fare, time_fare, subtotal, surge (the multiplier as a number)
// and fare (= surged). It is compiled once when the pricing is parsed, and
// tried on a sample trip then, so a rule that exceeds its limits or returns
// something other than a number or null is refused at save time.
//
// Local time is the caller's business: the booking service converts the
// pickup instant to the tenant's time zone and passes weekday and minute.
//
// Thread safety: Pricing and FareQuote are values; a Pricing (and its
// compiled rule) may be read from any number of threads.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/rules.hpp"

namespace tenancy {

enum class Weekday : std::uint8_t { kMon = 0, kTue, kWed, kThu, kFri, kSat, kSun };

// "mon" … "sun".
TENANCY_EXPORT std::string_view ToString(Weekday day) noexcept;
// kInvalidArgument unless `text` is one of "mon" … "sun".
TENANCY_EXPORT Result<Weekday> ParseWeekday(std::string_view text);

// Largest amount (minor units) anywhere in pricing or a quote: 10^9, e.g.
// ten million euros. Keeps every product below 2^63.
inline constexpr std::int64_t kMaxFareAmount = 1'000'000'000;
// Largest trip a quote accepts: 40,000 km, 30 days.
inline constexpr std::int64_t kMaxTripDistanceM = 40'000'000;
inline constexpr std::int64_t kMaxTripDurationS = 30 * 24 * 3600;

struct SurgeRule {
  std::vector<std::string> zones{};  // empty: every zone (and none)
  std::uint8_t days = 0x7f;          // bit i set: Weekday(i) starts a window
  int from_minute = 0;               // 0..1439
  int to_minute = 1440;              // 0..1440; <= from_minute crosses midnight
  int multiplier_milli = 1000;       // 1000..10000

  // True when a trip picked up in `zone` on local (`day`, `minute`) falls
  // in this rule.
  TENANCY_EXPORT bool Applies(std::string_view zone, Weekday day, int minute) const noexcept;
};

struct PricingLimits {
  std::size_t max_surge_rules = 64;
  std::size_t max_zones_per_rule = 64;
  // Bounds of the JsonLogic rule, at compile time and on every quote.
  RuleLimits rule{.max_depth = 32, .max_nodes = 2'000, .max_steps = 10'000,
                  .max_array = 1'000, .max_string = 4 * 1024};
};

struct Pricing {
  std::string currency = "USD";
  std::int64_t base_fare = 0;
  std::int64_t per_km = 0;
  std::int64_t per_minute = 0;
  std::int64_t minimum_fare = 0;
  std::vector<SurgeRule> surge{};
  std::optional<Rule> rule{};

  // Parses and checks the JSON form above. `path` prefixes the places named
  // in errors ("pricing.surge[1].multiplier: must be >= 1").
  // kInvalidArgument on any fault, including a rule that does not compile
  // within `limits.rule` or fails its trial on a sample trip.
  TENANCY_EXPORT static Result<Pricing> Parse(const boost::json::value& json,
                                              const PricingLimits& limits = {},
                                              std::string_view path = "pricing");
};

// What a quote needs to know about a trip. Local time in the tenant's zone.
struct TripFacts {
  std::int64_t distance_m = 0;  // 0..kMaxTripDistanceM
  std::int64_t duration_s = 0;  // 0..kMaxTripDurationS
  std::string_view zone{};      // the pickup zone's id; "" outside every zone
  Weekday weekday = Weekday::kMon;
  int local_minute = 0;         // minute of the day, 0..1439
};

// A fare, itemized. Amounts in minor units of `currency`.
struct FareQuote {
  std::int64_t base = 0;
  std::int64_t distance = 0;
  std::int64_t time = 0;
  std::int64_t subtotal = 0;          // base + distance + time
  int surge_milli = 1000;             // the multiplier applied, in thousandths
  std::int64_t surged = 0;            // subtotal × multiplier
  std::int64_t rule_adjustment = 0;   // the rule's fare − surged (0 without a rule)
  bool minimum_applied = false;       // total was raised to minimum_fare
  std::int64_t total = 0;
  std::string currency{};

  double surge_multiplier() const noexcept { return surge_milli / 1000.0; }
};

// Quotes a trip. kInvalidArgument for facts out of range, a subtotal or
// surged fare above kMaxFareAmount, or a rule that returns something other
// than a number or null; kResourceExhausted when the rule exceeds its
// limits.
TENANCY_EXPORT Result<FareQuote> Quote(const Pricing& pricing, const TripFacts& trip);

}  // namespace tenancy

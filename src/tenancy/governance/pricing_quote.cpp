// The fare quote: integer arithmetic with half-up rounding, surge by zone
// and local time, then the tenant's JsonLogic rule. See pricing.hpp.
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "tenancy/pricing.hpp"

namespace tenancy {
namespace {

// a × b / d rounded half up, for non-negative operands whose product fits
// (guaranteed by the bounds in pricing.hpp).
std::int64_t MulDivRound(std::int64_t a, std::int64_t b, std::int64_t d) noexcept {
  return (a * b + d / 2) / d;
}

// The rule's data object, built once per thread and updated in place: the
// keys never change, so a quote only rewrites eleven values (no allocation,
// no key hashing). Evaluation takes the data by const reference and never
// calls back into Quote, so the scratch object is never in use twice.
class RuleData {
 public:
  static constexpr std::array<std::string_view, 11> kKeys = {
      "distance_m", "duration_s", "zone",   "weekday", "local_minute", "base_fare",
      "distance_fare", "time_fare", "subtotal", "surge", "fare"};

  RuleData() {
    auto& o = root_.emplace_object();
    o.reserve(kKeys.size());
    for (auto key : kKeys) o.emplace(key, nullptr);
    for (std::size_t i = 0; i < kKeys.size(); ++i) slots_[i] = &o.at(kKeys[i]);
  }

  const boost::json::value& Fill(const Pricing& p, const TripFacts& trip, const FareQuote& q) {
    *slots_[0] = trip.distance_m;
    *slots_[1] = trip.duration_s;
    Text(*slots_[2], trip.zone);
    Text(*slots_[3], ToString(trip.weekday));
    *slots_[4] = trip.local_minute;
    *slots_[5] = p.base_fare;
    *slots_[6] = q.distance;
    *slots_[7] = q.time;
    *slots_[8] = q.subtotal;
    *slots_[9] = q.surge_milli / 1000.0;
    *slots_[10] = q.surged;
    return root_;
  }

 private:
  static void Text(boost::json::value& v, std::string_view s) {
    if (auto* str = v.if_string()) {
      str->assign(s);  // reuses the capacity the string already has
    } else {
      v = boost::json::string(s);
    }
  }

  boost::json::value root_;
  std::array<boost::json::value*, kKeys.size()> slots_{};
};

Result<std::int64_t> ApplyRule(const Rule& rule, const Pricing& p, const TripFacts& trip,
                               const FareQuote& q) {
  thread_local RuleData data;
  const boost::json::value& root = data.Fill(p, trip, q);
  auto out = rule.Evaluate(root);
  if (!out) return out.error();
  if (out->is_null()) return q.surged;
  if (!out->is_number())
    return Fail(Errc::kInvalidArgument,
                "pricing.rule: must return a number (the fare) or null, not " +
                    std::string(out->is_string() ? "a string"
                                : out->is_bool() ? "a boolean"
                                : out->is_array() ? "an array"
                                                  : "an object"));
  // Rounded half away from zero, then held within [0, kMaxFareAmount]: a
  // discount cannot make a fare negative.
  const double fare = std::round(out->to_number<double>());
  if (!(fare > 0)) return 0;
  if (fare >= static_cast<double>(kMaxFareAmount)) return kMaxFareAmount;
  return static_cast<std::int64_t>(fare);
}

}  // namespace

Result<FareQuote> Quote(const Pricing& p, const TripFacts& trip) {
  if (trip.distance_m < 0 || trip.distance_m > kMaxTripDistanceM)
    return Fail(Errc::kInvalidArgument, "distance_m must be within [0, " +
                                            std::to_string(kMaxTripDistanceM) + "]");
  if (trip.duration_s < 0 || trip.duration_s > kMaxTripDurationS)
    return Fail(Errc::kInvalidArgument, "duration_s must be within [0, " +
                                            std::to_string(kMaxTripDurationS) + "]");
  if (trip.local_minute < 0 || trip.local_minute >= 1440)
    return Fail(Errc::kInvalidArgument, "local_minute must be within [0, 1439]");
  if (static_cast<unsigned>(trip.weekday) > 6) return Fail(Errc::kInvalidArgument, "weekday is invalid");
  for (const std::int64_t amount : {p.base_fare, p.per_km, p.per_minute, p.minimum_fare})
    if (amount < 0 || amount > kMaxFareAmount)
      return Fail(Errc::kInvalidArgument, "pricing amounts must be within [0, kMaxFareAmount]");

  FareQuote q;
  q.currency = p.currency;
  q.base = p.base_fare;
  q.distance = MulDivRound(p.per_km, trip.distance_m, 1000);
  q.time = MulDivRound(p.per_minute, trip.duration_s, 60);
  q.subtotal = q.base + q.distance + q.time;
  if (q.subtotal > kMaxFareAmount)
    return Fail(Errc::kInvalidArgument, "the fare exceeds the largest amount (kMaxFareAmount)");
  for (const auto& rule : p.surge) {
    const int milli = std::clamp(rule.multiplier_milli, 1000, 10000);
    if (milli > q.surge_milli && rule.Applies(trip.zone, trip.weekday, trip.local_minute))
      q.surge_milli = milli;
  }
  q.surged = MulDivRound(q.subtotal, q.surge_milli, 1000);
  if (q.surged > kMaxFareAmount)
    return Fail(Errc::kInvalidArgument, "the fare exceeds the largest amount (kMaxFareAmount)");
  std::int64_t fare = q.surged;
  if (p.rule) {
    auto adjusted = ApplyRule(*p.rule, p, trip, q);
    if (!adjusted) return adjusted.error();
    fare = *adjusted;
    q.rule_adjustment = fare - q.surged;
  }
  q.minimum_applied = fare < p.minimum_fare;
  q.total = q.minimum_applied ? p.minimum_fare : fare;
  return q;
}

}  // namespace tenancy

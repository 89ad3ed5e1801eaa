// Parsing and checking the "pricing" setting: amounts, surge windows and the
// JsonLogic fare rule (compiled and tried once here). See pricing.hpp.
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "governance/config_path.hpp"
#include "tenancy/pricing.hpp"
#include "tenancy/zones.hpp"

namespace tenancy {
namespace {

using detail::config::Element;
using detail::config::FieldError;
using detail::config::Member;
using detail::config::WrongKind;

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Result<std::int64_t> Amount(const boost::json::object& o, std::string_view name,
                            std::string_view path) {
  const auto* v = o.if_contains(name);
  if (!v) return 0;
  const std::string p = Member(path, name);
  auto n = detail::config::ReadInt(*v, p);
  if (!n) return n.error();
  if (*n < 0) return FieldError(p, "must be >= 0");
  if (*n > kMaxFareAmount) return FieldError(p, "must be <= " + std::to_string(kMaxFareAmount));
  return *n;
}

// "HH:MM" → minutes; "24:00" only where `allow_24` (a window's end).
Result<int> TimeOfDay(const boost::json::value& v, std::string_view path, bool allow_24) {
  if (!v.is_string()) return WrongKind(path, "a time \"HH:MM\"", v);
  const std::string_view s = v.get_string();
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4]))
    return FieldError(path, "must be a time \"HH:MM\"");
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
    return FieldError(path, allow_24 ? "must be between 00:00 and 24:00" : "must be between 00:00 and 23:59");
  return h * 60 + m;
}

Result<SurgeRule> Surge(const boost::json::value& v, std::string_view path, const PricingLimits& limits) {
  const auto* o = v.if_object();
  if (!o) return WrongKind(path, "an object", v);
  for (const auto& kv : *o) {
    static constexpr std::array<std::string_view, 5> kKnown = {"zones", "days", "from", "to",
                                                               "multiplier"};
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end())
      return FieldError(Member(path, kv.key()), "unknown member");
  }
  SurgeRule rule;
  if (const auto* zones = o->if_contains("zones")) {
    const std::string zp = Member(path, "zones");
    if (!zones->is_array()) return WrongKind(zp, "an array of zone ids", *zones);
    const auto& list = zones->get_array();
    if (list.empty()) return FieldError(zp, "must name at least one zone (leave it out for every zone)");
    if (list.size() > limits.max_zones_per_rule)
      return FieldError(zp, "at most " + std::to_string(limits.max_zones_per_rule) + " zones");
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) return WrongKind(Element(zp, i), "a zone id", list[i]);
      const auto& id = list[i].get_string();
      if (id.empty() || id.size() > kMaxZoneIdBytes)
        return FieldError(Element(zp, i), "must be a zone id of 1 to 64 bytes");
      rule.zones.emplace_back(id);
    }
  }
  if (const auto* days = o->if_contains("days")) {
    const std::string dp = Member(path, "days");
    if (!days->is_array()) return WrongKind(dp, "an array of days (\"mon\" … \"sun\")", *days);
    const auto& list = days->get_array();
    if (list.empty()) return FieldError(dp, "must name at least one day (leave it out for every day)");
    if (list.size() > 7) return FieldError(dp, "at most 7 days");
    rule.days = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string ip = Element(dp, i);
      if (!list[i].is_string()) return WrongKind(ip, "a day (\"mon\" … \"sun\")", list[i]);
      auto day = ParseWeekday(list[i].get_string());
      if (!day) return FieldError(ip, "must be one of mon, tue, wed, thu, fri, sat, sun");
      rule.days = static_cast<std::uint8_t>(rule.days | (1u << static_cast<unsigned>(*day)));
    }
  }
  if (const auto* from = o->if_contains("from")) {
    auto m = TimeOfDay(*from, Member(path, "from"), false);
    if (!m) return m.error();
    rule.from_minute = *m;
  }
  if (const auto* to = o->if_contains("to")) {
    auto m = TimeOfDay(*to, Member(path, "to"), true);
    if (!m) return m.error();
    rule.to_minute = *m;
  }
  const std::string mp = Member(path, "multiplier");
  const auto* mult = o->if_contains("multiplier");
  if (!mult) return FieldError(mp, "is missing");
  auto m = detail::config::ReadNumber(*mult, mp);
  if (!m) return m.error();
  if (*m < 1) return FieldError(mp, "must be >= 1");
  if (*m > 10) return FieldError(mp, "must be <= 10");
  const double milli = *m * 1000;
  if (std::fabs(milli - std::round(milli)) > 1e-6)
    return FieldError(mp, "may have at most 3 decimal places");
  rule.multiplier_milli = static_cast<int>(std::lround(milli));
  return rule;
}

// The rule is tried on sample trips, so one that cannot finish within its
// limits, or answers with something that is not a fare, is refused now
// rather than on a rider's booking.
Result<void> TryRule(const Pricing& pricing, std::string_view path) {
  const std::string_view zone = pricing.surge.empty() || pricing.surge[0].zones.empty()
                                    ? std::string_view()
                                    : std::string_view(pricing.surge[0].zones[0]);
  const TripFacts samples[] = {
      {.distance_m = 0, .duration_s = 0, .zone = {}, .weekday = Weekday::kMon, .local_minute = 0},
      {.distance_m = 12'000, .duration_s = 1'500, .zone = zone, .weekday = Weekday::kFri,
       .local_minute = 18 * 60},
  };
  for (const auto& trip : samples) {
    auto q = Quote(pricing, trip);
    if (q) continue;
    if (q.error().code == Errc::kResourceExhausted)
      return FieldError(Member(path, "rule"),
                        "exceeds its evaluation limits on a sample trip (" + q.error().message + ")");
    // Quote names the rule "pricing.rule"; name it by this setting's path.
    const Error error = q.error();  // result::error() returns a copy: keep it alive
    std::string_view what = error.message;
    if (auto colon = what.find(": "); colon != std::string_view::npos) what.remove_prefix(colon + 2);
    return FieldError(Member(path, "rule"), what);
  }
  return {};
}

}  // namespace

std::string_view ToString(Weekday day) noexcept {
  const auto i = static_cast<std::size_t>(day);
  return i < kDays.size() ? kDays[i] : std::string_view("?");
}

Result<Weekday> ParseWeekday(std::string_view text) {
  for (std::size_t i = 0; i < kDays.size(); ++i)
    if (kDays[i] == text) return static_cast<Weekday>(i);
  return Fail(Errc::kInvalidArgument, "not a weekday (mon, tue, wed, thu, fri, sat, sun)");
}

bool SurgeRule::Applies(std::string_view zone, Weekday day, int minute) const noexcept {
  if (!zones.empty() && std::find(zones.begin(), zones.end(), zone) == zones.end()) return false;
  const unsigned d = static_cast<unsigned>(day);
  const unsigned prev = (d + 6) % 7;
  const bool today = (days >> d) & 1u;
  const bool yesterday = (days >> prev) & 1u;
  if (from_minute < to_minute) return today && minute >= from_minute && minute < to_minute;
  // Crossing midnight (or a full 24 h when from == to): the evening part
  // belongs to today's window, the early hours to yesterday's.
  return (today && minute >= from_minute) || (yesterday && minute < to_minute);
}

Result<Pricing> Pricing::Parse(const boost::json::value& json, const PricingLimits& limits,
                               std::string_view path) {
  const auto* o = json.if_object();
  if (!o) return WrongKind(path, "an object", json);
  for (const auto& kv : *o) {
    static constexpr std::array<std::string_view, 7> kKnown = {
        "currency", "base_fare", "per_km", "per_minute", "minimum_fare", "surge", "rule"};
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end())
      return FieldError(Member(path, kv.key()), "unknown member");
  }
  Pricing p;
  const std::string cp = Member(path, "currency");
  const auto* currency = o->if_contains("currency");
  if (!currency) return FieldError(cp, "is missing");
  if (!currency->is_string()) return WrongKind(cp, "an ISO 4217 code", *currency);
  const std::string_view code = currency->get_string();
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return FieldError(cp, "must be an ISO 4217 alpha-3 code (three letters A-Z, e.g. \"EUR\")");
  p.currency = code;

  struct Field {
    std::string_view name;
    std::int64_t Pricing::*member;
  };
  for (const Field f : {Field{"base_fare", &Pricing::base_fare}, Field{"per_km", &Pricing::per_km},
                        Field{"per_minute", &Pricing::per_minute},
                        Field{"minimum_fare", &Pricing::minimum_fare}}) {
    auto a = Amount(*o, f.name, path);
    if (!a) return a.error();
    p.*f.member = *a;
  }

  if (const auto* surge = o->if_contains("surge"); surge && !surge->is_null()) {
    const std::string sp = Member(path, "surge");
    if (!surge->is_array()) return WrongKind(sp, "an array of surge rules", *surge);
    const auto& list = surge->get_array();
    if (list.size() > limits.max_surge_rules)
      return FieldError(sp, "at most " + std::to_string(limits.max_surge_rules) + " rules");
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto rule = Surge(list[i], Element(sp, i), limits);
      if (!rule) return rule.error();
      p.surge.push_back(std::move(*rule));
    }
  }

  if (const auto* rule = o->if_contains("rule"); rule && !rule->is_null()) {
    auto compiled = Rule::Compile(*rule, limits.rule);
    if (!compiled) return FieldError(Member(path, "rule"), compiled.error().message);
    p.rule = std::move(*compiled);
    if (auto tried = TryRule(p, path); !tried) return tried.error();
  }
  return p;
}

}  // namespace tenancy

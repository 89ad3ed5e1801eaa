#include "governance/quota_limits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tenancy {

std::string_view ToString(LimitKind kind) noexcept {
  switch (kind) {
    case LimitKind::kRate: return "rate";
    case LimitKind::kPeriodic: return "periodic";
    case LimitKind::kGauge: return "gauge";
  }
  return "unknown";
}

std::string_view ToString(CalendarPeriod period) noexcept {
  switch (period) {
    case CalendarPeriod::kDay: return "day";
    case CalendarPeriod::kMonth: return "month";
  }
  return "unknown";
}

bool IsValidLimitName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

namespace quota {
namespace {

Error Invalid(std::string_view where, std::string_view what) {
  return Fail(Errc::kInvalidArgument, std::string(where) + ": " + std::string(what));
}

std::int64_t Emission(const Limit& l) noexcept {
  const std::int64_t ns = l.interval.count();
  return ns / l.amount + (ns % l.amount != 0 ? 1 : 0);  // round up: never faster than asked
}

std::int64_t Burst(const Limit& l) noexcept { return l.burst == 0 ? l.amount : l.burst; }

}  // namespace

Result<void> Validate(const Limit& l, std::string_view where) {
  const Limit defaults{};
  switch (l.kind) {
    case LimitKind::kRate: {
      if (l.amount < 1 || l.amount > kMaxAmount)
        return Invalid(where, "amount must be between 1 and 1e15 for a rate");
      if (l.interval.count() < 1 || l.interval.count() > kMaxInterval)
        return Invalid(where, "interval must be between 1 ns and 366 days");
      if (l.amount > l.interval.count())
        return Invalid(where, "amount exceeds one unit per nanosecond of interval");
      if (l.burst < 0 || l.burst > kMaxAmount)
        return Invalid(where, "burst must be between 1 and 1e15 (0: amount)");
      if (Burst(l) > kMaxTolerance / Emission(l))
        return Invalid(where, "burst times the emission interval exceeds 100 years");
      if (l.period != defaults.period) return Invalid(where, "period applies to periodic limits only");
      if (!l.soft_thresholds.empty())
        return Invalid(where, "soft_thresholds apply to periodic and gauge limits only");
      return {};
    }
    case LimitKind::kPeriodic:
    case LimitKind::kGauge: break;
    default: return Invalid(where, "kind must be rate, periodic or gauge");
  }
  if (l.amount < 0 || l.amount > kMaxAmount) return Invalid(where, "amount must be between 0 and 1e15");
  if (l.interval != defaults.interval) return Invalid(where, "interval applies to rate limits only");
  if (l.burst != 0) return Invalid(where, "burst applies to rate limits only");
  if (l.kind == LimitKind::kPeriodic && l.period != CalendarPeriod::kDay &&
      l.period != CalendarPeriod::kMonth)
    return Invalid(where, "period must be day or month");
  if (l.kind == LimitKind::kGauge && l.period != defaults.period)
    return Invalid(where, "period applies to periodic limits only");
  if (l.soft_thresholds.size() > kMaxThresholds)
    return Invalid(where, "soft_thresholds holds more than 8 fractions");
  double previous = 0;
  for (double f : l.soft_thresholds) {
    if (!std::isfinite(f) || f <= 0 || f > 1)
      return Invalid(where, "soft_thresholds must be fractions in (0, 1]");
    if (f <= previous) return Invalid(where, "soft_thresholds must be strictly ascending");
    previous = f;
  }
  return {};
}

Params Compute(const Limit* l, double factor) noexcept {
  Params p;
  if (l == nullptr) return p;
  p.kind = static_cast<std::int64_t>(l->kind);
  if (l->kind != LimitKind::kRate) {
    p.amount = l->amount;
    return p;
  }
  std::int64_t emission = Emission(*l);
  std::int64_t burst = Burst(*l);
  if (factor < 1) {
    // Divide the rate and the burst alike, saturating at the validated
    // bounds (a tiny factor must not overflow).
    const double scaled = std::ceil(static_cast<double>(emission) / factor);
    emission = scaled >= static_cast<double>(kMaxInterval) ? kMaxInterval
                                                             : static_cast<std::int64_t>(scaled);
    burst = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(burst) * factor));
    burst = std::min(burst, std::max<std::int64_t>(1, kMaxTolerance / emission));
  }
  p.amount = burst;
  p.emission = emission;
  p.tolerance = burst * emission;
  p.inv_emission = 1.0 / static_cast<double>(emission);
  return p;
}

std::int64_t ThresholdUnits(double fraction, std::int64_t amount) noexcept {
  const double exact = fraction * static_cast<double>(amount);
  const double nearest = std::round(exact);
  const double units =
      std::fabs(exact - nearest) <= 1e-9 * std::max(1.0, std::fabs(exact)) ? nearest : std::ceil(exact);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(units));
}

std::string EncodeThresholds(const std::vector<double>& fractions) {
  std::string out;
  for (double f : fractions) {
    if (!out.empty()) out.push_back(',');
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);  // shortest round-trip form
    (void)ec;
    out.append(buf, end);
  }
  return out;
}

Result<std::vector<double>> DecodeThresholds(std::string_view text) {
  std::vector<double> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    double f = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), f);
    if (ec != std::errc() || end != part.data() + part.size())
      return Fail(Errc::kDataCorrupted, "quota database holds malformed soft thresholds");
    out.push_back(f);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<LimitKind> ParseLimitKind(std::string_view text) {
  for (auto k : {LimitKind::kRate, LimitKind::kPeriodic, LimitKind::kGauge})
    if (ToString(k) == text) return k;
  return Fail(Errc::kDataCorrupted, "quota database holds an unknown limit kind");
}

Result<CalendarPeriod> ParseCalendarPeriod(std::string_view text) {
  for (auto p : {CalendarPeriod::kDay, CalendarPeriod::kMonth})
    if (ToString(p) == text) return p;
  return Fail(Errc::kDataCorrupted, "quota database holds an unknown period");
}

}  // namespace quota
}  // namespace tenancy

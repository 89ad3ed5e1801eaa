// Limits: validation, their storage form, and the effective parameters a
// cell publishes to its hot path.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/quota.hpp"

namespace tenancy::quota {

// Bounds that keep every product and sum on the hot path inside int64.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;     // 1e15 units
inline constexpr std::int64_t kMaxTolerance = 100LL * 366 * 86'400 * 1'000'000'000;  // ~100 years
inline constexpr std::int64_t kMaxInterval = 366LL * 86'400 * 1'000'000'000;         // 366 days
inline constexpr std::size_t kMaxThresholds = 8;
inline constexpr double kMinRateFactor = 1e-6;

// kInvalidArgument "<where>: <field> ..." when `limit` is not acceptable.
Result<void> Validate(const Limit& limit, std::string_view where);

// Cell kinds: the three LimitKinds, or no limit configured.
inline constexpr std::int64_t kUnlimited = -1;

// What the hot path needs, published by a cell through its seqlock.
struct Params {
  std::int64_t kind = kUnlimited;  // kUnlimited or a LimitKind
  std::int64_t amount = 0;         // periodic, gauge: the amount; rate: the effective burst
  std::int64_t emission = 0;       // rate: ns between cells (T)
  std::int64_t tolerance = 0;      // rate: burst * T
  double inv_emission = 0;         // rate: 1.0 / T, for DivideByEmission
};

// x / p.emission for 0 <= x and a quotient below kMaxAmount (a rate's
// remaining units never exceed its burst), exact, without a divide
// instruction: an integer divide with a large quotient costs tens of cycles,
// more than the rest of a rate decision. One multiplication by the
// reciprocal gives the quotient within +-2 (q < 2^50, so its relative error
// of a few 2^-53 is below one unit); integer steps make it exact.
// Written by hand because it is a few lines; a general divider (libdivide)
// is not a Debian 12 dependency we want for one call site.
inline std::int64_t DivideByEmission(std::int64_t x, const Params& p) noexcept {
  std::int64_t q = static_cast<std::int64_t>(static_cast<double>(x) * p.inv_emission);
  std::int64_t r = x - q * p.emission;
  while (r < 0) {
    --q;
    r += p.emission;
  }
  while (r >= p.emission) {
    ++q;
    r -= p.emission;
  }
  return q;
}

// The parameters of `limit` (null: unlimited) with rates scaled by `factor`
// (in [kMinRateFactor, 1]). REQUIRES a validated limit.
Params Compute(const Limit* limit, double factor) noexcept;

// The level at which a soft threshold fires: ceil(fraction * amount), at
// least 1, robust to binary fractions (0.7 * 100 is 70, not 71).
std::int64_t ThresholdUnits(double fraction, std::int64_t amount) noexcept;

// Storage forms.
std::string EncodeThresholds(const std::vector<double>& fractions);
Result<std::vector<double>> DecodeThresholds(std::string_view text);
Result<LimitKind> ParseLimitKind(std::string_view text);
Result<CalendarPeriod> ParseCalendarPeriod(std::string_view text);

}  // namespace tenancy::quota

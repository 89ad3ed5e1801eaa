// JavaScript's coercions as JsonLogic uses them: truthiness, ToNumber,
// parseFloat, String(), ==, === and the relational comparison.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace tenancy::detail::jsonlogic {

// What helpers may spend on behalf of one evaluation. A helper that runs out
// records why and returns a meaningless answer; the caller checks `ok()`.
struct Meter {
  enum class Exceeded { kNone, kSteps, kString, kDepth };

  std::size_t steps = 0;
  std::size_t max_steps = 0;
  std::size_t max_string = 0;
  std::size_t max_depth = 0;
  Exceeded exceeded = Exceeded::kNone;

  bool Charge(std::size_t n = 1) noexcept {
    steps += n;
    if (steps > max_steps && exceeded == Exceeded::kNone) exceeded = Exceeded::kSteps;
    return exceeded == Exceeded::kNone;
  }
  bool Exceed(Exceeded why) noexcept {
    if (exceeded == Exceeded::kNone) exceeded = why;
    return false;
  }
  bool ok() const noexcept { return exceeded == Exceeded::kNone; }
};

bool Truthy(const boost::json::value& v) noexcept;
bool IsNumber(const boost::json::value& v) noexcept;
// REQUIRES: IsNumber(v).
double AsDouble(const boost::json::value& v) noexcept;

// A computed number as JSON: int64 when whole and exact (|d| ≤ 2^53, -0 → 0),
// else double (NaN and infinities included).
boost::json::value MakeNumber(double d) noexcept;

// JavaScript Number(v). Arrays convert through their string form; objects are NaN.
double ToNumber(const boost::json::value& v) noexcept;
// JavaScript Number(string): whitespace trimmed, "" → 0, hex/octal/binary
// prefixes, Infinity, else a full decimal literal or NaN.
double StringToNumber(std::string_view s) noexcept;
// JavaScript parseFloat(String(v)): the longest decimal prefix, else NaN.
double ParseFloat(const boost::json::value& v, Meter& meter);

// Appends JavaScript's String(v): numbers as Number.prototype.toString,
// arrays joined with "," (null elements empty), objects "[object Object]".
// false when `out` would pass `max_bytes` or arrays nest deeper than `max_depth`.
bool AppendJsString(std::string& out, const boost::json::value& v, std::size_t max_bytes,
                    std::size_t max_depth);
// Same, charging the meter's string and depth limits.
bool AppendJsString(std::string& out, const boost::json::value& v, Meter& meter);
void AppendJsNumber(std::string& out, double d);

// ===, with arrays and objects compared by value (charging one step per value).
bool StrictEquals(const boost::json::value& a, const boost::json::value& b, Meter& meter);
// JavaScript's == on JSON values (arrays and objects by value among themselves).
bool LooseEquals(const boost::json::value& a, const boost::json::value& b, Meter& meter);

enum class Order { kLess, kEqual, kGreater, kUnordered };
// JavaScript's abstract relational comparison: two strings compare as
// strings, anything else as numbers (NaN: unordered).
Order Compare(const boost::json::value& a, const boost::json::value& b, Meter& meter);

}  // namespace tenancy::detail::jsonlogic

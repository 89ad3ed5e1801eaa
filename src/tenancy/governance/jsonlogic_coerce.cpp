// JavaScript coercions on JSON values (ECMA-262 ToNumber, ToString, ==, ===, <).
#include "governance/jsonlogic_coerce.hpp"

#include <boost/json/string.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace tenancy::detail::jsonlogic {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool IsInteger(const boost::json::value& v) noexcept { return v.is_int64() || v.is_uint64(); }

std::string_view View(const boost::json::string& s) noexcept { return {s.data(), s.size()}; }
// Not for object keys: they would convert to a temporary string first.
std::string_view View(boost::json::string_view) = delete;

bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// ECMAScript WhiteSpace and LineTerminator: ASCII ones, NBSP and BOM
// (the rest of Unicode's spaces are too rare in rule data to be worth a table).
std::size_t SpaceLength(std::string_view s, std::size_t i) noexcept {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return 1;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) return 2;
  if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
      static_cast<unsigned char>(s[i + 2]) == 0xBF)
    return 3;
  return 0;
}

std::string_view TrimStart(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = SpaceLength(s, i);
    if (n == 0) break;
    i += n;
  }
  return s.substr(i);
}

std::string_view Trim(std::string_view s) noexcept {
  s = TrimStart(s);
  while (!s.empty()) {
    const unsigned char c = static_cast<unsigned char>(s.back());
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && c == 0xA0 && static_cast<unsigned char>(s[s.size() - 2]) == 0xC2) {
      s.remove_suffix(2);
    } else if (s.size() >= 3 && c == 0xBF && static_cast<unsigned char>(s[s.size() - 2]) == 0xBB &&
               static_cast<unsigned char>(s[s.size() - 3]) == 0xEF) {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

// Length of the longest StrDecimalLiteral (unsigned, without Infinity) at the
// start of `s`: digits [. digits] [e[+-]digits] or . digits [e...]. 0: none.
std::size_t DecimalPrefix(std::string_view s) noexcept {
  std::size_t i = 0, digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1, frac = 0;
    while (j < s.size() && IsDigit(s[j])) ++j, ++frac;
    if (digits + frac > 0) i = j, digits += frac;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const std::size_t exp_start = j;
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

double ParseDecimal(std::string_view s) noexcept {
  double d = kNaN;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars refuses overflow and underflow; JavaScript rounds them.
    const bool tiny = s.find_first_of("eE") != std::string_view::npos &&
                      s.find('-', s.find_first_of("eE")) != std::string_view::npos;
    return tiny ? 0.0 : kInf;
  }
  return r.ec == std::errc() ? d : kNaN;
}

double RadixInteger(std::string_view digits, int radix) noexcept {
  if (digits.empty()) return kNaN;
  double value = 0;
  for (char c : digits) {
    int d = -1;
    if (IsDigit(c)) d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || d >= radix) return kNaN;
    value = value * radix + d;
  }
  return value;
}

bool NumbersEqual(const boost::json::value& a, const boost::json::value& b) noexcept {
  if (IsInteger(a) && IsInteger(b)) {
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const auto& i = a.is_int64() ? a : b;
    const auto& u = a.is_uint64() ? a : b;
    return i.get_int64() >= 0 && static_cast<std::uint64_t>(i.get_int64()) == u.get_uint64();
  }
  return AsDouble(a) == AsDouble(b);
}

Order CompareNumbers(double a, double b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return Order::kUnordered;
  return a < b ? Order::kLess : a > b ? Order::kGreater : Order::kEqual;
}

// The value relational comparison and == see: arrays and objects become
// their string form, everything else stays.
struct Primitive {
  const boost::json::value* scalar = nullptr;  // null when `text` holds the string form
  std::string text;

  bool is_string() const noexcept { return scalar == nullptr || scalar->is_string(); }
  std::string_view str() const noexcept { return scalar ? View(scalar->get_string()) : text; }
  double number() const noexcept {
    if (!scalar) return StringToNumber(text);
    return ToNumber(*scalar);
  }
};

bool ToPrimitive(const boost::json::value& v, Primitive& out, Meter& meter) {
  if (!v.is_array() && !v.is_object()) {
    out.scalar = &v;
    return true;
  }
  return AppendJsString(out.text, v, meter);
}

enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

Kind KindOf(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null: return Kind::kNull;
    case boost::json::kind::bool_: return Kind::kBool;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return Kind::kNumber;
    case boost::json::kind::string: return Kind::kString;
    case boost::json::kind::array: return Kind::kArray;
    case boost::json::kind::object: return Kind::kObject;
  }
  return Kind::kNull;
}

bool StrictEqualsAt(const boost::json::value& a, const boost::json::value& b, Meter& meter,
                    std::size_t depth) {
  if (!meter.Charge()) return false;
  if (depth > meter.max_depth) return meter.Exceed(Meter::Exceeded::kDepth);
  const Kind ka = KindOf(a);
  if (ka != KindOf(b)) return false;
  switch (ka) {
    case Kind::kNull: return true;
    case Kind::kBool: return a.get_bool() == b.get_bool();
    case Kind::kNumber: return NumbersEqual(a, b);
    case Kind::kString: return a.get_string() == b.get_string();
    case Kind::kArray: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!StrictEqualsAt(x[i], y[i], meter, depth + 1)) return false;
      return true;
    }
    case Kind::kObject: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x) {
        const auto* other = y.if_contains(key);
        if (!other || !StrictEqualsAt(value, *other, meter, depth + 1)) return false;
      }
      return true;
    }
  }
  return false;
}

enum class Appended { kOk, kTooLong, kTooDeep };

Appended AppendAt(std::string& out, const boost::json::value& v, std::size_t max_bytes, std::size_t max_depth,
                  std::size_t depth) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: AppendJsNumber(out, v.get_double()); break;
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      if (out.size() + s.size() > max_bytes) return Appended::kTooLong;
      out.append(s.data(), s.size());
      break;
    }
    case boost::json::kind::object: out += "[object Object]"; break;
    case boost::json::kind::array: {
      if (depth >= max_depth) return Appended::kTooDeep;
      bool first = true;
      for (const auto& element : v.get_array()) {
        if (!first) out += ',';
        first = false;
        // Array.prototype.join writes null (and undefined) as nothing.
        if (!element.is_null()) {
          if (const Appended r = AppendAt(out, element, max_bytes, max_depth, depth + 1); r != Appended::kOk)
            return r;
        }
        if (out.size() > max_bytes) return Appended::kTooLong;
      }
      break;
    }
  }
  return out.size() <= max_bytes ? Appended::kOk : Appended::kTooLong;
}

}  // namespace

bool Truthy(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null: return false;
    case boost::json::kind::bool_: return v.get_bool();
    case boost::json::kind::int64: return v.get_int64() != 0;
    case boost::json::kind::uint64: return v.get_uint64() != 0;
    case boost::json::kind::double_: return v.get_double() != 0 && !std::isnan(v.get_double());
    case boost::json::kind::string: return !v.get_string().empty();
    case boost::json::kind::array: return !v.get_array().empty();
    case boost::json::kind::object: return true;
  }
  return false;
}

bool IsNumber(const boost::json::value& v) noexcept { return v.is_int64() || v.is_uint64() || v.is_double(); }

double AsDouble(const boost::json::value& v) noexcept {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

boost::json::value MakeNumber(double d) noexcept {
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kMaxExact)
    return boost::json::value(static_cast<std::int64_t>(d));
  return boost::json::value(d);
}

double StringToNumber(std::string_view s) noexcept {
  s = Trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = s[1];
    if (p == 'x' || p == 'X') return RadixInteger(s.substr(2), 16);
    if (p == 'o' || p == 'O') return RadixInteger(s.substr(2), 8);
    if (p == 'b' || p == 'B') return RadixInteger(s.substr(2), 2);
  }
  bool negative = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "Infinity") return negative ? -kInf : kInf;
  if (body.empty() || DecimalPrefix(body) != body.size()) return kNaN;
  const double d = ParseDecimal(body);
  return negative ? -d : d;
}

double ToNumber(const boost::json::value& v) noexcept {
  const boost::json::value* cur = &v;
  // An array converts through String(array): [] is "", [x] is String(x),
  // and two or more elements hold a comma, which is never a number.
  for (std::size_t depth = 0; cur->is_array(); ++depth) {
    const auto& arr = cur->get_array();
    if (arr.empty()) return 0;
    if (arr.size() > 1 || depth > 1024) return kNaN;
    cur = &arr[0];
    if (cur->is_null()) return 0;  // join writes null as ""
    if (cur->is_bool()) return kNaN;  // "true" / "false"
  }
  switch (cur->kind()) {
    case boost::json::kind::null: return 0;
    case boost::json::kind::bool_: return cur->get_bool() ? 1 : 0;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return AsDouble(*cur);
    case boost::json::kind::string: return StringToNumber(View(cur->get_string()));
    default: return kNaN;
  }
}

double ParseFloat(const boost::json::value& v, Meter& meter) {
  if (IsNumber(v)) return AsDouble(v);
  std::string text;
  std::string_view s;
  if (v.is_string()) {
    s = View(v.get_string());
  } else {
    if (!AppendJsString(text, v, meter)) return kNaN;
    s = text;
  }
  s = TrimStart(s);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.starts_with("Infinity")) return negative ? -kInf : kInf;
  const std::size_t n = DecimalPrefix(s);
  if (n == 0) return kNaN;
  const double d = ParseDecimal(s.substr(0, n));
  return negative ? -d : d;
}

void AppendJsNumber(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
    return;
  }
  if (d == 0) {  // -0 prints as 0
    out += '0';
    return;
  }
  if (d < 0) {
    out += '-';
    d = -d;
  }
  // Shortest round-trip digits, then Number.prototype.toString's layout
  // (ECMA-262 Number::toString): n is the decimal point's position.
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(n - 1 >= 0 ? n - 1 : 1 - n);
  }
}

bool AppendJsString(std::string& out, const boost::json::value& v, std::size_t max_bytes,
                    std::size_t max_depth) {
  return AppendAt(out, v, max_bytes, max_depth, 0) == Appended::kOk;
}

bool AppendJsString(std::string& out, const boost::json::value& v, Meter& meter) {
  switch (AppendAt(out, v, meter.max_string, meter.max_depth, 0)) {
    case Appended::kOk: return true;
    case Appended::kTooLong: return meter.Exceed(Meter::Exceeded::kString);
    case Appended::kTooDeep: return meter.Exceed(Meter::Exceeded::kDepth);
  }
  return false;
}

bool StrictEquals(const boost::json::value& a, const boost::json::value& b, Meter& meter) {
  return StrictEqualsAt(a, b, meter, 0);
}

bool LooseEquals(const boost::json::value& a, const boost::json::value& b, Meter& meter) {
  const Kind ka = KindOf(a), kb = KindOf(b);
  if (ka == kb) return StrictEquals(a, b, meter);
  if (ka == Kind::kNull || kb == Kind::kNull) return false;
  if ((ka == Kind::kArray && kb == Kind::kObject) || (ka == Kind::kObject && kb == Kind::kArray))
    return false;
  // Booleans become numbers first, then strings and numbers meet as numbers,
  // and arrays and objects as their string forms.
  if (ka == Kind::kBool) return LooseEquals(boost::json::value(a.get_bool() ? 1 : 0), b, meter);
  if (kb == Kind::kBool) return LooseEquals(a, boost::json::value(b.get_bool() ? 1 : 0), meter);
  if (ka == Kind::kArray || ka == Kind::kObject || kb == Kind::kArray || kb == Kind::kObject) {
    Primitive pa, pb;
    if (!ToPrimitive(a, pa, meter) || !ToPrimitive(b, pb, meter)) return false;
    if (pa.is_string() && pb.is_string()) return pa.str() == pb.str();
    const double x = pa.number(), y = pb.number();
    return x == y;
  }
  // One number, one string.
  const double x = ka == Kind::kNumber ? AsDouble(a) : StringToNumber(View(a.get_string()));
  const double y = kb == Kind::kNumber ? AsDouble(b) : StringToNumber(View(b.get_string()));
  return x == y;
}

Order Compare(const boost::json::value& a, const boost::json::value& b, Meter& meter) {
  if (a.is_int64() && b.is_int64()) {  // exact, and the common case
    const auto x = a.get_int64(), y = b.get_int64();
    return x < y ? Order::kLess : x > y ? Order::kGreater : Order::kEqual;
  }
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(AsDouble(a), AsDouble(b));
  if (a.is_string() && b.is_string()) {
    const int c = View(a.get_string()).compare(View(b.get_string()));
    return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
  }
  Primitive pa, pb;
  if (!ToPrimitive(a, pa, meter) || !ToPrimitive(b, pb, meter)) return Order::kUnordered;
  if (pa.is_string() && pb.is_string()) {
    const int c = pa.str().compare(pb.str());
    return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
  }
  return CompareNumbers(pa.number(), pb.number());
}

}  // namespace tenancy::detail::jsonlogic

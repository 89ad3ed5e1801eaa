// Field paths in validation errors and the small JSON readers that produce
// them, shared by the config, zone and pricing parsers.
//
// A path reads like the JSON it names: the setting's key, then ".member" and
// "[index]" steps: "pricing.surge[1].multiplier". Errors are always
// kInvalidArgument "<path>: <what is wrong>".
//
// Thread safety: stateless functions.
#pragma once

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "tenancy/result.hpp"

namespace tenancy::detail::config {

inline std::string Member(std::string_view path, std::string_view name) {
  std::string out;
  out.reserve(path.size() + 1 + name.size());
  out.append(path);
  if (!path.empty()) out.push_back('.');
  out.append(name);
  return out;
}

inline std::string Element(std::string_view path, std::size_t i) {
  std::string out(path);
  out.push_back('[');
  out += std::to_string(i);
  out.push_back(']');
  return out;
}

inline Error FieldError(std::string_view path, std::string_view what) {
  std::string msg(path);
  msg += ": ";
  msg += what;
  return Error(Errc::kInvalidArgument, std::move(msg));
}

// "an object", "a string", ... for "must be X, not Y" messages.
inline std::string_view KindOf(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

inline Error WrongKind(std::string_view path, std::string_view wanted, const boost::json::value& v) {
  std::string what = "must be ";
  what += wanted;
  what += ", not ";
  what += KindOf(v);
  return FieldError(path, what);
}

// An integer: int64, uint64 within range, or a double that is whole and
// exactly representable (|x| <= 2^53), as JSON writers in JavaScript emit.
inline Result<std::int64_t> ReadInt(const boost::json::value& v, std::string_view path) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX))
      return FieldError(path, "is out of range");
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0)
      return static_cast<std::int64_t>(d);
    return FieldError(path, "must be an integer");
  }
  return WrongKind(path, "an integer", v);
}

inline Result<double> ReadNumber(const boost::json::value& v, std::string_view path) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) {
    if (!std::isfinite(v.get_double())) return FieldError(path, "must be a finite number");
    return v.get_double();
  }
  return WrongKind(path, "a number", v);
}

// True when `s` is valid UTF-8 without C0/C1 control characters or DEL;
// `code_points` receives its length in code points.
inline bool IsCleanUtf8(std::string_view s, std::size_t& code_points) noexcept {
  code_points = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1Fu;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0Fu;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07u;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return false;
    i += len;
    ++code_points;
  }
  return true;
}

}  // namespace tenancy::detail::config

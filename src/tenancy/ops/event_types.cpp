// Event type names and type patterns (events.hpp).
#include <string_view>

#include "tenancy/events.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kMaxTypeBytes = 128;

bool IsLower(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool IsSegmentChar(char c) noexcept {
  return IsLower(c) || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// `segments` dot-separated segments, each [a-z][a-z0-9_-]*.
bool ValidSegments(std::string_view s, std::size_t* segments) noexcept {
  std::size_t n = 0;
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view seg = s.substr(0, dot);
    if (seg.empty() || !IsLower(seg.front())) return false;
    for (char c : seg)
      if (!IsSegmentChar(c)) return false;
    ++n;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  *segments = n;
  return true;
}

}  // namespace

bool IsValidEventType(std::string_view type) noexcept {
  std::size_t segments = 0;
  return !type.empty() && type.size() <= kMaxTypeBytes && ValidSegments(type, &segments) &&
         segments >= 2;
}

bool IsValidEventTypePattern(std::string_view pattern) noexcept {
  if (pattern == "*") return true;
  if (pattern.size() > kMaxTypeBytes) return false;
  if (pattern.ends_with(".*")) {
    std::size_t segments = 0;
    return ValidSegments(pattern.substr(0, pattern.size() - 2), &segments);
  }
  return IsValidEventType(pattern);
}

bool EventTypeMatches(std::string_view pattern, std::string_view type) noexcept {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) {
    // "ride.*" selects "ride.x" and "ride.x.y", not "rides.x" nor "ride".
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // "ride."
    return type.size() > prefix.size() && type.starts_with(prefix);
  }
  return pattern == type;
}

}  // namespace tenancy

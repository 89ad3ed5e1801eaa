// The branding setting (name, colours, logo URL) and the time-zone name
// check. The URL check is a strict subset of RFC 3986 written here: only
// https, a DNS name or IP literal as host, no credentials, no characters a
// browser would have to guess about.
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "governance/config_path.hpp"
#include "tenancy/config.hpp"

namespace tenancy {
namespace {

using detail::config::FieldError;
using detail::config::Member;
using detail::config::WrongKind;

constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxTimeZoneBytes = 64;
constexpr std::size_t kMaxTimeZoneSegmentBytes = 14;

bool IsHex(char c) noexcept { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool IsColor(std::string_view s) noexcept {
  return s.size() == 7 && s[0] == '#' && std::all_of(s.begin() + 1, s.end(), IsHex);
}

// A DNS name (labels of letters, digits and inner hyphens) or an IPv4
// dotted quad, which has the same characters.
bool IsRegName(std::string_view host) noexcept {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!IsAlnum(c) && c != '-') return false;
    start = end + 1;
  }
  return true;
}

bool IsIpLiteral(std::string_view host) noexcept {
  if (host.size() < 4 || host.front() != '[' || host.back() != ']') return false;
  const auto inner = host.substr(1, host.size() - 2);
  return inner.find(':') != std::string_view::npos &&
         std::all_of(inner.begin(), inner.end(), [](char c) { return IsHex(c) || c == ':' || c == '.'; });
}

// RFC 3986 pchar / query / fragment characters, percent escapes checked.
bool IsCleanTail(std::string_view rest) noexcept {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?";
  bool fragment = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '%') {
      if (i + 2 >= rest.size() || !IsHex(rest[i + 1]) || !IsHex(rest[i + 2])) return false;
      i += 2;
    } else if (c == '#') {
      if (fragment) return false;
      fragment = true;
    } else if (!IsAlnum(c) && kAllowed.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

Result<void> CheckLogoUrl(std::string_view url, std::string_view path) {
  if (url.size() > kMaxUrlBytes)
    return FieldError(path, "must be at most " + std::to_string(kMaxUrlBytes) + " bytes");
  const auto colon = url.find(':');
  std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (scheme != "https" || url.substr(colon + 1, 2) != "//")
    return FieldError(path, "must be an https:// URL");
  const std::string_view after = url.substr(colon + 3);
  const auto end = after.find_first_of("/?#");
  const std::string_view authority = after.substr(0, end);
  const std::string_view rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return FieldError(path, "must not carry credentials (user@host)");
  std::string_view host = authority;
  if (const auto port_at = authority.rfind(':');
      port_at != std::string_view::npos && authority.find(']', port_at) == std::string_view::npos) {
    host = authority.substr(0, port_at);
    const std::string_view port = authority.substr(port_at + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0)
      return FieldError(path, "has an invalid port");
  }
  if (!IsRegName(host) && !IsIpLiteral(host)) return FieldError(path, "has an invalid host name");
  if (!IsCleanTail(rest))
    return FieldError(path, "has characters that must be percent-encoded, or a bad escape");
  return {};
}

Result<std::string> OptionalColor(const boost::json::object& o, std::string_view name,
                                  std::string_view path) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::string();
  const std::string p = Member(path, name);
  if (!v->is_string()) return WrongKind(p, "a colour \"#RRGGBB\"", *v);
  if (!IsColor(v->get_string())) return FieldError(p, "must be a colour \"#RRGGBB\"");
  return std::string(v->get_string());
}

}  // namespace

Result<Branding> Branding::Parse(const boost::json::value& json, std::string_view path) {
  const auto* o = json.if_object();
  if (!o) return WrongKind(path, "an object", json);
  for (const auto& kv : *o) {
    static constexpr std::array<std::string_view, 5> kKnown = {
        "name", "primary_color", "secondary_color", "accent_color", "logo_url"};
    if (std::find(kKnown.begin(), kKnown.end(), kv.key()) == kKnown.end())
      return FieldError(Member(path, kv.key()), "unknown member");
  }
  Branding b;
  const std::string np = Member(path, "name");
  const auto* name = o->if_contains("name");
  if (!name) return FieldError(np, "is missing");
  if (!name->is_string()) return WrongKind(np, "a string", *name);
  std::size_t chars = 0;
  if (!detail::config::IsCleanUtf8(name->get_string(), chars))
    return FieldError(np, "must be UTF-8 without control characters");
  if (chars < 1 || chars > kMaxNameChars)
    return FieldError(np, "must be 1 to " + std::to_string(kMaxNameChars) + " characters");
  b.name = name->get_string();

  const std::string pp = Member(path, "primary_color");
  const auto* primary = o->if_contains("primary_color");
  if (!primary) return FieldError(pp, "is missing");
  auto color = OptionalColor(*o, "primary_color", path);
  if (!color) return color.error();
  b.primary_color = std::move(*color);
  color = OptionalColor(*o, "secondary_color", path);
  if (!color) return color.error();
  b.secondary_color = std::move(*color);
  color = OptionalColor(*o, "accent_color", path);
  if (!color) return color.error();
  b.accent_color = std::move(*color);
  if (b.primary_color.empty()) return FieldError(pp, "must be a colour \"#RRGGBB\"");

  if (const auto* logo = o->if_contains("logo_url"); logo && !logo->is_null()) {
    const std::string lp = Member(path, "logo_url");
    if (!logo->is_string()) return WrongKind(lp, "an https URL", *logo);
    if (auto r = CheckLogoUrl(logo->get_string(), lp); !r) return r.error();
    b.logo_url = logo->get_string();
  }
  return b;
}

Result<void> CheckTimeZoneName(std::string_view name, std::string_view path) {
  if (name.empty() || name.size() > kMaxTimeZoneBytes)
    return FieldError(path, "must be a time zone name of 1 to " + std::to_string(kMaxTimeZoneBytes) +
                                " bytes");
  if (name.front() == '/' || name.back() == '/')
    return FieldError(path, "must not start or end with '/'");
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view seg = name.substr(start, end - start);
    if (seg.empty()) return FieldError(path, "must not contain an empty segment (\"//\")");
    if (seg == "." || seg == ".." || seg.find("..") != std::string_view::npos)
      return FieldError(path, "must not contain \"..\" or \".\" segments");
    if (seg.size() > kMaxTimeZoneSegmentBytes)
      return FieldError(path, "segments are at most 14 bytes (IANA \"Area/Location\" names)");
    if (!IsAlnum(seg.front()))
      return FieldError(path, "segments must start with a letter or digit");
    for (char c : seg)
      if (!IsAlnum(c) && c != '_' && c != '-' && c != '+' && c != '.')
        return FieldError(path, "must be an IANA name (\"Area/Location\"): letters, digits, _ - + . and /");
    start = end + 1;
  }
  return {};
}

}  // namespace tenancy

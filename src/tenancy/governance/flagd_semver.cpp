// Semantic versions: parsing and semver 2.0 precedence.
#include "governance/flagd_semver.hpp"

#include <algorithm>

namespace tenancy::detail::flagd {
namespace {

bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) noexcept {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool AllDigits(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), IsDigit); }

// A numeric identifier: digits without a leading zero (except "0").
bool IsNumeric(std::string_view s) noexcept {
  return !s.empty() && AllDigits(s) && (s.size() == 1 || s[0] != '0');
}

// Dot-separated non-empty identifiers of [0-9A-Za-z-]; numeric ones without
// leading zeros when `numeric_rule` (pre-release), any digits otherwise (build).
bool SplitIdentifiers(std::string_view s, bool numeric_rule, std::vector<std::string>* out) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view id = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (id.empty() || !std::all_of(id.begin(), id.end(), IsIdentChar)) return false;
    if (numeric_rule && AllDigits(id) && !IsNumeric(id)) return false;
    if (out) out->emplace_back(id);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

int CompareNumeric(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int CompareIdentifier(std::string_view a, std::string_view b) noexcept {
  const bool na = AllDigits(a), nb = AllDigits(b);
  if (na && nb) return CompareNumeric(a, b);
  if (na != nb) return na ? -1 : 1;  // numeric identifiers sort first
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

std::optional<SemVer> ParseSemVer(std::string_view text, SemVerSyntax syntax) {
  if (syntax.allow_v_prefix && !text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  SemVer v;
  std::string_view core = text;
  const std::size_t plus = core.find('+');
  if (plus != std::string_view::npos) {
    if (!SplitIdentifiers(core.substr(plus + 1), false, nullptr)) return std::nullopt;
    v.build = std::string(core.substr(plus + 1));
    core = core.substr(0, plus);
  }
  const std::size_t dash = core.find('-');
  if (dash != std::string_view::npos) {
    if (!SplitIdentifiers(core.substr(dash + 1), true, &v.prerelease)) return std::nullopt;
    core = core.substr(0, dash);
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = core.find('.', start);
    parts.push_back(core.substr(start, dot == std::string_view::npos ? core.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 3 || !std::all_of(parts.begin(), parts.end(), IsNumeric)) return std::nullopt;
  if (parts.size() < 3) {
    // "1" and "1.2" are shorthands (as Go's semver reads them), without suffixes.
    if (!syntax.allow_partial || dash != std::string_view::npos || plus != std::string_view::npos)
      return std::nullopt;
  }
  v.major = std::string(parts[0]);
  v.minor = parts.size() > 1 ? std::string(parts[1]) : "0";
  v.patch = parts.size() > 2 ? std::string(parts[2]) : "0";
  return v;
}

int CompareSemVer(const SemVer& a, const SemVer& b) {
  if (int c = CompareNumeric(a.major, b.major)) return c;
  if (int c = CompareNumeric(a.minor, b.minor)) return c;
  if (int c = CompareNumeric(a.patch, b.patch)) return c;
  // A pre-release sorts before its release.
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  const std::size_t n = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < n; ++i)
    if (int c = CompareIdentifier(a.prerelease[i], b.prerelease[i])) return c;
  if (a.prerelease.size() != b.prerelease.size()) return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  return 0;
}

std::optional<bool> SemVerHolds(const SemVer& version, std::string_view op, const SemVer& target) {
  const int c = CompareSemVer(version, target);
  if (op == "=") return c == 0;
  if (op == "!=") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  if (op == ">=") return c >= 0;
  if (op == "^") return version.major == target.major;
  if (op == "~") return version.major == target.major && version.minor == target.minor;
  return std::nullopt;
}

}  // namespace tenancy::detail::flagd

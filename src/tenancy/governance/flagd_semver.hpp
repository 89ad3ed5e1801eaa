// Semantic versions (semver.org 2.0) as flagd's sem_ver operator reads them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tenancy::detail::flagd {

struct SemVer {
  // Numeric identifiers kept as digit strings: no overflow, and with no
  // leading zeros a longer string is a larger number.
  std::string major, minor, patch;
  std::vector<std::string> prerelease;  // empty: a release
  std::string build;                    // ignored by comparisons
};

struct SemVerSyntax {
  bool allow_v_prefix = true;  // "v1.2.3" and "V1.2.3"
  bool allow_partial = true;   // "1" and "1.2" mean 1.0.0 and 1.2.0 (no suffixes then)
};

// The version `text` spells, or nullopt when it is not one.
std::optional<SemVer> ParseSemVer(std::string_view text, SemVerSyntax syntax = {});

// <0, 0, >0 by semver 2.0 precedence (build metadata ignored).
int CompareSemVer(const SemVer& a, const SemVer& b);

// `version op target` for op in =, !=, <, <=, >, >=, ^ (same major), ~ (same
// major and minor); nullopt for another operator.
std::optional<bool> SemVerHolds(const SemVer& version, std::string_view op, const SemVer& target);

}  // namespace tenancy::detail::flagd

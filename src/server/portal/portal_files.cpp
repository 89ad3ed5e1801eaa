// Finding an embedded portal file by its path, and naming its type.
#include <algorithm>
#include <array>
#include <utility>

#include "portal/portal_assets.hpp"

namespace tenancyd {
namespace {

constexpr std::size_t kMaxSegment = 64;
constexpr std::size_t kMaxSegments = 2;

bool IsNameChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsSafeSegment(std::string_view s) noexcept {
  return !s.empty() && s.size() <= kMaxSegment && s.front() != '.' &&
         std::all_of(s.begin(), s.end(), IsNameChar);
}

}  // namespace

bool IsSafeAssetPath(std::string_view path) noexcept {
  std::size_t segments = 0;
  for (;;) {
    const auto slash = path.find('/');
    if (!IsSafeSegment(path.substr(0, slash)) || ++segments > kMaxSegments) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

const PortalAsset* FindPortalAsset(std::string_view path) noexcept {
  if (!IsSafeAssetPath(path)) return nullptr;
  const auto assets = PortalAssets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const PortalAsset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

std::string_view ContentTypeFor(std::string_view path) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes)
    if (path.size() > ext.size() && path.ends_with(ext)) return type;
  return "application/octet-stream";
}

}  // namespace tenancyd

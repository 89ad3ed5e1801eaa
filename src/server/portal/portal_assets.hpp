// The admin portal's files (src/server/portal/web/), embedded into the
// binary at build time: embed_assets.cmake writes portal_assets.cpp from the
// files on every build that changes one, so tenancyd serves the portal from
// wherever it runs, with nothing to install beside it and nothing that can
// drift from the binary.
//
// Thread safety: immutable data; every function is safe to call concurrently.
#pragma once

#include <span>
#include <string_view>

namespace tenancyd {

struct PortalAsset {
  std::string_view path{};   // relative to web/, e.g. "js/app.js"
  std::string_view bytes{};  // the file's content, byte for byte
  std::string_view etag{};   // a strong validator: "\"<16 hex of the SHA-256>\""
};

// Every embedded file, sorted by path (defined in the generated file).
std::span<const PortalAsset> PortalAssets() noexcept;

// The embedded file at `path`, or nullptr. `path` must already be a safe
// asset path (IsSafeAssetPath); anything else finds nothing.
const PortalAsset* FindPortalAsset(std::string_view path) noexcept;

// Whether `path` can name a portal file at all: one or two segments
// ("index.html", "js/app.js") of 1-64 characters from [A-Za-z0-9._-], none
// starting with '.' — so "..", hidden files, percent escapes, backslashes,
// empty segments and absolute paths are refused before any lookup.
bool IsSafeAssetPath(std::string_view path) noexcept;

// The Content-Type for `path` by its extension (UTF-8 for text);
// "application/octet-stream" for an extension the portal does not use.
std::string_view ContentTypeFor(std::string_view path) noexcept;

}  // namespace tenancyd

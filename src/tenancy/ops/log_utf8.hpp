// UTF-8 checks shared by logs and metrics: both emit text that parsers
// downstream require to be valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace tenancy::detail {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text) noexcept;

// Appends `text` to `out`, each ill-formed byte replaced by U+FFFD; at most
// `max_bytes` of `text` are taken, cut at a character boundary.
void AppendSanitizedUtf8(std::string& out, std::string_view text,
                         std::size_t max_bytes = std::string_view::npos);

}  // namespace tenancy::detail

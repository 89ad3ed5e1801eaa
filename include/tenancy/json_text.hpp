// tenancy/json_text.hpp — a string as a JSON string literal, for code that
// writes JSON text directly rather than building a document: the logger's
// lines, tenancyd's answers.
//
// Escaping is Boost.JSON's (its serializer, byte for byte); the common
// case, text with nothing to escape, is found eight bytes at a time and
// copied as it is. Boost.JSON 1.81 has no way to append one escaped string
// to a buffer without a serializer object per string, so the scan is
// written by hand. Numbers: AppendShortestDouble (std::to_chars' text).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "tenancy/export.hpp"

namespace tenancy {

// True when `text` goes between a JSON string's quotes unchanged: it holds
// no quote, backslash or control byte (U+0000–U+001F). Other bytes, UTF-8
// included, pass as they are.
TENANCY_EXPORT bool JsonNeedsNoEscape(std::string_view text) noexcept;

// Appends `text` to `out` as a JSON string literal, quotes included.
TENANCY_EXPORT void AppendJsonString(std::string& out, std::string_view text);

// Appends exactly what std::to_chars(v) writes: the shortest text that
// reads back as `v`, fixed or scientific, whichever is shorter. REQUIRES:
// `v` is finite (JSON has no NaN or infinity). The values JSON answers
// mostly carry (coordinates, amounts, durations: at most 7 decimals,
// 0.001 ≤ |v| < 100,000) take a short path of integer arithmetic, ~10×
// cheaper than to_chars' general algorithm; the rest go to to_chars.
TENANCY_EXPORT void AppendShortestDouble(std::string& out, double v);

}  // namespace tenancy

// How a log line's text is made safe: truncation, UTF-8 repair, credential
// scrubbing (rule 4 of log.hpp). JSON escaping: tenancy/json_text.hpp.
#pragma once

#include <string>
#include <string_view>

namespace tenancy::detail::log {

// Appends `text` cut to `max_bytes` (at a character boundary; "…" marks a
// cut), ill-formed UTF-8 replaced by U+FFFD, credential shapes replaced by
// "[redacted]". `scratch` is working space, reused across calls.
void AppendCleanText(std::string& out, std::string& scratch, std::string_view text,
                     std::size_t max_bytes, bool scrub);

// Working space for the functions here, reused across calls.
struct Scratch {
  std::string clean;
  std::string work;
};

// AppendCleanText, then as a JSON string literal (tenancy/json_text.hpp);
// short ASCII with nothing to escape takes one pass and no copy.
void AppendCleanJsonString(std::string& out, Scratch& s, std::string_view text,
                           std::size_t max_bytes, bool scrub);

// Replaces the credential shapes in `text` (see log.hpp, rule 4).
void AppendScrubbed(std::string& out, std::string_view text);

}  // namespace tenancy::detail::log

// Making text safe for a line: cut, UTF-8 repaired, scrubbed (escaping:
// tenancy/json_text.hpp).
#include "ops/log_text.hpp"
#include "ops/log_utf8.hpp"
#include "tenancy/json_text.hpp"

namespace tenancy::detail::log {
namespace {

// True when every byte is ASCII: then the text is well-formed UTF-8 as it
// is, and the repairing copy can be skipped.
bool IsAscii(std::string_view text) noexcept {
  unsigned char any = 0;
  for (const char c : text) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

}  // namespace

void AppendCleanText(std::string& out, std::string& scratch, std::string_view text,
                     std::size_t max_bytes, bool scrub) {
  // Most values (paths, ids, numbers as text) are short ASCII: no cut, no
  // repair, so no copy.
  if (text.size() <= max_bytes && IsAscii(text)) {
    if (scrub)
      AppendScrubbed(out, text);
    else
      out.append(text);
    return;
  }
  scratch.clear();
  AppendSanitizedUtf8(scratch, text, max_bytes);
  // U+2026 marks a cut, so a reader knows the value went on.
  if (text.size() > max_bytes) scratch.append("\xE2\x80\xA6");
  if (scrub)
    AppendScrubbed(out, scratch);
  else
    out.append(scratch);
}

void AppendCleanJsonString(std::string& out, Scratch& s, std::string_view text,
                           std::size_t max_bytes, bool scrub) {
  // The common case in one pass: short ASCII with nothing to escape. What
  // scrubbing writes in place of a credential ("[redacted]") needs no escape
  // either, so the result can go between the quotes as it is.
  if (text.size() <= max_bytes && IsAscii(text) && JsonNeedsNoEscape(text)) {
    out += '"';
    if (scrub)
      AppendScrubbed(out, text);
    else
      out.append(text);
    out += '"';
    return;
  }
  s.clean.clear();
  AppendCleanText(s.clean, s.work, text, max_bytes, scrub);
  AppendJsonString(out, s.clean);
}

}  // namespace tenancy::detail::log

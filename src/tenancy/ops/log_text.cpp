// Making text safe for a line: cut, UTF-8 repaired, scrubbed, escaped.
#include <boost/json/serializer.hpp>

#include "ops/log_text.hpp"
#include "ops/log_utf8.hpp"

namespace tenancy::detail::log {

void AppendCleanText(std::string& out, std::string& scratch, std::string_view text,
                     std::size_t max_bytes, bool scrub) {
  scratch.clear();
  AppendSanitizedUtf8(scratch, text, max_bytes);
  // U+2026 marks a cut, so a reader knows the value went on.
  if (text.size() > max_bytes) scratch.append("\xE2\x80\xA6");
  if (scrub)
    AppendScrubbed(out, scratch);
  else
    out.append(scratch);
}

void AppendJsonString(std::string& out, std::string_view text) {
  boost::json::serializer sr;
  sr.reset(text);
  char buf[512];
  while (!sr.done()) {
    const auto chunk = sr.read(buf, sizeof buf);
    out.append(chunk.data(), chunk.size());
  }
}

}  // namespace tenancy::detail::log

// UTF-8 validation by the table of Unicode 15, §3.9 (Table 3-7): a short
// state machine, because neither the standard library nor Boost.JSON
// (which passes bytes through) offers one we may use here.
#include "ops/log_utf8.hpp"

#include <cstdint>

namespace tenancy::detail {
namespace {

// The length of the well-formed sequence starting at text[i], or 0.
std::size_t SequenceLength(std::string_view text, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(text[i + k]); };
  const std::size_t left = text.size() - i;
  const std::uint8_t c = b(0);
  if (c < 0x80) return 1;
  const auto cont = [&](std::size_t k, std::uint8_t lo = 0x80, std::uint8_t hi = 0xBF) {
    return k < left && b(k) >= lo && b(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendSanitizedUtf8(std::string& out, std::string_view text, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  if (max_bytes > text.size()) max_bytes = text.size();
  // Well-formed runs are appended whole; only a bad byte breaks a run.
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < max_bytes) {
    const std::size_t n = SequenceLength(text, i);
    if (n == 0) {
      out.append(text.substr(run, i - run));
      out.append(kReplacement);
      run = ++i;
      continue;
    }
    if (i + n > max_bytes) break;  // cut at a character boundary
    i += n;
  }
  out.append(text.substr(run, i - run));
}

}  // namespace tenancy::detail

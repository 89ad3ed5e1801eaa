#include "tenancy/json_text.hpp"

#include <boost/json/serializer.hpp>

#include <cstdint>
#include <cstring>

namespace tenancy {
namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// A high bit in each byte of `x` that is zero ("Bit Twiddling Hacks",
// haszero: exact, no false positives in the byte it marks first, and any
// marked byte means some byte was zero).
constexpr std::uint64_t ZeroBytes(std::uint64_t x) noexcept { return (x - kOnes) & ~x & kHighs; }

// Some byte of `x` is below 0x20, '"' or '\\'.
constexpr bool AnyToEscape(std::uint64_t x) noexcept {
  const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighs;
  return (below_space | ZeroBytes(x ^ (kOnes * '"')) | ZeroBytes(x ^ (kOnes * '\\'))) != 0;
}

constexpr bool ToEscape(unsigned char b) noexcept { return b < 0x20 || b == '"' || b == '\\'; }

}  // namespace

bool JsonNeedsNoEscape(std::string_view text) noexcept {
  const char* p = text.data();
  std::size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (AnyToEscape(word)) return false;
  }
  for (; n > 0; ++p, --n)
    if (ToEscape(static_cast<unsigned char>(*p))) return false;
  return true;
}

void AppendJsonString(std::string& out, std::string_view text) {
  if (JsonNeedsNoEscape(text)) {
    const std::size_t at = out.size();
    out.resize(at + text.size() + 2);
    char* p = out.data() + at;
    *p = '"';
    if (!text.empty()) std::memcpy(p + 1, text.data(), text.size());
    p[text.size() + 1] = '"';
    return;
  }
  boost::json::serializer sr;
  sr.reset(text);
  char buf[512];
  while (!sr.done()) {
    const auto chunk = sr.read(buf, sizeof buf);
    out.append(chunk.data(), chunk.size());
  }
}

}  // namespace tenancy

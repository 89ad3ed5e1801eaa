#include "tenancy/json_text.hpp"

#include <boost/json/serializer.hpp>

#include <cstdint>
#include <cstring>

namespace tenancy {
namespace {

// Words of 8 or 4 bytes, tested for a byte to escape all at once ("Bit
// Twiddling Hacks": hasless and haszero, exact as to whether any byte
// matches).
template <class Word>
constexpr Word kOnes = static_cast<Word>(~Word{0}) / 0xFF;

template <class Word>
constexpr Word ZeroBytes(Word x) noexcept {
  return static_cast<Word>((x - kOnes<Word>) & ~x & (kOnes<Word> * 0x80));
}

// Some byte of `x` is below 0x20, '"' or '\\'.
template <class Word>
constexpr bool AnyToEscape(Word x) noexcept {
  const Word below_space = static_cast<Word>((x - kOnes<Word> * 0x20) & ~x & (kOnes<Word> * 0x80));
  return (below_space | ZeroBytes<Word>(x ^ (kOnes<Word> * '"')) |
          ZeroBytes<Word>(x ^ (kOnes<Word> * '\\'))) != 0;
}

template <class Word>
bool AnyToEscapeAt(const char* p) noexcept {
  Word word;
  std::memcpy(&word, p, sizeof word);
  return AnyToEscape(word);
}

constexpr bool ToEscape(unsigned char b) noexcept { return b < 0x20 || b == '"' || b == '\\'; }

}  // namespace

bool JsonNeedsNoEscape(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  // Whole words, the last one overlapping the one before: a byte tested
  // twice is no harm.
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (AnyToEscapeAt<std::uint64_t>(p + i)) return false;
    return !AnyToEscapeAt<std::uint64_t>(p + n - 8);
  }
  if (n >= 4) return !AnyToEscapeAt<std::uint32_t>(p) && !AnyToEscapeAt<std::uint32_t>(p + n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (ToEscape(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

void AppendJsonString(std::string& out, std::string_view text) {
  if (JsonNeedsNoEscape(text)) {
    out += '"';
    out.append(text);
    out += '"';
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

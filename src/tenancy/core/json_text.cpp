#include "tenancy/json_text.hpp"

#include <boost/json/serializer.hpp>

#include <charconv>
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

void AppendShortestDouble(std::string& out, double v) {
  // Short path: v = ±units / 10^7 exactly as doubles go (the division is
  // correctly rounded, so the text below reads back as v). For |v| below
  // 100,000 the spacing of doubles is under 2e-11, so no text of fewer
  // decimals (they differ from it by ≥ 1e-7) also reads back as v: it is
  // the shortest. From 0.001 up to 100,000 the fixed form is never longer
  // than the scientific one (ties go to fixed), as to_chars chooses.
  constexpr double kScale = 1e7;
  const double magnitude = v < 0 ? -v : v;
  if (magnitude >= 1e-3 && magnitude < 1e5) {
    const auto units = static_cast<std::uint64_t>(magnitude * kScale + 0.5);
    if (static_cast<double>(units) / kScale == magnitude) {
      char buf[24];
      char* end = buf + sizeof buf;
      char* p = end;
      std::uint64_t fraction = units % 10'000'000;
      std::uint64_t whole = units / 10'000'000;
      if (fraction != 0) {
        int digits = 7;
        while (fraction % 10 == 0) {
          fraction /= 10;
          --digits;
        }
        while (digits-- > 0) {
          *--p = static_cast<char>('0' + fraction % 10);
          fraction /= 10;
        }
        *--p = '.';
      }
      do {
        *--p = static_cast<char>('0' + whole % 10);
        whole /= 10;
      } while (whole != 0);
      if (v < 0) *--p = '-';
      out.append(p, end);
      return;
    }
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace tenancy

// Step 1: the request id and the W3C trace context.
#include <cstring>

#include "ids.hpp"
#include "middleware/steps.hpp"

namespace tenancyd {
namespace {

int HexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is invalid in traceparent
}

template <std::size_t N>
bool ParseHex(std::string_view text, std::array<unsigned char, N>& out) noexcept {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

template <std::size_t N>
bool AllZero(const std::array<unsigned char, N>& a) noexcept {
  for (unsigned char b : a)
    if (b) return false;
  return true;
}

}  // namespace

std::string Exchange::TraceIdHex() const { return Hex(trace.trace_id); }

bool IsSaneRequestId(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<Trace> ParseTraceparent(std::string_view h) noexcept {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  constexpr std::size_t kLen = 55;
  if (h.size() < kLen || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  std::array<unsigned char, 1> version{}, flags{};
  Trace t;
  if (!ParseHex(h.substr(0, 2), version) || version[0] == 0xFF) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields
  // after a '-', which a version-00 reader ignores.
  if (version[0] == 0 && h.size() != kLen) return std::nullopt;
  if (version[0] != 0 && h.size() > kLen && h[kLen] != '-') return std::nullopt;
  if (!ParseHex(h.substr(3, 32), t.trace_id) || AllZero(t.trace_id)) return std::nullopt;
  if (!ParseHex(h.substr(36, 16), t.parent_id) || AllZero(t.parent_id)) return std::nullopt;
  if (!ParseHex(h.substr(53, 2), flags)) return std::nullopt;
  t.flags = flags[0];
  t.continued = true;
  return t;
}

TraceparentText Traceparent(const Trace& t) noexcept {
  const std::array<unsigned char, 1> flags{static_cast<unsigned char>(t.flags & 0x01)};
  TraceparentText out;
  char* p = out.chars.data();
  p[0] = '0';
  p[1] = '0';
  p[2] = '-';
  WriteHex(p + 3, t.trace_id);
  p[35] = '-';
  WriteHex(p + 36, t.span_id);
  p[52] = '-';
  WriteHex(p + 53, flags);
  return out;
}

void TakeRequestIdAndTrace(Exchange& x) {
  const auto given = x.request["X-Request-Id"];
  x.request_id = IsSaneRequestId(given) ? std::string(given) : NewRequestId();
  std::optional<Trace> incoming;
  // Two traceparent headers make the trace ambiguous: start a new one.
  const auto [first, last] = x.request.equal_range("traceparent");
  if (first != last && std::next(first) == last) incoming = ParseTraceparent(first->value());
  if (incoming) {
    x.trace = *incoming;
  } else {
    x.trace = Trace{};
    x.trace.trace_id = NewTraceId();
  }
  x.trace.span_id = NewSpanId();
}

}  // namespace tenancyd

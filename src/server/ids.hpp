// Random identifiers for requests and traces, made without a system call per
// request: each thread seeds a generator once from libsodium's CSPRNG. The
// ids are unique labels, not secrets.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tenancyd {

// "r" followed by 24 lowercase hex digits.
std::string NewRequestId();
// A data-plane id: `prefix`, 12 hex digits of `unix_millis` (so ids sort
// by creation time, which keyset paging by primary key then follows), and
// 12 random hex digits, e.g. "vh_018f3a2b4c5d9e8f7a6b5c4d".
std::string NewEntityId(std::string_view prefix, std::int64_t unix_millis);
// 16 random bytes, never all zero (W3C trace-context trace-id).
std::array<unsigned char, 16> NewTraceId();
// 8 random bytes, never all zero (W3C trace-context parent-id).
std::array<unsigned char, 8> NewSpanId();

// Writes the lowercase hex of `bytes` (2N characters) at `out`.
template <std::size_t N>
void WriteHex(char* out, const std::array<unsigned char, N>& bytes) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
}

// Lowercase hex of `bytes`.
template <std::size_t N>
std::string Hex(const std::array<unsigned char, N>& bytes) {
  std::string out(2 * N, '0');
  WriteHex(out.data(), bytes);
  return out;
}

}  // namespace tenancyd

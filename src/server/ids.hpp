// Random identifiers for requests and traces, made without a system call per
// request: each thread seeds a generator once from libsodium's CSPRNG. The
// ids are unique labels, not secrets.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <array>
#include <string>

namespace tenancyd {

// "r" followed by 24 lowercase hex digits.
std::string NewRequestId();
// 16 random bytes, never all zero (W3C trace-context trace-id).
std::array<unsigned char, 16> NewTraceId();
// 8 random bytes, never all zero (W3C trace-context parent-id).
std::array<unsigned char, 8> NewSpanId();

// Lowercase hex of `bytes`.
template <std::size_t N>
std::string Hex(const std::array<unsigned char, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace tenancyd

#include "ids.hpp"

#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <random>

namespace tenancyd {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator = [] {
    std::uint64_t seed[4];
    randombytes_buf(seed, sizeof seed);
    std::seed_seq seq{seed[0], seed[1], seed[2], seed[3]};
    return std::mt19937_64(seq);
  }();
  return generator;
}

template <std::size_t N>
std::array<unsigned char, N> RandomNonZero() {
  std::array<unsigned char, N> out{};
  auto& gen = Generator();
  for (;;) {
    for (std::size_t i = 0; i < N; i += 8) {
      const std::uint64_t word = gen();
      std::memcpy(out.data() + i, &word, std::min<std::size_t>(8, N - i));
    }
    for (unsigned char b : out)
      if (b != 0) return out;
  }
}

}  // namespace

std::string NewRequestId() {
  std::string id(25, 'r');
  WriteHex(id.data() + 1, RandomNonZero<12>());
  return id;
}
std::string NewEntityId(std::string_view prefix, std::int64_t unix_millis) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(prefix);
  const auto ms = static_cast<std::uint64_t>(unix_millis < 0 ? 0 : unix_millis);
  for (int shift = 44; shift >= 0; shift -= 4) out += kDigits[(ms >> shift) & 0xF];
  out += Hex(RandomNonZero<6>());
  return out;
}
std::array<unsigned char, 16> NewTraceId() { return RandomNonZero<16>(); }
std::array<unsigned char, 8> NewSpanId() { return RandomNonZero<8>(); }

}  // namespace tenancyd

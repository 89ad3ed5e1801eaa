// MurmurHash3 x86_32, written here because no package tenancy may depend on
// provides it (Debian 12 ships no MurmurHash3 library, and Boost's hashes are
// different functions). flagd's fractional operator defines its buckets with
// exactly this function (seed 0), so it is transcribed from Austin Appleby's
// public-domain reference (SMHasher, MurmurHash3.cpp) and checked against
// published known answers in tests/governance/flagd_operators_test.cpp.
#include "governance/flagd_murmur3.hpp"

namespace tenancy::detail::flagd {
namespace {

constexpr std::uint32_t Rotl(std::uint32_t x, int r) noexcept { return (x << r) | (x >> (32 - r)); }

constexpr std::uint32_t Mix(std::uint32_t h) noexcept {  // fmix32
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

constexpr std::uint32_t kC1 = 0xcc9e2d51U;
constexpr std::uint32_t kC2 = 0x1b873593U;

}  // namespace

std::uint32_t MurmurHash3X86_32(std::string_view data, std::uint32_t seed) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t len = data.size();
  const std::size_t blocks = len / 4;
  std::uint32_t h = seed;

  for (std::size_t i = 0; i < blocks; ++i) {  // little-endian 32-bit blocks
    const unsigned char* p = bytes + 4 * i;
    std::uint32_t k = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                      static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
    k *= kC1;
    k = Rotl(k, 15);
    k *= kC2;
    h ^= k;
    h = Rotl(h, 13);
    h = h * 5 + 0xe6546b64U;
  }

  const unsigned char* tail = bytes + 4 * blocks;
  std::uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= static_cast<std::uint32_t>(tail[2]) << 16; [[fallthrough]];
    case 2: k ^= static_cast<std::uint32_t>(tail[1]) << 8; [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= kC1;
      k = Rotl(k, 15);
      k *= kC2;
      h ^= k;
  }

  h ^= static_cast<std::uint32_t>(len);
  return Mix(h);
}

}  // namespace tenancy::detail::flagd

// MurmurHash3 x86_32, the hash flagd's fractional operator buckets with.
#pragma once

#include <cstdint>
#include <string_view>

namespace tenancy::detail::flagd {

// MurmurHash3_x86_32 (Austin Appleby's reference) of `data` with `seed`.
std::uint32_t MurmurHash3X86_32(std::string_view data, std::uint32_t seed = 0) noexcept;

}  // namespace tenancy::detail::flagd

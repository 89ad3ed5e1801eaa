// The associated data a sealed field is bound to: label, tenant, table,
// column and row key, each with a big-endian u32 length, so no two addresses
// share an encoding. FieldCipher seals with it; restore (backup_keys.cpp)
// re-opens backed-up fields with it.
#pragma once

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "tenancy/keys.hpp"

namespace tenancy::crypto {

inline constexpr std::string_view kFieldAdLabel = "tenancy.field.v1";

using FieldAdBuffer = boost::container::small_vector<unsigned char, 256>;

// Replaces the contents of `ad` with the associated data of `at`.
inline void BuildFieldAd(const FieldAddress& at, FieldAdBuffer& ad) {
  const std::string_view label = kFieldAdLabel;
  const std::size_t total = 5 * 4 + label.size() + at.tenant_id.size() + at.table.size() +
                            at.column.size() + at.row_key.size();
  // One resize and five copies: this runs for every sealed or opened field.
  ad.resize(total, boost::container::default_init);
  unsigned char* out = ad.data();
  auto put = [&out](const void* p, std::size_t n) {
    const auto len = static_cast<std::uint32_t>(n);
    for (int i = 0; i < 4; ++i) *out++ = static_cast<unsigned char>(len >> (8 * (3 - i)));
    if (n != 0) std::memcpy(out, p, n);
    out += n;
  };
  put(label.data(), label.size());
  put(at.tenant_id.data(), at.tenant_id.size());
  put(at.table.data(), at.table.size());
  put(at.column.data(), at.column.size());
  put(at.row_key.data(), at.row_key.size());
}

}  // namespace tenancy::crypto

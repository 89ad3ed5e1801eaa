// The associated data a sealed field is bound to: label, tenant, table,
// column and row key, each with a big-endian u32 length, so no two addresses
// share an encoding. FieldCipher seals with it; restore (backup_keys.cpp)
// re-opens backed-up fields with it.
#pragma once

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <string_view>

#include "tenancy/keys.hpp"

namespace tenancy::crypto {

inline constexpr std::string_view kFieldAdLabel = "tenancy.field.v1";

using FieldAdBuffer = boost::container::small_vector<unsigned char, 256>;

inline void BuildFieldAd(const FieldAddress& at, FieldAdBuffer& ad) {
  auto put = [&](const void* p, std::size_t n) {
    const auto len = static_cast<std::uint32_t>(n);
    for (int i = 3; i >= 0; --i) ad.push_back(static_cast<unsigned char>(len >> (8 * i)));
    const auto* b = static_cast<const unsigned char*>(p);
    ad.insert(ad.end(), b, b + n);
  };
  put(kFieldAdLabel.data(), kFieldAdLabel.size());
  put(at.tenant_id.data(), at.tenant_id.size());
  put(at.table.data(), at.table.size());
  put(at.column.data(), at.column.size());
  put(at.row_key.data(), at.row_key.size());
}

}  // namespace tenancy::crypto

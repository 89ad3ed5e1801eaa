// Encrypted columns of repositories: sealing on the way in, opening on the
// way out, with the row's key bound into every ciphertext.
#pragma once

#include <string_view>
#include <vector>

#include "tenancy/entity.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/detail/connection.hpp"

namespace tenancy::detail {

// A row whose encrypted columns were replaced by their ciphertexts.
struct SealedRow {
  std::vector<Param> params;
  std::vector<Blob> ciphertexts;  // owns what params point at
};

// Seals each encrypted, non-null column of `row` (all columns, descriptor
// order) for `tenant`. kFailedPrecondition when the store has no cipher.
Result<void> SealRow(const FieldCipher* cipher, const EntitySchema& schema, std::string_view tenant,
                     std::span<const Param> row, SealedRow& out);

// Passes rows on with encrypted columns opened. On the first failure it
// stops the query and keeps the error.
class OpeningSink final : public RowSink {
 public:
  OpeningSink(const FieldCipher* cipher, const EntitySchema& schema, std::string_view tenant,
              RowSink& inner)
      : cipher_(cipher), schema_(schema), tenant_(tenant), inner_(inner) {}
  bool OnRow(const RowView& row) override;
  const std::optional<Error>& error() const noexcept { return error_; }

 private:
  const FieldCipher* cipher_;
  const EntitySchema& schema_;
  std::string_view tenant_;
  RowSink& inner_;
  std::optional<Error> error_;
};

}  // namespace tenancy::detail

#include "storage/sealed_columns.hpp"

#include <optional>

namespace tenancy::detail {
namespace {

BlobView AsBytes(const Param& p) {
  if (auto* s = std::get_if<std::string_view>(&p))
    return {reinterpret_cast<const std::uint8_t*>(s->data()), s->size()};
  if (auto* b = std::get_if<BlobView>(&p)) return *b;
  return {};
}

Param ToParam(const Value& v) { return AsParam(v); }

// The row as the inner sink expects it: encrypted columns replaced by their
// plaintext, every other column read through.
class OpenedRow final : public RowView {
 public:
  OpenedRow(const RowView& raw, const std::vector<std::optional<Blob>>& opened)
      : raw_(raw), opened_(opened) {}
  int size() const noexcept override { return raw_.size(); }
  bool IsNull(int i) const noexcept override { return raw_.IsNull(i); }
  std::int64_t Int(int i) const noexcept override { return raw_.Int(i); }
  double Real(int i) const noexcept override { return raw_.Real(i); }
  std::string_view Text(int i) const noexcept override {
    if (const auto& o = opened_[static_cast<std::size_t>(i)])
      return {reinterpret_cast<const char*>(o->data()), o->size()};
    return raw_.Text(i);
  }
  BlobView Bytes(int i) const noexcept override {
    if (const auto& o = opened_[static_cast<std::size_t>(i)]) return *o;
    return raw_.Bytes(i);
  }
  Value Get(int i) const override {
    if (const auto& o = opened_[static_cast<std::size_t>(i)]) return *o;
    return raw_.Get(i);
  }

 private:
  const RowView& raw_;
  const std::vector<std::optional<Blob>>& opened_;
};

}  // namespace

Result<void> SealRow(const FieldCipher* cipher, const EntitySchema& schema, std::string_view tenant,
                     std::span<const Param> row, SealedRow& out) {
  if (!cipher)
    return Fail(Errc::kFailedPrecondition,
                schema.table + " has encrypted columns but the store has no field cipher");
  out.params.assign(row.begin(), row.end());
  const Blob key = EncodeRowKey(row.first(schema.key_count));
  out.ciphertexts.reserve(schema.columns.size());
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    const auto& col = schema.columns[i];
    if (!col.encrypted || std::holds_alternative<std::monostate>(row[i])) continue;
    auto sealed = cipher->Seal({tenant, schema.table, col.name, key}, AsBytes(row[i]));
    if (!sealed) return sealed.error();
    out.ciphertexts.push_back(std::move(*sealed));
    out.params[i] = BlobView(out.ciphertexts.back());
  }
  return {};
}

bool OpeningSink::OnRow(const RowView& row) {
  std::vector<Value> key_values;
  std::vector<Param> key;
  for (std::size_t i = 0; i < schema_.key_count; ++i) key_values.push_back(row.Get(static_cast<int>(i)));
  for (const auto& v : key_values) key.push_back(ToParam(v));
  const Blob row_key = EncodeRowKey(key);
  std::vector<std::optional<Blob>> opened(schema_.columns.size());
  for (std::size_t i = 0; i < schema_.columns.size(); ++i) {
    const auto& col = schema_.columns[i];
    if (!col.encrypted || row.IsNull(static_cast<int>(i))) continue;
    if (!cipher_) {
      error_ = Error(Errc::kFailedPrecondition,
                     schema_.table + " has encrypted columns but the store has no field cipher");
      return false;
    }
    auto plain = cipher_->Open({tenant_, schema_.table, col.name, row_key}, row.Bytes(static_cast<int>(i)));
    if (!plain) {
      error_ = Error(plain.error().code, schema_.table + "." + col.name + ": " + plain.error().message);
      return false;
    }
    opened[i] = std::move(*plain);
  }
  return inner_.OnRow(OpenedRow(row, opened));
}

}  // namespace tenancy::detail

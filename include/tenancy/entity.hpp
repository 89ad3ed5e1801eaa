// tenancy/entity.hpp — entity descriptors: how a C++ struct maps to a table.
//
//   struct Vehicle { std::string id; std::string plate; std::int64_t seats = 0; };
//   const tenancy::Entity<Vehicle> kVehicles =
//       tenancy::Entity<Vehicle>("vehicles")
//           .Key("id", &Vehicle::id)
//           .Column("plate", &Vehicle::plate)
//           .Column("seats", &Vehicle::seats);
//
// Every table also has a `tenant_id` TEXT column, first in its primary key;
// the descriptor never lists it, because the library alone fills it from the
// caller's TenantContext. A struct that wants to see its tenant declares
// `.TenantColumn(&T::tenant_id)`: reads fill it, and writes whose value is
// non-empty and differs from the context are refused (kTenantMismatch).
//
// Supported member types: std::string, std::int64_t, int, bool, double, Blob,
// and std::optional of each (nullable columns).
//
// Descriptor mistakes (a bad identifier, a key declared after a column) are
// programming errors and throw std::logic_error at construction.
//
// Thread safety: build once, then read-only; share freely.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tenancy/export.hpp"
#include "tenancy/value.hpp"

namespace tenancy {

struct ColumnOptions {
  // Largest accepted value in bytes (text or blob); 0 means the store's
  // `max_field_bytes`. Longer values are refused with kInvalidArgument.
  std::size_t max_bytes = 0;
  // Stored sealed under the tenant's data key (keys.hpp): the column holds a
  // BLOB/BYTEA ciphertext bound to tenant, table, column and row key. Only
  // for text and blob members, not for keys; such columns cannot be filtered
  // on. A null optional stays NULL (nullness is not hidden).
  bool encrypted = false;
};

struct ColumnSpec {
  std::string name{};
  ColumnType type = ColumnType::kText;
  bool nullable = false;
  std::size_t max_bytes = 0;  // of the plaintext
  bool encrypted = false;
};

// The type-independent part of a descriptor, shared with the engines.
struct EntitySchema {
  std::string table{};
  std::vector<ColumnSpec> columns{};  // key columns first
  std::size_t key_count = 0;

  // Index of `name` in `columns`, or -1.
  TENANCY_EXPORT int ColumnIndex(std::string_view name) const noexcept;
  bool HasEncryptedColumns() const noexcept {
    for (const auto& c : columns)
      if (c.encrypted) return true;
    return false;
  }
};

// True for a table or column name tenancy accepts: [a-z_][a-z0-9_]{0,62}, not
// starting with "tenancy_" or "sqlite_", and not "tenant_id".
TENANCY_EXPORT bool IsValidIdentifier(std::string_view name) noexcept;

namespace detail {

template <class M>
struct FieldTraits;  // how one member type binds and reads

template <>
struct FieldTraits<std::string> {
  static constexpr ColumnType kType = ColumnType::kText;
  static constexpr bool kNullable = false;
  static Param ToParam(const std::string& v) noexcept { return std::string_view(v); }
  static void FromRow(std::string& out, const RowView& r, int i) { out = r.Text(i); }
};
template <>
struct FieldTraits<std::int64_t> {
  static constexpr ColumnType kType = ColumnType::kInteger;
  static constexpr bool kNullable = false;
  static Param ToParam(std::int64_t v) noexcept { return v; }
  static void FromRow(std::int64_t& out, const RowView& r, int i) { out = r.Int(i); }
};
template <>
struct FieldTraits<int> {
  static constexpr ColumnType kType = ColumnType::kInteger;
  static constexpr bool kNullable = false;
  static Param ToParam(int v) noexcept { return std::int64_t{v}; }
  static void FromRow(int& out, const RowView& r, int i) { out = static_cast<int>(r.Int(i)); }
};
template <>
struct FieldTraits<bool> {
  static constexpr ColumnType kType = ColumnType::kInteger;
  static constexpr bool kNullable = false;
  static Param ToParam(bool v) noexcept { return std::int64_t{v ? 1 : 0}; }
  static void FromRow(bool& out, const RowView& r, int i) { out = r.Int(i) != 0; }
};
template <>
struct FieldTraits<double> {
  static constexpr ColumnType kType = ColumnType::kReal;
  static constexpr bool kNullable = false;
  static Param ToParam(double v) noexcept { return v; }
  static void FromRow(double& out, const RowView& r, int i) { out = r.Real(i); }
};
template <>
struct FieldTraits<Blob> {
  static constexpr ColumnType kType = ColumnType::kBlob;
  static constexpr bool kNullable = false;
  static Param ToParam(const Blob& v) noexcept { return BlobView(v); }
  static void FromRow(Blob& out, const RowView& r, int i) {
    auto b = r.Bytes(i);
    out.assign(b.begin(), b.end());
  }
};
template <class V>
struct FieldTraits<std::optional<V>> {
  static constexpr ColumnType kType = FieldTraits<V>::kType;
  static constexpr bool kNullable = true;
  static Param ToParam(const std::optional<V>& v) noexcept {
    return v ? FieldTraits<V>::ToParam(*v) : Param{};
  }
  static void FromRow(std::optional<V>& out, const RowView& r, int i) {
    if (r.IsNull(i)) {
      out.reset();
    } else {
      FieldTraits<V>::FromRow(out.emplace(), r, i);
    }
  }
};

[[noreturn]] TENANCY_EXPORT void ThrowDescriptorError(const std::string& what);

}  // namespace detail

template <class T>
class Entity {
 public:
  explicit Entity(std::string table) : schema_(std::make_shared<EntitySchema>()) {
    if (!IsValidIdentifier(table)) detail::ThrowDescriptorError("invalid table name '" + table + "'");
    schema_->table = std::move(table);
  }

  // Declares the next primary-key column (after tenant_id). Keys come first.
  template <class M>
  Entity& Key(std::string name, M T::*member, ColumnOptions options = {}) {
    if (schema_->key_count != schema_->columns.size())
      detail::ThrowDescriptorError("key column '" + name + "' declared after a non-key column");
    if constexpr (detail::FieldTraits<M>::kNullable)
      detail::ThrowDescriptorError("key column '" + name + "' cannot be nullable");
    if (options.encrypted)
      detail::ThrowDescriptorError("key column '" + name + "' cannot be encrypted");
    Add(std::move(name), member, options);
    ++schema_->key_count;
    return *this;
  }

  // Declares a non-key column.
  template <class M>
  Entity& Column(std::string name, M T::*member, ColumnOptions options = {}) {
    Add(std::move(name), member, options);
    return *this;
  }

  // Mirrors tenant_id into a std::string member (see the header comment).
  Entity& TenantColumn(std::string T::*member) {
    tenant_member_ = member;
    return *this;
  }

  // -- used by Repository<T> --
  const std::shared_ptr<EntitySchema>& schema() const noexcept { return schema_; }
  std::size_t size() const noexcept { return fields_.size(); }
  Param Get(const T& obj, std::size_t i) const { return fields_[i].get(obj); }
  void Read(const RowView& row, int first_column, T& out) const {
    for (std::size_t i = 0; i < fields_.size(); ++i)
      fields_[i].set(out, row, first_column + static_cast<int>(i));
  }
  const std::string* TenantOf(const T& obj) const noexcept {
    return tenant_member_ ? &(obj.*tenant_member_) : nullptr;
  }
  void SetTenant(T& obj, const std::string& tenant) const {
    if (tenant_member_) obj.*tenant_member_ = tenant;
  }

 private:
  struct Field {
    std::function<Param(const T&)> get;
    std::function<void(T&, const RowView&, int)> set;
  };

  template <class M>
  void Add(std::string name, M T::*member, ColumnOptions options) {
    using Traits = detail::FieldTraits<M>;
    if (!IsValidIdentifier(name)) detail::ThrowDescriptorError("invalid column name '" + name + "'");
    if (schema_->ColumnIndex(name) >= 0) detail::ThrowDescriptorError("duplicate column '" + name + "'");
    if (options.encrypted && Traits::kType != ColumnType::kText && Traits::kType != ColumnType::kBlob)
      detail::ThrowDescriptorError("column '" + name + "': only text and blob columns can be encrypted");
    schema_->columns.push_back(ColumnSpec{std::move(name), Traits::kType, Traits::kNullable,
                                          options.max_bytes, options.encrypted});
    fields_.push_back(Field{
        [member](const T& obj) { return Traits::ToParam(obj.*member); },
        [member](T& obj, const RowView& row, int i) { Traits::FromRow(obj.*member, row, i); }});
  }

  std::shared_ptr<EntitySchema> schema_;
  std::vector<Field> fields_;
  std::string T::*tenant_member_ = nullptr;
};

}  // namespace tenancy

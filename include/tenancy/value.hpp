// tenancy/value.hpp — engine-neutral values: what goes into a statement and
// what comes out of a row.
//
// `Param` borrows (binding a std::string member costs no copy); `Value` owns
// (filters, cursors and raw-query results outlive their source). `RowView`
// reads one result row in place; it is valid only inside the callback that
// received it.
//
// Thread safety: values; RowView is confined to its callback.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tenancy {

using Blob = std::vector<std::uint8_t>;
using BlobView = std::span<const std::uint8_t>;

// Storage classes every engine maps natively.
enum class ColumnType : std::uint8_t { kInteger, kReal, kText, kBlob };

// A borrowed statement parameter. std::monostate binds SQL NULL.
using Param = std::variant<std::monostate, std::int64_t, double, std::string_view, BlobView>;

// An owned value. std::monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

inline Param AsParam(const Value& v) noexcept {
  switch (v.index()) {
    case 1: return std::get<1>(v);
    case 2: return std::get<2>(v);
    case 3: return std::string_view(std::get<3>(v));
    case 4: return BlobView(std::get<4>(v));
    default: return std::monostate{};
  }
}

// Read access to the current row of a result. Column indexes are 0-based and
// REQUIRE 0 <= i < size(). Type conversions follow the engine's rules (an
// integer column read as text yields its decimal form).
class RowView {
 public:
  virtual int size() const noexcept = 0;
  virtual bool IsNull(int i) const noexcept = 0;
  virtual std::int64_t Int(int i) const noexcept = 0;
  virtual double Real(int i) const noexcept = 0;
  virtual std::string_view Text(int i) const noexcept = 0;
  virtual BlobView Bytes(int i) const noexcept = 0;
  // The column as an owned Value, by its stored type.
  virtual Value Get(int i) const = 0;

 protected:
  ~RowView() = default;
};

}  // namespace tenancy

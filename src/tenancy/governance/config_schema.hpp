// The schema's internal form and typed setting values, shared by the schema,
// the merge and the snapshot.
//
// Thread safety: a SchemaData is immutable once a Config holds it; values
// are immutable and shared between layers and snapshots.
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/string_map.hpp"
#include "tenancy/config.hpp"

namespace tenancy::detail::config {

// The built-ins sit at fixed indexes, so the snapshot's typed accessors
// need no lookup.
inline constexpr std::size_t kBrandingIndex = 0;
inline constexpr std::size_t kTimeZoneIndex = 1;
inline constexpr std::size_t kZonesIndex = 2;
inline constexpr std::size_t kPricingIndex = 3;
inline constexpr std::size_t kBuiltinCount = 4;

inline constexpr std::size_t kMaxKeyBytes = 128;

// One validated value of one setting: its JSON as written and its typed
// form. kTimeZone values are held as std::string.
struct SettingValue {
  boost::json::value json;
  std::variant<bool, std::int64_t, double, std::string, Branding, ZoneSet, Pricing> typed;
};
using ValuePtr = std::shared_ptr<const SettingValue>;

// A compiled string pattern: true/false, or nullopt when matching gave up
// (the regex engine's complexity bound).
using Matcher = std::function<std::optional<bool>(std::string_view)>;

// The key → index table that snapshot getters read on every call: open
// addressing over a power-of-two array, hashing eight bytes at a step. A
// std::unordered_map lookup costs a division and a node hop more; this is
// about a third of it for the short dotted keys settings have.
class KeyIndex {
 public:
  static std::uint64_t Hash(std::string_view s) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    auto mix = [&h](std::uint64_t w) {
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    };
    std::uint64_t w = 0;
    if (n >= 8) {
      for (std::size_t i = 0; i + 8 < n; i += 8) {
        std::memcpy(&w, p + i, 8);
        mix(w);
      }
      // The last eight bytes, overlapping: whole-word loads only (a short
      // copy to the stack and a wide load back would stall).
      std::memcpy(&w, p + n - 8, 8);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        w |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    mix(w);
    return h;
  }

  void Rebuild(const std::vector<SettingSpec>& specs) {
    std::size_t size = 8;
    while (size < specs.size() * 2) size *= 2;
    slots_.assign(size, 0);
    mask_ = size - 1;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      std::size_t at = Hash(specs[i].key) & mask_;
      while (slots_[at] != 0) at = (at + 1) & mask_;
      slots_[at] = static_cast<std::uint32_t>(i + 1);
    }
  }

  // The index of `key` in `specs`, or -1.
  std::ptrdiff_t Find(std::string_view key, const std::vector<SettingSpec>& specs) const noexcept {
    if (slots_.empty()) return -1;
    for (std::size_t at = Hash(key) & mask_;; at = (at + 1) & mask_) {
      const std::uint32_t slot = slots_[at];
      if (slot == 0) return -1;
      if (specs[slot - 1].key == key) return static_cast<std::ptrdiff_t>(slot - 1);
    }
  }

 private:
  std::vector<std::uint32_t> slots_;  // index + 1; 0 is empty
  std::size_t mask_ = 0;
};

struct SchemaData {
  ConfigLimits limits;
  std::vector<SettingSpec> specs;
  std::vector<Matcher> matchers;  // by index; empty when no pattern
  std::vector<ValuePtr> defaults;  // by index
  StringMap<std::size_t> index;
  KeyIndex fast_index;  // the same mapping, for the snapshot getters
};

// Checks `json` against setting `i` and builds its typed value. The path in
// errors starts with the setting's key.
Result<ValuePtr> ParseValue(const SchemaData& schema, std::size_t i, const boost::json::value& json);

// Compiles an ECMAScript pattern into a full-match Matcher.
// kInvalidArgument naming `path` when it does not compile.
Result<Matcher> CompilePattern(std::string_view pattern, std::string_view path);

}  // namespace tenancy::detail::config

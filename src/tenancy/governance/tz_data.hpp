// The parsed form of a TZif file and of its POSIX TZ footer, and the one
// query everything else is built on: the constant-offset segment of the
// time line that contains an instant.
//
// All instants here are whole seconds since the Unix epoch (UTC); offsets
// are seconds east of UTC.
//
// Thread safety: immutable once parsed.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/result.hpp"

namespace tenancy::tz {

inline constexpr std::int64_t kMinTime = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

struct LocalType {
  std::int32_t offset = 0;  // seconds east of UTC
  bool dst = false;
  std::string abbreviation{};
};

// One of the two yearly changes of a POSIX TZ string: a day of the year and
// a local time of day (RFC 8536 allows -167 h to +167 h).
struct PosixDate {
  enum class Form : std::uint8_t {
    kJulian1,        // Jn: 1..365, February 29 never counted
    kJulian0,        // n: 0..365, February 29 counted in leap years
    kMonthWeekDay,   // Mm.w.d: weekday d (0 = Sunday) of week w (5 = last) of month m
  };
  Form form = Form::kMonthWeekDay;
  int day = 0;  // Jn and n
  int month = 1, week = 1, weekday = 0;
  std::int32_t time = 2 * 3600;  // seconds after local midnight
};

struct PosixTz {
  LocalType standard{};
  std::optional<LocalType> daylight{};  // empty: no DST
  PosixDate start{};  // into DST, in standard local time
  PosixDate end{};    // out of DST, in daylight local time
};

}  // namespace tenancy::tz

namespace tenancy::detail {

// Named in time_zone.hpp, which only holds a pointer to it.
struct ZoneData {
  std::string name{};
  std::vector<std::int64_t> transitions{};  // ascending
  std::vector<std::uint8_t> transition_types{};  // index into types, one per transition
  std::vector<tz::LocalType> types{};  // at least one; types[0] holds before the first transition
  std::optional<tz::PosixTz> footer{};  // holds after the last transition
};

}  // namespace tenancy::detail

namespace tenancy::tz {

using detail::ZoneData;

// A stretch of time with one local time type: [start, end).
struct Segment {
  std::int64_t start = kMinTime;
  std::int64_t end = kMaxTime;
  const LocalType* type = nullptr;  // points into ZoneData or PosixTz; never null
};

// Parses a TZif file (RFC 8536, versions 1-4). kInvalidArgument naming the
// fault for truncated, inconsistent or leap-second data.
Result<ZoneData> ParseTzif(std::span<const std::uint8_t> bytes);

// Parses the TZ string of a TZif footer. kInvalidArgument naming the fault.
Result<PosixTz> ParsePosixTz(std::string_view text);

// The segment of `tz`'s rule containing `t`. Segments are bounded by the
// rule's yearly changes (unbounded when it has no DST).
Segment PosixSegmentAt(const PosixTz& tz, std::int64_t t) noexcept;

// The segment of the zone containing `t`.
Segment SegmentAt(const ZoneData& zone, std::int64_t t) noexcept;

// The built-in UTC zone.
const ZoneData& UtcZone() noexcept;

}  // namespace tenancy::tz

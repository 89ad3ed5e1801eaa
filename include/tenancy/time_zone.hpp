// tenancy/time_zone.hpp — IANA time zones read from the system's TZif files.
//
// Quota periods ("rides per month") are calendar days and months in the
// TENANT's time zone, so their boundaries move with daylight saving time:
// a day in Europe/Berlin lasts 23 hours on the last Sunday of March. This
// header answers the two questions the quota module asks — "which offset
// from UTC holds at t" and "when does the local day or month containing t
// begin and end" — for any zone in the tz database.
//
//   auto berlin = tenancy::TimeZone::Load("Europe/Berlin").value();
//   auto day = berlin.DayAt(now);    // [local midnight, next local midnight)
//   auto month = berlin.MonthAt(now);  // [local 1st 00:00, next 1st 00:00)
//
// Zones are read from TZif files (RFC 8536, versions 1 to 4) under
// /usr/share/zoneinfo (Debian's tzdata package): the 64-bit transition
// table, and for instants after the last transition the POSIX TZ string in
// the file's footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"; the Jn, n and
// Mm.w.d rule forms, with RFC 8536's extended hour range). Leap-second
// ("right/") zones are refused. A loaded zone is parsed once per process
// and shared; a TimeZone is a cheap handle to it.
//
// Why not the standard library: g++ 12's libstdc++ has no chrono time-zone
// database (std::chrono::locate_zone), and localtime_r with the TZ
// environment variable is process-global, so it is not thread-safe.
//
// Thread safety: TimeZone is an immutable value; share it and call it from
// any thread. Load may be called concurrently (it shares one cache).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

namespace detail {
struct ZoneData;
}

// Where Load looks for TZif files.
inline constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo";

// A half-open interval of instants, [start, end).
struct TimeSpan {
  TimePoint start{};
  TimePoint end{};
  bool Contains(TimePoint t) const noexcept { return start <= t && t < end; }
};

class TENANCY_EXPORT TimeZone {
 public:
  // UTC, the default zone of every tenant. Needs no file.
  TimeZone();

  // The zone named `name` (an IANA name such as "America/Sao_Paulo"), read
  // from `zoneinfo_dir`. "UTC" and "Etc/UTC" never need a file.
  // Errors: kInvalidArgument for a malformed name (empty, absolute, "..",
  // characters outside [A-Za-z0-9/_+-.]), an unknown zone, or a file that is
  // not a valid TZif file; the message names the zone, never the path.
  static Result<TimeZone> Load(std::string_view name,
                               std::string_view zoneinfo_dir = kZoneInfoDir);

  // A zone parsed from TZif bytes (tests, embedded data). `name` is only
  // used for name(). kInvalidArgument naming the fault for malformed data.
  static Result<TimeZone> FromTzif(std::string_view name, std::span<const std::uint8_t> bytes);

  // True when `name` is acceptable to Load (says nothing of its existence).
  static bool IsValidName(std::string_view name) noexcept;

  // "UTC" for the default zone.
  const std::string& name() const noexcept;

  // The offset from UTC in effect at `t` (local = UTC + offset).
  std::chrono::seconds OffsetAt(TimePoint t) const noexcept;
  // Whether daylight saving time is in effect at `t`.
  bool IsDstAt(TimePoint t) const noexcept;
  // The abbreviation in effect at `t`, e.g. "CEST" or "+1030". Valid as long
  // as this TimeZone (or a copy of it) lives.
  std::string_view AbbreviationAt(TimePoint t) const noexcept;

  // The local calendar day containing `t`: from the first instant whose
  // local time reads that date (00:00, or later when a DST gap swallows
  // midnight) to the first instant of the next date. 23, 24 or 25 hours
  // long (or other lengths where zones changed their offset).
  TimeSpan DayAt(TimePoint t) const;
  // The local calendar month containing `t`, bounded the same way.
  TimeSpan MonthAt(TimePoint t) const;

  // The first instant whose local time reads at least the civil date-time
  // `local`. A local time skipped by a DST gap maps to the end of the gap; a
  // repeated one to its first occurrence.
  TimePoint FirstInstantAtOrAfter(std::chrono::local_seconds local) const;

 private:
  explicit TimeZone(std::shared_ptr<const detail::ZoneData> data) : data_(std::move(data)) {}
  std::shared_ptr<const detail::ZoneData> data_;
};

}  // namespace tenancy

// Time zones: the TZif reader against known transitions (table and POSIX
// footer), calendar days and months around DST changes, name validation,
// hostile TZif bytes, and a differential check against glibc.
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/time_zone.hpp"

using namespace tenancy;
using namespace std::chrono;

namespace {

TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return TimePoint{sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s)};
}

TimeZone Zone(std::string_view name) {
  auto z = TimeZone::Load(name);
  REQUIRE(z);
  return *z;
}

std::vector<std::uint8_t> ZoneBytes(const std::string& name) {
  std::ifstream in(std::string(kZoneInfoDir) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("UTC needs no file and has no offset", "[tz]") {
  TimeZone utc;
  CHECK(utc.name() == "UTC");
  CHECK(utc.OffsetAt(Utc(2026, 7, 1)) == seconds(0));
  auto day = utc.DayAt(Utc(2026, 7, 1, 13, 5));
  CHECK(day.start == Utc(2026, 7, 1));
  CHECK(day.end == Utc(2026, 7, 2));
  auto month = utc.MonthAt(Utc(2024, 2, 29, 23, 59, 59));
  CHECK(month.start == Utc(2024, 2, 1));
  CHECK(month.end == Utc(2024, 3, 1));
  auto loaded = TimeZone::Load("Etc/UTC", "/nonexistent");
  REQUIRE(loaded);
  CHECK(loaded->OffsetAt(Utc(2030, 1, 1)) == seconds(0));
}

TEST_CASE("Europe/Berlin: spring forward on 2026-03-29 at 01:00 UTC, a 23-hour day", "[tz]") {
  auto berlin = Zone("Europe/Berlin");
  CHECK(berlin.OffsetAt(Utc(2026, 3, 29, 0, 59, 59)) == hours(1));
  CHECK(berlin.AbbreviationAt(Utc(2026, 3, 29, 0, 59, 59)) == "CET");
  CHECK(berlin.OffsetAt(Utc(2026, 3, 29, 1)) == hours(2));
  CHECK(berlin.AbbreviationAt(Utc(2026, 3, 29, 1)) == "CEST");
  CHECK(berlin.IsDstAt(Utc(2026, 3, 29, 1)));
  CHECK_FALSE(berlin.IsDstAt(Utc(2026, 3, 29, 0, 59, 59)));

  auto day = berlin.DayAt(Utc(2026, 3, 29, 12));
  CHECK(day.start == Utc(2026, 3, 28, 23));
  CHECK(day.end == Utc(2026, 3, 29, 22));
  CHECK(day.end - day.start == hours(23));
  // The last second of the short day still belongs to it.
  CHECK(berlin.DayAt(Utc(2026, 3, 29, 21, 59, 59)).start == Utc(2026, 3, 28, 23));
  CHECK(berlin.DayAt(Utc(2026, 3, 29, 22)).start == Utc(2026, 3, 29, 22));

  auto autumn = berlin.DayAt(Utc(2026, 10, 25, 12));
  CHECK(autumn.start == Utc(2026, 10, 24, 22));
  CHECK(autumn.end - autumn.start == hours(25));

  auto march = berlin.MonthAt(Utc(2026, 3, 15));
  CHECK(march.start == Utc(2026, 2, 28, 23));  // 1 March 00:00 CET
  CHECK(march.end == Utc(2026, 3, 31, 22));    // 1 April 00:00 CEST
}

TEST_CASE("America/New_York: 2026 changes and the 25-hour day", "[tz]") {
  auto ny = Zone("America/New_York");
  CHECK(ny.OffsetAt(Utc(2026, 3, 8, 6, 59, 59)) == hours(-5));
  CHECK(ny.OffsetAt(Utc(2026, 3, 8, 7)) == hours(-4));
  CHECK(ny.OffsetAt(Utc(2026, 11, 1, 5, 59, 59)) == hours(-4));
  CHECK(ny.OffsetAt(Utc(2026, 11, 1, 6)) == hours(-5));
  auto day = ny.DayAt(Utc(2026, 11, 1, 10));
  CHECK(day.start == Utc(2026, 11, 1, 4));
  CHECK(day.end == Utc(2026, 11, 2, 5));
  // 01:30 happens twice on that day; the first occurrence counts.
  CHECK(ny.FirstInstantAtOrAfter(local_days(year(2026) / 11 / 1) + hours(1) + minutes(30)) ==
        Utc(2026, 11, 1, 5, 30));
  // 02:30 never happens in spring; the gap maps to its end (03:00 EDT).
  CHECK(ny.FirstInstantAtOrAfter(local_days(year(2026) / 3 / 8) + hours(2) + minutes(30)) ==
        Utc(2026, 3, 8, 7));
}

TEST_CASE("Australia/Lord_Howe: a 30-minute DST shift", "[tz]") {
  auto lh = Zone("Australia/Lord_Howe");
  CHECK(lh.OffsetAt(Utc(2026, 4, 4, 14, 59, 59)) == hours(11));
  CHECK(lh.OffsetAt(Utc(2026, 4, 4, 15)) == hours(10) + minutes(30));
  CHECK(lh.OffsetAt(Utc(2026, 10, 3, 15, 29, 59)) == hours(10) + minutes(30));
  CHECK(lh.OffsetAt(Utc(2026, 10, 3, 15, 30)) == hours(11));
  auto day = lh.DayAt(Utc(2026, 4, 4, 20));  // Sunday 5 April, local
  CHECK(day.start == Utc(2026, 4, 4, 13));
  CHECK(day.end == Utc(2026, 4, 5, 13, 30));
  CHECK(day.end - day.start == hours(24) + minutes(30));
  auto april = lh.MonthAt(Utc(2026, 4, 10));
  CHECK(april.start == Utc(2026, 3, 31, 13));  // 1 April 00:00 +11
  CHECK(april.end == Utc(2026, 4, 30, 13, 30));  // 1 May 00:00 +1030
}

TEST_CASE("Asia/Kolkata: no DST, a half-hour offset", "[tz]") {
  auto kolkata = Zone("Asia/Kolkata");
  for (auto t : {Utc(1990, 1, 1), Utc(2026, 1, 15), Utc(2026, 7, 15), Utc(2100, 6, 1)})
    CHECK(kolkata.OffsetAt(t) == hours(5) + minutes(30));
  auto march = kolkata.MonthAt(Utc(2026, 3, 15));
  CHECK(march.start == Utc(2026, 2, 28, 18, 30));
  CHECK(march.end == Utc(2026, 3, 31, 18, 30));
  auto day = kolkata.DayAt(Utc(2026, 3, 15, 18, 29, 59));
  CHECK(day.start == Utc(2026, 3, 14, 18, 30));
  CHECK(kolkata.DayAt(Utc(2026, 3, 15, 18, 30)).start == Utc(2026, 3, 15, 18, 30));
}

TEST_CASE("After the last transition the footer's rule decides", "[tz]") {
  // Debian's files list transitions up to 2037; these years come from the
  // POSIX TZ strings (values from glibc's zdump).
  auto berlin = Zone("Europe/Berlin");  // CET-1CEST,M3.5.0,M10.5.0/3
  CHECK(berlin.OffsetAt(Utc(2040, 3, 25, 0, 59, 59)) == hours(1));
  CHECK(berlin.OffsetAt(Utc(2040, 3, 25, 1)) == hours(2));
  CHECK(berlin.OffsetAt(Utc(2040, 10, 28, 0, 59, 59)) == hours(2));
  CHECK(berlin.OffsetAt(Utc(2040, 10, 28, 1)) == hours(1));
  CHECK(berlin.DayAt(Utc(2040, 3, 25, 12)).end - berlin.DayAt(Utc(2040, 3, 25, 12)).start ==
        hours(23));

  auto ny = Zone("America/New_York");  // EST5EDT,M3.2.0,M11.1.0
  CHECK(ny.OffsetAt(Utc(2050, 3, 13, 6, 59, 59)) == hours(-5));
  CHECK(ny.OffsetAt(Utc(2050, 3, 13, 7)) == hours(-4));
  CHECK(ny.OffsetAt(Utc(2050, 11, 6, 6)) == hours(-5));

  auto lh = Zone("Australia/Lord_Howe");  // <+1030>-10:30<+11>-11,M10.1.0,M4.1.0
  CHECK(lh.OffsetAt(Utc(2045, 4, 1, 14, 59, 59)) == hours(11));
  CHECK(lh.OffsetAt(Utc(2045, 4, 1, 15)) == hours(10) + minutes(30));
  CHECK(lh.OffsetAt(Utc(2045, 9, 30, 15, 30)) == hours(11));
}

TEST_CASE("America/Sao_Paulo: midnight skipped and repeated (2018-19)", "[tz]") {
  auto sp = Zone("America/Sao_Paulo");
  // 2018-11-04 00:00 -03 jumped to 01:00 -02: the day began at 01:00.
  auto gap = sp.DayAt(Utc(2018, 11, 4, 12));
  CHECK(gap.start == Utc(2018, 11, 4, 3));
  CHECK(gap.end == Utc(2018, 11, 5, 2));
  CHECK(sp.DayAt(Utc(2018, 11, 4, 2, 59, 59)).start == Utc(2018, 11, 3, 3));
  // 2019-02-17 00:00 -02 fell back to 23:00 -03 on the 16th: a 25-hour 16th,
  // which still holds the repeated hour.
  auto repeat = sp.DayAt(Utc(2019, 2, 17, 2, 30));
  CHECK(repeat.start == Utc(2019, 2, 16, 2));
  CHECK(repeat.end == Utc(2019, 2, 17, 3));
  // No DST since 2019; month starts at 03:00 UTC.
  auto march = sp.MonthAt(Utc(2026, 3, 31, 23));
  CHECK(march.start == Utc(2026, 3, 1, 3));
  CHECK(march.end == Utc(2026, 4, 1, 3));
}

TEST_CASE("Zone names are validated before any file is touched", "[tz]") {
  for (std::string_view bad :
       {"", "/etc/localtime", "../etc/passwd", "Europe/../../etc/passwd", "Europe//Berlin",
        "Europe/Berlin/", ".hidden", "Europe/.Berlin", "Europe/Ber lin", "Europe\\Berlin",
        "Europe/Berlin\n", "a..b"}) {
    INFO(bad);
    CHECK_FALSE(TimeZone::IsValidName(bad));
    auto z = TimeZone::Load(bad);
    REQUIRE_FALSE(z);
    CHECK(z.error().code == Errc::kInvalidArgument);
  }
  const std::string with_nul("Europe/Berlin\0x", 15);
  CHECK_FALSE(TimeZone::Load(with_nul));
  for (std::string_view ok : {"Europe/Berlin", "Etc/GMT+5", "America/Port-au-Prince", "UTC"})
    CHECK(TimeZone::IsValidName(ok));
}

TEST_CASE("Unknown zones, directories and non-TZif files are unknown zones", "[tz]") {
  for (std::string_view name : {"Nowhere/City", "Europe", "zone.tab", "iso3166.tab"}) {
    INFO(name);
    auto z = TimeZone::Load(name);
    REQUIRE_FALSE(z);
    CHECK(z.error().code == Errc::kInvalidArgument);
    CHECK(z.error().message.find("unknown time zone") != std::string::npos);
    CHECK(z.error().message.find(kZoneInfoDir) == std::string::npos);  // no paths in errors
  }
  // Leap-second zones use another time scale.
  auto bytes = ZoneBytes("Europe/Berlin");
  REQUIRE(bytes.size() > 44);
  bytes[28 + 3] = 1;  // leapcnt of the first header
  auto leap = TimeZone::FromTzif("Leap", bytes);
  REQUIRE_FALSE(leap);
  CHECK(leap.error().message.find("leap") != std::string::npos);
}

TEST_CASE("Truncated or corrupted TZif data is refused, never read past its end", "[tz]") {
  const auto bytes = ZoneBytes("Europe/Berlin");
  REQUIRE(bytes.size() > 1000);
  REQUIRE(TimeZone::FromTzif("Berlin", bytes));
  // Every strict prefix lacks something the format requires.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto z = TimeZone::FromTzif("Cut", std::span(bytes.data(), n));
    if (z) FAIL("a prefix of " << n << " bytes was accepted");
    CHECK(z.error().code == Errc::kInvalidArgument);
  }
  // Flipping bytes may yield another valid zone, but never a crash or a
  // zone that cannot answer.
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    auto copy = bytes;
    copy[i] ^= 0xA5;
    auto z = TimeZone::FromTzif("Flipped", copy);
    if (z) {
      (void)z->OffsetAt(Utc(2026, 3, 29));
      auto day = z->DayAt(Utc(2045, 6, 1));
      CHECK(day.start <= Utc(2045, 6, 1));
      CHECK(Utc(2045, 6, 1) < day.end);
    }
  }
}

TEST_CASE("A version 1 file is read from its 32-bit block", "[tz]") {
  auto bytes = ZoneBytes("Europe/Berlin");
  bytes[4] = 0;  // claim version 1: the reader must stop after the first block
  auto z = TimeZone::FromTzif("Berlin-v1", bytes);
  REQUIRE(z);
  CHECK(z->OffsetAt(Utc(2026, 3, 29, 1)) == hours(2));
  CHECK(z->OffsetAt(Utc(2026, 3, 29, 0, 59, 59)) == hours(1));
}

TEST_CASE("Offsets agree with glibc's localtime_r across zones and centuries", "[tz][slow]") {
  // glibc reads the same files with its own code; this test alone sets TZ,
  // on the test's one thread, and restores it.
  const char* saved = std::getenv("TZ");
  const std::string restore = saved ? saved : "";
  int mismatches = 0, checked = 0;
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                           "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham",
                           "America/St_Johns", "Europe/Dublin", "Africa/Casablanca",
                           "Pacific/Apia", "Asia/Tehran", "America/Santiago"}) {
    auto zone = Zone(name);
    ::setenv("TZ", (std::string(":") + name).c_str(), 1);
    ::tzset();
    for (std::int64_t s = -1'500'000'000; s < 4'200'000'000; s += 86'400 * 11 + 3'607) {
      const time_t t = static_cast<time_t>(s);
      struct tm tm {};
      REQUIRE(::localtime_r(&t, &tm) != nullptr);
      ++checked;
      if (zone.OffsetAt(TimePoint{seconds{s}}).count() != tm.tm_gmtoff && ++mismatches < 5)
        FAIL_CHECK(name << " at " << s << ": " << zone.OffsetAt(TimePoint{seconds{s}}).count()
                        << " != " << tm.tm_gmtoff);
    }
  }
  if (saved)
    ::setenv("TZ", restore.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
  CHECK(checked > 50'000);
  CHECK(mismatches == 0);
}

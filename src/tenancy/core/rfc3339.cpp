#include "tenancy/rfc3339.hpp"

#include <cstdio>

namespace tenancy {
namespace {

// Writes `v` as `width` decimal digits, zero-padded, ending before `end`.
void PutDigits(char* end, unsigned v, int width) {
  for (int i = 0; i < width; ++i, v /= 10) *--end = static_cast<char>('0' + v % 10);
}

}  // namespace

void AppendRfc3339(std::string& out, TimePoint t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    char wide[48];
    const int n = std::snprintf(wide, sizeof wide, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                static_cast<int>(hms.hours().count()),
                                static_cast<int>(hms.minutes().count()),
                                static_cast<int>(hms.seconds().count()),
                                static_cast<int>(hms.subseconds().count()));
    out.append(wide, static_cast<std::size_t>(n > 0 ? n : 0));
    return;
  }
  char buf[24] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0',
                  '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
  PutDigits(buf + 4, static_cast<unsigned>(year), 4);
  PutDigits(buf + 7, static_cast<unsigned>(ymd.month()), 2);
  PutDigits(buf + 10, static_cast<unsigned>(ymd.day()), 2);
  PutDigits(buf + 13, static_cast<unsigned>(hms.hours().count()), 2);
  PutDigits(buf + 16, static_cast<unsigned>(hms.minutes().count()), 2);
  PutDigits(buf + 19, static_cast<unsigned>(hms.seconds().count()), 2);
  PutDigits(buf + 23, static_cast<unsigned>(hms.subseconds().count()), 3);
  out.append(buf, sizeof buf);
}

std::string FormatRfc3339(TimePoint t) {
  std::string out;
  AppendRfc3339(out, t);
  return out;
}

}  // namespace tenancy

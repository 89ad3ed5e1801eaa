// POSIX TZ strings as TZif footers use them (POSIX.1-2017 8.3 with RFC 8536's
// extension of rule times to -167..+167 hours), e.g.
//   "CET-1CEST,M3.5.0,M10.5.0/3"        (Europe/Berlin)
//   "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"  (Australia/Lord_Howe)
//   "IST-5:30"                          (Asia/Kolkata, no DST)
// and the segments they produce: each year has two changes, into DST at the
// start date (in standard local time) and out of it at the end date (in
// daylight local time); southern-hemisphere rules end before they start.
#include <algorithm>
#include <array>
#include <chrono>

#include "governance/tz_data.hpp"

namespace tenancy::tz {
namespace {

using namespace std::chrono;

Error Bad(std::string_view what) { return Fail(Errc::kInvalidArgument, std::string(what)); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}
  bool AtEnd() const { return s_.empty(); }
  bool Eat(char c) {
    if (s_.empty() || s_.front() != c) return false;
    s_.remove_prefix(1);
    return true;
  }
  char Peek() const { return s_.empty() ? '\0' : s_.front(); }

  // std / dst name: three or more letters, or <...> of [A-Za-z0-9+-].
  Result<std::string> Name() {
    std::string name;
    if (Eat('<')) {
      while (!s_.empty() && s_.front() != '>') {
        const char c = s_.front();
        if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-') return Bad("bad character in <name>");
        name.push_back(c);
        s_.remove_prefix(1);
      }
      if (!Eat('>')) return Bad("unterminated <name>");
    } else {
      while (!s_.empty() && IsAlpha(s_.front())) {
        name.push_back(s_.front());
        s_.remove_prefix(1);
      }
    }
    if (name.size() < 3) return Bad("zone abbreviation shorter than 3 characters");
    return name;
  }

  // [+-]hh[:mm[:ss]] with hh <= max_hours; returns seconds.
  Result<std::int32_t> Duration(int max_hours) {
    int sign = 1;
    if (Eat('-'))
      sign = -1;
    else
      Eat('+');
    auto hours = Number(0, max_hours);
    if (!hours) return hours.error();
    std::int32_t seconds = *hours * 3600;
    if (Eat(':')) {
      auto minutes = Number(0, 59);
      if (!minutes) return minutes.error();
      seconds += *minutes * 60;
      if (Eat(':')) {
        auto secs = Number(0, 59);
        if (!secs) return secs.error();
        seconds += *secs;
      }
    }
    return sign * seconds;
  }

  Result<int> Number(int min, int max) {
    if (s_.empty() || !IsDigit(s_.front())) return Bad("number expected");
    int v = 0;
    while (!s_.empty() && IsDigit(s_.front())) {
      v = v * 10 + (s_.front() - '0');
      if (v > max) return Bad("number out of range");
      s_.remove_prefix(1);
    }
    if (v < min) return Bad("number out of range");
    return v;
  }

  Result<PosixDate> Date() {
    PosixDate d;
    if (Eat('J')) {
      d.form = PosixDate::Form::kJulian1;
      auto n = Number(1, 365);
      if (!n) return n.error();
      d.day = *n;
    } else if (Eat('M')) {
      d.form = PosixDate::Form::kMonthWeekDay;
      auto m = Number(1, 12);
      if (!m) return m.error();
      if (!Eat('.')) return Bad("'.' expected in Mm.w.d");
      auto w = Number(1, 5);
      if (!w) return w.error();
      if (!Eat('.')) return Bad("'.' expected in Mm.w.d");
      auto wd = Number(0, 6);
      if (!wd) return wd.error();
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else {
      d.form = PosixDate::Form::kJulian0;
      auto n = Number(0, 365);
      if (!n) return n.error();
      d.day = *n;
    }
    if (Eat('/')) {
      auto t = Duration(167);  // RFC 8536 extension
      if (!t) return t.error();
      d.time = *t;
    }
    return d;
  }

 private:
  std::string_view s_;
};

// Days since the epoch of `date` in `year`, plus its time of day, as local
// seconds.
std::int64_t LocalSeconds(const PosixDate& date, int y) {
  const year yr{y};
  sys_days day{};
  switch (date.form) {
    case PosixDate::Form::kJulian1:
      day = sys_days(yr / January / 1) + days(date.day - 1 + (yr.is_leap() && date.day >= 60 ? 1 : 0));
      break;
    case PosixDate::Form::kJulian0:
      day = sys_days(yr / January / 1) + days(date.day);
      break;
    case PosixDate::Form::kMonthWeekDay: {
      const auto first = sys_days(yr / month(static_cast<unsigned>(date.month)) / 1);
      const int first_weekday = static_cast<int>(weekday(first).c_encoding());
      int offset = (date.weekday - first_weekday + 7) % 7 + 7 * (date.week - 1);
      const int length = static_cast<int>(
          unsigned((yr / month(static_cast<unsigned>(date.month)) / last).day()));
      while (offset >= length) offset -= 7;  // week 5 means "last"
      day = first + days(offset);
      break;
    }
  }
  return std::int64_t{day.time_since_epoch().count()} * 86400 + date.time;
}

// Years far outside TimePoint's range (1678..2262) gain nothing; keeping t in
// years 1..9999 keeps the calendar arithmetic in range.
constexpr std::int64_t kEarliest = -62135596800;  // 0001-01-01
constexpr std::int64_t kLatest = 253402300799;    // 9999-12-31T23:59:59

}  // namespace

Result<PosixTz> ParsePosixTz(std::string_view text) {
  Parser p(text);
  PosixTz tz;
  auto std_name = p.Name();
  if (!std_name) return std_name.error();
  auto std_offset = p.Duration(24);
  if (!std_offset) return std_offset.error();
  tz.standard = {-*std_offset, false, std::move(*std_name)};  // POSIX counts west as positive
  if (p.AtEnd()) return tz;

  auto dst_name = p.Name();
  if (!dst_name) return dst_name.error();
  LocalType daylight{tz.standard.offset + 3600, true, std::move(*dst_name)};
  if (p.Peek() != ',' && !p.AtEnd()) {
    auto dst_offset = p.Duration(24);
    if (!dst_offset) return dst_offset.error();
    daylight.offset = -*dst_offset;
  }
  if (!p.Eat(',')) return Bad("daylight time without rules");
  auto start = p.Date();
  if (!start) return start.error();
  if (!p.Eat(',')) return Bad("',' expected before the end rule");
  auto end = p.Date();
  if (!end) return end.error();
  if (!p.AtEnd()) return Bad("trailing characters");
  tz.daylight = std::move(daylight);
  tz.start = *start;
  tz.end = *end;
  return tz;
}

Segment PosixSegmentAt(const PosixTz& tz, std::int64_t t) noexcept {
  if (!tz.daylight) return {kMinTime, kMaxTime, &tz.standard};
  const std::int64_t clamped = std::clamp(t, kEarliest, kLatest);
  const int y = static_cast<int>(
      year_month_day(floor<days>(sys_seconds(seconds(clamped)))).year());

  struct Change {
    std::int64_t at;
    bool into_dst;
  };
  std::array<Change, 6> changes{};
  for (int i = 0; i < 3; ++i) {
    changes[2 * i] = {LocalSeconds(tz.start, y - 1 + i) - tz.standard.offset, true};
    changes[2 * i + 1] = {LocalSeconds(tz.end, y - 1 + i) - tz.daylight->offset, false};
  }
  // On a tie (a rule that keeps DST all year) the change into DST wins.
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return a.at != b.at ? a.at < b.at : (!a.into_dst && b.into_dst);
  });
  int last = -1;
  for (int i = 0; i < 6; ++i)
    if (changes[i].at <= clamped) last = i;
  Segment seg;
  if (last < 0) {
    seg.end = changes[0].at;
    seg.type = changes[0].into_dst ? &tz.standard : &*tz.daylight;
    return seg;
  }
  seg.start = changes[last].at;
  seg.type = changes[last].into_dst ? &*tz.daylight : &tz.standard;
  for (int i = last + 1; i < 6; ++i) {
    if (changes[i].at > changes[last].at) {
      seg.end = changes[i].at;
      break;
    }
  }
  return seg;
}

}  // namespace tenancy::tz

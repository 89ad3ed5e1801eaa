// TimeZone: loading zones by IANA name (validated, cached per process) and
// the calendar questions quotas ask of them.
#include "tenancy/time_zone.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "governance/tz_data.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;

constexpr std::size_t kMaxNameBytes = 255;
constexpr off_t kMaxFileBytes = 1 << 20;  // real TZif files are a few KiB

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '/' || c == '_' || c == '+' || c == '-' || c == '.';
}

std::shared_ptr<const detail::ZoneData> Utc() {
  // Non-owning: the UTC zone is a function-local static that lives forever.
  return std::shared_ptr<const detail::ZoneData>(std::shared_ptr<void>(), &tz::UtcZone());
}

Error Unknown(std::string_view name) {
  return Fail(Errc::kInvalidArgument, "unknown time zone '" + std::string(name) + "'");
}

// Reads the whole file, refusing anything but a small regular file. The
// message names the zone only: paths are the operator's business.
Result<std::vector<std::uint8_t>> ReadZoneFile(const std::string& path, std::string_view name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unknown(name);
  std::vector<std::uint8_t> bytes;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= kMaxFileBytes;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (ok && got < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (n <= 0) ok = false;
      else got += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  if (!ok) return Unknown(name);
  return bytes;
}

// Zones are immutable: parse each file once per process. Only zones that
// loaded are cached, so bad names cannot grow the cache.
struct ZoneCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const detail::ZoneData>, std::less<>> zones;
};

ZoneCache& Cache() {
  static ZoneCache* cache = new ZoneCache;  // never destroyed: zones may outlive statics
  return *cache;
}

std::int64_t ToSeconds(TimePoint t) noexcept { return floor<seconds>(t).time_since_epoch().count(); }
TimePoint FromSeconds(std::int64_t s) noexcept { return TimePoint{seconds{s}}; }

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) noexcept {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// First instant (seconds) whose local time reads at least `local`. Walks
// the segments forward from two days earlier, where local time is surely
// before `local` (UT offsets stay within ±26 h).
std::int64_t FirstAtOrAfter(const detail::ZoneData& zone, std::int64_t local) noexcept {
  std::int64_t t = local - 2 * 86400;
  for (int guard = 0; guard < 64; ++guard) {
    const tz::Segment seg = tz::SegmentAt(zone, t);
    const std::int64_t candidate = std::max(t, local - seg.type->offset);
    if (candidate < seg.end) return candidate;
    t = seg.end;
  }
  return local - tz::SegmentAt(zone, local).type->offset;  // unreachable for sane data
}

}  // namespace

TimeZone::TimeZone() : data_(Utc()) {}

bool TimeZone::IsValidName(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameBytes || name.front() == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) return false;
  // Each component non-empty and not hidden ("." or ".x").
  std::size_t start = 0;
  for (;;) {
    const auto slash = name.find('/', start);
    const auto part = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    if (part.empty() || part.front() == '.') return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view zoneinfo_dir) {
  if (!IsValidName(name))
    return Fail(Errc::kInvalidArgument,
                "invalid time zone name (expected an IANA name such as Europe/Berlin)");
  if (name == "UTC" || name == "Etc/UTC") return TimeZone();
  std::string key = std::string(zoneinfo_dir) + '/' + std::string(name);
  auto& cache = Cache();
  {
    std::lock_guard lock(cache.mu);
    if (auto it = cache.zones.find(key); it != cache.zones.end()) return TimeZone(it->second);
  }
  auto bytes = ReadZoneFile(key, name);
  if (!bytes) return bytes.error();
  auto zone = FromTzif(name, *bytes);
  if (!zone) return Unknown(name);  // e.g. zone.tab: a file, but no zone
  std::lock_guard lock(cache.mu);
  auto [it, inserted] = cache.zones.emplace(std::move(key), zone->data_);
  return TimeZone(it->second);
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::span<const std::uint8_t> bytes) {
  auto parsed = tz::ParseTzif(bytes);
  if (!parsed) return parsed.error();
  parsed->name = std::string(name);
  return TimeZone(std::make_shared<const detail::ZoneData>(std::move(*parsed)));
}

const std::string& TimeZone::name() const noexcept { return data_->name; }

std::chrono::seconds TimeZone::OffsetAt(TimePoint t) const noexcept {
  return seconds{tz::SegmentAt(*data_, ToSeconds(t)).type->offset};
}

bool TimeZone::IsDstAt(TimePoint t) const noexcept {
  return tz::SegmentAt(*data_, ToSeconds(t)).type->dst;
}

std::string_view TimeZone::AbbreviationAt(TimePoint t) const noexcept {
  return tz::SegmentAt(*data_, ToSeconds(t)).type->abbreviation;
}

TimePoint TimeZone::FirstInstantAtOrAfter(local_seconds local) const {
  return FromSeconds(FirstAtOrAfter(*data_, local.time_since_epoch().count()));
}

TimeSpan TimeZone::DayAt(TimePoint t) const {
  const std::int64_t s = ToSeconds(t);
  const std::int64_t local = s + tz::SegmentAt(*data_, s).type->offset;
  std::int64_t day = FloorDiv(local, 86400);
  auto begin = [&](std::int64_t d) { return FirstAtOrAfter(*data_, d * 86400); };
  std::int64_t start = begin(day), end = begin(day + 1);
  // Where a backward change crosses midnight, local time can read the
  // previous date after that date's day has ended: the day is the span of
  // instants between boundaries, so step to the one holding t.
  while (start > s) {
    end = start;
    start = begin(--day);
  }
  while (end <= s) {
    start = end;
    end = begin(++day + 1);
  }
  return {FromSeconds(start), FromSeconds(end)};
}

TimeSpan TimeZone::MonthAt(TimePoint t) const {
  const std::int64_t s = ToSeconds(t);
  const std::int64_t local = s + tz::SegmentAt(*data_, s).type->offset;
  const year_month_day date{sys_days{days{FloorDiv(local, 86400)}}};
  year_month ym = date.year() / date.month();
  auto begin = [&](year_month m) {
    return FirstAtOrAfter(*data_, std::int64_t{sys_days(m / 1).time_since_epoch().count()} * 86400);
  };
  std::int64_t start = begin(ym), end = begin(ym + months(1));
  while (start > s) {
    end = start;
    ym -= months(1);
    start = begin(ym);
  }
  while (end <= s) {
    start = end;
    ym += months(1);
    end = begin(ym + months(1));
  }
  return {FromSeconds(start), FromSeconds(end)};
}

}  // namespace tenancy

// The time line of a zone as constant-offset segments: the transition table
// up to its last entry, the footer's rule after it, type 0 before the first.
#include <algorithm>

#include "governance/tz_data.hpp"

namespace tenancy::tz {

Segment SegmentAt(const ZoneData& zone, std::int64_t t) noexcept {
  const auto& ts = zone.transitions;
  if (ts.empty()) {
    if (zone.footer) return PosixSegmentAt(*zone.footer, t);
    return {kMinTime, kMaxTime, &zone.types.front()};
  }
  const auto next = std::upper_bound(ts.begin(), ts.end(), t);
  if (next == ts.begin()) return {kMinTime, ts.front(), &zone.types.front()};  // RFC 8536 3.2
  const auto i = static_cast<std::size_t>(next - ts.begin()) - 1;
  if (next == ts.end()) {
    if (zone.footer) {
      Segment seg = PosixSegmentAt(*zone.footer, t);
      seg.start = std::max(seg.start, ts.back());
      return seg;
    }
    return {ts.back(), kMaxTime, &zone.types[zone.transition_types[i]]};
  }
  return {ts[i], ts[i + 1], &zone.types[zone.transition_types[i]]};
}

const ZoneData& UtcZone() noexcept {
  static const ZoneData utc = [] {
    ZoneData z;
    z.name = "UTC";
    z.types.push_back({0, false, "UTC"});
    return z;
  }();
  return utc;
}

}  // namespace tenancy::tz

// Point-in-zone lookup: bounding boxes first, then a crossing-number test
// per ring with boundaries counted as inside (see zones.hpp for the rule).
#include <cmath>

#include "governance/zones_data.hpp"

namespace tenancy {
namespace detail::zones {
namespace {

enum class Where { kOutside, kInside, kBoundary };

bool InBox(const ZoneBox& b, double lon, double lat) noexcept {
  return lon >= b.min_lon - kZoneEdgeTolerance && lon <= b.max_lon + kZoneEdgeTolerance &&
         lat >= b.min_lat - kZoneEdgeTolerance && lat <= b.max_lat + kZoneEdgeTolerance;
}

// Whether (x, y) lies within kZoneEdgeTolerance of the segment a–b.
bool NearSegment(const Point& a, const Point& b, double x, double y) noexcept {
  constexpr double tol = kZoneEdgeTolerance;
  // Cheap rejection first: most edges are nowhere near the point.
  if (x < std::fmin(a.lon, b.lon) - tol || x > std::fmax(a.lon, b.lon) + tol ||
      y < std::fmin(a.lat, b.lat) - tol || y > std::fmax(a.lat, b.lat) + tol)
    return false;
  const double dx = b.lon - a.lon, dy = b.lat - a.lat;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((x - a.lon) * dx + (y - a.lat) * dy) / len2 : 0.0;
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  const double ex = a.lon + t * dx - x, ey = a.lat + t * dy - y;
  return ex * ex + ey * ey <= tol * tol;
}

// Crossing number along a ray towards +longitude. An edge counts when it
// straddles the point's latitude half-open (one end strictly above), so a
// ray through a vertex is counted once. Boundary points are found first, so
// the crossing test never has to decide them.
Where Locate(const ZoneSetData& d, const Ring& r, double x, double y) noexcept {
  bool inside = false;
  const Point* pts = d.points.data();
  for (std::uint32_t i = r.begin; i + 1 < r.end; ++i) {
    const Point& a = pts[i];
    const Point& b = pts[i + 1];
    if (NearSegment(a, b, x, y)) return Where::kBoundary;
    if ((a.lat > y) != (b.lat > y)) {
      const double cross_lon = a.lon + (y - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
      if (x < cross_lon) inside = !inside;
    }
  }
  return inside ? Where::kInside : Where::kOutside;
}

}  // namespace

bool PolygonCovers(const ZoneSetData& d, const Polygon& p, double lon, double lat) noexcept {
  if (!InBox(p.box, lon, lat)) return false;
  const Ring* rings = d.rings.data() + p.first_ring;
  switch (Locate(d, rings[0], lon, lat)) {
    case Where::kOutside: return false;
    case Where::kBoundary: return true;
    case Where::kInside: break;
  }
  for (std::uint32_t h = 1; h < p.ring_count; ++h) {
    // A hole's ring is the polygon's boundary too, so it belongs to the zone.
    if (Locate(d, rings[h], lon, lat) == Where::kInside) return false;
  }
  return true;
}

namespace {

bool ZoneCovers(const ZoneSetData& d, std::size_t z, double lon, double lat) noexcept {
  if (!InBox(d.boxes[z], lon, lat)) return false;
  const Zone& zone = d.zones[z];
  for (std::uint32_t i = 0; i < zone.polygon_count; ++i)
    if (PolygonCovers(d, d.polygons[zone.first_polygon + i], lon, lat)) return true;
  return false;
}

}  // namespace
}  // namespace detail::zones

ZoneSet::ZoneSet() : data_(std::make_shared<const detail::zones::ZoneSetData>()) {}

std::vector<std::string_view> ZoneSet::ZonesAt(double lon, double lat) const {
  std::vector<std::string_view> out;
  ZonesAt(lon, lat, out);
  return out;
}

std::size_t ZoneSet::ZonesAt(double lon, double lat, std::vector<std::string_view>& out) const {
  out.clear();
  if (!std::isfinite(lon) || !std::isfinite(lat)) return 0;
  const auto& d = *data_;
  for (std::size_t z = 0; z < d.zones.size(); ++z)
    if (detail::zones::ZoneCovers(d, z, lon, lat)) out.push_back(d.zones[z].id);
  return out.size();
}

std::string_view ZoneSet::FirstZoneAt(double lon, double lat) const noexcept {
  if (!std::isfinite(lon) || !std::isfinite(lat)) return {};
  const auto& d = *data_;
  for (std::size_t z = 0; z < d.zones.size(); ++z)
    if (detail::zones::ZoneCovers(d, z, lon, lat)) return d.zones[z].id;
  return {};
}

bool ZoneSet::Contains(std::string_view id) const noexcept { return data_->by_id.contains(id); }

Result<std::string_view> ZoneSet::NameOf(std::string_view id) const {
  auto it = data_->by_id.find(id);
  if (it == data_->by_id.end()) return Fail(Errc::kNotFound, "no zone with that id");
  return std::string_view(data_->zones[it->second].name);
}

Result<ZoneBox> ZoneSet::BoxOf(std::string_view id) const {
  auto it = data_->by_id.find(id);
  if (it == data_->by_id.end()) return Fail(Errc::kNotFound, "no zone with that id");
  return data_->boxes[it->second];
}

std::vector<std::string_view> ZoneSet::Ids() const {
  std::vector<std::string_view> ids;
  ids.reserve(data_->zones.size());
  for (const auto& z : data_->zones) ids.emplace_back(z.id);
  return ids;
}

std::size_t ZoneSet::size() const noexcept { return data_->zones.size(); }

std::size_t ZoneSet::vertex_count() const noexcept { return data_->points.size(); }

}  // namespace tenancy

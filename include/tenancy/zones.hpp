// tenancy/zones.hpp — a tenant's service zones: GeoJSON polygons and point lookup.
//
// Zones are configured as a GeoJSON FeatureCollection (RFC 7946) whose
// features are Polygons or MultiPolygons, each with a unique string
// `properties.id` and an optional `properties.name`:
//
//   {"type": "FeatureCollection", "features": [
//     {"type": "Feature", "properties": {"id": "airport", "name": "Airport"},
//      "geometry": {"type": "Polygon",
//                   "coordinates": [[[13.50, 52.36], [13.53, 52.36], [13.53, 52.38],
//                                    [13.50, 52.38], [13.50, 52.36]]]}}]}
//
// Parsing checks the whole document and refuses it, naming the place as a
// path ("zones.features[2].geometry.coordinates[0]: ring is not closed"),
// when it is not that shape: rings must be closed (last position equal to
// the first) with at least 4 positions; positions are [longitude, latitude]
// (an optional third number, the altitude, is ignored) with longitude in
// [-180, 180] and latitude in [-90, 90]; ids are 1–64 bytes and unique;
// sizes stay within `ZoneLimits`. Members other than those of RFC 7946
// ("type", "features", "geometry", "properties", "coordinates", "bbox", "id")
// are refused, so a typo does not pass silently; `properties` may carry
// anything besides id and name (styling from map editors), which is ignored.
//
// Geometry is planar, as RFC 7946 §3.1.1 prescribes: an edge is the straight
// line between two positions in (longitude, latitude). An edge may not span
// more than 180° of longitude: polygons that cross the antimeridian are
// refused, and must be cut in two along it (RFC 7946 §3.1.9) — a
// MultiPolygon holds both halves. Winding order is not enforced (RFC 7946
// asks parsers not to). Rings are not checked for self-intersection; a
// self-intersecting ring answers by the even-odd rule.
//
// Lookup. `ZonesAt(lon, lat)` returns the ids of every zone that covers the
// point, in document order. A zone covers a point inside any of its
// polygons' outer rings and not strictly inside one of that polygon's holes.
// Boundaries belong to the zone: a point on an outer ring or on a hole's
// ring is covered (so a point on the border of two adjacent zones is in
// both). "On" means within kZoneEdgeTolerance degrees (about 0.1 mm), so
// the rule does not depend on the rounding of the last bit. Each zone's
// bounding box is precomputed; a point outside it costs four comparisons.
//
// Thread safety: a ZoneSet is immutable after parsing; share it freely.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/export.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

// Bounds on one zone document. Exceeding any fails parsing with
// kInvalidArgument naming the place.
struct ZoneLimits {
  std::size_t max_zones = 500;                 // features
  std::size_t max_polygons_per_zone = 64;      // MultiPolygon members
  std::size_t max_rings_per_polygon = 64;      // the outer ring plus holes
  std::size_t max_vertices_per_zone = 10'000;  // positions over all its rings
  std::size_t max_total_vertices = 200'000;    // positions in the document
  std::size_t max_name_bytes = 200;            // properties.name (UTF-8)
};

// A point this close (in degrees) to an edge counts as on the edge.
inline constexpr double kZoneEdgeTolerance = 1e-9;

// Most bytes in a zone id.
inline constexpr std::size_t kMaxZoneIdBytes = 64;

struct ZoneBox {
  double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
};

namespace detail::zones {
struct ZoneSetData;
}

class TENANCY_EXPORT ZoneSet {
 public:
  // The empty set: no zone covers any point.
  ZoneSet();

  // Parses and checks a FeatureCollection. `path` prefixes the places named
  // in errors (the setting's key). kInvalidArgument on any fault.
  static Result<ZoneSet> Parse(const boost::json::value& geojson, const ZoneLimits& limits = {},
                               std::string_view path = "zones");

  // Ids of the zones covering (lon, lat), in document order; empty when none
  // does or the point is not a finite position.
  std::vector<std::string_view> ZonesAt(double lon, double lat) const;
  // The same into `out` (cleared first), reusing its capacity: no
  // allocation once it has grown. Returns the number of zones found.
  std::size_t ZonesAt(double lon, double lat, std::vector<std::string_view>& out) const;
  // The first zone (in document order) covering the point; empty if none.
  std::string_view FirstZoneAt(double lon, double lat) const noexcept;

  bool Contains(std::string_view id) const noexcept;
  // The zone's name ("" when it has none). kNotFound for an unknown id.
  Result<std::string_view> NameOf(std::string_view id) const;
  // The zone's bounding box. kNotFound for an unknown id.
  Result<ZoneBox> BoxOf(std::string_view id) const;
  // Zone ids in document order. Valid while this set (or a copy) lives.
  std::vector<std::string_view> Ids() const;
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  // Positions over all rings of all zones.
  std::size_t vertex_count() const noexcept;

 private:
  explicit ZoneSet(std::shared_ptr<const detail::zones::ZoneSetData> data) noexcept
      : data_(std::move(data)) {}
  std::shared_ptr<const detail::zones::ZoneSetData> data_;
};

}  // namespace tenancy

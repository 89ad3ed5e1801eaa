// The parsed form of a zone document, shared by the parser and the lookup.
//
// Positions of all rings live in one array; rings, polygons and zones are
// index ranges into it, so a ZoneSet is a handful of allocations however
// many zones it holds, and the lookup walks contiguous memory.
//
// Thread safety: immutable once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/string_map.hpp"
#include "tenancy/zones.hpp"

namespace tenancy::detail::zones {

struct Point {
  double lon = 0, lat = 0;
};

struct Ring {
  std::uint32_t begin = 0, end = 0;  // [begin, end) in points; closed (last == first)
};

struct Polygon {
  std::uint32_t first_ring = 0, ring_count = 0;  // the first ring is the outer one
  ZoneBox box{};
};

struct Zone {
  std::string id;
  std::string name;
  std::uint32_t first_polygon = 0, polygon_count = 0;
  std::size_t vertices = 0;
};

struct ZoneSetData {
  std::vector<Zone> zones;
  std::vector<ZoneBox> boxes;  // by zone, apart from Zone so the scan reads only boxes
  std::vector<Polygon> polygons;
  std::vector<Ring> rings;
  std::vector<Point> points;
  StringMap<std::size_t> by_id;
};

// Whether the polygon covers the point (boundaries included).
bool PolygonCovers(const ZoneSetData& d, const Polygon& p, double lon, double lat) noexcept;

}  // namespace tenancy::detail::zones

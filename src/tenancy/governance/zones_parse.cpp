// Parsing and checking a GeoJSON FeatureCollection of service zones
// (RFC 7946), with every fault named by its path. See zones.hpp.
#include <boost/json/object.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>

#include "governance/config_path.hpp"
#include "governance/zones_data.hpp"

namespace tenancy {
namespace {

using detail::config::Element;
using detail::config::FieldError;
using detail::config::Member;
using detail::config::WrongKind;
using detail::zones::Point;
using detail::zones::ZoneSetData;

Result<void> OnlyMembers(const boost::json::object& o, std::string_view path,
                         std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end())
      return FieldError(Member(path, kv.key()), "unknown member");
  }
  return {};
}

Result<std::string_view> TypeOf(const boost::json::object& o, std::string_view path) {
  const auto* t = o.if_contains("type");
  if (!t) return FieldError(Member(path, "type"), "is missing");
  if (!t->is_string()) return WrongKind(Member(path, "type"), "a string", *t);
  return std::string_view(t->get_string());
}

void Extend(ZoneBox& box, const Point& p, bool first) {
  if (first) {
    box = {p.lon, p.lat, p.lon, p.lat};
    return;
  }
  box.min_lon = std::min(box.min_lon, p.lon);
  box.max_lon = std::max(box.max_lon, p.lon);
  box.min_lat = std::min(box.min_lat, p.lat);
  box.max_lat = std::max(box.max_lat, p.lat);
}

void Extend(ZoneBox& box, const ZoneBox& other, bool first) {
  Extend(box, Point{other.min_lon, other.min_lat}, first);
  Extend(box, Point{other.max_lon, other.max_lat}, false);
}

class Parser {
 public:
  Parser(ZoneSetData& d, const ZoneLimits& limits) : d_(d), limits_(limits) {}

  Result<Point> Position(const boost::json::value& v, std::string_view path) {
    const auto* a = v.if_array();
    if (!a) return WrongKind(path, "a position [longitude, latitude]", v);
    if (a->size() < 2 || a->size() > 3)
      return FieldError(path, "a position has 2 numbers (or 3, with altitude)");
    for (std::size_t i = 0; i < a->size(); ++i)
      if (!(*a)[i].is_number()) return WrongKind(Element(path, i), "a number", (*a)[i]);
    const double lon = (*a)[0].to_number<double>();
    const double lat = (*a)[1].to_number<double>();
    if (!(lon >= -180 && lon <= 180))
      return FieldError(Element(path, 0), "longitude must be within [-180, 180]");
    if (!(lat >= -90 && lat <= 90))
      return FieldError(Element(path, 1), "latitude must be within [-90, 90]");
    return Point{lon, lat};
  }

  Result<void> Ring(const boost::json::value& v, std::string_view path, std::size_t& zone_vertices,
                    ZoneBox& box, bool outer) {
    const auto* a = v.if_array();
    if (!a) return WrongKind(path, "an array of positions", v);
    if (a->size() < 4) return FieldError(path, "a ring needs at least 4 positions");
    zone_vertices += a->size();
    if (zone_vertices > limits_.max_vertices_per_zone)
      return FieldError(path, "the zone has more than " +
                                  std::to_string(limits_.max_vertices_per_zone) + " positions");
    if (d_.points.size() + a->size() > limits_.max_total_vertices)
      return FieldError(path, "the zones have more than " +
                                  std::to_string(limits_.max_total_vertices) + " positions");
    detail::zones::Ring ring;
    ring.begin = static_cast<std::uint32_t>(d_.points.size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto p = Position((*a)[i], Element(path, i));
      if (!p) return p.error();
      if (i > 0 && std::fabs(p->lon - d_.points.back().lon) > 180)
        return FieldError(Element(path, i),
                          "the edge crosses the antimeridian; cut the polygon at 180° "
                          "(RFC 7946 §3.1.9)");
      if (outer) Extend(box, *p, i == 0);
      d_.points.push_back(*p);
    }
    ring.end = static_cast<std::uint32_t>(d_.points.size());
    const Point& first = d_.points[ring.begin];
    const Point& last = d_.points[ring.end - 1];
    if (first.lon != last.lon || first.lat != last.lat)
      return FieldError(path, "ring is not closed (the last position must equal the first)");
    d_.rings.push_back(ring);
    return {};
  }

  Result<void> Polygon(const boost::json::value& v, std::string_view path,
                       std::size_t& zone_vertices) {
    const auto* a = v.if_array();
    if (!a) return WrongKind(path, "an array of rings", v);
    if (a->empty()) return FieldError(path, "a polygon needs an outer ring");
    if (a->size() > limits_.max_rings_per_polygon)
      return FieldError(path, "a polygon may have at most " +
                                  std::to_string(limits_.max_rings_per_polygon) + " rings");
    detail::zones::Polygon poly;
    poly.first_ring = static_cast<std::uint32_t>(d_.rings.size());
    poly.ring_count = static_cast<std::uint32_t>(a->size());
    for (std::size_t i = 0; i < a->size(); ++i)
      if (auto r = Ring((*a)[i], Element(path, i), zone_vertices, poly.box, i == 0); !r) return r;
    d_.polygons.push_back(poly);
    return {};
  }

  Result<void> Geometry(const boost::json::value& v, std::string_view path, detail::zones::Zone& zone,
                        ZoneBox& zone_box) {
    const auto* o = v.if_object();
    if (!o) return WrongKind(path, "a Polygon or MultiPolygon geometry", v);
    if (auto r = OnlyMembers(*o, path, {"type", "coordinates", "bbox"}); !r) return r;
    auto type = TypeOf(*o, path);
    if (!type) return type.error();
    const bool multi = *type == "MultiPolygon";
    if (!multi && *type != "Polygon")
      return FieldError(Member(path, "type"),
                        "must be \"Polygon\" or \"MultiPolygon\", not \"" + std::string(*type) + "\"");
    const auto* coords = o->if_contains("coordinates");
    const std::string cpath = Member(path, "coordinates");
    if (!coords) return FieldError(cpath, "is missing");
    zone.first_polygon = static_cast<std::uint32_t>(d_.polygons.size());
    if (multi) {
      const auto* a = coords->if_array();
      if (!a) return WrongKind(cpath, "an array of polygons", *coords);
      if (a->empty()) return FieldError(cpath, "a MultiPolygon needs at least one polygon");
      if (a->size() > limits_.max_polygons_per_zone)
        return FieldError(cpath, "a zone may have at most " +
                                     std::to_string(limits_.max_polygons_per_zone) + " polygons");
      for (std::size_t i = 0; i < a->size(); ++i)
        if (auto r = Polygon((*a)[i], Element(cpath, i), zone.vertices); !r) return r;
    } else {
      if (auto r = Polygon(*coords, cpath, zone.vertices); !r) return r;
    }
    zone.polygon_count = static_cast<std::uint32_t>(d_.polygons.size()) - zone.first_polygon;
    for (std::uint32_t i = 0; i < zone.polygon_count; ++i)
      Extend(zone_box, d_.polygons[zone.first_polygon + i].box, i == 0);
    return {};
  }

  Result<void> Feature(const boost::json::value& v, std::string_view path) {
    const auto* o = v.if_object();
    if (!o) return WrongKind(path, "a Feature object", v);
    if (auto r = OnlyMembers(*o, path, {"type", "geometry", "properties", "id", "bbox"}); !r)
      return r;
    auto type = TypeOf(*o, path);
    if (!type) return type.error();
    if (*type != "Feature")
      return FieldError(Member(path, "type"), "must be \"Feature\", not \"" + std::string(*type) + "\"");

    detail::zones::Zone zone;
    const std::string ppath = Member(path, "properties");
    const auto* props = o->if_contains("properties");
    if (!props || !props->is_object())
      return props ? WrongKind(ppath, "an object with an \"id\"", *props)
                   : FieldError(ppath, "is missing (a zone needs properties.id)");
    const auto& p = props->get_object();
    const std::string idpath = Member(ppath, "id");
    const auto* id = p.if_contains("id");
    if (!id) return FieldError(idpath, "is missing");
    if (!id->is_string()) return WrongKind(idpath, "a string", *id);
    std::size_t chars = 0;
    if (id->get_string().empty() || id->get_string().size() > kMaxZoneIdBytes)
      return FieldError(idpath, "must be 1 to " + std::to_string(kMaxZoneIdBytes) + " bytes");
    if (!detail::config::IsCleanUtf8(id->get_string(), chars))
      return FieldError(idpath, "must be UTF-8 without control characters");
    zone.id = id->get_string();
    if (const auto* name = p.if_contains("name"); name && !name->is_null()) {
      const std::string npath = Member(ppath, "name");
      if (!name->is_string()) return WrongKind(npath, "a string", *name);
      if (name->get_string().size() > limits_.max_name_bytes)
        return FieldError(npath, "must be at most " + std::to_string(limits_.max_name_bytes) + " bytes");
      if (!detail::config::IsCleanUtf8(name->get_string(), chars))
        return FieldError(npath, "must be UTF-8 without control characters");
      zone.name = name->get_string();
    }
    if (auto it = d_.by_id.find(zone.id); it != d_.by_id.end())
      return FieldError(idpath, "duplicate zone id \"" + zone.id + "\" (also features[" +
                                    std::to_string(it->second) + "])");

    const auto* geometry = o->if_contains("geometry");
    const std::string gpath = Member(path, "geometry");
    if (!geometry || geometry->is_null()) return FieldError(gpath, "is missing (a zone needs an area)");
    ZoneBox box;
    if (auto r = Geometry(*geometry, gpath, zone, box); !r) return r;
    d_.by_id.emplace(zone.id, d_.zones.size());
    d_.zones.push_back(std::move(zone));
    d_.boxes.push_back(box);
    return {};
  }

 private:
  ZoneSetData& d_;
  const ZoneLimits& limits_;
};

}  // namespace

Result<ZoneSet> ZoneSet::Parse(const boost::json::value& geojson, const ZoneLimits& limits,
                               std::string_view path) {
  const auto* o = geojson.if_object();
  if (!o) return WrongKind(path, "a GeoJSON FeatureCollection object", geojson);
  if (auto r = OnlyMembers(*o, path, {"type", "features", "bbox"}); !r) return r.error();
  auto type = TypeOf(*o, path);
  if (!type) return type.error();
  if (*type != "FeatureCollection")
    return FieldError(Member(path, "type"),
                      "must be \"FeatureCollection\", not \"" + std::string(*type) + "\"");
  const std::string fpath = Member(path, "features");
  const auto* features = o->if_contains("features");
  if (!features) return FieldError(fpath, "is missing");
  if (!features->is_array()) return WrongKind(fpath, "an array of features", *features);
  const auto& list = features->get_array();
  if (list.size() > limits.max_zones)
    return FieldError(fpath, "at most " + std::to_string(limits.max_zones) + " zones");
  // The positions alone stay below 2^32 (max_total_vertices), as the
  // 32-bit ranges in ZoneSetData assume.
  if (limits.max_total_vertices >= std::numeric_limits<std::uint32_t>::max())
    return FieldError(path, "ZoneLimits::max_total_vertices is too large");

  auto data = std::make_shared<ZoneSetData>();
  Parser parser(*data, limits);
  for (std::size_t i = 0; i < list.size(); ++i)
    if (auto r = parser.Feature(list[i], Element(fpath, i)); !r) return r.error();
  return ZoneSet(std::move(data));
}

}  // namespace tenancy

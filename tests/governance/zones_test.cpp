// Service zones: GeoJSON parsing and validation (paths named), point lookup
// inside / outside / in holes / on edges, MultiPolygons and limits.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

#include "support/catch_tenancy.hpp"
#include "tenancy/zones.hpp"

using namespace tenancy;

namespace {

// A closed axis-aligned square ring [[x0,y0],[x1,y0],[x1,y1],[x0,y1],[x0,y0]].
std::string Square(double x0, double y0, double x1, double y1) {
  auto n = [](double d) { return boost::json::serialize(boost::json::value(d)); };
  return "[[" + n(x0) + "," + n(y0) + "],[" + n(x1) + "," + n(y0) + "],[" + n(x1) + "," + n(y1) +
         "],[" + n(x0) + "," + n(y1) + "],[" + n(x0) + "," + n(y0) + "]]";
}

std::string Feature(std::string_view id, std::string_view geometry_type, const std::string& coordinates,
                    std::string_view extra_props = "") {
  return std::string(R"({"type":"Feature","properties":{"id":")") + std::string(id) + "\"" +
         std::string(extra_props) + R"(},"geometry":{"type":")" + std::string(geometry_type) +
         R"(","coordinates":)" + coordinates + "}}";
}

std::string Collection(const std::string& features) {
  return R"({"type":"FeatureCollection","features":[)" + features + "]}";
}

ZoneSet MustParse(const std::string& json, const ZoneLimits& limits = {}) {
  auto z = ZoneSet::Parse(boost::json::parse(json), limits);
  INFO((z ? std::string() : z.error().ToString()));
  REQUIRE(z);
  return *z;
}

std::string ParseError(const std::string& json, const ZoneLimits& limits = {}) {
  auto z = ZoneSet::Parse(boost::json::parse(json), limits);
  REQUIRE_FALSE(z);
  CHECK(z.error().code == Errc::kInvalidArgument);
  return z.error().message;
}

// Downtown: a 10×10 square with a 2×2 hole (a park) at (4..6, 4..6).
// Airport: a MultiPolygon of two squares far apart. Harbour: touches
// downtown along x = 10.
const std::string kCity = Collection(
    Feature("downtown", "Polygon", "[" + Square(0, 0, 10, 10) + "," + Square(4, 4, 6, 6) + "]",
            R"(,"name":"Downtown")") +
    "," + Feature("airport", "MultiPolygon", "[[" + Square(20, 20, 22, 22) + "],[" + Square(30, -5, 31, -4) + "]]") +
    "," + Feature("harbour", "Polygon", "[" + Square(10, 0, 12, 5) + "]"));

}  // namespace

TEST_CASE("a valid collection parses with ids, names and boxes", "[zones]") {
  const ZoneSet z = MustParse(kCity);
  CHECK(z.size() == 3);
  CHECK(z.Ids() == std::vector<std::string_view>{"downtown", "airport", "harbour"});
  CHECK(z.Contains("airport"));
  CHECK_FALSE(z.Contains("Airport"));
  CHECK(*z.NameOf("downtown") == "Downtown");
  CHECK(*z.NameOf("airport") == "");
  CHECK(z.NameOf("moon").error().code == Errc::kNotFound);
  auto box = z.BoxOf("airport");
  REQUIRE(box);
  CHECK(box->min_lon == 20);
  CHECK(box->max_lon == 31);
  CHECK(box->min_lat == -5);
  CHECK(box->max_lat == 22);
  CHECK(z.vertex_count() == 25);
}

TEST_CASE("lookup: inside, outside, hole, MultiPolygon", "[zones]") {
  const ZoneSet z = MustParse(kCity);
  CHECK(z.ZonesAt(1, 1) == std::vector<std::string_view>{"downtown"});
  CHECK(z.ZonesAt(9.5, 9.5) == std::vector<std::string_view>{"downtown"});
  CHECK(z.ZonesAt(5, 5).empty());          // in the park: the hole
  CHECK(z.ZonesAt(4.5, 5.5).empty());
  CHECK(z.ZonesAt(3.99, 5) == std::vector<std::string_view>{"downtown"});  // just beside the hole
  CHECK(z.ZonesAt(21, 21) == std::vector<std::string_view>{"airport"});    // first polygon
  CHECK(z.ZonesAt(30.5, -4.5) == std::vector<std::string_view>{"airport"});  // second polygon
  CHECK(z.ZonesAt(25, 0).empty());         // inside the airport's bounding box, in neither part
  CHECK(z.ZonesAt(-0.001, 5).empty());
  CHECK(z.ZonesAt(11, 6).empty());         // above the harbour
  CHECK(z.ZonesAt(179, 89).empty());
  CHECK(z.FirstZoneAt(11, 1) == "harbour");
  CHECK(z.FirstZoneAt(50, 50).empty());
  CHECK(z.ZonesAt(std::nan(""), 1).empty());
}

TEST_CASE("lookup: boundaries belong to the zone, hole rings included", "[zones][edge]") {
  const ZoneSet z = MustParse(kCity);
  CHECK(z.ZonesAt(0, 5) == std::vector<std::string_view>{"downtown"});      // west edge
  CHECK(z.ZonesAt(5, 0) == std::vector<std::string_view>{"downtown"});      // south edge
  CHECK(z.ZonesAt(0, 0) == std::vector<std::string_view>{"downtown"});      // a vertex
  CHECK(z.ZonesAt(10, 10) == std::vector<std::string_view>{"downtown"});    // the opposite vertex
  CHECK(z.ZonesAt(4, 5) == std::vector<std::string_view>{"downtown"});      // on the hole's ring
  CHECK(z.ZonesAt(6, 6) == std::vector<std::string_view>{"downtown"});      // the hole's vertex
  // The shared border of two adjacent zones is in both.
  CHECK(z.ZonesAt(10, 2) == std::vector<std::string_view>{"downtown", "harbour"});
  CHECK(z.ZonesAt(10, 7) == std::vector<std::string_view>{"downtown"});     // downtown's edge only
  // Within the tolerance counts as on the edge; beyond it does not.
  CHECK(z.ZonesAt(-kZoneEdgeTolerance / 2, 5) == std::vector<std::string_view>{"downtown"});
  CHECK(z.ZonesAt(-1e-6, 5).empty());
}

TEST_CASE("lookup: a diagonal edge and a concave polygon", "[zones][edge]") {
  // A triangle (0,0)-(4,0)-(0,4): the hypotenuse x + y = 4. And an L shape.
  const ZoneSet z = MustParse(Collection(
      Feature("tri", "Polygon", "[[[0,0],[4,0],[0,4],[0,0]]]") + "," +
      Feature("ell", "Polygon", "[[[10,0],[14,0],[14,1],[11,1],[11,4],[10,4],[10,0]]]")));
  CHECK(z.ZonesAt(2, 2) == std::vector<std::string_view>{"tri"});  // exactly on the hypotenuse
  CHECK(z.ZonesAt(1, 1) == std::vector<std::string_view>{"tri"});
  CHECK(z.ZonesAt(2.5, 2.5).empty());
  CHECK(z.ZonesAt(13, 0.5) == std::vector<std::string_view>{"ell"});
  CHECK(z.ZonesAt(13, 3).empty());  // in the notch of the L
  CHECK(z.ZonesAt(10.5, 3.5) == std::vector<std::string_view>{"ell"});
  // A ray through a vertex (latitude 1 passes (14,1) and (11,1)) is counted once.
  CHECK(z.ZonesAt(10.5, 1) == std::vector<std::string_view>{"ell"});
}

TEST_CASE("ZonesAt into a reused vector", "[zones]") {
  const ZoneSet z = MustParse(kCity);
  std::vector<std::string_view> out{"stale"};
  CHECK(z.ZonesAt(10, 2, out) == 2);
  CHECK(out == std::vector<std::string_view>{"downtown", "harbour"});
  CHECK(z.ZonesAt(50, 50, out) == 0);
  CHECK(out.empty());
}

TEST_CASE("invalid GeoJSON is refused, naming the place", "[zones][validation]") {
  SECTION("unclosed ring") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0.5]]]")));
    CHECK(msg == "zones.features[0].geometry.coordinates[0]: ring is not closed (the last position "
                 "must equal the first)");
  }
  SECTION("3 positions") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[1,0],[0,0]]]")));
    CHECK(msg == "zones.features[0].geometry.coordinates[0]: a ring needs at least 4 positions");
  }
  SECTION("latitude 91") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[1,0],[1,91],[0,0]]]")));
    CHECK(msg == "zones.features[0].geometry.coordinates[0][2][1]: latitude must be within [-90, 90]");
  }
  SECTION("longitude 180.5") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[180.5,0],[1,1],[0,0]]]")));
    CHECK(msg == "zones.features[0].geometry.coordinates[0][1][0]: longitude must be within [-180, 180]");
  }
  SECTION("duplicate ids") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[" + Square(0, 0, 1, 1) + "]") + "," +
                                     Feature("b", "Polygon", "[" + Square(2, 2, 3, 3) + "]") + "," +
                                     Feature("a", "Polygon", "[" + Square(4, 4, 5, 5) + "]")));
    CHECK(msg == "zones.features[2].properties.id: duplicate zone id \"a\" (also features[0])");
  }
  SECTION("a hole that is not closed, in the second polygon of a MultiPolygon") {
    auto msg = ParseError(Collection(Feature(
        "a", "MultiPolygon", "[[" + Square(0, 0, 1, 1) + "],[" + Square(2, 2, 6, 6) + ",[[3,3],[4,3],[4,4],[3,4]]]]")));
    CHECK(msg == "zones.features[0].geometry.coordinates[1][1]: ring is not closed (the last "
                 "position must equal the first)");
  }
  SECTION("antimeridian crossing") {
    auto msg = ParseError(Collection(Feature("a", "Polygon", "[[[179,0],[-179,0],[-179,1],[179,1],[179,0]]]")));
    CHECK(msg.starts_with("zones.features[0].geometry.coordinates[0][1]: the edge crosses the antimeridian"));
  }
  SECTION("other geometry types") {
    auto msg = ParseError(Collection(R"({"type":"Feature","properties":{"id":"p"},"geometry":{"type":"Point","coordinates":[1,2]}})"));
    CHECK(msg == "zones.features[0].geometry.type: must be \"Polygon\" or \"MultiPolygon\", not \"Point\"");
  }
  SECTION("missing id, non-string id, empty id, overlong id") {
    CHECK(ParseError(Collection(R"({"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}})")) ==
          "zones.features[0].properties.id: is missing");
    CHECK(ParseError(Collection(R"({"type":"Feature","properties":{"id":7},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}})")) ==
          "zones.features[0].properties.id: must be a string, not a number");
    CHECK(ParseError(Collection(Feature("", "Polygon", "[" + Square(0, 0, 1, 1) + "]"))) ==
          "zones.features[0].properties.id: must be 1 to 64 bytes");
    CHECK(ParseError(Collection(Feature(std::string(65, 'x'), "Polygon", "[" + Square(0, 0, 1, 1) + "]"))) ==
          "zones.features[0].properties.id: must be 1 to 64 bytes");
  }
  SECTION("shape errors") {
    CHECK(ParseError("[]") == "zones: must be a GeoJSON FeatureCollection object, not an array");
    CHECK(ParseError(R"({"type":"Feature","features":[]})") ==
          "zones.type: must be \"FeatureCollection\", not \"Feature\"");
    CHECK(ParseError(R"({"type":"FeatureCollection"})") == "zones.features: is missing");
    CHECK(ParseError(R"({"type":"FeatureCollection","features":[],"crs":{}})") == "zones.crs: unknown member");
    CHECK(ParseError(Collection(R"({"type":"Feature","properties":{"id":"a"},"geometry":null})")) ==
          "zones.features[0].geometry: is missing (a zone needs an area)");
    CHECK(ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[1,0],[1,\"1\"],[0,0]]]"))) ==
          "zones.features[0].geometry.coordinates[0][2][1]: must be a number, not a string");
    CHECK(ParseError(Collection(Feature("a", "Polygon", "[[[0,0],[1,0],[1],[0,0]]]"))) ==
          "zones.features[0].geometry.coordinates[0][2]: a position has 2 numbers (or 3, with altitude)");
    CHECK(ParseError(Collection(Feature("a", "Polygon", "[]"))) ==
          "zones.features[0].geometry.coordinates: a polygon needs an outer ring");
  }
}

TEST_CASE("altitude is accepted and ignored; foreign properties are ignored", "[zones]") {
  const ZoneSet z = MustParse(Collection(
      Feature("a", "Polygon", "[[[0,0,5],[2,0,5],[2,2,5],[0,2,5],[0,0,5]]]", R"(,"fill":"#ff0000","stroke-width":2)")));
  CHECK(z.ZonesAt(1, 1) == std::vector<std::string_view>{"a"});
}

TEST_CASE("limits bound zones and vertices", "[zones][limits]") {
  ZoneLimits limits;
  limits.max_zones = 2;
  auto msg = ParseError(Collection(Feature("a", "Polygon", "[" + Square(0, 0, 1, 1) + "]") + "," +
                                   Feature("b", "Polygon", "[" + Square(0, 0, 1, 1) + "]") + "," +
                                   Feature("c", "Polygon", "[" + Square(0, 0, 1, 1) + "]")),
                        limits);
  CHECK(msg == "zones.features: at most 2 zones");

  limits = {};
  limits.max_vertices_per_zone = 9;
  msg = ParseError(Collection(Feature("a", "Polygon", "[" + Square(0, 0, 10, 10) + "," + Square(1, 1, 2, 2) + "]")), limits);
  CHECK(msg == "zones.features[0].geometry.coordinates[1]: the zone has more than 9 positions");

  limits = {};
  limits.max_total_vertices = 12;
  msg = ParseError(Collection(Feature("a", "Polygon", "[" + Square(0, 0, 1, 1) + "]") + "," +
                              Feature("b", "Polygon", "[" + Square(0, 0, 1, 1) + "]") + "," +
                              Feature("c", "Polygon", "[" + Square(0, 0, 1, 1) + "]")),
                   limits);
  CHECK(msg == "zones.features[2].geometry.coordinates[0]: the zones have more than 12 positions");

  limits = {};
  limits.max_rings_per_polygon = 1;
  msg = ParseError(Collection(Feature("a", "Polygon", "[" + Square(0, 0, 10, 10) + "," + Square(1, 1, 2, 2) + "]")), limits);
  CHECK(msg == "zones.features[0].geometry.coordinates: a polygon may have at most 1 rings");
}

TEST_CASE("the empty set covers nothing", "[zones]") {
  const ZoneSet empty;
  CHECK(empty.empty());
  CHECK(empty.ZonesAt(0, 0).empty());
  const ZoneSet parsed = MustParse(Collection(""));
  CHECK(parsed.empty());
}

// JsonWriter against Boost.JSON: random documents written both ways must
// read back equal, strings must come out byte for byte as Boost.JSON writes
// them, and a double must read back as the same double (and as a double).
#include "server_fixture.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "json_writer.hpp"

namespace tenancyd::testing {
namespace {

// Builds the same random document twice: as a boost::json::value and
// through a JsonWriter.
class TwinBuilder {
 public:
  explicit TwinBuilder(std::uint64_t seed) : rng_(seed), writer_(text_) {}

  json::value Value(int depth) {
    switch (Pick(depth < 3 ? 8 : 6)) {
      case 0: writer_.Null(); return nullptr;
      case 1: { const bool b = Pick(2) == 1; writer_.Bool(b); return b; }
      case 2: { const std::int64_t n = Int(); writer_.Int(n); return n; }
      case 3: { const double d = Double(); writer_.Double(d); return std::isfinite(d) ? json::value(d) : json::value(nullptr); }
      case 4: case 5: { const std::string s = Text(); writer_.String(s); return json::value(s); }
      case 6: {
        json::array a;
        writer_.BeginArray();
        for (int i = 0, n = static_cast<int>(Pick(5)); i < n; ++i) a.push_back(Value(depth + 1));
        writer_.EndArray();
        return a;
      }
      default: {
        json::object o;
        writer_.BeginObject();
        for (int i = 0, n = static_cast<int>(Pick(5)); i < n; ++i) {
          std::string key = Text() + "#" + std::to_string(i);  // distinct keys
          writer_.EscapedKey(key);
          json::value v = Value(depth + 1);
          o.emplace(key, std::move(v));
        }
        writer_.EndObject();
        return o;
      }
    }
  }

  const std::string& text() const { return text_; }

  std::uint64_t Pick(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }

  std::int64_t Int() {
    static constexpr std::int64_t kEdges[] = {0, -1, 1, std::numeric_limits<std::int64_t>::min(),
                                              std::numeric_limits<std::int64_t>::max()};
    if (Pick(4) == 0) return kEdges[Pick(5)];
    return std::uniform_int_distribution<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000)(rng_);
  }

  double Double() {
    static constexpr double kEdges[] = {0.0, -0.0, 1.0, -13.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308,
                                        std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN()};
    switch (Pick(4)) {
      case 0: return kEdges[Pick(std::size(kEdges))];
      case 1: return std::uniform_real_distribution<double>(-180, 180)(rng_);  // a coordinate
      case 2: return static_cast<double>(std::uniform_int_distribution<int>(-100000, 100000)(rng_));
      default: {
        // Any bit pattern: every exponent, subnormals, NaNs.
        const std::uint64_t bits = std::uniform_int_distribution<std::uint64_t>()(rng_);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
    }
  }

  std::string Text() {
    static constexpr std::string_view kPieces[] = {"a", "Zürich", "\"", "\\", "/", "\n", "\t", "\x01",
                                                   "\x1f", "\x7f", "\xe2\x80\xa8", "ride_01", " ", "😀"};
    std::string s;
    for (int i = 0, n = static_cast<int>(Pick(6)); i < n; ++i) s += kPieces[Pick(std::size(kPieces))];
    return s;
  }

 private:
  std::mt19937_64 rng_;
  std::string text_;
  JsonWriter writer_;
};

// Units in the last place between two doubles of the same sign.
std::uint64_t UlpsApart(double x, double y) {
  std::int64_t a = 0, b = 0;
  std::memcpy(&a, &x, sizeof a);
  std::memcpy(&b, &y, sizeof b);
  return a > b ? static_cast<std::uint64_t>(a - b) : static_cast<std::uint64_t>(b - a);
}

// Equal values, doubles within a few units in the last place: Boost.JSON
// 1.81's parser is fast, not exact (it lands up to a few ULPs off on its
// own serializer's text too); exactness is checked with std::from_chars
// below.
bool SameJson(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.as_double(), y = b.as_double();
    return x == y || (std::signbit(x) == std::signbit(y) && UlpsApart(x, y) <= 4);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.as_array(), &q = b.as_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!SameJson(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.as_object(), &q = b.as_object();
    if (p.size() != q.size()) return false;
    auto i = p.begin(), j = q.begin();
    for (; i != p.end(); ++i, ++j)  // same member order too
      if (i->key() != j->key() || !SameJson(i->value(), j->value())) return false;
    return true;
  }
  return a == b;
}

TEST_CASE("JsonWriter writes what Boost.JSON reads back as the same value", "[server][json]") {
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    TwinBuilder twin(seed);
    const json::value expected = twin.Value(0);
    INFO("seed " << seed << ": " << twin.text());
    boost::system::error_code ec;
    const json::value read = json::parse(twin.text(), ec);
    REQUIRE_FALSE(ec);
    CHECK(SameJson(read, expected));
  }
}

TEST_CASE("JsonWriter writes strings as Boost.JSON does and doubles that stay doubles", "[server][json]") {
  TwinBuilder gen(42);
  for (int i = 0; i < 5000; ++i) {
    const std::string s = gen.Text();
    std::string text;
    JsonWriter(text).String(s);
    CHECK(text == json::serialize(json::value(s)));
  }
  for (int i = 0; i < 20000; ++i) {
    const double d = gen.Double();
    std::string text;
    JsonWriter(text).Double(d);
    const json::value read = json::parse(text);
    if (!std::isfinite(d)) {
      CHECK(read.is_null());
      continue;
    }
    INFO(text);
    CHECK(read.is_double());  // "13.0", not "13": a parser reads a double again
    double exact = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), exact);
    REQUIRE(r.ec == std::errc{});
    CHECK(r.ptr == text.data() + text.size());
    CHECK(exact == d);  // the text reads back as the very same double
    CHECK(std::signbit(exact) == std::signbit(d));
  }
  // Commas and nesting by hand, once.
  std::string text;
  JsonWriter w(text);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.BeginObject();
  w.EndObject();
  w.StringOrNull(std::optional<std::string>{});
  w.IntOrNull(std::optional<std::int64_t>{7});
  w.EndArray();
  w.Key("b");
  w.Bool(false);
  w.Member("c", std::optional<std::int64_t>{});
  w.Member("d", std::optional<std::string>{"x\"y"});
  w.Member("e", 2.5);
  w.Member("f", std::string("g"));
  w.Key("t");
  w.Instant(tenancy::FromUnixMillis(1'764'291'723'456));
  w.EndObject();
  CHECK(text == R"({"a":[1,{},null,7],"b":false,"c":null,"d":"x\"y","e":2.5,"f":"g",)"
                R"("t":"2025-11-28T01:02:03.456Z"})");
}

}  // namespace
}  // namespace tenancyd::testing

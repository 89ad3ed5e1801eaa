// flagd's operators: MurmurHash3 known answers, fractional bucketing and
// distribution, sem_ver precedence and edge cases, starts_with/ends_with,
// and the strict targeting checks.
#include <boost/json/parse.hpp>

#include <array>
#include <map>
#include <string>

#include "governance/flagd_murmur3.hpp"
#include "governance/flagd_ops.hpp"
#include "governance/flagd_semver.hpp"
#include "support/catch_tenancy.hpp"
#include "tenancy/flags.hpp"

using namespace tenancy;
using namespace tenancy::detail::flagd;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

boost::json::value Eval(std::string_view rule, std::string_view data = "{}") {
  INFO("rule " << rule << " data " << data);
  auto compiled = Rule::Parse(rule, {}, FlagdOperators());
  REQUIRE(compiled);
  auto out = compiled->Evaluate(J(data));
  REQUIRE(out);
  return *out;
}

}  // namespace

TEST_CASE("MurmurHash3 x86_32 matches published known answers", "[flags][flagd][murmur3]") {
  // The function's own test vectors (SMHasher's reference implementation,
  // as widely republished), re-derived here from the algorithm.
  struct Vector {
    std::string_view data;
    std::uint32_t seed;
    std::uint32_t hash;
  };
  using namespace std::string_view_literals;
  const std::array<Vector, 21> vectors = {{
      {""sv, 0, 0},
      {"hello"sv, 0, 0x248bfa47},
      {"The quick brown fox jumps over the lazy dog"sv, 0, 0x2e4ff723},
      {""sv, 1, 0x514e28b7},
      {""sv, 0xffffffff, 0x81f16f39},
      {"\0\0\0\0"sv, 0, 0x2362f9de},
      {"\xff\xff\xff\xff"sv, 0, 0x76293b50},
      {"\x21\x43\x65\x87"sv, 0, 0xf55b516b},
      {"\x21\x43\x65\x87"sv, 0x5082edee, 0x2362f9de},
      {"\x21\x43\x65"sv, 0, 0x7e4a8634},
      {"\x21\x43"sv, 0, 0xa0f7b07a},
      {"\x21"sv, 0, 0x72661cf4},
      {"\0\0\0"sv, 0, 0x85f0b427},
      {"\0\0"sv, 0, 0x30f4c306},
      {"\0"sv, 0, 0x514e28b7},
      {"aaaa"sv, 0x9747b28c, 0x5a97808a},
      {"aaa"sv, 0x9747b28c, 0x283e0130},
      {"aa"sv, 0x9747b28c, 0x5d211726},
      {"a"sv, 0x9747b28c, 0x7fa09ea6},
      {"Hello, world!"sv, 0x9747b28c, 0x24884cba},
      {"The quick brown fox jumps over the lazy dog"sv, 0x9747b28c, 0x2fa826cd},
  }};
  for (const auto& v : vectors) {
    INFO("data of " << v.data.size() << " bytes, seed " << v.seed);
    CHECK(MurmurHash3X86_32(v.data, v.seed) == v.hash);
  }
  // The flagd testbed's boundary keys (seed 0): 0, 1, 2^31-1, 2^31, 2^32-1.
  CHECK(MurmurHash3X86_32("ejOoVL") == 0u);
  CHECK(MurmurHash3X86_32("bY9fO-") == 1u);
  CHECK(MurmurHash3X86_32("SI7p-") == 0x7fffffffu);
  CHECK(MurmurHash3X86_32("6LvT0") == 0x80000000u);
  CHECK(MurmurHash3X86_32("ceQdGm") == 0xffffffffu);
}

TEST_CASE("fractional buckets: (hash × total) >> 32 over cumulative weights", "[flags][flagd][fractional]") {
  const std::array<std::uint64_t, 2> halves = {50, 50};
  CHECK(PickBucket(0, halves) == 0u);
  CHECK(PickBucket(0x7fffffff, halves) == 0u);  // point 49
  CHECK(PickBucket(0x80000000, halves) == 1u);  // point 50
  CHECK(PickBucket(0xffffffff, halves) == 1u);
  const std::array<std::uint64_t, 3> skewed = {0, 1, 0};
  CHECK(PickBucket(0, skewed) == 1u);           // zero weights never win
  CHECK(PickBucket(0xffffffff, skewed) == 1u);
  const std::array<std::uint64_t, 2> none = {0, 0};
  CHECK_FALSE(PickBucket(12345, none));
  const std::array<std::uint64_t, 2> too_big = {kMaxFractionalWeight, 1};
  CHECK_FALSE(PickBucket(12345, too_big));
  const std::array<std::uint64_t, 2> max = {kMaxFractionalWeight - 1, 1};
  CHECK(PickBucket(0xffffffff, max) == 1u);
}

TEST_CASE("fractional spreads 10,000 keys within 2% of the weights, the same way every time",
          "[flags][flagd][fractional]") {
  auto rule = Rule::Parse(R"({"fractional": [{"var": "key"}, ["a", 10], ["b", 30], ["c", 60]]})", {},
                          FlagdOperators());
  REQUIRE(rule);
  std::map<std::string, int> counts;
  for (int i = 0; i < 10'000; ++i) {
    const boost::json::value data = {{"key", "rider-" + std::to_string(i)}};
    auto first = rule->Evaluate(data);
    REQUIRE(first);
    REQUIRE(first->is_string());
    CHECK(rule->Evaluate(data).value() == *first);  // sticky
    ++counts[std::string(first->get_string())];
  }
  CHECK(counts.size() == 3);
  CHECK(counts["a"] == Approx(1000).margin(200));
  CHECK(counts["b"] == Approx(3000).margin(200));
  CHECK(counts["c"] == Approx(6000).margin(200));
}

TEST_CASE("fractional's forms and failures", "[flags][flagd][fractional]") {
  // Shorthand: the bucketing value is $flagd.flagKey + targetingKey.
  const char* ctx = R"({"$flagd": {"flagKey": "fractional-flag-shorthand"}, "targetingKey": "jon@company.com"})";
  CHECK(Eval(R"({"fractional": [["heads"], ["tails", 1]]})", ctx) == J(R"("heads")"));
  CHECK(Eval(R"({"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "targetingKey"}]}, ["heads"], ["tails", 1]]})",
             ctx) == J(R"("heads")"));
  // Bucket names may be any scalar: fractional can be a condition.
  CHECK(Eval(R"({"if": [{"fractional": [[false, 0], [true, 100]]}, "big", "small"]})") == J(R"("big")"));
  CHECK(Eval(R"({"fractional": [{"var": "k"}, [1, 1]]})", R"({"k": "x"})") == J("1"));
  // Nested logic as names and weights.
  CHECK(Eval(R"({"fractional": [{"var": "k"}, [{"var": "color"}, 1]]})", R"({"k": "x", "color": "red"})") ==
        J(R"("red")"));
  CHECK(Eval(R"({"fractional": [{"var": "k"}, ["a", {"-": [0, 5]}], ["b", 1]]})", R"({"k": "x"})") ==
        J(R"("b")"));  // negative weights count as 0
  // Failures answer null: the flag falls back to its default variant.
  for (const char* bad : {R"({"fractional": []})", R"({"fractional": [{"var": "missing"}, ["a", 1]]})",
                          R"({"fractional": [{"var": "k"}, ["a", 0], ["b", 0]]})",
                          R"({"fractional": [{"var": "k"}, ["a", "1"]]})",
                          R"({"fractional": [{"var": "k"}, "a"]})",
                          R"({"fractional": [{"var": "k"}, [["a"], 1]]})",
                          R"({"fractional": [{"var": "k"}, ["a", 2147483647], ["b", 1]]})",
                          R"({"fractional": [{"var": "n"}, ["a", 1]]})"}) {
    INFO(bad);
    CHECK(Eval(bad, R"({"k": "x", "n": 5})").is_null());
  }
}

TEST_CASE("sem_ver follows semver 2.0 precedence", "[flags][flagd][semver]") {
  // semver.org's own ordering example.
  const std::array<const char*, 8> ordered = {"1.0.0-alpha",      "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                              "1.0.0-beta",       "1.0.0-beta.2",  "1.0.0-beta.11",
                                              "1.0.0-rc.1",       "1.0.0"};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    INFO(ordered[i] << " < " << ordered[i + 1]);
    const auto a = ParseSemVer(ordered[i]);
    const auto b = ParseSemVer(ordered[i + 1]);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(CompareSemVer(*a, *b) < 0);
    CHECK(CompareSemVer(*b, *a) > 0);
  }
  struct Case {
    const char* version;
    const char* op;
    const char* target;
    const char* expected;  // "true", "false" or "null"
  };
  const Case cases[] = {
      {"1.0.0", "=", "1.0.0", "true"},
      {"v1.0.0", "=", "1.0.0", "true"},
      {"V1.0.0", "=", "v1.0.0", "true"},
      {"1.0.0+build.1", "=", "1.0.0+other", "true"},  // build metadata is ignored
      {"1.0.0", "!=", "1.0.1", "true"},
      {"1.0.0-rc.1", "<", "1.0.0", "true"},
      {"1.10.0", ">", "1.9.0", "true"},               // numerically, not as text
      {"1.0.0", ">=", "1.0.0", "true"},
      {"1.0.0", "<=", "0.9.9", "false"},
      {"1.0.99999999999999999999", ">", "1.0.1", "true"},  // no overflow
      {"1.9.9", "^", "1.0.0", "true"},
      {"2.0.0", "^", "1.0.0", "false"},
      {"1.2.9", "~", "1.2.0", "true"},
      {"1.3.0", "~", "1.2.0", "false"},
      {"1.2.0-beta", "~", "1.2.0", "true"},
      {"1", "=", "1.0.0", "true"},                    // partial versions
      {"1.2", ">", "1.1.9", "true"},
      {"2.0.0.0", "=", "2.0.0", "null"},
      {"01.0.0", "=", "1.0.0", "null"},
      {"1.0.0-01", "=", "1.0.0", "null"},
      {"1.0.0-", "=", "1.0.0", "null"},
      {"1.0.0+", "=", "1.0.0", "null"},
      {"1.2-beta", "=", "1.2.0", "null"},
      {"", "=", "1.0.0", "null"},
      {"x.y.z", "=", "1.0.0", "null"},
      {"1.0.0", "===", "1.0.0", "null"},
      {"1.0.0", "*", "1.0.0", "null"},
  };
  for (const Case& c : cases) {
    INFO(c.version << " " << c.op << " " << c.target);
    const std::string rule = std::string(R"({"sem_ver": [")") + c.version + R"(", ")" + c.op + R"(", ")" + c.target + R"("]})";
    CHECK(Eval(rule) == J(c.expected));
  }
  // Numbers in the context read as their JavaScript string.
  CHECK(Eval(R"({"sem_ver": [{"var": "v"}, ">", "1.1"]})", R"({"v": 1.2})") == J("true"));
  CHECK(Eval(R"({"sem_ver": [{"var": "v"}, ">", "1.1"]})", R"({"v": 2})") == J("true"));
  CHECK(Eval(R"({"sem_ver": [{"var": "v"}, ">", "1.1"]})", R"({"v": true})").is_null());
  CHECK(Eval(R"({"sem_ver": [{"var": "v"}, "="]})", R"({"v": "1.0.0"})").is_null());
  CHECK(Eval(R"({"sem_ver": [{"var": "v"}, "=", "1.0.0", "x"]})", R"({"v": "1.0.0"})").is_null());
}

TEST_CASE("starts_with and ends_with take two strings, else answer null", "[flags][flagd]") {
  CHECK(Eval(R"({"starts_with": [{"var": "id"}, "abc"]})", R"({"id": "abcdef"})") == J("true"));
  CHECK(Eval(R"({"starts_with": [{"var": "id"}, "xyz"]})", R"({"id": "abcdef"})") == J("false"));
  CHECK(Eval(R"({"ends_with": [{"var": "id"}, "def"]})", R"({"id": "abcdef"})") == J("true"));
  CHECK(Eval(R"({"ends_with": [{"var": "id"}, ""]})", R"({"id": "abcdef"})") == J("true"));
  CHECK(Eval(R"({"starts_with": [{"var": "num"}, "1"]})", R"({"num": 123})").is_null());
  CHECK(Eval(R"({"ends_with": ["abc"]})").is_null());
  CHECK(Eval(R"({"ends_with": ["abc", "c", "d"]})").is_null());
}

TEST_CASE("ValidateTargeting applies flagd's schema to its operators", "[flags][flagd]") {
  const char* good[] = {
      R"({})",
      R"({"if": [{"$ref": "shared"}, "on", "off"]})",
      R"({"fractional": [["a", 1], ["b"]]})",
      R"({"fractional": [{"var": "email"}, ["a", 25], ["b", {"-": [{"var": "$flagd.timestamp"}, 1]}]]})",
      R"({"sem_ver": [{"var": "version"}, ">=", "1.0.0-rc.1+build"]})",
      R"({"starts_with": [{"var": "id"}, "abc"]})",
      R"({"==": [{"var": "$flagd.flagKey"}, "x"]})",
  };
  for (const char* rule : good) {
    INFO(rule);
    const auto r = ValidateTargeting(J(rule));
    CHECK(r);
  }
  struct Bad {
    const char* rule;
    const char* says;
  };
  const Bad bad[] = {
      {R"("not an object")", "JSON object"},
      {R"({"fractional": [["a", 25.5]]})", "whole number"},
      {R"({"fractional": [["a", -1]]})", "negative"},
      {R"({"fractional": [["a", "1"]]})", "number or a rule"},
      {R"({"fractional": ["key", ["a", 1]]})", "bucketing"},
      {R"({"fractional": [{"var": "k"}, ["a", 1, 2]]})", "[variant, weight]"},
      {R"({"starts_with": [{"var": "id"}, 0]})", "strings or rules"},
      {R"({"ends_with": ["x"]})", "two arguments"},
      {R"({"sem_ver": [{"var": "v"}, "*", "1.0.0"]})", "operator"},
      {R"({"sem_ver": [{"var": "v"}, "=", "v1.0.0"]})", "semantic version"},
      {R"({"if": [{"==": [{"var": "$flagd.nope"}, 1]}, 1, 2]})", "$flagd.nope"},
      {R"({"if": [{"unknown_op": [1]}, 1, 2]})", "unknown operator"},
      {R"({"$ref": 5})", "evaluator"},
  };
  for (const Bad& b : bad) {
    INFO(b.rule);
    const auto r = ValidateTargeting(J(b.rule));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(r.error().message.find(b.says) != std::string::npos);
  }
  const auto where = ValidateTargeting(J(R"({"if": [true, {"fractional": [["a", -1]]}, null]})"));
  REQUIRE_FALSE(where);
  CHECK(where.error().message.find("/if/1/fractional") != std::string::npos);
}

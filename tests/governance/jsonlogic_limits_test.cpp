// Hostile rules and data: every bound in RuleLimits holds, fails with the
// documented code, and fails fast.
#include <boost/json/parse.hpp>

#include <string>

#include "support/catch_tenancy.hpp"
#include "tenancy/rules.hpp"

using namespace tenancy;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

// {"!": {"!": ... true ...}} `depth` levels deep, built without recursion.
boost::json::value DeepNot(std::size_t depth) {
  boost::json::value v = true;
  for (std::size_t i = 0; i < depth; ++i) v = boost::json::object{{"!", std::move(v)}};
  return v;
}

boost::json::value DeepArray(std::size_t depth) {
  boost::json::value v = 1;
  for (std::size_t i = 0; i < depth; ++i) v = boost::json::array{std::move(v)};
  return v;
}

// Takes a deep value apart from the outside in, so no destructor recurses
// 10,000 levels.
void Dismantle(boost::json::value& v) {
  while (true) {
    boost::json::value inner;
    if (auto* o = v.if_object(); o && !o->empty()) inner = std::move(o->begin()->value());
    else if (auto* a = v.if_array(); a && !a->empty()) inner = std::move(a->front());
    else break;
    v = std::move(inner);
  }
}

boost::json::value Range(std::size_t n) {
  boost::json::array a;
  for (std::size_t i = 0; i < n; ++i) a.push_back(static_cast<std::int64_t>(i));
  return a;
}

}  // namespace

TEST_CASE("nesting 10,000 deep is refused at compile time, with the place", "[rules][limits]") {
  for (auto* build : {&DeepNot, &DeepArray}) {
    boost::json::value deep = build(10'000);
    auto rule = Rule::Compile(deep);
    Dismantle(deep);
    REQUIRE_FALSE(rule);
    CHECK(rule.error().code == Errc::kInvalidArgument);
    CHECK(rule.error().message.find("deeper than 64") != std::string::npos);
  }
  // Just inside the bound compiles and runs; a raised bound is capped.
  CHECK(Rule::Compile(DeepNot(64)));
  CHECK(Rule::Compile(DeepNot(64))->Evaluate(nullptr).value() == J("true"));
  RuleLimits huge;
  huge.max_depth = 1'000'000;
  boost::json::value deep = DeepNot(10'000);
  auto capped = Rule::Compile(deep, huge);
  Dismantle(deep);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().message.find("deeper than " + std::to_string(kMaxRuleDepth)) != std::string::npos);

  std::string text;  // as text: refused by the parser's own depth limit
  for (int i = 0; i < 10'000; ++i) text += "[";
  for (int i = 0; i < 10'000; ++i) text += "]";
  auto parsed = Rule::Parse(text);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == Errc::kInvalidArgument);
}

TEST_CASE("rules with more than max_nodes values are refused", "[rules][limits]") {
  boost::json::array args;
  for (int i = 0; i < 6000; ++i) args.push_back(boost::json::object{{"var", "x"}});
  const boost::json::value rule = boost::json::object{{"cat", args}};
  auto compiled = Rule::Compile(rule);
  REQUIRE_FALSE(compiled);
  CHECK(compiled.error().code == Errc::kInvalidArgument);
  CHECK(compiled.error().message.find("more than 10000 values") != std::string::npos);
  RuleLimits roomy;
  roomy.max_nodes = 20'000;
  CHECK(Rule::Compile(rule, roomy));
}

TEST_CASE("huge arrays from merge, map and literals exhaust max_array", "[rules][limits]") {
  const boost::json::value data = {{"big", Range(6000)}};

  auto merge = Rule::Parse(R"({"merge": [{"var": "big"}, {"var": "big"}]})");
  REQUIRE(merge);
  auto r = merge->Evaluate(data);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);
  CHECK(r.error().message.find("max_array") != std::string::npos);

  // Doubling through reduce: 2^30 elements, if nothing stopped it.
  auto doubling = Rule::Parse(
      R"({"reduce": [{"var": "big"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]})");
  REQUIRE(doubling);
  r = doubling->Evaluate(data);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);

  RuleLimits small;
  small.max_array = 100;
  auto map = Rule::Parse(R"({"map": [{"var": "big"}, {"var": ""}]})", small);
  REQUIRE(map);
  r = map->Evaluate(data);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);
  auto missing = Rule::Parse(R"({"missing": {"var": "big"}})", small);
  REQUIRE(missing);
  CHECK(missing->Evaluate(boost::json::object{{"big", Range(500)}}).error().code == Errc::kResourceExhausted);

  // Within the bound, fine.
  auto fine = Rule::Parse(R"({"merge": [{"var": "big"}, [1, 2]]})");
  REQUIRE(fine);
  CHECK(fine->Evaluate(data).value().as_array().size() == 6002);
}

TEST_CASE("evaluations beyond max_steps stop with kResourceExhausted at the bound", "[rules][limits]") {
  const boost::json::value data = {{"n", Range(1000)}};
  // 1000 × (a filter over 100 elements): some 300,000 steps if unbounded.
  std::string hundred = "[";
  for (int i = 0; i < 100; ++i) hundred += (i ? "," : "") + std::to_string(i);
  hundred += "]";
  auto heavy = Rule::Parse(R"({"map": [{"var": "n"}, {"filter": [)" + hundred +
                           R"(, {"==": [{"var": ""}, -1]}]}]})");
  REQUIRE(heavy);
  auto r = heavy->Evaluate(data);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);
  CHECK(r.error().message.find("max_steps (100000)") != std::string::npos);

  // Deep equality and searching are charged by the element too.
  const boost::json::value lists = {{"a", Range(60'000)}, {"b", Range(60'000)}};
  auto eq = Rule::Parse(R"({"and": [{"===": [{"var": "a"}, {"var": "b"}]}, {"===": [{"var": "a"}, {"var": "b"}]}]})");
  REQUIRE(eq);
  CHECK(eq->Evaluate(lists).error().code == Errc::kResourceExhausted);

  // A roomier bound lets the same work finish.
  RuleLimits roomy;
  roomy.max_steps = 10'000'000;
  auto ok = Rule::Parse(R"({"===": [{"var": "a"}, {"var": "b"}]})", roomy);
  REQUIRE(ok);
  CHECK(ok->Evaluate(lists).value() == J("true"));
  // And a failed evaluation leaves the rule as good as new.
  CHECK(heavy->Evaluate(boost::json::object{{"n", Range(3)}}));
}

TEST_CASE("strings beyond max_string exhaust, however they are built", "[rules][limits]") {
  RuleLimits small;
  small.max_string = 1000;
  const boost::json::value data = {{"n", Range(200)}, {"s", std::string(600, 'x')}};
  auto cat = Rule::Parse(R"({"reduce": [{"var": "n"}, {"cat": [{"var": "accumulator"}, "0123456789"]}, ""]})", small);
  REQUIRE(cat);
  auto r = cat->Evaluate(data);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);
  CHECK(r.error().message.find("max_string") != std::string::npos);

  auto twice = Rule::Parse(R"({"cat": [{"var": "s"}, {"var": "s"}]})", small);
  REQUIRE(twice);
  CHECK(twice->Evaluate(data).error().code == Errc::kResourceExhausted);
  auto joined = Rule::Parse(R"({"substr": [{"var": "n"}, 0]})", small);  // String(array) of 200 numbers
  REQUIRE(joined);
  CHECK(joined->Evaluate(data));
  auto too_long = Rule::Parse(R"({"substr": [{"merge": [{"var": "n"}, {"var": "n"}, {"var": "n"}]}, 0]})", small);
  REQUIRE(too_long);
  CHECK(too_long->Evaluate(data).error().code == Errc::kResourceExhausted);
}

TEST_CASE("a custom operator cannot swallow exhaustion", "[rules][limits]") {
  OperatorRegistry ops;
  REQUIRE(ops.Add("spin", RuleOperator{true, 1, 1, [](const RuleCall& call) -> Result<boost::json::value> {
                    for (int i = 0; i < 1'000'000; ++i) {
                      auto r = call.Evaluate(0);
                      if (!r) return boost::json::value("ignored the error");
                    }
                    return boost::json::value("done");
                  }}));
  auto rule = Rule::Parse(R"({"spin": {"+": [1, 1]}})", {}, ops);
  REQUIRE(rule);
  auto r = rule->Evaluate(nullptr);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kResourceExhausted);
}

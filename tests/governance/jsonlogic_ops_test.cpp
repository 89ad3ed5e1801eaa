// JsonLogic, operation by operation: truthiness, var, missing, logic,
// comparisons, arithmetic, arrays, strings, compile-time checks and custom
// operators.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "tenancy/rules.hpp"

using namespace tenancy;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

boost::json::value Eval(std::string_view rule, std::string_view data = "null") {
  INFO("rule " << rule << " data " << data);
  auto compiled = Rule::Parse(rule);
  REQUIRE(compiled);
  auto out = compiled->Evaluate(J(data));
  REQUIRE(out);
  return *out;
}

Error CompileError(std::string_view rule) {
  auto compiled = Rule::Parse(rule);
  REQUIRE_FALSE(compiled);
  return compiled.error();
}

}  // namespace

TEST_CASE("truthiness follows JsonLogic: empty array, 0, empty string, null, false and NaN are falsy", "[rules][jsonlogic]") {
  for (const char* falsy : {"null", "false", "0", "0.0", "-0.0", "\"\"", "[]"}) {
    INFO(falsy);
    CHECK_FALSE(IsTruthy(J(falsy)));
    CHECK(Eval(std::string(R"({"!!": [)") + falsy + "]}") == J("false"));
    CHECK(Eval(std::string(R"({"!": [)") + falsy + "]}") == J("true"));
  }
  for (const char* truthy : {"true", "1", "-1", "0.5", "\"0\"", "\"false\"", "\" \"", "[0]", "[[]]", "{}", "{\"a\":1,\"b\":2}"}) {
    INFO(truthy);
    CHECK(IsTruthy(J(truthy)));
    CHECK(Eval(std::string(R"({"!!": [)") + truthy + "]}") == J("true"));
  }
  CHECK_FALSE(IsTruthy(boost::json::value(std::nan(""))));
  CHECK(Eval(R"({"!!": {"/": [0, 0]}})") == J("false"));  // NaN
  CHECK(Eval(R"({"!": false})") == J("true"));            // a non-array argument is one argument
}

TEST_CASE("var reads dotted paths, array indices and defaults", "[rules][jsonlogic]") {
  const char* data = R"({"a": {"b": {"c": 7}, "list": [10, [20, 21]], "n": null, "e": ""}, "0": "zero"})";
  CHECK(Eval(R"({"var": "a.b.c"})", data) == J("7"));
  CHECK(Eval(R"({"var": ["a.b.c"]})", data) == J("7"));
  CHECK(Eval(R"({"var": "a.list.1.0"})", data) == J("20"));
  CHECK(Eval(R"({"var": "a.list.01"})", data) == J("null"));  // not a canonical index
  CHECK(Eval(R"({"var": "0"})", data) == J("\"zero\""));      // a numeric key of an object
  CHECK(Eval(R"({"var": 1})", R"(["x", "y"])") == J("\"y\""));
  CHECK(Eval(R"({"var": "a.missing"})", data) == J("null"));
  CHECK(Eval(R"({"var": ["a.missing", "dflt"]})", data) == J("\"dflt\""));
  CHECK(Eval(R"({"var": ["a.b.c.d", 1]})", data) == J("1"));         // through a number
  CHECK(Eval(R"({"var": ["a.n", "dflt"]})", data) == J("null"));     // found null is not missing
  CHECK(Eval(R"({"var": ["a.n.x", "dflt"]})", data) == J("\"dflt\""));  // but cannot be entered
  CHECK(Eval(R"({"var": ["a.e", "dflt"]})", data) == J("\"\""));
  CHECK(Eval(R"({"var": ""})", "[1,2]") == J("[1,2]"));   // the whole data
  CHECK(Eval(R"({"var": null})", "5") == J("5"));
  CHECK(Eval(R"({"var": []})", R"({"k":1})") == J(R"({"k":1})"));
  CHECK(Eval(R"({"var": [""]})", "0") == J("0"));  // falsy data stays itself
  CHECK(Eval(R"({"var": {"cat": ["a", ".b.c"]}})", data) == J("7"));  // a computed path
  CHECK(Eval(R"({"var": ["x", {"+": [1, 2]}]})", "{}") == J("3"));    // a computed default
  CHECK(Eval(R"({"var": "a"})", "\"text\"") == J("null"));
}

TEST_CASE("missing counts absent, null and empty-string keys", "[rules][jsonlogic]") {
  const char* data = R"({"a": 1, "b": null, "c": "", "d": {"e": 0}, "f": false})";
  CHECK(Eval(R"({"missing": ["a", "b", "c", "d.e", "d.x", "f", "g"]})", data) == J(R"(["b","c","d.x","g"])"));
  CHECK(Eval(R"({"missing": "g"})", data) == J(R"(["g"])"));
  CHECK(Eval(R"({"missing": ["a"]})", data) == J("[]"));
  CHECK(Eval(R"({"missing": "a"})", "null") == J(R"(["a"])"));
  CHECK(Eval(R"({"missing": {"merge": ["a", ["g", "h"]]}})", data) == J(R"(["g","h"])"));
  CHECK(Eval(R"({"missing": []})", data) == J("[]"));
  CHECK(Eval(R"({"missing": [1]})", R"(["x"])") == J("[1]"));  // index 1 of a one-element array
  CHECK(Eval(R"({"missing": [0]})", R"(["x"])") == J("[]"));
}

TEST_CASE("missing_some reports missing keys only below the needed count", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"missing_some": [1, ["a", "b"]]})", R"({"b": 1})") == J("[]"));
  CHECK(Eval(R"({"missing_some": [2, ["a", "b", "c"]]})", R"({"b": 1})") == J(R"(["a","c"])"));
  CHECK(Eval(R"({"missing_some": [0, ["a"]]})", "{}") == J("[]"));
  CHECK(Eval(R"({"missing_some": [1, "a"]})", "{}") == J(R"(["a"])"));
  CHECK(Eval(R"({"if": [{"missing_some": [1, ["a", "b"]]}, "incomplete", "ok"]})", R"({"a": "x"})") == J("\"ok\""));
}

TEST_CASE("if chains else-ifs and evaluates only the taken branch", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"if": []})") == J("null"));
  CHECK(Eval(R"({"if": [0]})") == J("0"));
  CHECK(Eval(R"({"if": [true, "a"]})") == J("\"a\""));
  CHECK(Eval(R"({"if": [false, "a"]})") == J("null"));
  CHECK(Eval(R"({"if": [false, "a", false, "b", "c"]})") == J("\"c\""));
  CHECK(Eval(R"({"if": [false, "a", true, "b", "c"]})") == J("\"b\""));
  CHECK(Eval(R"({"if": [false, "a", false, "b", false, "c"]})") == J("null"));
  CHECK(Eval(R"({"?:": [[1], "yes", "no"]})") == J("\"yes\""));
  // The branch not taken is not evaluated: it would exceed the limits.
  RuleLimits tight;
  tight.max_array = 2;
  auto rule = Rule::Parse(R"({"if": [true, "fine", {"merge": [[1, 2], [3]]}]})", tight);
  REQUIRE(rule);
  CHECK(rule->Evaluate(nullptr));
}

TEST_CASE("and / or return the deciding operand, short-circuiting", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"and": [1, "a", [0]]})") == J("[0]"));
  CHECK(Eval(R"({"and": [1, "", true]})") == J("\"\""));
  CHECK(Eval(R"({"or": [0, "", "x", false]})") == J("\"x\""));
  CHECK(Eval(R"({"or": [0, []]})") == J("[]"));
  CHECK(Eval(R"({"and": []})") == J("null"));
  RuleLimits tight;
  tight.max_array = 1;
  auto rule = Rule::Parse(R"({"or": [true, {"merge": [[1], [2]]}]})", tight);
  REQUIRE(rule);
  CHECK(rule->Evaluate(nullptr));
}

TEST_CASE("== coerces as JavaScript does, === does not", "[rules][jsonlogic]") {
  const char* loose_true[] = {R"([1, "1"])", R"([0, false])", R"(["", 0])", R"(["1", true])", R"([null, null])",
                              R"([[1], "1"])", R"([[], ""])", R"([[1], 1])", R"([" 2 ", 2])", R"(["0x10", 16])",
                              R"([[1, 2], [1, 2]])", R"([1.0, 1])"};
  for (const char* args : loose_true) {
    INFO(args);
    CHECK(Eval(std::string(R"({"==": )") + args + "}") == J("true"));
    CHECK(Eval(std::string(R"({"!=": )") + args + "}") == J("false"));
  }
  const char* loose_false[] = {R"([null, false])", R"([null, 0])", R"([null, ""])", R"(["a", 0])",
                               R"([[1], [1, 2]])", R"([{}, "[object Object]x"])", R"([true, 2])"};
  for (const char* args : loose_false) {
    INFO(args);
    CHECK(Eval(std::string(R"({"==": )") + args + "}") == J("false"));
  }
  CHECK(Eval(R"({"===": [1, 1.0]})") == J("true"));
  CHECK(Eval(R"({"===": [1, "1"]})") == J("false"));
  CHECK(Eval(R"({"===": [null, null]})") == J("true"));
  CHECK(Eval(R"({"===": [[1, [2]], [1, [2]]]})") == J("true"));  // arrays by value
  CHECK(Eval(R"({"===": [{"var": "a"}, {"var": "b"}]})", R"({"a": {"k": [1]}, "b": {"k": [1]}})") == J("true"));
  CHECK(Eval(R"({"==": [{"var": "a"}, {"var": "b"}]})", R"({"a": {"k": 1}, "b": {"k": 2}})") == J("false"));
  CHECK(Eval(R"({"!==": [0, false]})") == J("true"));
  CHECK(Eval(R"({"===": [{"/": [0, 0]}, {"/": [0, 0]}]})") == J("false"));  // NaN
}

TEST_CASE("comparisons: numbers, strings, coercions and between", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"<": [1, 2]})") == J("true"));
  CHECK(Eval(R"({"<": ["10", "9"]})") == J("true"));   // two strings compare as strings
  CHECK(Eval(R"({"<": [10, "9"]})") == J("false"));    // else as numbers
  CHECK(Eval(R"({">": ["b", "a"]})") == J("true"));
  CHECK(Eval(R"({"<": [null, 1]})") == J("true"));     // null is 0
  CHECK(Eval(R"({">=": [true, 1]})") == J("true"));
  CHECK(Eval(R"({"<": ["a", 1]})") == J("false"));     // NaN: every comparison false
  CHECK(Eval(R"({">=": ["a", 1]})") == J("false"));
  CHECK(Eval(R"({"<": [1, 2, 3]})") == J("true"));
  CHECK(Eval(R"({"<": [1, 3, 3]})") == J("false"));
  CHECK(Eval(R"({"<=": [1, 3, 3]})") == J("true"));
  CHECK(Eval(R"({"<=": [3, 1, 5]})") == J("false"));
  CHECK(Eval(R"({"<": [{"var": "t"}, 110]})", R"({"t": 100})") == J("true"));
  CHECK(Eval(R"({"<": [9007199254740992, 9007199254740993]})") == J("true"));  // exact for integers
}

TEST_CASE("arithmetic follows json-logic-js's coercions", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"+": []})") == J("0"));
  CHECK(Eval(R"({"+": ["3.14abc", 1]})").as_double() == Approx(4.14));  // + uses parseFloat
  CHECK(Eval(R"({"+": "0"})") == J("0"));
  CHECK(Eval(R"({"+": [1, 2.5]})") == J("3.5"));
  CHECK(Eval(R"({"+": ["abc"]})") == J("null"));  // NaN leaves as null
  CHECK(Eval(R"({"-": [5]})") == J("-5"));
  CHECK(Eval(R"({"-": ["5", true]})") == J("4"));  // - uses Number()
  CHECK(Eval(R"({"-": ["", null]})") == J("0"));
  CHECK(Eval(R"({"*": [2, "3", 0.5]})") == J("3"));
  CHECK(Eval(R"({"*": ["2"]})") == J("2"));
  CHECK(Eval(R"({"/": [1, 4]})") == J("0.25"));
  CHECK(Eval(R"({"/": [1, 0]})") == J("null"));   // Infinity is not JSON
  CHECK(Eval(R"({"+": [{"/": [1, 0]}, 1]})") == J("null"));
  CHECK(Eval(R"({"<": [1, {"/": [1, 0]}]})") == J("true"));  // but compares as Infinity
  CHECK(Eval(R"({"%": [-7, 3]})") == J("-1"));
  CHECK(Eval(R"({"%": [7.5, 2]})") == J("1.5"));
  CHECK(Eval(R"({"%": [1, 0]})") == J("null"));
  CHECK(Eval(R"({"max": [1, "7", 3]})") == J("7"));
  CHECK(Eval(R"({"min": [1, -2, 3]})") == J("-2"));
  CHECK(Eval(R"({"max": []})") == J("null"));
  CHECK(Eval(R"({"max": [1, "x"]})") == J("null"));
  CHECK(Eval(R"({"*": [0.1, 3]})").as_double() == Approx(0.3));
  CHECK(Eval(R"({"+": [1, 2]})").is_int64());    // whole results are integers
  CHECK(Eval(R"({"/": [1, 2]})").is_double());
  CHECK(Eval(R"({"-": [0]})").is_int64());        // -0 is 0
}

TEST_CASE("map, filter and reduce scope var to the element", "[rules][jsonlogic]") {
  const char* data = R"({"n": [1, 2, 3, 4], "people": [{"age": 30}, {"age": 17}]})";
  CHECK(Eval(R"({"map": [{"var": "n"}, {"*": [{"var": ""}, 10]}]})", data) == J("[10,20,30,40]"));
  CHECK(Eval(R"({"map": [{"var": "people"}, {"var": "age"}]})", data) == J("[30,17]"));
  CHECK(Eval(R"({"filter": [{"var": "n"}, {"%": [{"var": ""}, 2]}]})", data) == J("[1,3]"));
  CHECK(Eval(R"({"filter": [{"var": "people"}, {">=": [{"var": "age"}, 18]}]})", data) == J(R"([{"age":30}])"));
  CHECK(Eval(R"({"reduce": [{"var": "n"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]})", data) == J("10"));
  CHECK(Eval(R"({"reduce": [{"var": "n"}, {"cat": [{"var": "accumulator"}, {"var": "current"}]}, ""]})", data) ==
        J("\"1234\""));
  CHECK(Eval(R"({"reduce": [{"var": "people"}, {"max": [{"var": "accumulator"}, {"var": "current.age"}]}, 0]})",
             data) == J("30"));
  CHECK(Eval(R"({"reduce": [{"var": "none"}, {"+": [1, 1]}, 5]})", data) == J("5"));
  CHECK(Eval(R"({"reduce": [[1, 2], {"var": "accumulator"}]})", data) == J("null"));  // no initial: null
  CHECK(Eval(R"({"map": [{"var": "none"}, 1]})", data) == J("[]"));
  CHECK(Eval(R"({"filter": ["abc", true]})", data) == J("[]"));
  CHECK(Eval(R"({"map": [[1, 2], {"var": ""}]})", data) == J("[1,2]"));
  CHECK(Eval(R"({"map": [{"var": "n"}, {"var": "n"}]})", data) == J("[null,null,null,null]"));  // no outer scope
}

TEST_CASE("all, none and some", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"all": [[1, 2], {">": [{"var": ""}, 0]}]})") == J("true"));
  CHECK(Eval(R"({"all": [[1, 0], {">": [{"var": ""}, 0]}]})") == J("false"));
  CHECK(Eval(R"({"all": [[], true]})") == J("false"));  // an empty list is not "all"
  CHECK(Eval(R"({"all": [null, true]})") == J("false"));
  CHECK(Eval(R"({"some": [[0, 2], {">": [{"var": ""}, 1]}]})") == J("true"));
  CHECK(Eval(R"({"some": [[], true]})") == J("false"));
  CHECK(Eval(R"({"none": [[0, 1], {">": [{"var": ""}, 1]}]})") == J("true"));
  CHECK(Eval(R"({"none": [[], true]})") == J("true"));
  CHECK(Eval(R"({"none": ["x", true]})") == J("true"));
}

TEST_CASE("merge flattens one level, in searches strings and arrays", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"merge": []})") == J("[]"));
  CHECK(Eval(R"({"merge": [[1], 2, [3, [4]], null]})") == J("[1,2,3,[4],null]"));
  CHECK(Eval(R"({"merge": [{"var": "a"}, {"var": "a"}]})", R"({"a": [1, 2]})") == J("[1,2,1,2]"));
  CHECK(Eval(R"({"in": ["Spring", "Springfield"]})") == J("true"));
  CHECK(Eval(R"({"in": ["", "x"]})") == J("true"));
  CHECK(Eval(R"({"in": [1, "a1"]})") == J("true"));  // the needle becomes a string
  CHECK(Eval(R"({"in": ["b", ["a", "b"]]})") == J("true"));
  CHECK(Eval(R"({"in": ["1", [1]]})") == J("false"));  // arrays search with ===
  CHECK(Eval(R"({"in": [[1], [[1], [2]]]})") == J("true"));
  CHECK(Eval(R"({"in": ["a", null]})") == J("false"));
  CHECK(Eval(R"({"in": ["a", 5]})") == J("false"));
}

TEST_CASE("cat writes values as JavaScript's String() does", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"cat": ["a", 1, 2.5, true, null, [1, [2, 3]], {"k": 1, "j": 2}]})") ==
        J(R"("a12.5true1,2,3[object Object]")"));
  CHECK(Eval(R"({"cat": [1e21, " ", 1e-7, " ", 0.000001, " ", 123456789012, " ", -0.0]})") ==
        J(R"("1e+21 1e-7 0.000001 123456789012 0")"));
  CHECK(Eval(R"({"cat": [0.1, " ", 100, " ", 1.5e300]})") == J(R"("0.1 100 1.5e+300")"));
  CHECK(Eval(R"({"cat": []})") == J(R"("")"));
  CHECK(Eval(R"({"cat": "solo"})") == J(R"("solo")"));
}

TEST_CASE("substr counts from either end, by character", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"substr": ["jsonlogic", 4]})") == J(R"("logic")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", -5]})") == J(R"("logic")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", 1, 3]})") == J(R"("son")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", 1, -5]})") == J(R"("son")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", -5, -2]})") == J(R"("log")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", 20]})") == J(R"("")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", -20, 2]})") == J(R"("js")"));
  CHECK(Eval(R"({"substr": ["jsonlogic", 2, -20]})") == J(R"("")"));
  CHECK(Eval(R"({"substr": ["héllo wörld", 1, 4]})") == J(R"("éllo")"));
  CHECK(Eval(R"({"substr": ["日本語テキスト", -3]})") == J(R"("キスト")"));
  CHECK(Eval(R"({"substr": [12345, 1, 2]})") == J(R"("23")"));
}

TEST_CASE("log returns its argument and prints nothing", "[rules][jsonlogic]") {
  CHECK(Eval(R"({"log": "apple"})") == J(R"("apple")"));
  CHECK(Eval(R"({"log": [{"+": [1, 1]}]})") == J("2"));
}

TEST_CASE("literals: scalars and arrays pass through, arrays holding logic are evaluated",
          "[rules][jsonlogic]") {
  CHECK(Eval(R"([1, {"var": "x"}, [2, {"var": "y"}]])", R"({"x": "a", "y": "b"})") == J(R"([1,"a",[2,"b"]])"));
  CHECK(Eval(R"({"a": 1, "b": 2})") == J(R"({"a":1,"b":2})"));  // two keys: data, not an operator
  CHECK(Eval(R"({})") == J("{}"));
  CHECK(Eval(R"("text")") == J(R"("text")"));
}

TEST_CASE("compile errors name the operator and the place", "[rules][jsonlogic]") {
  auto e = CompileError(R"({"if": [true, {"nope": [1]}]})");
  CHECK(e.code == Errc::kInvalidArgument);
  CHECK(e.message.find("unknown operator \"nope\"") != std::string::npos);
  CHECK(e.message.find("/if/1/nope") != std::string::npos);

  e = CompileError(R"({"and": [{"==": [1]}]})");
  CHECK(e.message.find("\"==\" takes 2 arguments, got 1") != std::string::npos);
  CHECK(e.message.find("/and/0/==") != std::string::npos);

  e = CompileError(R"({"if": [{"/": [1, 2, 3]}]})");
  CHECK(e.message.find("/if/0/~1") != std::string::npos);  // JSON Pointer escaping

  for (const char* bad : {R"({"!": [1, 2]})", R"({"substr": ["a"]})", R"({"map": [[1]]})",
                          R"({"reduce": [[1], 2, 3, 4]})", R"({"<": [1, 2, 3, 4]})", R"({"var": ["a", 1, 2]})",
                          R"({"missing_some": [1]})", R"({"-": []})", R"({"*": []})", R"({"in": ["a"]})"}) {
    INFO(bad);
    CHECK(CompileError(bad).code == Errc::kInvalidArgument);
  }
  CHECK(CompileError(R"({"method": ["abc", "toUpperCase"]})").message.find("not supported") != std::string::npos);
  CHECK(CompileError(R"({"$ref": "shared"})").message.find("$ref") != std::string::npos);
  CHECK(CompileError("{not json").message.find("not valid JSON") != std::string::npos);
}

TEST_CASE("Test() answers truthiness and a rule is shared safely across threads", "[rules][jsonlogic]") {
  auto rule = Rule::Parse(R"({"and": [{">=": [{"var": "seats"}, 4]}, {"in": [{"var": "zone"}, ["north", "east"]]}]})");
  REQUIRE(rule);
  CHECK(rule->Test(J(R"({"seats": 4, "zone": "east"})")).value());
  CHECK_FALSE(rule->Test(J(R"({"seats": 2, "zone": "east"})")).value());

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const int seats = (i + t) % 8;
        boost::json::value data = {{"seats", seats}, {"zone", "north"}};
        auto r = rule->Test(data);
        if (!r || *r != (seats >= 4)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("custom operators: eager, lazy, arity, errors", "[rules][jsonlogic]") {
  OperatorRegistry ops;
  CHECK_FALSE(ops.Add("if", RuleOperator{false, 0, kAnyArgs, [](const RuleCall&) -> Result<boost::json::value> {
                        return boost::json::value();
                      }}));
  CHECK_FALSE(ops.Add("method", RuleOperator{false, 0, kAnyArgs, [](const RuleCall&) -> Result<boost::json::value> {
                        return boost::json::value();
                      }}));
  CHECK_FALSE(ops.Add("empty", RuleOperator{}));

  // Eager: the arguments arrive evaluated.
  REQUIRE(ops.Add("double", RuleOperator{false, 1, 1, [](const RuleCall& call) -> Result<boost::json::value> {
                    const auto& a = call.arg(0);
                    if (!a.is_int64()) return Fail(Errc::kInvalidArgument, "double wants an integer");
                    return boost::json::value(a.get_int64() * 2);
                  }}));
  CHECK_FALSE(ops.Add("double", RuleOperator{false, 0, 0, [](const RuleCall&) -> Result<boost::json::value> {
                        return boost::json::value();
                      }}));
  // Lazy: the operator evaluates its arguments itself, in any scope.
  REQUIRE(ops.Add("count_if", RuleOperator{true, 2, 2, [](const RuleCall& call) -> Result<boost::json::value> {
                    auto list = call.Evaluate(0);
                    if (!list) return list.error();
                    std::int64_t n = 0;
                    if (const auto* arr = list->if_array()) {
                      for (const auto& element : *arr) {
                        auto hit = call.Evaluate(1, element);
                        if (!hit) return hit.error();
                        n += IsTruthy(*hit) ? 1 : 0;
                      }
                    }
                    return boost::json::value(n);
                  }}));
  REQUIRE(ops.Add("raw_name", RuleOperator{true, 1, 1, [](const RuleCall& call) -> Result<boost::json::value> {
                    return boost::json::value(call.raw(0));  // unevaluated
                  }}));

  auto rule = Rule::Parse(R"({"+": [{"double": {"var": "x"}}, {"count_if": [{"var": "l"}, {">": [{"var": ""}, 1]}]}]})",
                          {}, ops);
  REQUIRE(rule);
  {
    OperatorRegistry gone = std::move(ops);  // the compiled rule keeps what it needs
  }
  CHECK(rule->Evaluate(J(R"({"x": 5, "l": [1, 2, 3]})")).value() == J("12"));
  auto err = rule->Evaluate(J(R"({"x": "five", "l": []})"));
  REQUIRE_FALSE(err);
  CHECK(err.error().message == "double wants an integer");

  OperatorRegistry more;
  REQUIRE(more.Add("raw_name", RuleOperator{true, 1, 1, [](const RuleCall& call) -> Result<boost::json::value> {
                     return boost::json::value(call.raw(0));
                   }}));
  auto raw = Rule::Parse(R"({"raw_name": {"var": "x"}})", {}, more);
  REQUIRE(raw);
  CHECK(raw->Evaluate(J(R"({"x": 1})")).value() == J(R"({"var": "x"})"));
  auto arity = Rule::Parse(R"({"raw_name": [1, 2]})", {}, more);
  REQUIRE_FALSE(arity);
  CHECK(arity.error().message.find("\"raw_name\" takes 1 argument, got 2") != std::string::npos);
  CHECK_FALSE(Rule::Parse(R"({"raw_name": 1})"));  // not without the registry
}

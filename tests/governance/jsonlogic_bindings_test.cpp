// Rule::Evaluate over an object with bindings: extra top-level members that
// shadow the data's, seen by every data operator at the root (and only
// there), without the data being copied or changed.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "tenancy/rules.hpp"

using namespace tenancy;

namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

const boost::json::value kTenant = J(R"({"tier": "enterprise", "id": "tn_bound"})");
const boost::json::value kFlagd = J(R"({"flagKey": "f"})");

// The data with the bindings merged in, as a copy would have it.
boost::json::object Merged(boost::json::object data, std::span<const RuleBinding> bindings) {
  for (const auto& b : bindings) data[b.key] = *b.value;
  return data;
}

}  // namespace

TEST_CASE("bindings shadow the data's members and leave the data untouched", "[rules][bindings]") {
  const boost::json::object data = J(R"({"tenant": {"tier": "free"}, "zone": "north"})").as_object();
  const boost::json::object before = data;
  const RuleBinding bindings[] = {{"tenant", &kTenant}, {"$flagd", &kFlagd}};

  auto rule = Rule::Parse(R"({"cat": [{"var": "tenant.tier"}, "/", {"var": "zone"}, "/", {"var": "$flagd.flagKey"}]})");
  REQUIRE(rule);
  auto out = rule->Evaluate(data, bindings);
  REQUIRE(out);
  CHECK(out->as_string() == "enterprise/north/f");
  CHECK(data == before);

  // Without bindings the object form reads the data as it is.
  auto plain = rule->Evaluate(data, {});
  REQUIRE(plain);
  CHECK(plain->as_string() == "free/north/");

  // A dynamic var path (computed key) goes through the bindings too.
  auto dynamic = Rule::Parse(R"({"var": {"cat": ["ten", "ant.id"]}})");
  REQUIRE(dynamic);
  CHECK(dynamic->Evaluate(data, bindings)->as_string() == "tn_bound");
  // A missing path below a binding falls back to the default, not to the data.
  auto deep = Rule::Parse(R"({"var": ["tenant.slug", "none"]})");
  REQUIRE(deep);
  CHECK(deep->Evaluate(data, bindings)->as_string() == "none");
}

TEST_CASE("the whole data, missing and missing_some see the bindings", "[rules][bindings]") {
  const boost::json::object data = J(R"({"a": 1})").as_object();
  const RuleBinding bindings[] = {{"tenant", &kTenant}};

  auto whole = Rule::Parse(R"({"var": ""})");
  REQUIRE(whole);
  auto out = whole->Evaluate(data, bindings);
  REQUIRE(out);
  CHECK(*out == J(R"({"a": 1, "tenant": {"tier": "enterprise", "id": "tn_bound"}})"));

  auto missing = Rule::Parse(R"({"missing": ["a", "tenant.tier", "tenant.slug", "b"]})");
  REQUIRE(missing);
  CHECK(*missing->Evaluate(data, bindings) == J(R"(["tenant.slug", "b"])"));

  auto some = Rule::Parse(R"({"missing_some": [2, ["tenant.id", "b", "c"]]})");
  REQUIRE(some);
  CHECK(*some->Evaluate(data, bindings) == J(R"(["b", "c"])"));
}

TEST_CASE("inside map, filter and reduce the element is the data, not the bound root", "[rules][bindings]") {
  const boost::json::object data = J(R"({"items": [{"tenant": "x"}, {"tenant": "y"}]})").as_object();
  const RuleBinding bindings[] = {{"tenant", &kTenant}};
  auto map = Rule::Parse(R"({"map": [{"var": "items"}, {"var": "tenant"}]})");
  REQUIRE(map);
  CHECK(*map->Evaluate(data, bindings) == J(R"(["x", "y"])"));
  auto reduce = Rule::Parse(
      R"({"reduce": [{"var": "items"}, {"cat": [{"var": "accumulator"}, {"var": "current.tenant"}]}, ""]})");
  REQUIRE(reduce);
  CHECK(reduce->Evaluate(data, bindings)->as_string() == "xy");
}

TEST_CASE("custom operators see bindings through member, root and data", "[rules][bindings]") {
  OperatorRegistry ops;
  REQUIRE(ops.Add("probe", RuleOperator{.min_args = 0, .max_args = 0, .fn = [](const RuleCall& call) -> Result<boost::json::value> {
                                          boost::json::object seen;
                                          const auto* tenant = call.member("tenant");
                                          seen["member"] = tenant ? *tenant : boost::json::value();
                                          seen["root_has_tenant"] = call.root().as_object().contains("tenant");
                                          seen["data_has_tenant"] = call.data().as_object().contains("tenant");
                                          seen["root_a"] = call.root().as_object().at("a");
                                          return boost::json::value(std::move(seen));
                                        }}));
  auto rule = Rule::Parse(R"({"probe": []})", {}, ops);
  REQUIRE(rule);
  const boost::json::object data = J(R"({"a": 7})").as_object();
  const RuleBinding bindings[] = {{"tenant", &kTenant}};
  auto out = rule->Evaluate(data, bindings);
  REQUIRE(out);
  CHECK(out->at("member") == kTenant);
  CHECK(out->at("root_has_tenant").as_bool());
  CHECK(out->at("data_has_tenant").as_bool());
  CHECK(out->at("root_a").as_int64() == 7);
}

TEST_CASE("evaluating with bindings equals evaluating the merged copy", "[rules][bindings]") {
  const boost::json::object data =
      J(R"({"tenant": {"tier": "free"}, "zone": "east", "n": 4, "list": [1, 2, 3], "targetingKey": "u1"})").as_object();
  const boost::json::value key = J(R"("override")");
  const RuleBinding bindings[] = {{"tenant", &kTenant}, {"$flagd", &kFlagd}, {"targetingKey", &key}};
  const boost::json::value merged(Merged(data, bindings));
  const std::vector<std::string> rules = {
      R"({"if": [{"==": [{"var": "tenant.tier"}, "enterprise"]}, "on", "off"]})",
      R"({"in": [{"var": "zone"}, ["north", "east"]]})",
      R"({"+": [{"var": "n"}, {"reduce": [{"var": "list"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}]})",
      R"({"merge": [{"var": "list"}, {"var": "targetingKey"}, {"var": "$flagd.flagKey"}]})",
      R"({"missing": ["tenant.id", "nope", "zone"]})",
      R"({"var": ""})",
      R"({"some": [{"var": "list"}, {">": [{"var": ""}, 2]}]})",
      R"({"var": ["tenant", "x"]})",
      R"({"!": {"var": "tenant.tier"}})",
  };
  for (const auto& text : rules) {
    INFO(text);
    auto rule = Rule::Parse(text);
    REQUIRE(rule);
    auto layered = rule->Evaluate(data, bindings);
    auto copied = rule->Evaluate(merged);
    REQUIRE(layered);
    REQUIRE(copied);
    CHECK(boost::json::serialize(*layered) == boost::json::serialize(*copied));
  }
}

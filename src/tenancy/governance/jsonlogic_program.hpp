// The compiled form of a JsonLogic rule: a flat array of nodes, each an
// operator code and its children, so evaluation switches on an enum and never
// looks an operator's name up.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/rules.hpp"

namespace tenancy::detail::jsonlogic {

enum class Op : std::uint8_t {
  kLiteral,  // a constant (aux: index into literals)
  kArray,    // an array holding logic: each child is an element
  kVar,      // aux: 1 + index into paths when the path is a constant, else 0
  kMissing,
  kMissingSome,
  kIf,
  kOr,
  kAnd,
  kNot,
  kNotNot,
  kEq,
  kStrictEq,
  kNe,
  kStrictNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kMax,
  kMin,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kMap,
  kFilter,
  kReduce,
  kAll,
  kNone,
  kSome,
  kMerge,
  kIn,
  kCat,
  kSubstr,
  kLog,
  kCustom,  // aux: index into customs
};

// A built-in operator: its name, code and accepted argument counts.
struct OpInfo {
  std::string_view name;
  Op op;
  std::size_t min_args;
  std::size_t max_args;  // kAnyArgs: unbounded
};

// The built-in operator called `name`, or null.
const OpInfo* FindBuiltin(std::string_view name) noexcept;

struct Node {
  Op op = Op::kLiteral;
  std::uint32_t first = 0;  // first child's position in Program::kids
  std::uint32_t count = 0;  // number of children
  std::uint32_t aux = 0;    // see Op
};

// One step of a dotted var path. `index` ≥ 0 when `key` is a canonical
// array index ("0", "17"; not "01" or "-1").
struct PathStep {
  std::string key;
  std::int64_t index = -1;
};
using Path = std::vector<PathStep>;  // empty: the data itself

// Splits "a.b.0" into steps; "" gives the empty path.
Path SplitPath(std::string_view dotted);

struct CustomNode {
  std::shared_ptr<const RuleOperator> op;
  std::string name;
  boost::json::array raw;  // the arguments as written
};

struct Program {
  RuleLimits limits{};
  std::vector<Node> nodes;
  std::vector<std::uint32_t> kids;
  std::vector<boost::json::value> literals;
  std::vector<Path> paths;
  std::vector<CustomNode> customs;
  std::uint32_t root = 0;

  std::uint32_t Child(const Node& n, std::size_t i) const noexcept { return kids[n.first + i]; }
};

// Compiles `logic` into a program. kInvalidArgument naming the place (a JSON
// Pointer) when the rule is not valid. `operators` may be null.
Result<std::shared_ptr<const Program>> CompileProgram(const boost::json::value& logic,
                                                      const RuleLimits& limits,
                                                      const OperatorRegistry* operators);

}  // namespace tenancy::detail::jsonlogic

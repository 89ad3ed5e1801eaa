// tenancy/rules.hpp — JsonLogic rules: compiled once, evaluated many times, bounded.
//
// A `Rule` is a JsonLogic expression (https://jsonlogic.com) compiled into a
// tree of operator nodes. Compilation checks the whole rule up front — unknown
// operators, wrong argument counts, nesting depth, size — and names the
// offending place as a JSON Pointer into the rule ("/if/1/var"). Evaluation
// walks the tree against a data value. It never throws, never prints, and
// stops with kResourceExhausted as soon as it exceeds a `RuleLimits` bound,
// so a hostile rule or hostile data costs at most `max_steps` steps.
// Pricing, dispatch and workflow guards use rules per tenant; feature-flag
// targeting (flags.hpp) is a rule with flagd's operators added.
//
// Operators — the full jsonlogic.com set:
//   data     var ("a.b.0", default, "" or null = the whole data), missing, missing_some
//   logic    if (alias ?:, chains of else-if), ==, ===, !=, !==, !, !!, or, and
//   numbers  >, >=, <, <= (three arguments: between), max, min, +, -, *, /, %
//   arrays   map, filter, reduce (var "current" / "accumulator"), all, none, some, merge, in
//   strings  in, cat, substr (negative start and length count from the end)
//   misc     log (returns its argument; a library does not print)
// and custom operators registered in an `OperatorRegistry`.
//
// Semantics are those of json-logic-js, the reference implementation:
// JavaScript truthiness (null, false, 0, NaN, "" and [] are falsy; "0" and {}
// are truthy) and JavaScript coercions for ==, <, +, -, cat... Deliberate
// differences, because JSON is not JavaScript:
//   * == and === compare arrays and objects by value (JavaScript compares
//     references, which JSON values do not have);
//   * substr counts Unicode code points, not UTF-16 code units;
//   * {"var": ""} returns the data as it is (json-logic-js swaps falsy data for {});
//   * NaN and ±Infinity flow through arithmetic as in JavaScript, but a
//     non-finite number in the result comes back as null (as JSON.stringify
//     writes it);
//   * numbers computed by arithmetic come back as int64 when they are whole
//     and exact (|x| ≤ 2^53), as double otherwise; numbers read from the data
//     come back as they were;
//   * the "method" operator (calling JavaScript methods) does not exist.
//
// Thread safety: a compiled Rule is immutable; copy it (cheap, shared) and
// evaluate it from any number of threads. Build an OperatorRegistry on one
// thread, then share it read-only.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tenancy/export.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

// The deepest nesting any rule may have, whatever `RuleLimits::max_depth`
// says: evaluation recurses once per level, and threads' stacks are finite.
inline constexpr std::size_t kMaxRuleDepth = 512;

// Bounds on one rule. Compile-time bounds fail Compile with
// kInvalidArgument; evaluation-time bounds fail Evaluate with
// kResourceExhausted. No bound is ever exceeded by more than one step.
struct RuleLimits {
  // Deepest nesting of operators and arrays in the rule (compile time).
  // Values above kMaxRuleDepth act as kMaxRuleDepth. Default 64.
  std::size_t max_depth = 64;
  // Most JSON values (operators, arguments, array elements) in the rule
  // (compile time). Default 10,000.
  std::size_t max_nodes = 10'000;
  // Most steps one evaluation may take: one per node evaluated, plus one per
  // element that an operator visits, copies, compares or searches. Default
  // 100,000 (well under a millisecond of work per evaluation).
  std::size_t max_steps = 100'000;
  // Most elements in an array built during evaluation (merge, map, filter,
  // missing, arrays holding logic). Default 10,000.
  std::size_t max_array = 10'000;
  // Most bytes in a string built during evaluation (cat, substr, and the
  // string forms of numbers and arrays). Default 64 KiB.
  std::size_t max_string = 64 * 1024;
};

// `RuleOperator::max_args` for "any number of arguments".
inline constexpr std::size_t kAnyArgs = static_cast<std::size_t>(-1);

namespace detail::jsonlogic {
class Evaluator;
struct Program;
}  // namespace detail::jsonlogic

// A top-level member added to the data of one evaluation without copying the
// data: `Rule::Evaluate(data, bindings)` sees `key` as `*value`, shadowing a
// member of that name in `data`. Both must outlive the evaluation.
struct RuleBinding {
  std::string_view key;
  const boost::json::value* value = nullptr;
};

// What a custom operator sees of its call: its arguments and the data.
// Valid only during the call; never store it.
class TENANCY_EXPORT RuleCall {
 public:
  RuleCall(const RuleCall&) = delete;
  RuleCall& operator=(const RuleCall&) = delete;

  // The operator's name as the rule spells it.
  std::string_view name() const noexcept { return name_; }
  // Number of arguments ({"op": x} with x not an array has one).
  std::size_t size() const noexcept { return raw_->size(); }
  // Argument `i` evaluated. REQUIRES: the operator is not lazy, i < size().
  const boost::json::value& arg(std::size_t i) const;
  // Argument `i` as written in the rule. REQUIRES: i < size().
  const boost::json::value& raw(std::size_t i) const { return (*raw_)[i]; }
  // Evaluates argument `i` against the current data, or against `scope`
  // (as map and filter do with each element). Errors (limits exceeded)
  // also fail the whole evaluation, whatever the operator returns.
  // REQUIRES: i < size().
  Result<boost::json::value> Evaluate(std::size_t i) const;
  Result<boost::json::value> Evaluate(std::size_t i, const boost::json::value& scope) const;
  // The data the operator runs on: the element inside map/filter/all/...,
  // {"current", "accumulator"} inside reduce, else the evaluated data.
  const boost::json::value& data() const;
  // The data `Rule::Evaluate` was called with, bindings included (with
  // bindings, the merged object is built on first use: prefer member()).
  const boost::json::value& root() const;
  // The root's top-level member `key`, bindings first; null when absent.
  const boost::json::value* member(std::string_view key) const noexcept;

 private:
  friend class detail::jsonlogic::Evaluator;
  RuleCall(detail::jsonlogic::Evaluator& ev, std::uint32_t node, std::string_view name,
           const boost::json::array& raw, const boost::json::value& data,
           const boost::json::value* const* args) noexcept
      : ev_(ev), node_(node), name_(name), raw_(&raw), data_(&data), args_(args) {}

  detail::jsonlogic::Evaluator& ev_;
  std::uint32_t node_;
  std::string_view name_;
  const boost::json::array* raw_;
  const boost::json::value* data_;
  const boost::json::value* const* args_;  // null for lazy operators
};

// A custom operator. `fn` returns the operator's value; an error it returns
// fails the evaluation with that error.
struct RuleOperator {
  // false: arguments are evaluated before the call; read them with
  // RuleCall::arg. true: the operator evaluates what it needs itself with
  // RuleCall::Evaluate (to short-circuit, or to use another scope).
  bool lazy = false;
  // Argument counts the compiler accepts; outside them Compile fails with
  // kInvalidArgument naming the operator.
  std::size_t min_args = 0;
  std::size_t max_args = kAnyArgs;
  std::function<Result<boost::json::value>(const RuleCall&)> fn{};
};

// Custom operators by name, consulted by the compiler. A compiled rule
// keeps the operators it uses, so the registry need not outlive it.
class TENANCY_EXPORT OperatorRegistry {
 public:
  // kInvalidArgument when `name` is empty, names a built-in operator or one
  // already added, or when `op.fn` is empty or min_args > max_args.
  Result<void> Add(std::string name, RuleOperator op);
  // The operator called `name`, or null.
  std::shared_ptr<const RuleOperator> Find(std::string_view name) const;
  std::size_t size() const noexcept { return operators_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const RuleOperator>, std::less<>> operators_;
};

// True for the names of jsonlogic.com's operators, the alias "?:" and the
// reserved "method" (json-logic-js's JavaScript method calls, never offered).
TENANCY_EXPORT bool IsBuiltinOperator(std::string_view name) noexcept;

// JsonLogic truthiness: false for null, false, 0, NaN, "" and []; true for
// everything else, "0" and {} included.
TENANCY_EXPORT bool IsTruthy(const boost::json::value& v) noexcept;

class TENANCY_EXPORT Rule {
 public:
  // Compiles `logic`. kInvalidArgument, naming the place as a JSON Pointer,
  // for an unknown operator, a wrong number of arguments, nesting deeper
  // than limits.max_depth or more than limits.max_nodes values. Without
  // `operators` only the built-in operators exist.
  static Result<Rule> Compile(const boost::json::value& logic, const RuleLimits& limits = {});
  static Result<Rule> Compile(const boost::json::value& logic, const RuleLimits& limits,
                              const OperatorRegistry& operators);
  // Parses JSON text, then compiles it. kInvalidArgument for malformed JSON.
  static Result<Rule> Parse(std::string_view text, const RuleLimits& limits = {});
  static Result<Rule> Parse(std::string_view text, const RuleLimits& limits,
                            const OperatorRegistry& operators);

  // The rule's value for `data`. kResourceExhausted when the evaluation
  // exceeds max_steps, max_array or max_string; a custom operator's error
  // as it returned it.
  Result<boost::json::value> Evaluate(const boost::json::value& data) const;
  // The same over the object `data` with `bindings` as extra top-level
  // members (they shadow data's), neither copied: how flags add $flagd and
  // the tenant to a caller's context. Only a rule that reads the whole data
  // ({"var": ""}, or a custom operator calling root()) pays for a merged copy.
  Result<boost::json::value> Evaluate(const boost::json::object& data,
                                      std::span<const RuleBinding> bindings) const;
  // The truthiness of the rule's value for `data`, without copying the value
  // out: the cheap form for guards. Errors as for Evaluate.
  Result<bool> Test(const boost::json::value& data) const;

  const RuleLimits& limits() const noexcept;
  // Nodes in the compiled tree (at most limits().max_nodes).
  std::size_t node_count() const noexcept;

 private:
  explicit Rule(std::shared_ptr<const detail::jsonlogic::Program> program) noexcept
      : program_(std::move(program)) {}
  std::shared_ptr<const detail::jsonlogic::Program> program_;
};

}  // namespace tenancy

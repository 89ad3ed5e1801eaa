// The public face of the JsonLogic engine: Rule, OperatorRegistry, RuleCall.
#include <boost/json/parse.hpp>

#include <cmath>

#include "governance/jsonlogic_eval.hpp"
#include "governance/jsonlogic_program.hpp"
#include "tenancy/rules.hpp"

namespace tenancy {
namespace {

using detail::jsonlogic::Evaluator;

// A non-finite number cannot be written as JSON: as JSON.stringify does, it
// becomes null. Only computed arrays can hold one, so only arrays are walked.
void ReplaceNonFinite(boost::json::value& v, std::size_t depth) {
  if (v.is_double() && !std::isfinite(v.get_double())) {
    v = nullptr;
  } else if (auto* arr = v.if_array(); arr && depth < kMaxRuleDepth) {
    for (auto& element : *arr) ReplaceNonFinite(element, depth + 1);
  }
}

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = kMaxRuleDepth + 1;  // deeper rules are refused by the compiler, with a path
  boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec) return Fail(Errc::kInvalidArgument, "rule is not valid JSON: " + ec.message());
  return v;
}

// The value of an evaluation, or its error.
Result<boost::json::value> Finish(const Evaluator& ev, detail::jsonlogic::Val v) {
  if (ev.failed()) return ev.error();
  boost::json::value out = std::move(v).Take();
  ReplaceNonFinite(out, 0);
  return out;
}

}  // namespace

const boost::json::value& RuleCall::data() const { return data_ == &ev_.start() ? ev_.root() : *data_; }

const boost::json::value& RuleCall::arg(std::size_t i) const { return *args_[i]; }

const boost::json::value& RuleCall::root() const { return ev_.root(); }

const boost::json::value* RuleCall::member(std::string_view key) const noexcept { return ev_.RootMember(key); }

Result<boost::json::value> RuleCall::Evaluate(std::size_t i) const { return Evaluate(i, *data_); }

Result<boost::json::value> RuleCall::Evaluate(std::size_t i, const boost::json::value& scope) const {
  const auto& program = ev_.program();
  detail::jsonlogic::Val v = ev_.Eval(program.Child(program.nodes[node_], i), scope);
  if (ev_.failed()) return ev_.error();
  return std::move(v).Take();
}

Result<void> OperatorRegistry::Add(std::string name, RuleOperator op) {
  if (name.empty()) return Fail(Errc::kInvalidArgument, "an operator needs a name");
  if (IsBuiltinOperator(name))
    return Fail(Errc::kInvalidArgument, "\"" + name + "\" is a built-in JsonLogic operator");
  if (!op.fn) return Fail(Errc::kInvalidArgument, "operator \"" + name + "\" has no function");
  if (op.min_args > op.max_args)
    return Fail(Errc::kInvalidArgument, "operator \"" + name + "\": min_args exceeds max_args");
  if (operators_.contains(name))
    return Fail(Errc::kInvalidArgument, "operator \"" + name + "\" is already registered");
  operators_.emplace(std::move(name), std::make_shared<const RuleOperator>(std::move(op)));
  return {};
}

std::shared_ptr<const RuleOperator> OperatorRegistry::Find(std::string_view name) const {
  auto it = operators_.find(name);
  return it == operators_.end() ? nullptr : it->second;
}

bool IsTruthy(const boost::json::value& v) noexcept { return detail::jsonlogic::Truthy(v); }

Result<Rule> Rule::Compile(const boost::json::value& logic, const RuleLimits& limits) {
  auto program = detail::jsonlogic::CompileProgram(logic, limits, nullptr);
  if (!program) return program.error();
  return Rule(std::move(*program));
}

Result<Rule> Rule::Compile(const boost::json::value& logic, const RuleLimits& limits,
                           const OperatorRegistry& operators) {
  auto program = detail::jsonlogic::CompileProgram(logic, limits, &operators);
  if (!program) return program.error();
  return Rule(std::move(*program));
}

Result<Rule> Rule::Parse(std::string_view text, const RuleLimits& limits) {
  auto logic = ParseJson(text);
  if (!logic) return logic.error();
  return Compile(*logic, limits);
}

Result<Rule> Rule::Parse(std::string_view text, const RuleLimits& limits,
                         const OperatorRegistry& operators) {
  auto logic = ParseJson(text);
  if (!logic) return logic.error();
  return Compile(*logic, limits, operators);
}

Result<boost::json::value> Rule::Evaluate(const boost::json::value& data) const {
  Evaluator ev(*program_, data);
  return Finish(ev, ev.Eval(program_->root, data));
}

Result<boost::json::value> Rule::Evaluate(const boost::json::object& data,
                                          std::span<const RuleBinding> bindings) const {
  Evaluator ev(*program_, data, bindings);
  return Finish(ev, ev.Eval(program_->root, ev.start()));
}

Result<bool> Rule::Test(const boost::json::value& data) const {
  Evaluator ev(*program_, data);
  const detail::jsonlogic::Val v = ev.Eval(program_->root, data);
  if (ev.failed()) return ev.error();
  return detail::jsonlogic::Truthy(v.get());
}

const RuleLimits& Rule::limits() const noexcept { return program_->limits; }

std::size_t Rule::node_count() const noexcept { return program_->nodes.size(); }

}  // namespace tenancy

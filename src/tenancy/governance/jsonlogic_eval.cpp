// Evaluation of JsonLogic's data, logic, numeric and string operators.
#include "governance/jsonlogic_eval.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace tenancy::detail::jsonlogic {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// JavaScript's ToIntegerOrInfinity on a number.
double ToInteger(double d) noexcept {
  if (std::isnan(d)) return 0;
  return std::trunc(d);
}

// Byte offsets of the code points of a UTF-8 string, plus its end: JSON
// strings index by character here (JavaScript would count UTF-16 units).
std::vector<std::size_t> CodePointOffsets(std::string_view s) {
  std::vector<std::size_t> offsets;
  offsets.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  offsets.push_back(s.size());
  return offsets;
}

// String.prototype.substr(start, length) on code points.
std::string SubstrCodePoints(std::string_view s, double start, std::optional<double> length) {
  const std::vector<std::size_t> offsets = CodePointOffsets(s);
  const double size = static_cast<double>(offsets.size() - 1);
  double from = ToInteger(start);
  if (from < 0) from = std::max(size + from, 0.0);
  from = std::min(from, size);
  double count = length ? std::clamp(ToInteger(*length), 0.0, size) : size;
  const double to = std::min(from + count, size);
  if (to <= from) return {};
  const auto a = offsets[static_cast<std::size_t>(from)];
  const auto b = offsets[static_cast<std::size_t>(to)];
  return std::string(s.substr(a, b - a));
}

std::size_t CodePointCount(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

const boost::json::value* Lookup(const boost::json::value& data, std::span<const PathStep> path) noexcept {
  const boost::json::value* cur = &data;
  for (const PathStep& step : path) {
    if (const auto* obj = cur->if_object()) {
      cur = obj->if_contains(step.key);
      if (!cur) return nullptr;
    } else if (const auto* arr = cur->if_array()) {
      if (step.index < 0 || static_cast<std::size_t>(step.index) >= arr->size()) return nullptr;
      cur = &(*arr)[static_cast<std::size_t>(step.index)];
    } else {
      return nullptr;
    }
  }
  return cur;
}

Evaluator::Evaluator(const Program& program, const boost::json::value& root) noexcept
    : p_(program), root_(root) {
  meter_.max_steps = program.limits.max_steps;
  meter_.max_string = program.limits.max_string;
  meter_.max_depth = kMaxRuleDepth;
}

namespace {
// Marks "the current data is the layered root"; never read as a value.
const boost::json::value kLayeredRoot;
}  // namespace

Evaluator::Evaluator(const Program& program, const boost::json::object& root,
                     std::span<const RuleBinding> bindings) noexcept
    : Evaluator(program, kLayeredRoot) {
  root_object_ = &root;
  bindings_ = bindings;
}

const boost::json::value* Evaluator::RootMember(std::string_view key) const noexcept {
  for (const RuleBinding& b : bindings_)
    if (b.key == key) return b.value;
  const auto* obj = root_object_ ? root_object_ : root_.if_object();
  return obj ? obj->if_contains(key) : nullptr;
}

const boost::json::value& Evaluator::root() {
  if (!root_object_) return root_;
  if (!merged_root_) {
    boost::json::object merged = *root_object_;
    for (const RuleBinding& b : bindings_) merged[b.key] = *b.value;
    merged_root_.emplace(std::move(merged));
  }
  return *merged_root_;
}

const boost::json::value* Evaluator::Find(const boost::json::value& data, const Path& path) {
  if (&data != &root_ || !root_object_) return Lookup(data, path);
  if (path.empty()) return &root();
  const boost::json::value* first = RootMember(path.front().key);
  if (!first || path.size() == 1) return first;
  return Lookup(*first, std::span<const PathStep>(path).subspan(1));
}

Error Evaluator::error() const {
  if (error_) return *error_;
  switch (meter_.exceeded) {
    case Meter::Exceeded::kSteps:
      return Error(Errc::kResourceExhausted,
                   "rule evaluation exceeded max_steps (" + std::to_string(p_.limits.max_steps) + ")");
    case Meter::Exceeded::kString:
      return Error(Errc::kResourceExhausted, "rule evaluation built a string longer than max_string (" +
                                                 std::to_string(p_.limits.max_string) + " bytes)");
    case Meter::Exceeded::kDepth:
      return Error(Errc::kResourceExhausted, "rule evaluation met data nested deeper than " +
                                                 std::to_string(kMaxRuleDepth) + " levels");
    case Meter::Exceeded::kNone: break;
  }
  return Error(Errc::kInternal, "rule evaluation failed without a reason");
}

Val Evaluator::Fail(Errc code, std::string message) {
  if (!error_ && meter_.ok()) error_ = Error(code, std::move(message));
  return {};
}

bool Evaluator::CheckArray(std::size_t size) {
  if (size <= p_.limits.max_array) return true;
  Fail(Errc::kResourceExhausted, "rule evaluation built an array longer than max_array (" +
                                     std::to_string(p_.limits.max_array) + " elements)");
  return false;
}

bool Evaluator::CheckString(std::size_t size) {
  if (size <= p_.limits.max_string) return true;
  meter_.Exceed(Meter::Exceeded::kString);
  return false;
}

Val Evaluator::Eval(std::uint32_t index, const boost::json::value& data) {
  if (error_ || !meter_.Charge()) return {};
  const Node& n = p_.nodes[index];
  switch (n.op) {
    case Op::kLiteral: return Literal(n);
    case Op::kArray: return Array(n, data);
    case Op::kVar: return Var(n, data);
    case Op::kMissing: return Missing(n, data);
    case Op::kMissingSome: return MissingSome(n, data);
    case Op::kIf: return If(n, data);
    case Op::kOr: return AndOr(n, data, false);
    case Op::kAnd: return AndOr(n, data, true);
    case Op::kNot: return Val::Bool(!Truthy(Arg(n, 0, data).get()));
    case Op::kNotNot: return Val::Bool(Truthy(Arg(n, 0, data).get()));
    case Op::kEq:
    case Op::kStrictEq:
    case Op::kNe:
    case Op::kStrictNe: return Equality(n, data);
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe: return Relation(n, data);
    case Op::kMax: return MinMax(n, data, true);
    case Op::kMin: return MinMax(n, data, false);
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod: return Arithmetic(n, data);
    case Op::kMap: return MapFilter(n, data, true);
    case Op::kFilter: return MapFilter(n, data, false);
    case Op::kReduce: return Reduce(n, data);
    case Op::kAll:
    case Op::kNone:
    case Op::kSome: return Quantifier(n, data);
    case Op::kMerge: return Merge(n, data);
    case Op::kIn: return In(n, data);
    case Op::kCat: return Cat(n, data);
    case Op::kSubstr: return Substr(n, data);
    case Op::kLog: return Arg(n, 0, data);  // no printing from a library
    case Op::kCustom: return Custom(n.aux, n, data);
  }
  return Fail(Errc::kInternal, "unknown operator code");
}

Val Evaluator::Array(const Node& n, const boost::json::value& data) {
  if (!CheckArray(n.count)) return {};
  boost::json::array out;
  out.reserve(n.count);
  for (std::size_t i = 0; i < n.count; ++i) out.push_back(std::move(Arg(n, i, data)).Take());
  return Val(boost::json::value(std::move(out)));
}

Val Evaluator::Var(const Node& n, const boost::json::value& data) {
  const boost::json::value* found = nullptr;
  if (n.aux != 0) {
    found = Find(data, p_.paths[n.aux - 1]);
  } else {
    const Val key = Arg(n, 0, data);
    if (key.get().is_null()) {
      found = &data == &root_ ? &root() : &data;
    } else {
      std::string text;
      if (!AppendJsString(text, key.get(), meter_)) return {};
      found = Find(data, SplitPath(text));
    }
  }
  if (found) return Val::Ref(*found);
  if (n.count < 2) return {};
  return Arg(n, 1, data);
}

bool Evaluator::MissingKeys(const boost::json::value* keys, std::size_t count,
                            const boost::json::value& data, boost::json::array& missing) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!meter_.Charge()) return false;
    const boost::json::value& key = keys[i];
    const boost::json::value* found = &data;
    if (!key.is_null()) {
      std::string text;
      if (!AppendJsString(text, key, meter_)) return false;
      found = Find(data, SplitPath(text));
    }
    // json-logic-js counts null and "" as missing, like an absent key.
    if (!found || found->is_null() || (found->is_string() && found->get_string().empty())) {
      if (!CheckArray(missing.size() + 1)) return false;
      missing.push_back(key);
    }
  }
  return true;
}

Val Evaluator::Missing(const Node& n, const boost::json::value& data) {
  boost::container::small_vector<Val, 4> args;
  for (std::size_t i = 0; i < n.count; ++i) args.push_back(Arg(n, i, data));
  if (failed()) return {};
  boost::json::array missing;
  if (!args.empty() && args[0].get().is_array()) {
    // {"missing": ["a", "b"]} and {"missing": {"merge": ...}}: one array of keys.
    const auto& keys = args[0].get().get_array();
    if (!MissingKeys(keys.data(), keys.size(), data, missing)) return {};
  } else {
    // {"missing": "a"}: the arguments are the keys.
    for (const Val& a : args)
      if (!MissingKeys(&a.get(), 1, data, missing)) return {};
  }
  return Val(boost::json::value(std::move(missing)));
}

Val Evaluator::MissingSome(const Node& n, const boost::json::value& data) {
  const Val need = Arg(n, 0, data);
  const Val options = Arg(n, 1, data);
  if (failed()) return {};
  const boost::json::value* keys = &options.get();
  std::size_t count = 1;
  if (const auto* arr = options.get().if_array()) {
    keys = arr->data();
    count = arr->size();
  }
  boost::json::array missing;
  if (!MissingKeys(keys, count, data, missing)) return {};
  // Enough keys present: nothing is reported missing.
  if (static_cast<double>(count - missing.size()) >= ToNumber(need.get()))
    return Val(boost::json::value(boost::json::array{}));
  return Val(boost::json::value(std::move(missing)));
}

Val Evaluator::If(const Node& n, const boost::json::value& data) {
  std::size_t i = 0;
  for (; i + 1 < n.count; i += 2) {
    if (Truthy(Arg(n, i, data).get())) return Arg(n, i + 1, data);
    if (failed()) return {};
  }
  if (i < n.count) return Arg(n, i, data);  // the final else
  return {};
}

Val Evaluator::AndOr(const Node& n, const boost::json::value& data, bool is_and) {
  Val current;
  for (std::size_t i = 0; i < n.count; ++i) {
    current = Arg(n, i, data);
    if (failed()) return {};
    if (Truthy(current.get()) != is_and) return current;
  }
  return current;
}

Val Evaluator::Equality(const Node& n, const boost::json::value& data) {
  const Val a = Arg(n, 0, data);
  const Val b = Arg(n, 1, data);
  if (failed()) return {};
  bool eq = false;
  switch (n.op) {
    case Op::kEq: eq = LooseEquals(a.get(), b.get(), meter_); break;
    case Op::kNe: eq = !LooseEquals(a.get(), b.get(), meter_); break;
    case Op::kStrictEq: eq = StrictEquals(a.get(), b.get(), meter_); break;
    default: eq = !StrictEquals(a.get(), b.get(), meter_); break;
  }
  return Val::Bool(eq);
}

Val Evaluator::Relation(const Node& n, const boost::json::value& data) {
  auto holds = [&](Order o) {
    switch (n.op) {
      case Op::kGt: return o == Order::kGreater;
      case Op::kGe: return o == Order::kGreater || o == Order::kEqual;
      case Op::kLt: return o == Order::kLess;
      default: return o == Order::kLess || o == Order::kEqual;
    }
  };
  const Val a = Arg(n, 0, data);
  const Val b = Arg(n, 1, data);
  if (failed()) return {};
  if (!holds(Compare(a.get(), b.get(), meter_))) return Val::Bool(false);
  if (n.count < 3) return Val::Bool(true);
  // Between: a < b < c (json-logic-js evaluates all three; so do we).
  const Val c = Arg(n, 2, data);
  if (failed()) return {};
  return Val::Bool(holds(Compare(b.get(), c.get(), meter_)));
}

Val Evaluator::MinMax(const Node& n, const boost::json::value& data, bool is_max) {
  double best = is_max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n.count; ++i) {
    const double d = ToNumber(Arg(n, i, data).get());
    if (std::isnan(d)) best = kNaN;
    else if (!std::isnan(best)) best = is_max ? std::max(best, d) : std::min(best, d);
  }
  if (failed()) return {};
  return Val(MakeNumber(best));
}

Val Evaluator::Arithmetic(const Node& n, const boost::json::value& data) {
  double result = 0;
  switch (n.op) {
    case Op::kAdd:  // json-logic-js sums with parseFloat
      for (std::size_t i = 0; i < n.count; ++i) result += ParseFloat(Arg(n, i, data).get(), meter_);
      break;
    case Op::kMul:
      result = 1;
      for (std::size_t i = 0; i < n.count; ++i) result *= ParseFloat(Arg(n, i, data).get(), meter_);
      break;
    case Op::kSub: {
      const double a = ToNumber(Arg(n, 0, data).get());
      result = n.count < 2 ? -a : a - ToNumber(Arg(n, 1, data).get());
      break;
    }
    case Op::kDiv: {
      const double a = ToNumber(Arg(n, 0, data).get());
      result = a / ToNumber(Arg(n, 1, data).get());
      break;
    }
    default: {
      const double a = ToNumber(Arg(n, 0, data).get());
      result = std::fmod(a, ToNumber(Arg(n, 1, data).get()));
      break;
    }
  }
  if (failed()) return {};
  return Val(MakeNumber(result));
}

Val Evaluator::Cat(const Node& n, const boost::json::value& data) {
  std::string out;
  for (std::size_t i = 0; i < n.count; ++i) {
    const Val v = Arg(n, i, data);
    if (failed()) return {};
    // Array.prototype.join: null contributes nothing.
    if (!v.get().is_null() && !AppendJsString(out, v.get(), meter_)) return {};
  }
  return Val(boost::json::value(boost::json::string(out)));
}

Val Evaluator::Substr(const Node& n, const boost::json::value& data) {
  const Val source = Arg(n, 0, data);
  const Val start = Arg(n, 1, data);
  Val end;
  if (n.count > 2) end = Arg(n, 2, data);
  if (failed()) return {};
  std::string text;
  if (!AppendJsString(text, source.get(), meter_)) return {};
  const double from = ToNumber(start.get());
  if (n.count > 2) {
    const double length = ToNumber(end.get());
    if (length < 0) {  // a negative length stops that many characters before the end
      std::string tail = SubstrCodePoints(text, from, std::nullopt);
      const double keep = static_cast<double>(CodePointCount(tail)) + length;
      return Val(boost::json::value(boost::json::string(SubstrCodePoints(tail, 0, keep))));
    }
    return Val(boost::json::value(boost::json::string(SubstrCodePoints(text, from, length))));
  }
  return Val(boost::json::value(boost::json::string(SubstrCodePoints(text, from, std::nullopt))));
}

Val Evaluator::Custom(std::uint32_t index, const Node& n, const boost::json::value& data) {
  const CustomNode& custom = p_.customs[index];
  boost::container::small_vector<Val, 4> args;
  boost::container::small_vector<const boost::json::value*, 4> pointers;
  if (!custom.op->lazy) {
    for (std::size_t i = 0; i < n.count; ++i) args.push_back(Arg(n, i, data));
    if (failed()) return {};
    for (const Val& a : args) pointers.push_back(&a.get());
  }
  const auto self = static_cast<std::uint32_t>(&n - p_.nodes.data());
  RuleCall call(*this, self, custom.name, custom.raw, data, custom.op->lazy ? nullptr : pointers.data());
  auto result = custom.op->fn(call);
  if (failed()) return {};
  if (!result) return Fail(result.error().code, std::move(result.error().message));
  return Val(std::move(*result));
}

}  // namespace tenancy::detail::jsonlogic

// The JsonLogic compiler: checks a rule and flattens it into a Program.
#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include "governance/jsonlogic_coerce.hpp"
#include "governance/jsonlogic_program.hpp"

namespace tenancy::detail::jsonlogic {
namespace {

// Argument counts follow jsonlogic.com: where an operator's meaning fixes
// them (comparisons, !, map, reduce, ...) a rule outside them is refused;
// variadic operators take any number, as json-logic-js does.
constexpr std::array<OpInfo, 36> kBuiltins = {{
    {"var", Op::kVar, 0, 2},
    {"missing", Op::kMissing, 0, kAnyArgs},
    {"missing_some", Op::kMissingSome, 2, 2},
    {"if", Op::kIf, 0, kAnyArgs},
    {"?:", Op::kIf, 0, kAnyArgs},
    {"or", Op::kOr, 0, kAnyArgs},
    {"and", Op::kAnd, 0, kAnyArgs},
    {"!", Op::kNot, 1, 1},
    {"!!", Op::kNotNot, 1, 1},
    {"==", Op::kEq, 2, 2},
    {"===", Op::kStrictEq, 2, 2},
    {"!=", Op::kNe, 2, 2},
    {"!==", Op::kStrictNe, 2, 2},
    {">", Op::kGt, 2, 2},
    {">=", Op::kGe, 2, 2},
    {"<", Op::kLt, 2, 3},
    {"<=", Op::kLe, 2, 3},
    {"max", Op::kMax, 0, kAnyArgs},
    {"min", Op::kMin, 0, kAnyArgs},
    {"+", Op::kAdd, 0, kAnyArgs},
    {"-", Op::kSub, 1, 2},
    {"*", Op::kMul, 1, kAnyArgs},
    {"/", Op::kDiv, 2, 2},
    {"%", Op::kMod, 2, 2},
    {"map", Op::kMap, 2, 2},
    {"filter", Op::kFilter, 2, 2},
    {"reduce", Op::kReduce, 2, 3},
    {"all", Op::kAll, 2, 2},
    {"none", Op::kNone, 2, 2},
    {"some", Op::kSome, 2, 2},
    {"merge", Op::kMerge, 0, kAnyArgs},
    {"in", Op::kIn, 2, 2},
    {"cat", Op::kCat, 0, kAnyArgs},
    {"substr", Op::kSubstr, 2, 3},
    {"log", Op::kLog, 1, 1},
    // Reserved, never compiled: json-logic-js's calls of JavaScript methods,
    // which a sandboxed engine must not offer.
    {"method", Op::kLiteral, 0, 0},
}};

// Appends a JSON Pointer reference token (RFC 6901: "~" → "~0", "/" → "~1").
void PushToken(std::string& path, std::string_view token) {
  path += '/';
  for (char c : token) {
    if (c == '~') path += "~0";
    else if (c == '/') path += "~1";
    else path += c;
  }
}

std::string Where(const std::string& path) { return path.empty() ? "the rule's root" : path; }

std::string Count(std::size_t n) { return n == kAnyArgs ? "any number of" : std::to_string(n); }

class Compiler {
 public:
  Compiler(Program& p, const OperatorRegistry* ops) : p_(p), ops_(ops) {}

  Result<std::uint32_t> Compile(const boost::json::value& v, std::size_t depth) {
    if (++nodes_ > p_.limits.max_nodes)
      return Fail(Errc::kInvalidArgument, "rule has more than " + std::to_string(p_.limits.max_nodes) +
                                              " values (at " + Where(path_) + ")");
    if (depth > p_.limits.max_depth)
      return Fail(Errc::kInvalidArgument, "rule nests deeper than " +
                                              std::to_string(p_.limits.max_depth) + " levels at " +
                                              Where(path_));
    if (v.is_array()) return CompileArray(v, depth);
    if (v.is_object() && v.get_object().size() == 1) return CompileOperator(v.get_object(), depth);
    // Scalars, {} and objects of several keys are data (json-logic-js's is_logic).
    return Literal(v);
  }

 private:
  std::uint32_t Literal(const boost::json::value& v) {
    p_.literals.push_back(v);
    return Push(Node{Op::kLiteral, 0, 0, static_cast<std::uint32_t>(p_.literals.size() - 1)});
  }

  std::uint32_t Push(Node n) {
    p_.nodes.push_back(n);
    return static_cast<std::uint32_t>(p_.nodes.size() - 1);
  }

  std::uint32_t Parent(Op op, const std::vector<std::uint32_t>& children, std::uint32_t aux = 0) {
    Node n{op, static_cast<std::uint32_t>(p_.kids.size()), static_cast<std::uint32_t>(children.size()),
           aux};
    p_.kids.insert(p_.kids.end(), children.begin(), children.end());
    return Push(n);
  }

  Result<std::uint32_t> CompileArray(const boost::json::value& v, std::size_t depth) {
    const auto& arr = v.get_array();
    const std::size_t nodes_mark = p_.nodes.size(), kids_mark = p_.kids.size(),
                      lits_mark = p_.literals.size();
    std::vector<std::uint32_t> children;
    children.reserve(arr.size());
    bool all_literal = true;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::size_t len = path_.size();
      PushToken(path_, std::to_string(i));
      auto child = Compile(arr[i], depth + 1);
      path_.resize(len);
      if (!child) return child;
      all_literal = all_literal && p_.nodes[*child].op == Op::kLiteral;
      children.push_back(*child);
    }
    if (all_literal) {  // pure data: one constant, evaluated without copying
      p_.nodes.resize(nodes_mark);
      p_.kids.resize(kids_mark);
      p_.literals.resize(lits_mark);
      return Literal(v);
    }
    return Parent(Op::kArray, children);
  }

  Result<std::uint32_t> CompileOperator(const boost::json::object& obj, std::size_t depth) {
    const auto& [key, value] = *obj.begin();
    const std::string_view name(key.data(), key.size());
    const std::size_t len = path_.size();
    PushToken(path_, name);

    const OpInfo* builtin = FindBuiltin(name);
    std::shared_ptr<const RuleOperator> custom;
    if (builtin && builtin->op == Op::kLiteral)
      return Fail(Errc::kInvalidArgument,
                  "operator \"" + std::string(name) + "\" is not supported (at " + path_ + ")");
    if (!builtin && ops_) custom = ops_->Find(name);
    if (!builtin && !custom && name == "$ref")
      return Fail(Errc::kInvalidArgument, "unresolved {\"$ref\": ...} at " + path_ +
                                              " (only flag sets resolve references)");
    if (!builtin && !custom)
      return Fail(Errc::kInvalidArgument, "unknown operator \"" + std::string(name) + "\" at " + path_);

    const std::size_t argc = value.is_array() ? value.get_array().size() : 1;
    const std::size_t min_args = builtin ? builtin->min_args : custom->min_args;
    const std::size_t max_args = builtin ? builtin->max_args : custom->max_args;
    if (argc < min_args || argc > max_args) {
      std::string want = min_args == max_args ? Count(min_args)
                         : max_args == kAnyArgs ? "at least " + Count(min_args)
                                                : Count(min_args) + " to " + Count(max_args);
      return Fail(Errc::kInvalidArgument, "operator \"" + std::string(name) + "\" takes " + want +
                                              (want == "1" ? " argument" : " arguments") + ", got " +
                                              std::to_string(argc) + " (at " + path_ + ")");
    }

    std::vector<std::uint32_t> children;
    children.reserve(argc);
    if (value.is_array()) {
      const auto& args = value.get_array();
      for (std::size_t i = 0; i < args.size(); ++i) {
        const std::size_t arg_len = path_.size();
        PushToken(path_, std::to_string(i));
        auto child = Compile(args[i], depth + 1);
        path_.resize(arg_len);
        if (!child) return child;
        children.push_back(*child);
      }
    } else {
      auto child = Compile(value, depth + 1);
      if (!child) return child;
      children.push_back(*child);
    }
    path_.resize(len);

    if (custom) {
      boost::json::array raw = value.is_array() ? value.get_array() : boost::json::array{value};
      p_.customs.push_back(CustomNode{std::move(custom), std::string(name), std::move(raw)});
      return Parent(Op::kCustom, children, static_cast<std::uint32_t>(p_.customs.size() - 1));
    }
    std::uint32_t aux = 0;
    if (builtin->op == Op::kVar) aux = ConstantPath(children);
    return Parent(builtin->op, children, aux);
  }

  // A var whose path is a constant gets it split once, here.
  std::uint32_t ConstantPath(const std::vector<std::uint32_t>& children) {
    if (children.empty()) {
      p_.paths.push_back(Path{});
      return static_cast<std::uint32_t>(p_.paths.size());
    }
    const Node& first = p_.nodes[children[0]];
    if (first.op != Op::kLiteral) return 0;
    const boost::json::value& key = p_.literals[first.aux];
    if (key.is_array() || key.is_object()) return 0;  // rare; resolved at run time
    if (key.is_null()) {
      p_.paths.push_back(Path{});
    } else {
      std::string text;
      if (!AppendJsString(text, key, 1024, 4)) return 0;
      p_.paths.push_back(SplitPath(text));
    }
    return static_cast<std::uint32_t>(p_.paths.size());
  }

  Program& p_;
  const OperatorRegistry* ops_;
  std::size_t nodes_ = 0;
  std::string path_;
};

}  // namespace

const OpInfo* FindBuiltin(std::string_view name) noexcept {
  for (const OpInfo& info : kBuiltins)
    if (info.name == name) return &info;
  return nullptr;
}

Path SplitPath(std::string_view dotted) {
  Path path;
  if (dotted.empty()) return path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string_view part = dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start);
    PathStep step{std::string(part), -1};
    const bool canonical = !part.empty() && part.size() <= 15 && (part.size() == 1 || part[0] != '0') &&
                           std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (canonical) std::from_chars(part.data(), part.data() + part.size(), step.index);
    path.push_back(std::move(step));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

Result<std::shared_ptr<const Program>> CompileProgram(const boost::json::value& logic,
                                                      const RuleLimits& limits,
                                                      const OperatorRegistry* operators) {
  auto program = std::make_shared<Program>();
  program->limits = limits;
  program->limits.max_depth = std::min(limits.max_depth, kMaxRuleDepth);
  Compiler compiler(*program, operators);
  auto root = compiler.Compile(logic, 0);
  if (!root) return root.error();
  program->root = *root;
  return std::shared_ptr<const Program>(std::move(program));
}

}  // namespace tenancy::detail::jsonlogic

namespace tenancy {

bool IsBuiltinOperator(std::string_view name) noexcept {
  return detail::jsonlogic::FindBuiltin(name) != nullptr;
}

}  // namespace tenancy

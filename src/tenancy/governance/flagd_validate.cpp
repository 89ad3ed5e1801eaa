// Strict checks of flagd targeting rules: what flagd's targeting.json schema
// requires of its own operators, beyond what compiling a rule checks.
#include <array>
#include <cmath>

#include "governance/flagd_ops.hpp"
#include "governance/flagd_semver.hpp"
#include "governance/flagd_set.hpp"
#include "tenancy/flags.hpp"

namespace tenancy::detail::flagd {
namespace {

constexpr std::array<std::string_view, 8> kSemVerOperators = {"=", "!=", "<", "<=", ">", ">=", "^", "~"};

std::string_view View(const boost::json::string& s) noexcept { return {s.data(), s.size()}; }
// Not for object keys: they would convert to a temporary string first.
std::string_view View(boost::json::string_view) = delete;

bool IsRule(const boost::json::value& v) noexcept { return v.is_object() && v.get_object().size() == 1; }

class SchemaChecker {
 public:
  Result<void> Visit(const boost::json::value& v, std::size_t depth) {
    if (depth > kMaxRuleDepth) return Bad("nests too deeply");
    if (const auto* arr = v.if_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        auto r = Nested((*arr)[i], std::to_string(i), depth);
        if (!r) return r;
      }
      return {};
    }
    if (!IsRule(v)) return {};
    const auto& [key, args] = *v.get_object().begin();
    const std::string_view op(key.data(), key.size());
    const std::size_t len = path_.size();
    PushPointer(path_, op);
    Result<void> r;
    if (op == "$ref") r = args.is_string() ? Result<void>() : Bad("a $ref names an evaluator (a string)");
    else if (op == "var") r = CheckVar(args);
    else if (op == "fractional") r = CheckFractional(args);
    else if (op == "starts_with" || op == "ends_with") r = CheckAffix(op, args);
    else if (op == "sem_ver") r = CheckSemVer(args);
    if (r && op != "$ref") {
      if (const auto* arr = args.if_array()) {
        for (std::size_t i = 0; i < arr->size() && r; ++i) r = Nested((*arr)[i], std::to_string(i), depth + 1);
      } else {
        r = Visit(args, depth + 1);
      }
    }
    if (r) path_.resize(len);
    return r;
  }

 private:
  Result<void> Nested(const boost::json::value& v, const std::string& token, std::size_t depth) {
    const std::size_t len = path_.size();
    PushPointer(path_, token);
    auto r = Visit(v, depth + 1);
    if (r) path_.resize(len);
    return r;
  }

  Error Bad(const std::string& what) const {
    return Error(Errc::kInvalidArgument, what + " (at " + (path_.empty() ? "the rule's root" : path_) + ")");
  }

  Result<void> CheckVar(const boost::json::value& args) {
    const boost::json::value* name = &args;
    if (const auto* arr = args.if_array()) {
      if (arr->empty()) return {};
      name = &(*arr)[0];
    }
    if (!name->is_string()) return {};
    const std::string_view s = View(name->get_string());
    if (s.starts_with("$flagd.") && s != "$flagd.flagKey" && s != "$flagd.timestamp")
      return Bad("\"" + std::string(s) + "\" is not a flagd property ($flagd.flagKey, $flagd.timestamp)");
    return {};
  }

  Result<void> CheckFractional(const boost::json::value& args) {
    const auto* arr = args.if_array();
    if (!arr || arr->empty()) return Bad("fractional takes a list of buckets");
    std::size_t first = 0;
    if (!(*arr)[0].is_array()) {
      if (!IsRule((*arr)[0]))
        return Bad("fractional's first argument is a rule giving the bucketing value, or a bucket");
      first = 1;
    }
    if (first >= arr->size()) return Bad("fractional has no buckets");
    std::uint64_t total = 0;
    for (std::size_t i = first; i < arr->size(); ++i) {
      const auto* bucket = (*arr)[i].if_array();
      if (!bucket || bucket->empty() || bucket->size() > 2)
        return Bad("fractional bucket " + std::to_string(i) + " is not [variant] or [variant, weight]");
      if (bucket->size() < 2) {
        total += 1;
        continue;
      }
      const boost::json::value& w = (*bucket)[1];
      if (IsRule(w)) continue;  // computed at run time; negative results count as 0
      const std::string where = "fractional bucket " + std::to_string(i) + "'s weight ";
      if (w.is_double() && std::trunc(w.get_double()) != w.get_double())
        return Bad(where + "must be a whole number");
      if (!w.is_int64() && !w.is_uint64() && !w.is_double()) return Bad(where + "must be a number or a rule");
      const double d = w.is_int64() ? static_cast<double>(w.get_int64())
                       : w.is_uint64() ? static_cast<double>(w.get_uint64())
                                       : w.get_double();
      if (d < 0) return Bad(where + "must not be negative");
      if (d > static_cast<double>(kMaxFractionalWeight)) return Bad(where + "is too large");
      total += static_cast<std::uint64_t>(d);
    }
    if (total > kMaxFractionalWeight) return Bad("fractional weights sum to more than 2147483647");
    return {};
  }

  Result<void> CheckAffix(std::string_view op, const boost::json::value& args) {
    const auto* arr = args.if_array();
    if (!arr || arr->size() != 2) return Bad(std::string(op) + " takes two arguments");
    for (const auto& a : *arr)
      if (!a.is_string() && !IsRule(a)) return Bad(std::string(op) + "'s arguments are strings or rules");
    return {};
  }

  Result<void> CheckSemVer(const boost::json::value& args) {
    const auto* arr = args.if_array();
    if (!arr || arr->size() != 3) return Bad("sem_ver takes a version, an operator and a version");
    const auto& op = (*arr)[1];
    bool known = false;
    if (op.is_string())
      for (auto k : kSemVerOperators) known = known || View(op.get_string()) == k;
    if (!known) return Bad("sem_ver's operator is one of = != < <= > >= ^ ~");
    for (std::size_t i : {std::size_t{0}, std::size_t{2}}) {
      const auto& v = (*arr)[i];
      if (IsRule(v)) continue;
      if (!v.is_string() || !ParseSemVer(View(v.get_string()), SemVerSyntax{false, false}))
        return Bad("sem_ver's argument " + std::to_string(i) + " is not a semantic version (MAJOR.MINOR.PATCH)");
    }
    return {};
  }

  std::string path_;
};

}  // namespace

Result<void> CheckTargetingSchema(const boost::json::value& rule) {
  SchemaChecker checker;
  return checker.Visit(rule, 0);
}

}  // namespace tenancy::detail::flagd

namespace tenancy {

Result<void> ValidateTargeting(const boost::json::value& targeting, const RuleLimits& limits) {
  if (!targeting.is_object()) return Fail(Errc::kInvalidArgument, "targeting must be a JSON object");
  if (targeting.get_object().empty()) return {};  // no targeting
  if (auto r = detail::flagd::CheckTargetingSchema(targeting); !r) return r;
  auto rule = Rule::Compile(targeting, limits, detail::flagd::FlagdOperatorsWithRefs());
  if (!rule) return rule.error();
  return {};
}

}  // namespace tenancy

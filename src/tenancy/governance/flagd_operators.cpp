// flagd's custom JsonLogic operators: fractional, sem_ver, starts_with, ends_with.
//
// Their run-time behaviour follows flagd's evaluator testbed (evaluator/gherkin
// in open-feature/flagd-testbed): bad input yields null, never an error, so
// the flag falls back to its default variant.
#include <boost/json/string.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "governance/flagd_murmur3.hpp"
#include "governance/flagd_ops.hpp"
#include "governance/flagd_semver.hpp"
#include "governance/jsonlogic_coerce.hpp"
#include "tenancy/flags.hpp"

namespace tenancy::detail::flagd {
namespace {

std::string_view View(const boost::json::string& s) noexcept { return {s.data(), s.size()}; }
// Not for object keys: they would convert to a temporary string first.
std::string_view View(boost::json::string_view) = delete;

std::string_view StringAt(const boost::json::value& root, std::string_view key) {
  const auto* obj = root.if_object();
  const auto* v = obj ? obj->if_contains(key) : nullptr;
  return v && v->is_string() ? View(v->get_string()) : std::string_view{};
}

// The weight of a bucket: a number; negative weights count as 0, fractions
// are dropped. nullopt when it is not a number.
std::optional<std::uint64_t> Weight(const boost::json::value& w) {
  if (w.is_uint64()) return w.get_uint64();
  if (w.is_int64()) return w.get_int64() < 0 ? 0 : static_cast<std::uint64_t>(w.get_int64());
  if (w.is_double()) {
    const double d = w.get_double();
    if (std::isnan(d) || d <= 0) return 0;
    if (d >= 1e19) return kMaxFractionalWeight + 1;  // too big: refused by the total
    return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

// A sem_ver operand: a string, or a number read as its JavaScript string
// ("1.2" for 1.2, "2" for 2).
std::optional<SemVer> Version(const boost::json::value& v) {
  if (v.is_string()) return ParseSemVer(View(v.get_string()));
  if (jsonlogic::IsNumber(v)) {
    std::string text;
    if (!jsonlogic::AppendJsString(text, v, 64, 1)) return std::nullopt;
    return ParseSemVer(text);
  }
  return std::nullopt;
}

Result<boost::json::value> Affix(const RuleCall& call, bool prefix) {
  if (call.size() != 2 || !call.arg(0).is_string() || !call.arg(1).is_string()) return boost::json::value();
  const std::string_view subject = View(call.arg(0).get_string());
  const std::string_view affix = View(call.arg(1).get_string());
  return boost::json::value(prefix ? subject.starts_with(affix) : subject.ends_with(affix));
}

void MustAdd(OperatorRegistry& registry, std::string name, RuleOperator op) {
  if (!registry.Add(std::move(name), std::move(op))) std::abort();  // a bug, caught by any test
}

OperatorRegistry MakeRegistry(bool with_refs) {
  OperatorRegistry registry;
  // No arity at compile time: flagd answers null at run time instead.
  MustAdd(registry, "fractional", RuleOperator{false, 0, kAnyArgs, Fractional});
  MustAdd(registry, "sem_ver", RuleOperator{false, 0, kAnyArgs, SemVerOperator});
  MustAdd(registry, "starts_with", RuleOperator{false, 0, kAnyArgs, StartsWith});
  MustAdd(registry, "ends_with", RuleOperator{false, 0, kAnyArgs, EndsWith});
  if (with_refs) {
    MustAdd(registry, "$ref", RuleOperator{true, 1, 1, [](const RuleCall&) -> Result<boost::json::value> {
                                             return boost::json::value();
                                           }});
  }
  return registry;
}

}  // namespace

std::optional<std::size_t> PickBucket(std::uint32_t hash, std::span<const std::uint64_t> weights) noexcept {
  std::uint64_t total = 0;
  for (std::uint64_t w : weights) {
    if (w > kMaxFractionalWeight) return std::nullopt;
    total += w;
  }
  if (total == 0 || total > kMaxFractionalWeight) return std::nullopt;
  // hash < 2^32 and total < 2^31: the product fits in 64 bits.
  const std::uint64_t point = (static_cast<std::uint64_t>(hash) * total) >> 32;
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    end += weights[i];
    if (point < end) return i;
  }
  return std::nullopt;  // unreachable: point < total
}

Result<boost::json::value> Fractional(const RuleCall& call) {
  const std::size_t n = call.size();
  if (n == 0) return boost::json::value();
  std::string key;
  std::size_t first = 0;
  if (call.raw(0).is_array()) {
    // Shorthand: every argument is a bucket, and the bucketing value is the
    // flag key followed by the targeting key.
    if (const auto* flagd = call.member("$flagd")) key = std::string(StringAt(*flagd, "flagKey"));
    if (const auto* targeting_key = call.member("targetingKey"); targeting_key && targeting_key->is_string())
      key += View(targeting_key->get_string());
  } else if (call.arg(0).is_string()) {
    key = std::string(View(call.arg(0).get_string()));
    first = 1;
  } else {
    return boost::json::value();  // the bucketing expression gave no string
  }

  std::vector<std::uint64_t> weights;
  std::vector<const boost::json::value*> names;
  for (std::size_t i = first; i < n; ++i) {
    const auto* bucket = call.arg(i).if_array();
    if (!bucket || bucket->empty() || bucket->size() > 2) return boost::json::value();
    const boost::json::value& name = (*bucket)[0];
    if (name.is_array() || name.is_object()) return boost::json::value();
    std::optional<std::uint64_t> weight = bucket->size() == 2 ? Weight((*bucket)[1]) : 1;
    if (!weight) return boost::json::value();
    names.push_back(&name);
    weights.push_back(*weight);
  }
  const auto pick = PickBucket(MurmurHash3X86_32(key), weights);
  if (!pick) return boost::json::value();
  return *names[*pick];
}

Result<boost::json::value> SemVerOperator(const RuleCall& call) {
  if (call.size() != 3 || !call.arg(1).is_string()) return boost::json::value();
  const auto version = Version(call.arg(0));
  const auto target = Version(call.arg(2));
  if (!version || !target) return boost::json::value();
  const auto holds = SemVerHolds(*version, View(call.arg(1).get_string()), *target);
  if (!holds) return boost::json::value();
  return boost::json::value(*holds);
}

Result<boost::json::value> StartsWith(const RuleCall& call) { return Affix(call, true); }

Result<boost::json::value> EndsWith(const RuleCall& call) { return Affix(call, false); }

const OperatorRegistry& FlagdOperatorsWithRefs() {
  static const OperatorRegistry registry = MakeRegistry(true);
  return registry;
}

}  // namespace tenancy::detail::flagd

namespace tenancy {

const OperatorRegistry& FlagdOperators() {
  static const OperatorRegistry registry = detail::flagd::MakeRegistry(false);
  return registry;
}

}  // namespace tenancy

// The JsonLogic evaluator: one per Rule::Evaluate call, walking a Program.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "governance/jsonlogic_coerce.hpp"
#include "governance/jsonlogic_program.hpp"
#include "tenancy/result.hpp"

namespace tenancy::detail::jsonlogic {

// Shared constants, so that booleans and null need no value of their own.
inline const boost::json::value kJsonNull;
inline const boost::json::value kJsonTrue(true);  // (braces would make [true])
inline const boost::json::value kJsonFalse(false);

// An intermediate value: borrowed from the data, the program or the
// constants above when it can be (var, literals, comparisons: no JSON value
// is built), owned when computed.
class Val {
 public:
  Val() noexcept : ref_(&kJsonNull) {}
  explicit Val(boost::json::value v) noexcept : own_(std::move(v)) {}
  static Val Ref(const boost::json::value& v) noexcept {
    Val x;
    x.ref_ = &v;
    return x;
  }
  static Val Bool(bool b) noexcept { return Ref(b ? kJsonTrue : kJsonFalse); }

  const boost::json::value& get() const noexcept { return ref_ ? *ref_ : *own_; }
  // The value, moved out when owned, copied when borrowed.
  boost::json::value Take() && { return ref_ ? boost::json::value(*ref_) : std::move(*own_); }

 private:
  const boost::json::value* ref_ = nullptr;  // null: the value is own_
  std::optional<boost::json::value> own_;
};

class Evaluator {
 public:
  Evaluator(const Program& program, const boost::json::value& root) noexcept;
  // Over an object root with `bindings` shadowing its members, neither
  // copied: start with Eval(node, start()).
  Evaluator(const Program& program, const boost::json::object& root,
            std::span<const RuleBinding> bindings) noexcept;

  // The data to start evaluating with.
  const boost::json::value& start() const noexcept { return root_; }

  // The value of `node` with `data` as the current data. After a failure
  // every call returns null at once; check failed().
  Val Eval(std::uint32_t node, const boost::json::value& data);

  bool failed() const noexcept { return error_.has_value() || !meter_.ok(); }
  // The error that stopped evaluation. REQUIRES: failed().
  Error error() const;
  // The root with the bindings merged in (built on first use when there are any).
  const boost::json::value& root();
  // The root's top-level member `key`, bindings first; null when absent.
  const boost::json::value* RootMember(std::string_view key) const noexcept;
  const Program& program() const noexcept { return p_; }

 private:
  Val Literal(const Node& n) const noexcept { return Val::Ref(p_.literals[n.aux]); }
  Val Array(const Node& n, const boost::json::value& data);
  Val Var(const Node& n, const boost::json::value& data);
  Val Missing(const Node& n, const boost::json::value& data);
  Val MissingSome(const Node& n, const boost::json::value& data);
  // Appends to `missing` the keys whose value in `data` is absent, null or "".
  // false when a limit was exceeded.
  bool MissingKeys(const boost::json::value* keys, std::size_t count, const boost::json::value& data,
                   boost::json::array& missing);
  Val If(const Node& n, const boost::json::value& data);
  Val AndOr(const Node& n, const boost::json::value& data, bool is_and);
  Val Equality(const Node& n, const boost::json::value& data);
  Val Relation(const Node& n, const boost::json::value& data);
  Val MinMax(const Node& n, const boost::json::value& data, bool is_max);
  Val Arithmetic(const Node& n, const boost::json::value& data);
  Val Cat(const Node& n, const boost::json::value& data);
  Val Substr(const Node& n, const boost::json::value& data);
  Val Custom(std::uint32_t index, const Node& n, const boost::json::value& data);
  // Array operators (jsonlogic_arrays.cpp).
  Val MapFilter(const Node& n, const boost::json::value& data, bool is_map);
  Val Reduce(const Node& n, const boost::json::value& data);
  Val Quantifier(const Node& n, const boost::json::value& data);
  Val Merge(const Node& n, const boost::json::value& data);
  Val In(const Node& n, const boost::json::value& data);

  // The value of the node's i-th child.
  Val Arg(const Node& n, std::size_t i, const boost::json::value& data) {
    return Eval(p_.Child(n, i), data);
  }
  // `path` inside `data`; at the root, the bindings answer for their keys.
  const boost::json::value* Find(const boost::json::value& data, const Path& path);
  // Records the first failure; returns null for convenience.
  Val Fail(Errc code, std::string message);
  // false (recording the failure) when an array of `size` elements is too big.
  bool CheckArray(std::size_t size);
  // false (recording the failure) when a string of `size` bytes is too big.
  bool CheckString(std::size_t size);

  friend class ::tenancy::RuleCall;

  const Program& p_;
  // The root, or (layered) a stand-in marking "at the root" whose members
  // are bindings_ over *root_object_.
  const boost::json::value& root_;
  const boost::json::object* root_object_ = nullptr;  // set: layered
  std::span<const RuleBinding> bindings_;
  std::optional<boost::json::value> merged_root_;  // root() when layered
  Meter meter_;
  std::optional<Error> error_;
};

// The value of `dotted` path steps inside `data`, or null when a step is missing.
const boost::json::value* Lookup(const boost::json::value& data, std::span<const PathStep> path) noexcept;

}  // namespace tenancy::detail::jsonlogic

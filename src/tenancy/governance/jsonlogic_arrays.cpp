// Evaluation of JsonLogic's array operators: map, filter, reduce, all, none,
// some, merge and in.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "governance/jsonlogic_eval.hpp"

namespace tenancy::detail::jsonlogic {

Val Evaluator::MapFilter(const Node& n, const boost::json::value& data, bool is_map) {
  const Val source = Arg(n, 0, data);
  if (failed()) return {};
  boost::json::array out;
  const auto* elements = source.get().if_array();
  if (!elements) return Val(boost::json::value(std::move(out)));  // not an array: []
  const std::uint32_t body = p_.Child(n, 1);
  for (const boost::json::value& element : *elements) {
    Val r = Eval(body, element);  // inside, var reads the element
    if (failed()) return {};
    if (!is_map && !Truthy(r.get())) continue;
    if (!CheckArray(out.size() + 1)) return {};
    out.push_back(is_map ? std::move(r).Take() : element);
  }
  return Val(boost::json::value(std::move(out)));
}

Val Evaluator::Reduce(const Node& n, const boost::json::value& data) {
  const Val source = Arg(n, 0, data);
  Val initial;
  if (n.count > 2) initial = Arg(n, 2, data);
  if (failed()) return {};
  const auto* elements = source.get().if_array();
  if (!elements) return initial;
  // Inside, var reads {"current": element, "accumulator": value so far}.
  boost::json::value scope = boost::json::object{{"current", nullptr}, {"accumulator", nullptr}};
  boost::json::value& current = scope.get_object()["current"];
  boost::json::value& accumulator = scope.get_object()["accumulator"];
  accumulator = std::move(initial).Take();
  const std::uint32_t body = p_.Child(n, 1);
  for (const boost::json::value& element : *elements) {
    current = element;
    Val r = Eval(body, scope);
    if (failed()) return {};
    boost::json::value next = std::move(r).Take();  // copied first when it borrows from `scope`
    accumulator = std::move(next);
  }
  return Val(std::move(accumulator));
}

Val Evaluator::Quantifier(const Node& n, const boost::json::value& data) {
  const Val source = Arg(n, 0, data);
  if (failed()) return {};
  const auto* elements = source.get().if_array();
  const std::uint32_t body = p_.Child(n, 1);
  if (n.op == Op::kAll) {
    if (!elements || elements->empty()) return Val::Bool(false);  // as json-logic-js
    for (const boost::json::value& element : *elements) {
      const bool pass = Truthy(Eval(body, element).get());
      if (failed()) return {};
      if (!pass) return Val::Bool(false);
    }
    return Val::Bool(true);
  }
  bool any = false;
  if (elements) {
    for (const boost::json::value& element : *elements) {
      any = Truthy(Eval(body, element).get());
      if (failed()) return {};
      if (any) break;
    }
  }
  return Val::Bool(n.op == Op::kSome ? any : !any);
}

Val Evaluator::Merge(const Node& n, const boost::json::value& data) {
  boost::json::array out;
  for (std::size_t i = 0; i < n.count; ++i) {
    Val v = Arg(n, i, data);
    if (failed()) return {};
    const auto* arr = v.get().if_array();
    const std::size_t adds = arr ? arr->size() : 1;
    if (!CheckArray(out.size() + adds) || !meter_.Charge(adds)) return {};
    boost::json::value x = std::move(v).Take();
    if (auto* items = x.if_array()) {
      for (auto& item : *items) out.push_back(std::move(item));
    } else {
      out.push_back(std::move(x));  // merge casts non-arrays to [x]
    }
  }
  return Val(boost::json::value(std::move(out)));
}

Val Evaluator::In(const Node& n, const boost::json::value& data) {
  const Val needle = Arg(n, 0, data);
  const Val haystack = Arg(n, 1, data);
  if (failed()) return {};
  if (const auto* text = haystack.get().if_string()) {
    std::string sought;
    if (!AppendJsString(sought, needle.get(), meter_)) return {};
    // A substring search may compare every position with most of the
    // needle: charge for that worst case before searching.
    if (!meter_.Charge(1 + (text->size() / 64) * (1 + sought.size() / 16))) return {};
    const std::string_view hay(text->data(), text->size());
    return Val::Bool(hay.find(sought) != std::string_view::npos);
  }
  if (const auto* elements = haystack.get().if_array()) {
    for (const boost::json::value& element : *elements) {
      if (StrictEquals(needle.get(), element, meter_)) return Val::Bool(true);
      if (failed()) return {};
    }
  }
  return Val::Bool(false);
}

}  // namespace tenancy::detail::jsonlogic

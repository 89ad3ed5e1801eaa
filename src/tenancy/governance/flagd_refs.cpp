// $evaluators and {"$ref": "name"}: shared targeting rules, expanded at load time.
#include <algorithm>

#include "governance/flagd_set.hpp"

namespace tenancy::detail::flagd {
namespace {

std::string Where(const std::string& path) { return path.empty() ? "the rule's root" : path; }

}  // namespace

void PushPointer(std::string& path, std::string_view token) {
  path += '/';
  for (char c : token) {
    if (c == '~') path += "~0";
    else if (c == '/') path += "~1";
    else path += c;
  }
}

RefResolver::RefResolver(const boost::json::object* evaluators, const RuleLimits& limits)
    : evaluators_(evaluators), limits_(limits) {
  limits_.max_depth = std::min(limits_.max_depth, kMaxRuleDepth);
}

Result<boost::json::value> RefResolver::Expand(const boost::json::value& rule) {
  std::size_t nodes = 0;
  std::string path;
  return Copy(rule, 0, nodes, path);
}

Result<void> RefResolver::CheckAll() {
  if (!evaluators_) return {};
  for (const auto& [name, rule] : *evaluators_) {
    auto r = Resolve(std::string_view(name.data(), name.size()));
    if (!r) return r.error();
  }
  return {};
}

Result<const RefResolver::Resolved*> RefResolver::Resolve(std::string_view name) {
  if (auto it = resolved_.find(name); it != resolved_.end()) {
    switch (it->second.state) {
      case Resolved::State::kDone: return &it->second;
      case Resolved::State::kFailed: return Fail(Errc::kInvalidArgument, it->second.error);
      case Resolved::State::kVisiting: {
        std::string cycle;
        auto start = std::find(chain_.begin(), chain_.end(), name);
        for (auto c = start; c != chain_.end(); ++c) cycle += "\"" + *c + "\" → ";
        return Fail(Errc::kInvalidArgument, "$ref cycle: " + cycle + "\"" + std::string(name) + "\"");
      }
    }
  }
  const boost::json::value* body = evaluators_ ? evaluators_->if_contains(name) : nullptr;
  if (!body) return Fail(Errc::kInvalidArgument, "$ref to unknown evaluator \"" + std::string(name) + "\"");

  resolved_.emplace(std::string(name), Resolved{});
  chain_.emplace_back(name);
  std::size_t nodes = 0;
  std::string path = "/$evaluators";
  PushPointer(path, name);
  auto value = Copy(*body, 0, nodes, path);
  chain_.pop_back();

  Resolved& entry = resolved_.find(name)->second;
  if (!value) {
    entry.state = Resolved::State::kFailed;
    entry.error = value.error().message;
    return value.error();
  }
  entry.state = Resolved::State::kDone;
  entry.value = std::move(*value);
  entry.nodes = nodes;
  return &entry;
}

Result<boost::json::value> RefResolver::Copy(const boost::json::value& v, std::size_t depth,
                                             std::size_t& nodes, std::string& path) {
  if (depth > limits_.max_depth)
    return Fail(Errc::kInvalidArgument, "targeting nests deeper than " + std::to_string(limits_.max_depth) +
                                            " levels at " + Where(path));
  if (++nodes > limits_.max_nodes)
    return Fail(Errc::kInvalidArgument, "targeting has more than " + std::to_string(limits_.max_nodes) +
                                            " values once $ref are expanded (at " + Where(path) + ")");
  if (const auto* obj = v.if_object()) {
    if (obj->size() == 1 && obj->begin()->key() == "$ref") {
      const boost::json::value& name = obj->begin()->value();
      if (!name.is_string())
        return Fail(Errc::kInvalidArgument, "{\"$ref\": ...} at " + Where(path) + " must name an evaluator");
      auto resolved = Resolve(std::string_view(name.get_string().data(), name.get_string().size()));
      if (!resolved) {
        auto e = resolved.error();
        e.message += " (at " + Where(path) + ")";
        return e;
      }
      nodes += (*resolved)->nodes;
      if (nodes > limits_.max_nodes)
        return Fail(Errc::kInvalidArgument, "targeting has more than " + std::to_string(limits_.max_nodes) +
                                                " values once $ref are expanded (at " + Where(path) + ")");
      return (*resolved)->value;
    }
    boost::json::object out;
    out.reserve(obj->size());
    for (const auto& [key, member] : *obj) {
      const std::size_t len = path.size();
      PushPointer(path, std::string_view(key.data(), key.size()));
      auto copied = Copy(member, depth + 1, nodes, path);
      path.resize(len);
      if (!copied) return copied;
      out.emplace(key, std::move(*copied));
    }
    return boost::json::value(std::move(out));
  }
  if (const auto* arr = v.if_array()) {
    boost::json::array out;
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::size_t len = path.size();
      PushPointer(path, std::to_string(i));
      auto copied = Copy((*arr)[i], depth + 1, nodes, path);
      path.resize(len);
      if (!copied) return copied;
      out.push_back(std::move(*copied));
    }
    return boost::json::value(std::move(out));
  }
  return v;
}

}  // namespace tenancy::detail::flagd

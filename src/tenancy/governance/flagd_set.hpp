// The loaded form of a flagd flag set, and the pieces of loading.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/flags.hpp"
#include "tenancy/rules.hpp"

namespace tenancy::detail::flagd {

// `text` in double quotes, for naming flags and variants in messages.
inline std::string Quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out.append(text);
  out += '"';
  return out;
}

struct Flag {
  bool enabled = true;
  boost::json::object variants;
  std::optional<std::string> default_variant;
  std::optional<Rule> targeting;  // none: the flag is static
  std::shared_ptr<const boost::json::object> metadata;  // the set's, overlaid with the flag's
  std::optional<std::string> broken;  // permissive loads: why the flag cannot be evaluated
};

struct FlagSetData {
  std::map<std::string, Flag, std::less<>> flags;
  std::shared_ptr<const boost::json::object> metadata;  // the set's own
  Clock* clock = nullptr;
};

// The shared empty metadata object.
const std::shared_ptr<const boost::json::object>& EmptyMetadata();

// Expands {"$ref": "name"} in targeting rules with the named $evaluators,
// themselves expanded (references may chain). Cycles, unknown names and
// expansions beyond the limits are errors naming the chain or place.
class RefResolver {
 public:
  // `evaluators` may be null (no $evaluators). REQUIRES: it outlives the resolver.
  RefResolver(const boost::json::object* evaluators, const RuleLimits& limits);

  // `rule` with every reference replaced. kInvalidArgument on failure.
  Result<boost::json::value> Expand(const boost::json::value& rule);
  // Resolves every evaluator, so faults in unused ones are found too.
  Result<void> CheckAll();

 private:
  struct Resolved {
    enum class State { kVisiting, kDone, kFailed } state = State::kVisiting;
    boost::json::value value;
    std::size_t nodes = 0;
    std::string error;
  };

  Result<const Resolved*> Resolve(std::string_view name);
  Result<boost::json::value> Copy(const boost::json::value& v, std::size_t depth, std::size_t& nodes,
                                  std::string& path);

  const boost::json::object* evaluators_;
  RuleLimits limits_;
  std::map<std::string, Resolved, std::less<>> resolved_;
  std::vector<std::string> chain_;  // names being resolved, outermost first
};

// The flagd targeting.json checks that compilation does not make (fractional
// shapes and weights, sem_ver operands, starts_with/ends_with arguments,
// $flagd properties). References are accepted unexamined.
Result<void> CheckTargetingSchema(const boost::json::value& rule);

// Appends a JSON Pointer reference token ("~" → "~0", "/" → "~1").
void PushPointer(std::string& path, std::string_view token);

}  // namespace tenancy::detail::flagd

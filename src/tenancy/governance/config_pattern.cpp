// String patterns of settings, with Boost.Regex: its matcher is not
// recursive and gives up (throws) past a complexity bound, so a pattern
// with catastrophic backtracking refuses a value instead of hanging or
// overflowing the stack as std::regex can. Values are at most
// kMaxSettingStringBytes long, which bounds the work further.
#include <boost/regex.hpp>

#include <stdexcept>

#include "governance/config_path.hpp"
#include "governance/config_schema.hpp"

namespace tenancy::detail::config {

Result<Matcher> CompilePattern(std::string_view pattern, std::string_view path) {
  if (pattern.size() > 1024) return FieldError(path, "pattern is longer than 1024 bytes");
  std::shared_ptr<const boost::regex> re;
  try {
    re = std::make_shared<const boost::regex>(pattern.begin(), pattern.end(),
                                              boost::regex::ECMAScript);
  } catch (const std::exception& e) {
    return FieldError(path, std::string("pattern does not compile: ") + e.what());
  }
  return Matcher([re](std::string_view s) -> std::optional<bool> {
    try {
      return boost::regex_match(s.begin(), s.end(), *re);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  });
}

}  // namespace tenancy::detail::config

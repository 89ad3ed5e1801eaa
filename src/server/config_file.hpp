// tenancyd's configuration file: a JSON object whose keys are the flag
// names without their leading "--" ("listen", "read-timeout") and whose
// values are what the flag takes, as a string or an integer; a switch
// ("demo") takes true or false. Unknown keys are refused, naming the key,
// so a misspelt setting never silently does nothing.
//
//   {"listen": "0.0.0.0:8080", "data": "/var/lib/tenancyd", "threads": 4,
//    "read-timeout": "10s", "max-connections": 20000}
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tenancy/result.hpp"

namespace tenancyd {

// One setting: the flag name without "--" and its value as text (a switch:
// "true" or "false").
using Setting = std::pair<std::string, std::string>;

// What a configuration source may name.
struct SettingNames {
  bool (*is_known)(std::string_view name) = nullptr;   // a setting at all
  bool (*is_switch)(std::string_view name) = nullptr;  // takes no value
};

// The settings of a configuration file's text, in the file's order.
// kInvalidArgument for malformed JSON, a non-object, an unknown key or a
// value of the wrong type, each naming the key (never a value: a store URL
// may hold a password).
tenancy::Result<std::vector<Setting>> ParseConfigJson(std::string_view text, SettingNames names);

// The file's contents (at most 1 MiB). kNotFound when it cannot be read,
// kInvalidArgument when it is larger.
tenancy::Result<std::string> ReadConfigFile(const std::string& path);

}  // namespace tenancyd

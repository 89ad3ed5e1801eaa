// A small command-line parser: positional words and --name value options.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tenancy/result.hpp"

namespace tenancyctl {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;  // "--tier x" → {"tier","x"}
  std::set<std::string, std::less<>> flags;                  // "--json" → {"json"}

  std::optional<std::string> Option(std::string_view name) const;
  bool Flag(std::string_view name) const { return flags.contains(name); }
};

// Parses argv[first..]. `flag_names` are options that take no value.
// Unknown options are refused by each command, not here.
tenancy::Result<Args> ParseArgs(int argc, char** argv, int first,
                                const std::set<std::string, std::less<>>& flag_names);

// kInvalidArgument naming the first option that is neither in `allowed` nor
// global (--data, --store, --admin-url, --master-key, --json).
tenancy::Result<void> OnlyOptions(const Args& args, std::initializer_list<std::string_view> allowed);

}  // namespace tenancyctl

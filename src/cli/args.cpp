#include "args.hpp"

#include <algorithm>

namespace tenancyctl {

std::optional<std::string> Args::Option(std::string_view name) const {
  if (auto it = options.find(name); it != options.end()) return it->second;
  return std::nullopt;
}

tenancy::Result<Args> ParseArgs(int argc, char** argv, int first,
                                const std::set<std::string, std::less<>>& flag_names) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (!word.starts_with("--") || word == "--") {
      args.positional.push_back(std::move(word));
      continue;
    }
    std::string name = word.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      args.options[name.substr(0, eq)] = name.substr(eq + 1);
    } else if (flag_names.contains(name)) {
      args.flags.insert(name);
    } else if (i + 1 < argc) {
      args.options[name] = argv[++i];
    } else {
      return tenancy::Fail(tenancy::Errc::kInvalidArgument, "option --" + name + " needs a value");
    }
  }
  return args;
}

tenancy::Result<void> OnlyOptions(const Args& args, std::initializer_list<std::string_view> allowed) {
  // Options every command takes.
  constexpr std::string_view kGlobal[] = {"data", "store", "admin-url", "master-key", "json"};
  auto ok = [&](std::string_view name) {
    return std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
           std::find(std::begin(kGlobal), std::end(kGlobal), name) != std::end(kGlobal);
  };
  for (const auto& [name, value] : args.options)
    if (!ok(name)) return tenancy::Fail(tenancy::Errc::kInvalidArgument, "unknown option --" + name);
  for (const auto& name : args.flags)
    if (!ok(name)) return tenancy::Fail(tenancy::Errc::kInvalidArgument, "unknown option --" + name);
  return {};
}

}  // namespace tenancyctl

// tenancyd's settings: flags, environment variables and a config file.
// Every flag takes its value as `--flag VALUE` or `--flag=VALUE` (a switch
// such as --demo takes none); durations are a number with a unit (ms, s,
// m), sizes a number of bytes with an optional k/m suffix (KiB, MiB).
// Each setting can also come from TENANCYD_<FLAG> (TENANCYD_READ_TIMEOUT)
// and from the JSON file named by --config or TENANCYD_CONFIG
// (config_file.hpp). Precedence: flags > environment > file > defaults.
// Unknown flags, TENANCYD_* variables and file keys and malformed values
// are refused, naming the setting (main exits 2).
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <string_view>

#include "app.hpp"
#include "platform.hpp"
#include "server_options.hpp"

namespace tenancyd {

struct DaemonOptions {
  ServerOptions server{};
  PlatformOptions platform{};
  AppOptions app{};
  bool help = false;
  // Provision the demo tenants and print their credentials (demo.hpp).
  bool demo = false;
};

// `args` excludes the program name; `environment` holds "NAME=VALUE"
// entries (environ). kInvalidArgument naming the flag, variable or key;
// kNotFound when the config file cannot be read.
tenancy::Result<DaemonOptions> ParseDaemonOptions(std::span<const char* const> args,
                                                  std::span<const char* const> environment);
// Flags only (no environment, a config file only through --config).
tenancy::Result<DaemonOptions> ParseCommandLine(std::span<const char* const> args);

// The usage text, every flag with its default.
std::string_view Usage() noexcept;

}  // namespace tenancyd

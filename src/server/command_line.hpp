// tenancyd's command line. Every flag takes its value as `--flag VALUE` or
// `--flag=VALUE`; durations are a number with a unit (ms, s, m), sizes a
// number of bytes with an optional k/m suffix (KiB, MiB). Unknown flags and
// malformed values are refused (main exits 2).
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
};

// `args` excludes the program name. kInvalidArgument naming the flag.
tenancy::Result<DaemonOptions> ParseCommandLine(std::span<const char* const> args);

// The usage text, every flag with its default.
std::string_view Usage() noexcept;

}  // namespace tenancyd

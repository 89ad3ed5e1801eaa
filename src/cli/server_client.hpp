// A running tenancyd, called from tenancyctl: a blocking HTTP/1.1 exchange
// over Boost.Beast (compiled once in tenancy_net), for the commands whose
// figures live in the server (success metrics, idle tenants).
//
// The operator's credential is an API key sent as a bearer token. It is
// read from a file (--key-file, first line) or the environment
// (TENANCYCTL_OPERATOR_KEY), never from the command line, where other
// users could read it in the process list; it is never printed.
//
// Thread safety: reentrant (each call owns its own I/O context).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "args.hpp"
#include "tenancy/result.hpp"

namespace tenancyctl {

inline constexpr std::string_view kOperatorKeyEnv = "TENANCYCTL_OPERATOR_KEY";

struct ServerUrl {
  std::string host{};  // a name or an address (IPv6 without brackets)
  std::uint16_t port = 80;
  std::string base_path{};  // prefix of every target, without a trailing '/'
};

// "http://HOST[:PORT][/BASE]". kInvalidArgument for anything else (https,
// credentials in the URL, a query or fragment, a bad port).
tenancy::Result<ServerUrl> ParseServerUrl(std::string_view url);

// The operator key from --key-file, else TENANCYCTL_OPERATOR_KEY.
// kInvalidArgument when neither is given or the file is empty or unreadable
// (the message names the file, never its content).
tenancy::Result<std::string> OperatorKey(const Args& args);

struct ServerResponse {
  unsigned status = 0;
  std::string content_type{};
  std::string body{};
};

// Sends `method target` (a path with its query) with the bearer key and,
// when not empty, a JSON body. kUnavailable when the server cannot be
// reached or answers nothing within `timeout`.
tenancy::Result<ServerResponse> CallServer(const ServerUrl& server, std::string_view method,
                                           std::string_view target, const std::string& key,
                                           std::string_view json_body = {},
                                           std::chrono::seconds timeout = std::chrono::seconds{30});

}  // namespace tenancyctl

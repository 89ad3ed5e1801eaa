// tenancyctl success-metrics / idle-tenants: the platform's success metrics
// and the idle-tenant (sprawl) policy, from a RUNNING tenancyd.
//
//   tenancyctl success-metrics --server URL [--month YYYY-MM] [--limit N] [--json]
//   tenancyctl idle-tenants --server URL [--days N] [--tier T] [--json]
//   tenancyctl idle-tenants apply --server URL --days N --tier T
//                           --action notify|suspend|archive [--json]
//
// Unlike the other commands these do not open the data directory: the
// figures they show (CPU time per request, last activity, onboarding
// durations) are measured inside the server and partly held in its memory,
// and a suspension must go through the server's directory, whose in-memory
// index a second process would not update. They call the platform API
// (GET /v1/platform/success-metrics, GET /v1/platform/idle-tenants, POST
// /v1/platform/idle-tenants/apply) with an operator API key read from
// --key-file FILE or the TENANCYCTL_OPERATOR_KEY environment variable (see
// server_client.hpp). --json prints the server's answer as is.
//
// Exit codes: 0 done; 1 the server refused or could not be reached (its
// problem's code and detail are printed); 2 bad usage.
#pragma once

#include <string_view>

#include "args.hpp"

namespace tenancyctl {

// True for the words this file handles.
bool IsObserveCommand(std::string_view command) noexcept;
// `args.positional` starts after the command word.
int CmdObserve(std::string_view command, const Args& args);

}  // namespace tenancyctl

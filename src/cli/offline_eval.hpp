// tenancyctl's offline tools: try a JsonLogic rule or a flagd flag set
// against a context without a data directory. JSON in (files or "-" for
// standard input), one line of JSON out; exit 2 with a message on invalid
// input, 1 when the evaluation itself fails.
#pragma once

#include "args.hpp"

namespace tenancyctl {

// rules eval RULE [DATA] [--max-steps N] [--max-depth N]
//   → {"result": <value>}
int CmdRulesEval(const Args& args);

// flags eval FLAGS [CONTEXT] [--flag KEY] [--permissive]
//            [--tenant-id ID] [--tenant-slug SLUG] [--tenant-tier TIER]
//   → one flag's details, or {"flags": [...]} for every flag in the set
int CmdFlagsEval(const Args& args);

}  // namespace tenancyctl

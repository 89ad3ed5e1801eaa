// tenancyctl master-key: master-key rotation for a data directory
// (docs/keys.md, "Master key rotation"). Run rotate, rewrap and remove with
// tenancyd stopped: it reads the key file once, at start.
//
//   master-key status          what each master key still wraps or hashes
//   master-key rotate [--id ID] append a new current key, then rewrap
//   master-key rewrap          re-wrap data and signing keys under the current
//                              key (resumes an interrupted rotate)
//   master-key remove ID       drop an old key nothing depends on any more
//
// All take [--master-key FILE] (default <data>/master.key) and --json.
#pragma once

#include "args.hpp"
#include "commands.hpp"

namespace tenancyctl {

int CmdMasterKey(Platform& p, const Args& args, const std::string& data_dir);

}  // namespace tenancyctl

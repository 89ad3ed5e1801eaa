// tenancyctl backup / restore: one tenant to one portable file and back
// (tenancy/backup.hpp). Keys: the master key file (the global --master-key, default
// <data>/master.key when present) opens the keyring in <data>/control.db,
// so backups carry the tenant's wrapped data keys and restores can re-seal
// encrypted columns. Configuration overrides are not handled by the CLI
// (it has no configuration schema); a restore says so in its notes.
#pragma once

#include "args.hpp"
#include "commands.hpp"

namespace tenancyctl {

// backup TENANT FILE
int CmdBackup(Platform& p, const Args& args);
// restore FILE [--as SLUG] [--model M] [--placement DIR] [--replace]
int CmdRestore(Platform& p, const Args& args);

}  // namespace tenancyctl

// tenancyctl audit verify / export: the audit chains of a data directory
// (<data>/audit.db, tenancy/audit.hpp), offline — nothing else of the
// data directory is opened or created, so a copy of audit.db alone can be
// checked — or an export file with no database at all.
//
//   tenancyctl --data DIR audit verify [--chain C]   every chain (or one):
//       each entry recomputed and linked, each head compared; exit 1 when
//       any chain fails, naming the first bad position and the kind of
//       tampering
//   tenancyctl audit verify --file EXPORT            an export (FILE or -),
//       checked offline (tenancy::VerifyExport)
//   tenancyctl --data DIR audit export [--chain C] [FILE]
//       the chains (or one) as JSON lines, to FILE (written whole or not at
//       all) or standard output
//
// C is "platform" or a tenant id (offline there is no directory to resolve
// slugs). "Every chain" is every chain with a head or with entries, so a
// chain whose head row was deleted is still checked (and reported).
#pragma once

#include <string>

#include "args.hpp"

namespace tenancyctl {

// `args.positional` starts after the word "audit". Returns the exit code:
// 0 verified / written, 1 tampering found or an error, 2 bad usage.
int CmdAudit(const Args& args, const std::string& data_dir);

}  // namespace tenancyctl

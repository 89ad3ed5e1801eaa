// tenancyctl — operate a tenancy data directory from the command line.
#include <cstdio>
#include <cstring>
#include <string>

#include "audit_commands.hpp"
#include "backup_commands.hpp"
#include "commands.hpp"
#include "master_key_commands.hpp"
#include "observe_commands.hpp"
#include "offline_eval.hpp"

namespace {

constexpr const char* kUsage = R"(usage: tenancyctl [--data DIR] [--store URL [--admin-url URL]] [--master-key FILE]
                  COMMAND [ARGS]

Operates the tenants of a tenancy data directory (default ./data). Tenant data
lives in SQLite under it, or in the store named by --store
(postgres://app-role@host/db, with --admin-url naming the migration role).
The master key file (default DIR/master.key, written by tenancyd on its first
start) opens the tenants' data keys: provisioning creates them, offboarding
destroys them.

commands:
  demo [--placement DIR|URL]         provision a demo tenant in each model and list them
  provision SLUG [--tier T] [--model shared|database|dedicated]
                 [--name NAME] [--domain HOST] [--placement DIR]
  list [--state S] [--tier T] [--model M] [--all]
  show TENANT                        TENANT is a slug or an id
  suspend|resume|quarantine TENANT [--reason TEXT]
  offboard TENANT [--reason TEXT]    remove the tenant's data for good
  history TENANT                     lifecycle transitions
  migrate                            bring every tenant's schema up to date
  backup TENANT FILE
                                     write one tenant (rows, wrapped keys) to a backup file
  restore FILE [--as SLUG] [--model M] [--placement DIR] [--replace]
                                     restore a backup as a new tenant (or --replace one)
  master-key status                  what each master key still wraps or hashes
  master-key rotate [--id ID]        append a new current master key and re-wrap every data and
                                     token-signing key under it (with tenancyd stopped)
  master-key rewrap                  re-wrap under the current key (resumes a rotate)
  master-key remove ID               drop an old master key once nothing depends on it
  audit verify [--chain C]           check the audit chains of DIR/audit.db (C: platform or a
                                     tenant id); exit 1 naming the first tampered entry
  audit verify --file EXPORT         check an audit export offline (FILE or -)
  audit export [--chain C] [FILE]    write the audit chains as JSON lines (default stdout)

offline tools (no data directory; FILE may be - for standard input):
  rules eval RULE [DATA] [--max-steps N] [--max-depth N]
                                     evaluate a JsonLogic rule against DATA
  flags eval FLAGS [CONTEXT] [--flag KEY] [--permissive]
             [--tenant-id ID] [--tenant-slug SLUG] [--tenant-tier TIER]
                                     evaluate a flagd flag set (one flag or all)

a running tenancyd (--server http://HOST:PORT; operator key from --key-file FILE or the
TENANCYCTL_OPERATOR_KEY environment variable, never an argument):
  success-metrics [--month YYYY-MM] [--limit N]
                                     time to onboard, active tenants, cost vs revenue, incidents
  idle-tenants [--days N] [--tier T] tenants without a request for N days (default 30)
  idle-tenants apply --days N --tier T --action notify|suspend|archive
                                     apply the sprawl policy to those tenants

Add --json for machine-readable output.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace tenancyctl;
  auto args = ParseArgs(argc, argv, 1, {"json", "all", "help", "permissive", "replace"});
  if (!args) return Fail(args.error());
  if (args->Flag("help") || args->positional.empty()) {
    std::fputs(kUsage, args->Flag("help") ? stdout : stderr);
    return args->Flag("help") ? 0 : 2;
  }
  const std::string command = args->positional.front();
  args->positional.erase(args->positional.begin());
  if (command == "rules" || command == "flags") {
    if (args->positional.empty() || args->positional.front() != "eval") {
      std::fprintf(stderr, "tenancyctl: '%s' takes the subcommand 'eval'\n\n%s", command.c_str(), kUsage);
      return 2;
    }
    args->positional.erase(args->positional.begin());
    return command == "rules" ? CmdRulesEval(*args) : CmdFlagsEval(*args);
  }
  if (IsObserveCommand(command)) return CmdObserve(command, *args);  // a running tenancyd
  const std::string data = args->Option("data").value_or("./data");
  // Only audit.db: a copy of it alone can be checked.
  if (command == "audit") return CmdAudit(*args, data);

  auto platform =
      OpenPlatform(data, args->Option("store").value_or(""), args->Option("admin-url").value_or(""),
                   args->Option("master-key"));
  if (!platform) return Fail(platform.error());
  Platform& p = *platform;
  if (command == "demo") return CmdDemo(p, *args);
  if (command == "provision") return CmdProvision(p, *args);
  if (command == "list") return CmdList(p, *args);
  if (command == "show") return CmdShow(p, *args);
  if (command == "suspend") return CmdSetState(p, *args, tenancy::TenantState::kSuspended);
  if (command == "resume") return CmdSetState(p, *args, tenancy::TenantState::kActive);
  if (command == "quarantine") return CmdSetState(p, *args, tenancy::TenantState::kQuarantined);
  if (command == "offboard") return CmdOffboard(p, *args);
  if (command == "history") return CmdHistory(p, *args);
  if (command == "migrate") return CmdMigrate(p, *args);
  if (command == "backup") return CmdBackup(p, *args);
  if (command == "restore") return CmdRestore(p, *args);
  if (command == "master-key") return CmdMasterKey(p, *args, data);
  std::fprintf(stderr, "tenancyctl: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}

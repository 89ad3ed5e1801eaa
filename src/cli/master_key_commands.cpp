#include "master_key_commands.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "key_hierarchy.hpp"
#include "tenancy/auth.hpp"

namespace tenancyctl {
namespace json = boost::json;
using tenancy::Errc;

namespace {

constexpr const char* kUsage =
    "usage: tenancyctl master-key status|rotate [--id ID]|rewrap|remove ID [--master-key FILE]";

// The keys and the authenticator over them (signing keys, API-key hashes).
struct Hierarchy {
  Keys& keys;
  std::unique_ptr<tenancy::Authenticator> auth;
};

// `keys` must hold a master key; the authenticator shares the directory's
// control database.
tenancy::Result<Hierarchy> Open(Platform& p, Keys& keys) {
  if (!keys.provider)
    return tenancy::Fail(Errc::kNotFound, "no master key file at '" + keys.key_file +
                                              "' (tenancyd creates one on first start)");
  tenancy::AuthOptions options;
  options.control_db_path = keys.control_db;
  auto auth = tenancy::Authenticator::Open(options, *p.directory, *keys.provider);
  if (!auth) return auth.error();
  return Hierarchy{keys, std::move(*auth)};
}

tenancy::Result<tenancy::MasterKeyUses> CountUses(const Hierarchy& h) {
  tenancy::MasterKeyUses uses;
  if (auto r = h.keys.keyring->CountMasterKeyUses(uses); !r) return r.error();
  if (auto r = h.auth->CountMasterKeyUses(uses); !r) return r.error();
  return uses;
}

// A fresh id for a new key: "m" and the UTC time to the second.
std::string NewKeyId() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char id[32];
  std::strftime(id, sizeof id, "m%Y%m%dT%H%M%SZ", &utc);
  return id;
}

int PrintStatus(const Hierarchy& h, bool as_json, json::object report = {}) {
  auto counted = CountUses(h);
  if (!counted) return Fail(counted.error());
  tenancy::MasterKeyUses& uses = *counted;
  auto current = h.keys.provider->Current();
  if (!current) return Fail(current.error());
  // Every key of the file is listed, used or not; a key something depends
  // on that the file lacks is flagged: what it wraps cannot be opened.
  const auto ids = h.keys.provider->Ids();
  std::map<std::string, bool, std::less<>> in_file;
  for (const auto& id : ids) {
    uses[id];
    in_file[id] = true;
  }
  if (as_json) {
    json::array keys;
    for (const auto& [id, use] : uses)
      keys.push_back(json::object{{"id", id},
                                  {"current", id == (*current)->id},
                                  {"in_key_file", in_file.contains(id)},
                                  {"data_keys", use.data_keys},
                                  {"signing_keys", use.signing_keys},
                                  {"api_keys", use.api_keys}});
    report["keys"] = std::move(keys);
    std::printf("%s\n", json::serialize(report).c_str());
    return 0;
  }
  std::printf("%-24s %10s %13s %9s\n", "master key", "data keys", "signing keys", "api keys");
  for (const auto& [id, use] : uses) {
    const bool is_current = id == (*current)->id;
    const char* note = "";
    if (!in_file.contains(id))
      note = "  MISSING from the key file: what it wraps cannot be opened";
    else if (!is_current && use.total() == 0)
      note = "  nothing depends on it: may be removed";
    std::printf("%-24s %10zu %13zu %9zu%s\n", (id + (is_current ? " (current)" : "")).c_str(),
                use.data_keys, use.signing_keys, use.api_keys, note);
  }
  return 0;
}

int Rewrap(Hierarchy& h, bool as_json, json::object report) {
  auto data_keys = h.keys.keyring->RewrapAll();
  if (!data_keys) return Fail(data_keys.error());
  auto signing_keys = h.auth->RewrapSigningKeys();
  if (!signing_keys) return Fail(signing_keys.error());
  report["rewrapped_data_keys"] = *data_keys;
  report["rewrapped_signing_keys"] = *signing_keys;
  if (!as_json)
    std::printf("re-wrapped %zu data keys and %zu signing keys under '%s'; API keys move when next "
                "used\n",
                *data_keys, *signing_keys, (*h.keys.provider->Current())->id.c_str());
  return PrintStatus(h, as_json, std::move(report));
}

}  // namespace

int CmdMasterKey(Platform& p, const Args& args, const std::string& data_dir) {
  if (auto r = OnlyOptions(args, {"id"}); !r) return Fail(r.error());
  const auto& words = args.positional;
  const std::string sub = words.empty() ? "" : words[0];
  const std::size_t want = sub == "remove" ? 2 : 1;
  if ((sub != "status" && sub != "rotate" && sub != "rewrap" && sub != "remove") ||
      words.size() != want || (args.Option("id") && sub != "rotate"))
    return Fail({Errc::kInvalidArgument, kUsage});
  auto h = Open(p, p.keys);
  if (!h) return Fail(h.error());
  const bool as_json = args.Flag("json");

  if (sub == "status") return PrintStatus(*h, as_json);
  if (sub == "rewrap") return Rewrap(*h, as_json, {});
  if (sub == "rotate") {
    const std::string id = args.Option("id").value_or(NewKeyId());
    if (auto r = tenancy::WriteNewMasterKey(p.keys.key_file, id, /*append=*/true); !r)
      return Fail(r.error());
    if (!as_json) std::printf("appended master key '%s' (now current)\n", id.c_str());
    // Reopen on the extended file; the new key is current from here on.
    auto extended = OpenKeys(args.Option("master-key"), data_dir);
    if (!extended) return Fail(extended.error());
    auto rotated = Open(p, *extended);
    if (!rotated) return Fail(rotated.error());
    return Rewrap(*rotated, as_json, {{"new_key", id}});
  }
  // remove ID: only when nothing depends on it (the current key is refused
  // by RemoveMasterKey whatever depends on it).
  const std::string& id = words[1];
  auto uses = CountUses(*h);
  if (!uses) return Fail(uses.error());
  auto current = p.keys.provider->Current();
  if (!current) return Fail(current.error());
  if (auto it = uses->find(id); it != uses->end() && it->second.total() > 0 && (*current)->id != id) {
    const auto& u = it->second;
    return Fail({Errc::kFailedPrecondition,
                 "master key '" + id + "' still wraps " + std::to_string(u.data_keys) +
                     " data keys and " + std::to_string(u.signing_keys) + " signing keys and hashes " +
                     std::to_string(u.api_keys) +
                     " API keys; run 'master-key rewrap' (API keys move when next used, or "
                     "revoke them)"});
  }
  if (auto r = tenancy::RemoveMasterKey(p.keys.key_file, id); !r) return Fail(r.error());
  if (as_json)
    std::printf("%s\n", json::serialize(json::object{{"removed", id}}).c_str());
  else
    std::printf("removed master key '%s'\n", id.c_str());
  return 0;
}

}  // namespace tenancyctl

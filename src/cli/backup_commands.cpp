#include "backup_commands.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "key_hierarchy.hpp"
#include "tenancy/backup.hpp"

namespace tenancyctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using tenancy::Errc;

namespace {

tenancy::Backup MakeBackup(Platform& p, Keys& keys) {
  tenancy::BackupSources s;
  s.directory = p.directory.get();
  s.keyring = keys.keyring.get();
  s.keyring_path = keys.keyring ? keys.control_db : std::string();
  s.master_keys = keys.provider.get();
  return tenancy::Backup(std::move(s));
}

}  // namespace

int CmdBackup(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {}); !r) return Fail(r.error());
  if (args.positional.size() != 2)
    return Fail({Errc::kInvalidArgument, "usage: tenancyctl backup TENANT FILE"});
  const std::string& name = args.positional[0];
  const fs::path file = args.positional[1];
  auto tenant = tenancy::TenantId::Parse(name) ? p.directory->Get(*tenancy::TenantId::Parse(name))
                                               : p.directory->GetBySlug(name);
  if (!tenant) return Fail(tenant.error());

  // Written beside the target and renamed into place: FILE is either a
  // whole backup or absent, never a half-written one.
  const fs::path partial = file.string() + ".partial";
  tenancy::Result<tenancy::BackupInfo> info = tenancy::Fail(Errc::kInternal, "not written");
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) return Fail({Errc::kStorage, "cannot create '" + partial.string() + "'"});
    info = MakeBackup(p, p.keys).Write((*tenant)->id, out);
    out.close();
    if (info && !out) info = tenancy::Fail(Errc::kStorage, "writing '" + partial.string() + "' failed");
  }
  std::error_code ec;
  if (!info) {
    fs::remove(partial, ec);
    return Fail(info.error());
  }
  fs::rename(partial, file, ec);
  if (ec) {
    fs::remove(partial, ec);
    return Fail({Errc::kStorage, "cannot move the backup to '" + file.string() + "'"});
  }
  if (args.Flag("json")) {
    json::object o{{"tenant_id", info->tenant.id.str()}, {"slug", info->tenant.slug},
                   {"model", tenancy::ToString(info->tenant.model)},
                   {"tables", info->tables.size()}, {"rows", info->rows},
                   {"key_versions", info->key_versions}, {"bytes", info->bytes},
                   {"checksum", info->checksum}, {"file", file.string()}};
    std::printf("%s\n", json::serialize(o).c_str());
  } else {
    std::printf("backed up %s (%s, %s): %llu rows in %zu tables, %zu key versions, %llu bytes\n"
                "file      %s\nchecksum  blake2b-256:%s\n",
                info->tenant.slug.c_str(), info->tenant.id.str().c_str(),
                std::string(tenancy::ToString(info->tenant.model)).c_str(),
                static_cast<unsigned long long>(info->rows), info->tables.size(), info->key_versions,
                static_cast<unsigned long long>(info->bytes), file.string().c_str(),
                info->checksum.c_str());
  }
  return 0;
}

int CmdRestore(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {"as", "model", "placement", "replace"}); !r)
    return Fail(r.error());
  if (args.positional.size() != 1)
    return Fail({Errc::kInvalidArgument,
                 "usage: tenancyctl restore FILE [--as SLUG] [--model M] [--replace]"});
  tenancy::RestoreOptions options;
  options.slug = args.Option("as").value_or("");
  options.placement = args.Option("placement").value_or("");
  options.replace_existing = args.Flag("replace");
  options.author = "tenancyctl";
  if (auto m = args.Option("model")) {
    auto model = tenancy::ParseIsolationModel(*m);
    if (!model) return Fail(model.error());
    options.model = *model;
  }
  std::ifstream in(args.positional[0], std::ios::binary);
  if (!in) return Fail({Errc::kNotFound, "cannot read '" + args.positional[0] + "'"});
  auto report = MakeBackup(p, p.keys).Restore(in, options);
  if (!report) return Fail(report.error());
  const auto& t = report->tenant;
  if (args.Flag("json")) {
    json::array notes;
    for (const auto& n : report->notes) notes.push_back(json::string(n));
    json::object o{{"tenant_id", t.id.str()}, {"slug", t.slug},
                   {"model", tenancy::ToString(t.model)}, {"state", tenancy::ToString(t.state)},
                   {"source_id", report->source_id.str()}, {"created", report->created},
                   {"rows", report->rows}, {"resealed", report->resealed},
                   {"notes", std::move(notes)}};
    std::printf("%s\n", json::serialize(o).c_str());
  } else {
    std::printf("%s %s (%s) model=%s from backup of %s: %llu rows, %llu encrypted values re-sealed\n",
                report->created ? "restored" : "replaced", t.slug.c_str(), t.id.str().c_str(),
                std::string(tenancy::ToString(t.model)).c_str(), report->source_id.str().c_str(),
                static_cast<unsigned long long>(report->rows),
                static_cast<unsigned long long>(report->resealed));
    for (const auto& n : report->notes) std::printf("note: %s\n", n.c_str());
  }
  return 0;
}

}  // namespace tenancyctl

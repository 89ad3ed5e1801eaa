#include "audit_commands.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "commands.hpp"
#include "tenancy/audit.hpp"

namespace tenancyctl {
namespace fs = std::filesystem;
namespace json = boost::json;
using tenancy::AuditChain;
using tenancy::AuditScope;
using tenancy::Errc;

namespace {

constexpr const char* kUsage =
    "usage: tenancyctl [--data DIR] audit verify [--chain C] | audit verify --file EXPORT |"
    " audit export [--chain C] [FILE]";

int Usage() {
  std::fprintf(stderr, "tenancyctl: %s\n", kUsage);
  return 2;
}

// The log of `data_dir`, which must exist already: verifying a directory
// with no audit log must not quietly create an empty (and "valid") one.
tenancy::Result<std::unique_ptr<tenancy::AuditLog>> OpenExisting(const std::string& data_dir) {
  const std::string path = data_dir + "/audit.db";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return tenancy::Fail(Errc::kNotFound, "no audit log at '" + path + "'");
  tenancy::AuditOptions o;
  o.path = path;
  return tenancy::AuditLog::Open(std::move(o));
}

tenancy::Result<std::optional<AuditChain>> ChainOption(const Args& args) {
  const auto name = args.Option("chain");
  if (!name) return std::optional<AuditChain>();
  auto chain = AuditChain::Parse(*name);
  if (!chain) return tenancy::Fail(Errc::kInvalidArgument, "--chain must be \"platform\" or a tenant id");
  return std::optional<AuditChain>(*chain);
}

// Every chain with a head or with entries, in name order. Walking the
// entries (pages of 1000, ordered by chain) finds chains whose head row is
// gone; verification reads every entry anyway.
tenancy::Result<std::vector<AuditChain>> AllChains(const tenancy::AuditLog& log) {
  std::set<std::string> names;
  std::vector<AuditChain> out;
  const auto add = [&](const AuditChain& c) {
    if (names.insert(c.name()).second) out.push_back(c);
  };
  auto heads = log.Heads(AuditScope::Operator());
  if (!heads) return heads.error();
  for (const auto& h : *heads) add(h.chain);
  tenancy::AuditQuery q;
  q.limit = 1000;
  for (;;) {
    auto page = log.Read(AuditScope::Operator(), q);
    if (!page) return page.error();
    for (const auto& r : page->items) add(r.chain);
    if (page->next_cursor.empty()) break;
    q.after = page->next_cursor;
  }
  std::sort(out.begin(), out.end(),
            [](const AuditChain& a, const AuditChain& b) { return a.name() < b.name(); });
  return out;
}

void PrintVerification(const tenancy::AuditVerification& v) {
  if (v.ok) {
    std::printf("ok        %-20s %lld entries\n", v.chain.c_str(), static_cast<long long>(v.entries));
  } else {
    std::printf("TAMPERED  %-20s %s at entry %lld (entries 1-%lld authentic): %s\n", v.chain.c_str(),
                std::string(tenancy::ToString(v.tamper)).c_str(), static_cast<long long>(v.seq),
                static_cast<long long>(v.verified_through), v.message.c_str());
  }
}

int Report(const Args& args, const std::vector<tenancy::AuditVerification>& all) {
  bool ok = true;
  for (const auto& v : all) ok = ok && v.ok;
  if (args.Flag("json")) {
    json::array chains;
    for (const auto& v : all) chains.push_back(tenancy::ToJson(v));
    std::printf("%s\n", json::serialize(json::object{{"ok", ok}, {"chains", std::move(chains)}}).c_str());
  } else {
    for (const auto& v : all) PrintVerification(v);
    if (all.empty()) std::printf("no audit chains\n");
  }
  return ok ? 0 : 1;
}

int VerifyFile(const Args& args, const std::string& file) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file != "-") {
    in_file.open(file, std::ios::binary);
    if (!in_file) return Fail({Errc::kNotFound, "cannot read '" + file + "'"});
    in = &in_file;
  }
  auto v = tenancy::VerifyExport(*in);
  if (!v) return Fail(v.error());
  return Report(args, {*v});
}

int Verify(const Args& args, const std::string& data_dir) {
  if (auto r = OnlyOptions(args, {"chain", "file"}); !r) return Fail(r.error());
  if (!args.positional.empty()) return Usage();
  if (const auto file = args.Option("file")) {
    if (args.Option("chain")) return Usage();
    return VerifyFile(args, *file);
  }
  auto chain = ChainOption(args);
  if (!chain) return Fail(chain.error());
  auto log = OpenExisting(data_dir);
  if (!log) return Fail(log.error());
  std::vector<AuditChain> chains;
  if (*chain) {
    chains.push_back(**chain);
  } else {
    auto all = AllChains(**log);
    if (!all) return Fail(all.error());
    chains = std::move(*all);
  }
  std::vector<tenancy::AuditVerification> results;
  for (const auto& c : chains) {
    auto v = (*log)->Verify(c);
    if (!v) return Fail(v.error());
    results.push_back(std::move(*v));
  }
  return Report(args, results);
}

int Export(const Args& args, const std::string& data_dir) {
  if (auto r = OnlyOptions(args, {"chain"}); !r) return Fail(r.error());
  if (args.positional.size() > 1) return Usage();
  auto chain = ChainOption(args);
  if (!chain) return Fail(chain.error());
  auto log = OpenExisting(data_dir);
  if (!log) return Fail(log.error());
  if (args.positional.empty() || args.positional[0] == "-") {
    if (auto r = (*log)->Export(AuditScope::Operator(), std::cout, *chain); !r) return Fail(r.error());
    return 0;
  }
  // Written beside the target and renamed into place: FILE is a whole
  // export or absent.
  const fs::path file = args.positional[0];
  const fs::path partial = file.string() + ".partial";
  std::error_code ec;
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) return Fail({Errc::kStorage, "cannot create '" + partial.string() + "'"});
    auto r = (*log)->Export(AuditScope::Operator(), out, *chain);
    out.close();
    if (r && !out) r = tenancy::Fail(Errc::kStorage, "writing '" + partial.string() + "' failed");
    if (!r) {
      fs::remove(partial, ec);
      return Fail(r.error());
    }
  }
  fs::rename(partial, file, ec);
  if (ec) {
    fs::remove(partial, ec);
    return Fail({Errc::kStorage, "cannot move the export to '" + file.string() + "'"});
  }
  return 0;
}

}  // namespace

int CmdAudit(const Args& args, const std::string& data_dir) {
  if (args.positional.empty()) return Usage();
  Args rest = args;
  const std::string sub = rest.positional.front();
  rest.positional.erase(rest.positional.begin());
  if (sub == "verify") return Verify(rest, data_dir);
  if (sub == "export") return Export(rest, data_dir);
  return Usage();
}

}  // namespace tenancyctl

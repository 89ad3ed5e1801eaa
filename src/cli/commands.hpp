// tenancyctl's commands. Each takes the parsed arguments (after the command
// word) and returns the process exit code; errors are printed to stderr.
#pragma once

#include <memory>
#include <string>

#include "args.hpp"
#include "key_hierarchy.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/store.hpp"

namespace tenancyctl {

// The keys, store and directory under one data directory.
struct Platform {
  Keys keys;  // before the directory, which uses the keyring
  std::unique_ptr<tenancy::Store> store;
  std::unique_ptr<tenancy::Directory> directory;
};

// Opens the directory under `data_dir` and the store named by `store_url`
// (empty: SQLite under `data_dir`). `admin_url`: PostgreSQL's migration role.
// With a master key (`key_file` or <data>/master.key, see OpenKeys) the
// directory gets the keyring, so tenants provisioned here get their data
// keys and offboarded ones are crypto-shredded, as in tenancyd.
tenancy::Result<Platform> OpenPlatform(const std::string& data_dir, const std::string& store_url,
                                       const std::string& admin_url,
                                       const std::optional<std::string>& key_file);

int Fail(const tenancy::Error& e);

int CmdProvision(Platform& p, const Args& args);
int CmdList(Platform& p, const Args& args);
int CmdShow(Platform& p, const Args& args);
int CmdSetState(Platform& p, const Args& args, tenancy::TenantState to);
int CmdOffboard(Platform& p, const Args& args);
int CmdHistory(Platform& p, const Args& args);
int CmdMigrate(Platform& p, const Args& args);
int CmdDemo(Platform& p, const Args& args);

}  // namespace tenancyctl

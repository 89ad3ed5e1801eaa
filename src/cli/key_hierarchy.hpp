// The key hierarchy of a data directory, for the commands that need keys
// (backup, restore, master-key).
#pragma once

#include <memory>
#include <string>

#include <optional>

#include "tenancy/keys.hpp"

namespace tenancyctl {

struct Keys {
  std::unique_ptr<tenancy::KeyProvider> provider;  // null: the directory has no master key
  std::unique_ptr<tenancy::Keyring> keyring;
  std::string key_file;
  std::string control_db;
};

// Opens the master key file (`key_file`, the --master-key option; default
// <data>/master.key) and the keyring in <data>/control.db. A missing default
// file gives empty Keys; a named file must exist (kNotFound), so a typo never
// silently drops the keys.
tenancy::Result<Keys> OpenKeys(const std::optional<std::string>& key_file,
                               const std::string& data_dir);

}  // namespace tenancyctl

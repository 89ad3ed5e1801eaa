#include "key_hierarchy.hpp"

#include <filesystem>

namespace tenancyctl {

tenancy::Result<Keys> OpenKeys(const std::optional<std::string>& key_file,
                               const std::string& data_dir) {
  Keys keys;
  keys.key_file = key_file.value_or(data_dir + "/master.key");
  std::error_code ec;
  if (!std::filesystem::exists(keys.key_file, ec)) {
    if (key_file)
      return tenancy::Fail(tenancy::Errc::kNotFound,
                           "master key file '" + keys.key_file + "' is missing");
    return keys;
  }
  auto provider = tenancy::OpenKeyFile(keys.key_file);
  if (!provider) return provider.error();
  keys.provider = std::move(*provider);
  keys.control_db = data_dir + "/control.db";
  auto keyring = tenancy::Keyring::Open(keys.control_db, *keys.provider);
  if (!keyring) return keyring.error();
  keys.keyring = std::move(*keyring);
  return keys;
}

}  // namespace tenancyctl

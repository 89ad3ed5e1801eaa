#include "flag_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace tenancyd {
namespace fs = std::filesystem;
using tenancy::Errc;
using tenancy::Fail;

namespace {
constexpr std::string_view kPlatformFile = "platform.json";
}  // namespace

std::string FlagFiles::PathOf(const tenancy::TenantId& tenant) const {
  // Tenant ids are "tn_" + [a-z0-9]: safe as file names.
  return dir_ + "/" + tenant.str() + ".json";
}

tenancy::Result<void> FlagFiles::LoadInto(tenancy::FlagStore& store,
                                          const tenancy::FlagSetOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return {};
  std::string failed;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".json") continue;
    std::ifstream in(p, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto set = tenancy::FlagSet::Parse(text, options);
    if (!set) {
      failed += (failed.empty() ? "" : ", ") + p.filename().string();
      continue;
    }
    if (p.filename() == kPlatformFile) {
      store.SetPlatform(std::move(*set));
      continue;
    }
    auto id = tenancy::TenantId::Parse(p.stem().string());
    if (!id) continue;
    store.SetTenant(*id, std::move(*set));
  }
  if (!failed.empty()) return Fail(Errc::kDataCorrupted, "flag documents that no longer load: " + failed);
  return {};
}

tenancy::Result<std::optional<std::string>> FlagFiles::Read(const tenancy::TenantId& tenant) const {
  std::ifstream in(PathOf(tenant), std::ios::binary);
  if (!in) return std::optional<std::string>{};
  return std::optional<std::string>(
      std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

tenancy::Result<void> FlagFiles::Save(const tenancy::TenantId& tenant, const std::string& document) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    fs::create_directories(dir_, ec);
    if (ec) return Fail(Errc::kStorage, "cannot create the flags directory");
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  const std::string path = PathOf(tenant);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Errc::kStorage, "cannot write the flag document");
  std::size_t written = 0;
  while (written < document.size()) {
    const ssize_t n = ::write(fd, document.data() + written, document.size() - written);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(Errc::kStorage, "cannot write the flag document");
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(Errc::kStorage, "cannot write the flag document");
  }
  return {};
}

tenancy::Result<void> FlagFiles::Remove(const tenancy::TenantId& tenant) {
  std::error_code ec;
  fs::remove(PathOf(tenant), ec);
  if (ec) return Fail(Errc::kStorage, "cannot remove the flag document");
  return {};
}

}  // namespace tenancyd

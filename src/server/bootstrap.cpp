#include "bootstrap.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ids.hpp"
#include "tenancy/authz.hpp"

namespace tenancyd {
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kKeyName = "bootstrap operator";

tenancy::Result<bool> ActivePlatformKeyExists(tenancy::Authenticator& auth) {
  auto keys = auth.ListApiKeys(tenancy::TenantId{});
  if (!keys) return keys.error();
  for (const auto& k : *keys)
    if (!k.revoked_at) return true;
  return false;
}

// Writes `secret` to a new file at `path` (0600), never replacing one.
// Returns false when the file appeared meanwhile (another process won).
tenancy::Result<bool> WriteOnce(const std::string& path, std::string_view secret) {
  const std::string temp = path + ".tmp-" + NewRequestId();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return Fail(Errc::kStorage, "cannot create '" + temp + "': " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;  // whatever the umask did
  std::size_t done = 0;
  while (ok && done < secret.size()) {
    const ssize_t n = ::write(fd, secret.data() + done, secret.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::write(fd, "\n", 1) == 1 && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return Fail(Errc::kStorage, "cannot write '" + temp + "': " + std::strerror(write_errno));
  }
  // link() refuses an existing name, unlike rename(): the file is written
  // once even if two servers start together.
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return false;
    return Fail(Errc::kStorage, "cannot create '" + path + "': " + std::strerror(link_errno));
  }
  return true;
}

}  // namespace

tenancy::Result<BootstrapResult> EnsureBootstrapOperator(tenancy::Authenticator& auth,
                                                         const std::string& path) {
  BootstrapResult out;
  out.path = path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return out;  // written before: never again
  if (errno != ENOENT) return Fail(Errc::kStorage, "cannot inspect '" + path + "': " + std::strerror(errno));
  auto exists = ActivePlatformKeyExists(auth);
  if (!exists) return exists.error();
  if (*exists) return out;

  auto key = auth.CreateApiKey(tenancy::TenantId{}, kKeyName,
                               {std::string(tenancy::roles::kPlatformOperator)});
  if (!key) return key.error();
  auto written = WriteOnce(path, key->key);
  sodium_memzero(key->key.data(), key->key.size());
  if (!written || !*written) {
    // Nobody holds this key: it must not stay valid.
    (void)auth.RevokeApiKey(tenancy::TenantId{}, key->info.key_id);
    if (!written) return written.error();
    return out;
  }
  out.created = true;
  return out;
}

}  // namespace tenancyd

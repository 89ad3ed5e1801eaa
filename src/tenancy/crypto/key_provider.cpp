#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>

#include "tenancy/keys.hpp"

namespace tenancy {
namespace {

bool IsKeyId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

// Wipes a std::string that held key material.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { Wipe({reinterpret_cast<unsigned char*>(s.data()), s.size()}); }
};

// One line of a key list: as written (with its separator, for rewriting the
// file) and trimmed (for reading it).
struct KeyLine {
  std::string_view raw;
  std::string_view entry;
  bool comment() const noexcept { return entry.empty() || entry.front() == '#'; }
};

// Takes the next line, up to `separator`, off `text`.
KeyLine NextLine(std::string_view& text, char separator) {
  const auto end = text.find(separator);
  KeyLine line{text.substr(0, end == std::string_view::npos ? text.size() : end + 1),
               text.substr(0, end)};
  text.remove_prefix(line.raw.size());
  std::string_view& e = line.entry;
  while (!e.empty() && (e.back() == '\r' || e.back() == ' ')) e.remove_suffix(1);
  while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
  return line;
}

// Master keys held in memory; the last one parsed is current.
class StaticKeyProvider final : public KeyProvider {
 public:
  Result<std::shared_ptr<const MasterKey>> Current() const override { return current_; }
  Result<std::shared_ptr<const MasterKey>> Get(std::string_view id) const override {
    if (auto it = keys_.find(std::string(id)); it != keys_.end()) return it->second;
    return Fail(Errc::kNotFound, "no master key with id '" + std::string(id.substr(0, 64)) + "'");
  }
  std::vector<std::string> Ids() const override {
    std::vector<std::string> ids;
    for (const auto& [id, key] : keys_) ids.push_back(id);
    return ids;
  }

  // Parses "<id>:<base64>" entries separated by `separator`. Errors never
  // quote the text (it is key material).
  Result<void> Parse(std::string_view text, char separator, std::string_view source) {
    std::size_t line = 0;
    while (!text.empty()) {
      ++line;
      const KeyLine next = NextLine(text, separator);
      if (next.comment()) continue;
      const std::string_view entry = next.entry;
      const auto bad = Error(Errc::kInvalidArgument, std::string(source) + ": entry " +
                                                          std::to_string(line) +
                                                          " is not <id>:<base64 of 32 bytes>");
      auto colon = entry.find(':');
      if (colon == std::string_view::npos || !IsKeyId(entry.substr(0, colon))) return bad;
      auto b64 = entry.substr(colon + 1);
      unsigned char raw[kKeyBytes + 8];
      std::size_t len = 0;
      const int rc = sodium_base642bin(raw, sizeof raw, b64.data(), b64.size(), nullptr, &len,
                                       nullptr, sodium_base64_VARIANT_ORIGINAL);
      auto key = std::make_shared<MasterKey>();
      key->id = std::string(entry.substr(0, colon));
      if (rc == 0 && len == kKeyBytes) key->key = SecretBytes::CopyOf({raw, kKeyBytes});
      sodium_memzero(raw, sizeof raw);
      if (key->key.empty()) return bad;
      keys_[key->id] = key;
      current_ = key;
    }
    if (!current_) return Fail(Errc::kInvalidArgument, std::string(source) + " holds no key");
    return {};
  }

 private:
  std::map<std::string, std::shared_ptr<const MasterKey>> keys_;
  std::shared_ptr<const MasterKey> current_;
};

Result<std::string> ReadKeyFile(const std::string& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang startup (it is then
  // refused below as not a regular file). O_NOFOLLOW fails with ELOOP on a
  // symlink, which is refused like any other non-regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP)
    return Fail(Errc::kPermissionDenied, "key file " + path + " is a symlink");
  if (fd < 0) return Fail(Errc::kNotFound, "cannot open key file " + path);
  struct stat st {};
  std::string text;
  Result<std::string> out = Fail(Errc::kInternal, "unreachable");
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out = Fail(Errc::kPermissionDenied, "key file " + path + " is not a regular file");
  } else if (st.st_uid != ::geteuid()) {
    out = Fail(Errc::kPermissionDenied, "key file " + path + " is not owned by this user");
  } else if ((st.st_mode & 077) != 0) {
    out = Fail(Errc::kPermissionDenied,
               "key file " + path + " is readable by group or others; chmod 600 it");
  } else if (st.st_size > 64 * 1024) {
    out = Fail(Errc::kInvalidArgument, "key file " + path + " is too large");
  } else {
    text.resize(static_cast<std::size_t>(st.st_size));
    const auto n = ::read(fd, text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size())) {
      out = Fail(Errc::kStorage, "cannot read key file " + path);
    } else {
      out = std::move(text);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

KeyProvider::~KeyProvider() = default;

Result<std::unique_ptr<KeyProvider>> OpenKeyFile(const std::string& path) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  auto text = ReadKeyFile(path);
  if (!text) return text.error();
  WipeOnExit wipe{*text};
  auto provider = std::make_unique<StaticKeyProvider>();
  if (auto r = provider->Parse(*text, '\n', "key file " + path); !r) return r.error();
  return std::unique_ptr<KeyProvider>(std::move(provider));
}

Result<std::unique_ptr<KeyProvider>> KeysFromEnvironment(const char* variable) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  const char* value = std::getenv(variable);
  if (!value || !*value) return Fail(Errc::kNotFound, std::string(variable) + " is not set");
  auto provider = std::make_unique<StaticKeyProvider>();
  if (auto r = provider->Parse(value, ',', variable); !r) return r.error();
  return std::unique_ptr<KeyProvider>(std::move(provider));
}

Result<void> WriteNewMasterKey(const std::string& path, std::string_view id, bool append) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  if (!IsKeyId(id)) return Fail(Errc::kInvalidArgument, "key id must be 1-64 of [A-Za-z0-9_.-]");
  if (append) {
    auto existing = OpenKeyFile(path);  // enforces the permission rules too
    if (!existing) return existing.error();
    if ((*existing)->Get(id)) return Fail(Errc::kAlreadyExists, "key id is already in the file");
  }
  const int flags = O_CLOEXEC | O_NOFOLLOW | (append ? (O_RDWR | O_APPEND) : (O_WRONLY | O_CREAT | O_EXCL));
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0)
    return Fail(append ? Errc::kStorage : Errc::kAlreadyExists, "cannot create key file " + path);
  SecretBytes key = SecretBytes::Random(kKeyBytes);
  std::string line;
  // A hand-edited file may lack its final newline: appending right after
  // its last key would merge the two into one malformed line.
  struct stat st {};
  char last = '\n';
  if (append && ::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 &&
      last != '\n')
    line += '\n';
  line += id;
  line += ':';
  std::string b64(sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  line += b64.c_str();
  line += '\n';
  WipeOnExit wipe_b64{b64};
  WipeOnExit wipe_line{line};
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Fail(Errc::kStorage, "cannot write key file " + path);
  return {};
}

Result<void> RemoveMasterKey(const std::string& path, std::string_view id) {
  if (!IsKeyId(id)) return Fail(Errc::kInvalidArgument, "key id must be 1-64 of [A-Za-z0-9_.-]");
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  // One read, checked (permissions, format) and then rewritten.
  auto text = ReadKeyFile(path);
  if (!text) return text.error();
  WipeOnExit wipe_text{*text};
  StaticKeyProvider existing;
  if (auto r = existing.Parse(*text, '\n', "key file " + path); !r) return r.error();
  if (!existing.Get(id)) return Fail(Errc::kNotFound, "no master key with that id in the file");
  if ((*existing.Current())->id == id)
    return Fail(Errc::kFailedPrecondition, "the current master key cannot be removed");
  std::string kept;
  WipeOnExit wipe_kept{kept};
  kept.reserve(text->size());
  std::string_view rest = *text;
  while (!rest.empty()) {
    const KeyLine line = NextLine(rest, '\n');
    // Parse accepted the file: every line that is not a comment is "<id>:...".
    if (!line.comment() && line.entry.substr(0, line.entry.find(':')) == id) continue;
    kept += line.raw;
  }
  // A new file beside the old one, then an atomic rename: a crash leaves
  // either the old file or the new one, never half of either.
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Fail(Errc::kStorage, "cannot create " + temp + " (remove it if a run was interrupted)");
  const bool written = ::write(fd, kept.data(), kept.size()) == static_cast<ssize_t>(kept.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return Fail(Errc::kStorage, "cannot rewrite key file " + path);
  }
  return {};
}

}  // namespace tenancy

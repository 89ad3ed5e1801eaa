// The security suite's world: a temp directory holding a 0600 master key
// file, the key hierarchy (KeyProvider → Keyring → FieldCipher) on the
// control-plane database, a SQLite store whose `riders` entity has encrypted
// columns, a directory that creates and shreds data keys, and an
// authenticator — all on one ManualClock. Reopen() simulates a restart.
//
// Layout under the temp directory:
//   master.key                 the 0600 key file (WriteNewMasterKey, id "m1")
//   control.db                 directory, keyring, authenticator, re-encryption
//   data/shared.db             shared-model tenants
//   data/tenants/<id>.db       database-model tenants
//   dedicated/<id>/tenant.db   dedicated tenants (the directory's default)
//
// Also: raw helpers that go around the library (sqlite3 on a database file,
// the bytes of a file) so tests can check what actually lands on disk.
#pragma once

#include "support/catch_tenancy.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/raw_sqlite.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/store.hpp"

namespace tenancy::testing {

// -- the entity with encrypted columns --

struct Rider {
  std::string id;
  std::string name;                  // encrypted
  std::optional<std::string> phone;  // encrypted, nullable
  std::int64_t rating = 0;           // in the clear
  std::string tenant_id;             // mirrored by the library
  bool operator==(const Rider&) const = default;
};

inline const Entity<Rider>& Riders() {
  static const Entity<Rider> e = Entity<Rider>("riders")
                                     .Key("id", &Rider::id)
                                     .Column("name", &Rider::name, {.encrypted = true})
                                     .Column("phone", &Rider::phone, {.encrypted = true})
                                     .Column("rating", &Rider::rating)
                                     .TenantColumn(&Rider::tenant_id);
  return e;
}

inline Schema SecuritySchema() {
  Schema s;
  s.migrations.push_back({1, "create riders",
                          "CREATE TABLE riders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                          "name BLOB NOT NULL, phone BLOB, rating INTEGER NOT NULL, "
                          "PRIMARY KEY (tenant_id, id));"});
  return s;
}

// -- raw access, around the library --

inline std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool ContainsBytes(std::string_view haystack, std::string_view needle) {
  return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}
inline bool ContainsBytes(std::string_view haystack, const Blob& needle) {
  return ContainsBytes(haystack,
                       std::string_view(reinterpret_cast<const char*>(needle.data()), needle.size()));
}

// The paths of every regular file under `root` whose bytes contain `needle`
// (a database, its -wal, key files, anything).
inline std::vector<std::string> FilesContaining(const std::filesystem::path& root,
                                                std::string_view needle) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    if (ContainsBytes(ReadFileBytes(entry.path()), needle)) hits.push_back(entry.path().string());
  }
  return hits;
}

inline Blob ToBlob(std::string_view s) { return Blob(s.begin(), s.end()); }
inline std::string BlobText(const Blob& b) { return std::string(b.begin(), b.end()); }

// -- the world --

struct SecurityOptions {
  AuthOptions auth{};    // control_db_path and clock are set by the world
  StoreOptions store{};  // cipher is set by the world
  TimePoint start = TimePoint{std::chrono::seconds{1'700'000'000}};
};

class SecurityWorld {
 public:
  explicit SecurityWorld(SecurityOptions options = {})
      : options_(std::move(options)), clock_(options_.start) {
    std::filesystem::create_directories(data_dir());
    auto written = WriteNewMasterKey(key_file(), "m1");
    REQUIRE(written);
    Reopen();
  }

  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::string control_db() const { return (dir_.path() / "control.db").string(); }
  std::string key_file() const { return (dir_.path() / "master.key").string(); }
  std::filesystem::path tenant_db(const Tenant& t) const {
    switch (t.model) {
      case IsolationModel::kShared: return data_dir() / "shared.db";
      case IsolationModel::kDatabase: return data_dir() / "tenants" / (t.id.str() + ".db");
      case IsolationModel::kDedicated: return std::filesystem::path(t.placement) / "tenant.db";
    }
    return {};
  }

  // Closes everything (connections, caches, unwrapped keys) and opens it
  // again from the files, as a restarted process would.
  void Reopen() {
    Close();
    auto keys = OpenKeyFile(key_file());
    REQUIRE(keys);
    keys_ = std::move(*keys);
    auto keyring = Keyring::Open(control_db(), *keys_, clock_);
    REQUIRE(keyring);
    keyring_ = std::move(*keyring);
    cipher_ = std::make_unique<FieldCipher>(*keyring_);
    StoreOptions so = options_.store;
    so.cipher = cipher_.get();
    auto store = Store::Open("sqlite://" + data_dir().string(), SecuritySchema(), so);
    REQUIRE(store);
    store_ = std::move(*store);
    DirectoryOptions dopt;
    dopt.path = control_db();
    dopt.clock = &clock_;
    dopt.keyring = keyring_.get();
    auto directory = Directory::Open(dopt, *store_);
    REQUIRE(directory);
    directory_ = std::move(*directory);
    auto auth = Authenticator::Open(auth_options(), *directory_, *keys_);
    REQUIRE(auth);
    auth_ = std::move(*auth);
  }

  // Releases every handle on the files (for raw inspection of a closed world).
  void Close() {
    auth_.reset();
    directory_.reset();
    store_.reset();
    cipher_.reset();
    keyring_.reset();
    keys_.reset();
  }

  AuthOptions auth_options() {
    AuthOptions a = options_.auth;
    a.control_db_path = control_db();
    a.clock = &clock_;
    return a;
  }

  Tenant Provision(const std::string& slug, IsolationModel model = IsolationModel::kShared,
                   std::optional<std::string> custom_domain = std::nullopt) {
    ProvisionRequest req;
    req.slug = slug;
    req.model = model;
    req.custom_domain = std::move(custom_domain);
    auto r = directory_->Provision(req);
    REQUIRE(r);
    return r->tenant;
  }

  TenantContext Context(const Tenant& t, std::vector<std::string> roles = {"tenant_admin"},
                        Principal principal = {"tester", PrincipalKind::kService},
                        std::string request_id = "req-test") {
    auto ctx = directory_->MintContext(t.id, std::move(principal), std::move(roles),
                                       std::move(request_id));
    REQUIRE(ctx);
    return *ctx;
  }

  void Suspend(const Tenant& t) { REQUIRE(directory_->ChangeState(t.id, TenantState::kSuspended, "test")); }
  void Activate(const Tenant& t) { REQUIRE(directory_->ChangeState(t.id, TenantState::kActive, "test")); }
  void Offboard(const Tenant& t) { REQUIRE(directory_->Offboard(t.id, "test")); }

  // The address a repository seals a rider's column under.
  static Blob RiderKey(std::string_view id) {
    const Param key[] = {id};
    return EncodeRowKey(key);
  }

  const TempDir& dir() const { return dir_; }
  ManualClock& clock() { return clock_; }
  KeyProvider& keys() { return *keys_; }
  Keyring& keyring() { return *keyring_; }
  FieldCipher& cipher() { return *cipher_; }
  Store& store() { return *store_; }
  Directory& directory() { return *directory_; }
  Authenticator& auth() { return *auth_; }

 private:
  TempDir dir_;
  SecurityOptions options_;
  ManualClock clock_;
  std::unique_ptr<KeyProvider> keys_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<FieldCipher> cipher_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Authenticator> auth_;
};

}  // namespace tenancy::testing

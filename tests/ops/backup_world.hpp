// The backup suite's world: one tenancy instance in a temp directory — a
// master key file, keyring, store (with field encryption), directory,
// configuration — on a ManualClock, with a schema that exercises every value
// kind: NULLs, integers at their limits, reals, empty and large text,
// unicode, blobs with zero bytes, and encrypted columns (one nullable, one
// in a table with a two-column key).
//
// A second World on another directory, sharing (or not) the master key
// file, is a disaster-recovery instance.
#pragma once

#include "support/catch_tenancy.hpp"

#include <sodium.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/config.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/store.hpp"

namespace tenancy::testing {

struct Item {
  std::string id;
  std::optional<std::int64_t> n;
  std::optional<double> r;
  std::optional<std::string> t;
  std::optional<Blob> b;
  std::string secret;               // encrypted
  std::optional<std::string> note;  // encrypted, nullable
  bool operator==(const Item&) const = default;
};

struct Pair {
  std::string a;
  std::int64_t b = 0;
  Blob sealed;  // encrypted, under a two-column row key
  bool operator==(const Pair&) const = default;
};

inline const Entity<Item>& Items() {
  static const Entity<Item> e = Entity<Item>("items")
                                    .Key("id", &Item::id)
                                    .Column("n", &Item::n)
                                    .Column("r", &Item::r)
                                    .Column("t", &Item::t, {.max_bytes = 4 << 20})
                                    .Column("b", &Item::b)
                                    .Column("secret", &Item::secret, {.encrypted = true})
                                    .Column("note", &Item::note, {.encrypted = true});
  return e;
}

inline const Entity<Pair>& Pairs() {
  static const Entity<Pair> e = Entity<Pair>("pairs")
                                    .Key("a", &Pair::a)
                                    .Key("b", &Pair::b)
                                    .Column("sealed", &Pair::sealed, {.encrypted = true});
  return e;
}

// The same tables on both engines (PostgreSQL spells the types its way), so
// a backup restores across engines.
inline Schema BackupSchema(bool with_pairs = true) {
  Schema s;
  s.migrations.push_back({1, "create items",
                          "CREATE TABLE items (tenant_id TEXT NOT NULL, id TEXT NOT NULL, n INTEGER, "
                          "r REAL, t TEXT, b BLOB, secret BLOB NOT NULL, note BLOB, "
                          "PRIMARY KEY (tenant_id, id));",
                          "CREATE TABLE items (tenant_id TEXT NOT NULL, id TEXT NOT NULL, n BIGINT, "
                          "r DOUBLE PRECISION, t TEXT, b BYTEA, secret BYTEA NOT NULL, note BYTEA, "
                          "PRIMARY KEY (tenant_id, id));"});
  if (with_pairs)
    s.migrations.push_back({2, "create pairs",
                            "CREATE TABLE pairs (tenant_id TEXT NOT NULL, a TEXT NOT NULL, "
                            "b INTEGER NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (tenant_id, a, b));",
                            "CREATE TABLE pairs (tenant_id TEXT NOT NULL, a TEXT NOT NULL, "
                            "b BIGINT NOT NULL, sealed BYTEA NOT NULL, PRIMARY KEY (tenant_id, a, b));"});
  return s;
}

// Where a World keeps its tenants' data. The defaults: its own SQLite data
// directory and BackupSchema(with_pairs).
struct WorldStore {
  std::string url{};        // a store URL (e.g. PostgreSQL); empty: sqlite://<root>/data
  std::string admin_url{};  // StoreOptions::admin_url
  std::string dedicated_placement{};  // Provision's placement for dedicated tenants
  std::optional<Schema> schema{};     // empty: BackupSchema(with_pairs)
};

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteAll(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class World {
 public:
  // `key_file`: a master key file to share (disaster recovery); empty: a
  // new one in this world's directory.
  explicit World(std::string key_file = {}, bool with_pairs = true, WorldStore where = {})
      : key_file_(key_file.empty() ? (dir_.path() / "master.key").string() : std::move(key_file)),
        dedicated_placement_(std::move(where.dedicated_placement)) {
    if (!std::filesystem::exists(key_file_)) REQUIRE(WriteNewMasterKey(key_file_, "m1"));
    auto keys = OpenKeyFile(key_file_);
    REQUIRE(keys);
    keys_ = std::move(*keys);
    auto keyring = Keyring::Open(control_db(), *keys_, clock_);
    REQUIRE(keyring);
    keyring_ = std::move(*keyring);
    cipher_ = std::make_unique<FieldCipher>(*keyring_);
    StoreOptions so;
    so.cipher = cipher_.get();
    so.max_field_bytes = 4 << 20;
    so.admin_url = where.admin_url;
    auto store = Store::Open(where.url.empty() ? "sqlite://" + (dir_.path() / "data").string() : where.url,
                             where.schema ? *where.schema : BackupSchema(with_pairs), so);
    REQUIRE(store);
    store_ = std::move(*store);
    DirectoryOptions dopts;
    dopts.path = control_db();
    dopts.clock = &clock_;
    dopts.keyring = keyring_.get();
    auto dir = Directory::Open(dopts, *store_);
    REQUIRE(dir);
    directory_ = std::move(*dir);
    auto config = Config::Open({.path = (dir_.path() / "config.db").string(), .clock = &clock_});
    REQUIRE(config);
    config_ = std::move(*config);
  }

  const std::filesystem::path& root() const { return dir_.path(); }
  std::string control_db() const { return (dir_.path() / "control.db").string(); }
  const std::string& key_file() const { return key_file_; }
  Directory& directory() { return *directory_; }
  Store& store() { return *store_; }
  Config& config() { return *config_; }
  Keyring& keyring() { return *keyring_; }
  ManualClock& clock() { return clock_; }

  BackupSources Sources() {
    return {.directory = directory_.get(),
            .keyring = keyring_.get(),
            .keyring_path = control_db(),
            .master_keys = keys_.get(),
            .config = config_.get(),
            .clock = &clock_};
  }
  Backup MakeBackup() { return Backup(Sources()); }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    auto r = directory_->Provision(
        {.slug = slug,
         .tier = "standard",
         .model = model,
         .placement = model == IsolationModel::kDedicated ? dedicated_placement_ : std::string()});
    REQUIRE(r);
    return r->tenant;
  }

  TenantContext Ctx(const TenantId& id) {
    auto ctx = directory_->MintContext(id, {"backup-test", PrincipalKind::kSystem}, {}, "req-1");
    REQUIRE(ctx);
    return *ctx;
  }

  // Every item / pair of the tenant, in key order, decrypted.
  std::vector<Item> AllItems(const TenantId& id) {
    Repository<Item> repo(*store_, Items());
    auto ctx = Ctx(id);
    std::vector<Item> all;
    ListQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = repo.List(ctx, q);
      REQUIRE(page);
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (page->next_cursor.empty()) return all;
      q.after = page->next_cursor;
    }
  }
  std::vector<Pair> AllPairs(const TenantId& id) {
    Repository<Pair> repo(*store_, Pairs());
    auto ctx = Ctx(id);
    std::vector<Pair> all;
    ListQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = repo.List(ctx, q);
      REQUIRE(page);
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (page->next_cursor.empty()) return all;
      q.after = page->next_cursor;
    }
  }

  // A BLAKE2b digest of everything a tenant holds (decrypted), for "did not
  // change" checks.
  std::string Digest(const TenantId& id) {
    std::string text;
    auto add = [&](std::string_view s) {
      text += std::to_string(s.size());
      text += ':';
      text += s;
    };
    for (const auto& i : AllItems(id)) {
      add(i.id);
      add(i.n ? std::to_string(*i.n) : "null");
      add(i.r ? std::to_string(*i.r) : "null");
      add(i.t ? *i.t : "null");
      add(i.b ? std::string(i.b->begin(), i.b->end()) : "null");
      add(i.secret);
      add(i.note ? *i.note : "null");
    }
    for (const auto& p : AllPairs(id)) {
      add(p.a);
      add(std::to_string(p.b));
      add(std::string(p.sealed.begin(), p.sealed.end()));
    }
    unsigned char h[32];
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       nullptr, 0);
    return std::string(reinterpret_cast<const char*>(h), sizeof h);
  }

  // Fills a tenant with `count` items of every shape, plus pairs.
  void Fill(const TenantId& id, int count, const std::string& tag) {
    Repository<Item> items(*store_, Items());
    Repository<Pair> pairs(*store_, Pairs());
    auto ctx = Ctx(id);
    REQUIRE(store_->Transact(ctx, [&](Transaction& tx) -> Result<void> {
      for (int i = 0; i < count; ++i) {
        if (auto r = items.Insert(tx, MakeItem(i, tag)); !r) return r;
        Pair p{tag + "-p" + std::to_string(i % 7), i, Blob{static_cast<std::uint8_t>(i), 0, 0xff}};
        if (auto r = pairs.Insert(tx, p); !r) return r;
      }
      return {};
    }));
  }

  static Item MakeItem(int i, const std::string& tag) {
    Item it;
    char id[32];
    std::snprintf(id, sizeof id, "%s-%05d", tag.c_str(), i);
    it.id = id;
    switch (i % 6) {
      case 0:  // all nullable columns NULL
        break;
      case 1:
        it.n = std::numeric_limits<std::int64_t>::min();
        it.r = -2.5e-300;
        it.t = "";
        it.b = Blob{};
        break;
      case 2:
        it.n = std::numeric_limits<std::int64_t>::max();
        it.r = 1e308;
        it.t = "Grüße aus 東京 🚕 — \"quotes\" 'and' \\ backslash";
        it.b = Blob{0, 1, 0, 2, 0xff, 0};
        break;
      case 3:
        it.n = -i;
        it.r = 3.141592653589793;
        it.t = std::string(200 * 1024 + i, 'x') + "end";  // large text
        it.b = Blob(70 * 1024, 0xab);
        break;
      case 4:
        it.n = 0;
        it.r = std::numeric_limits<double>::denorm_min();
        it.t = "tab\tnewline\ncarriage\r";
        // A plain blob shaped like a ciphertext header: must stay as it is.
        it.b = Blob(60, 0);
        (*it.b)[0] = 1;
        (*it.b)[4] = 1;
        break;
      default:
        it.n = i;
        it.t = "row " + std::to_string(i);
        break;
    }
    it.secret = "secret of " + tag + " #" + std::to_string(i) + " 🔒";
    if (i % 3 != 0) it.note = "note " + std::to_string(i) + (i % 2 ? std::string(5000, 'n') : "");
    return it;
  }

 private:
  TempDir dir_;
  std::string key_file_;
  std::string dedicated_placement_;
  ManualClock clock_;
  std::unique_ptr<KeyProvider> keys_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<FieldCipher> cipher_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Config> config_;
};

// Writes a backup of `id` to a string.
inline std::string BackupToString(World& w, const TenantId& id, BackupInfo* info = nullptr) {
  std::ostringstream out(std::ios::binary);
  auto r = w.MakeBackup().Write(id, out);
  REQUIRE(r);
  if (info) *info = *r;
  return out.str();
}

inline Result<RestoreReport> RestoreFromString(World& w, const std::string& bytes,
                                               const RestoreOptions& options) {
  std::istringstream in(bytes, std::ios::binary);
  return w.MakeBackup().Restore(in, options);
}

}  // namespace tenancy::testing

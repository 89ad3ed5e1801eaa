#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/string_map.hpp"
#include "crypto/wrap.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "tenancy/keys.hpp"

namespace tenancy {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA secure_delete = ON;
CREATE TABLE IF NOT EXISTS tenancy_data_keys (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  wrapped BLOB NOT NULL,          -- nonce (24) || XChaCha20-Poly1305(dek)
  master_key_id TEXT NOT NULL,
  is_primary INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
)sql";

constexpr std::size_t kMaxCachedKeys = 65536;  // tenants
constexpr std::chrono::seconds kCacheTtl{30};

std::string WrapAd(std::string_view tenant, int version) { return crypto::DataKeyWrapAd(tenant, version); }

Blob WrapKey(const SecretBytes& dek, const MasterKey& kek, std::string_view tenant, int version) {
  return crypto::WrapSecret(dek.bytes(), kek, WrapAd(tenant, version));
}

Result<SecretBytes> UnwrapKey(BlobView wrapped, const MasterKey& kek, std::string_view tenant,
                              int version) {
  return crypto::UnwrapSecret(wrapped, kek, WrapAd(tenant, version), kKeyBytes);
}

struct KeyRow {
  std::string tenant;
  int version = 0;
  Blob wrapped;
  std::string master_key_id;
  bool primary = false;
  std::int64_t created_at = 0;
};

struct KeyRows final : detail::RowSink {
  std::vector<KeyRow> rows;
  bool OnRow(const RowView& r) override {
    KeyRow k;
    k.tenant = r.Text(0);
    k.version = static_cast<int>(r.Int(1));
    auto b = r.Bytes(2);
    k.wrapped.assign(b.begin(), b.end());
    k.master_key_id = r.Text(3);
    k.primary = r.Int(4) != 0;
    k.created_at = r.Int(5);
    rows.push_back(std::move(k));
    return true;
  }
};

// Identifies a keyring for the per-thread cache below. Unlike its address,
// an instance number is never reused by a later keyring.
std::atomic<std::uint64_t> next_keyring_instance{1};

// The last key this thread was handed, so the steady state of one tenant's
// fields (a repository reading rows) skips the shared lock and the hash
// lookup of the keyring's cache. Valid only while the keyring's generation
// is unchanged: every change to its cache (Rotate, Destroy, a re-read after
// the TTL) bumps it. The key is held weakly: once the keyring drops a key
// (crypto-shredding), it is wiped even if this thread never calls again.
struct LastKey {
  std::uint64_t keyring = 0;  // Keyring::Impl::instance; 0: empty
  std::uint64_t generation = 0;
  std::string tenant{};
  int requested = -1;  // the version asked for (0: the primary)
  int resolved = 0;
  TimePoint checked_at{};
  std::weak_ptr<const SecretBytes> key{};
};
thread_local LastKey last_key;

constexpr const char* kSelect =
    "SELECT tenant_id, version, wrapped, master_key_id, is_primary, created_at FROM "
    "tenancy_data_keys";

}  // namespace

struct Keyring::Impl {
  const std::uint64_t instance = next_keyring_instance.fetch_add(1, std::memory_order_relaxed);
  const KeyProvider* provider = nullptr;
  Clock* clock = nullptr;
  std::mutex db_mu;  // every use of `db`
  std::unique_ptr<sqlite::SqliteConnection> db;

  // Unwrapped keys by tenant; looked up by string_view, so a hit allocates
  // nothing. Bounded: past kMaxCachedKeys tenants it starts over.
  struct TenantKeys {
    int primary = 0;
    std::map<int, std::shared_ptr<const SecretBytes>> versions;
    TimePoint checked_at{};  // when the rows were last read from the database
  };
  mutable std::shared_mutex cache_mu;
  StringMap<TenantKeys> cache;
  // Bumped, under cache_mu held exclusively, by every change to `cache`;
  // read under cache_mu shared it is consistent with the entries (LastKey).
  std::atomic<std::uint64_t> generation{0};

  void Changed() { generation.fetch_add(1, std::memory_order_release); }

  void Remember(std::string_view tenant, int version, std::shared_ptr<const SecretBytes> key,
                int primary_version) {
    std::unique_lock lock(cache_mu);
    if (cache.size() >= kMaxCachedKeys && !cache.contains(tenant)) cache.clear();
    auto& entry = cache[std::string(tenant)];
    entry.versions[version] = std::move(key);
    if (primary_version) entry.primary = primary_version;
    entry.checked_at = clock->Now();
    Changed();
  }

  // Brings the cached entry in line with the rows just read: versions
  // destroyed (or a primary rotated) by another process disappear here.
  void Reconcile(std::string_view tenant, const std::vector<KeyRow>& rows, int primary_version) {
    std::unique_lock lock(cache_mu);
    auto it = cache.find(tenant);
    if (it == cache.end()) return;
    Changed();
    if (rows.empty()) {
      cache.erase(it);
      return;
    }
    std::erase_if(it->second.versions, [&](const auto& kv) {
      return std::none_of(rows.begin(), rows.end(), [&](const KeyRow& r) { return r.version == kv.first; });
    });
    it->second.primary = primary_version;
    it->second.checked_at = clock->Now();
  }

  Result<std::vector<KeyRow>> Rows(std::string_view tenant) {
    KeyRows rows;
    const Param p[] = {tenant};
    auto r = db->Run(std::string(kSelect) + " WHERE tenant_id = ? ORDER BY version", p, &rows);
    if (!r) return r.error();
    return std::move(rows.rows);
  }

  Result<int> Insert(std::string_view tenant, int version) {
    auto kek = provider->Current();
    if (!kek) return kek.error();
    SecretBytes dek = SecretBytes::Random(kKeyBytes);
    const Blob wrapped = WrapKey(dek, **kek, tenant, version);
    if (auto r = db->Begin(); !r) return r.error();
    const Param clear[] = {tenant};
    const Param row[] = {tenant, std::int64_t{version}, BlobView(wrapped),
                         std::string_view((*kek)->id), ToUnixMillis(clock->Now())};
    auto a = db->Run("UPDATE tenancy_data_keys SET is_primary = 0 WHERE tenant_id = ?", clear, nullptr);
    auto b = a ? db->Run("INSERT INTO tenancy_data_keys (tenant_id, version, wrapped, "
                         "master_key_id, is_primary, created_at) VALUES (?, ?, ?, ?, 1, ?)",
                         row, nullptr)
               : a;
    if (!b) {
      (void)db->Rollback();
      return b.error();
    }
    if (auto c = db->Commit(); !c) return c.error();
    Remember(tenant, version, std::make_shared<const SecretBytes>(std::move(dek)), version);
    return version;
  }
};

Keyring::Keyring(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Keyring::~Keyring() = default;

Result<std::unique_ptr<Keyring>> Keyring::Open(const std::string& path, const KeyProvider& provider,
                                               Clock& clock) {
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  auto db = sqlite::SqliteConnection::Open(path, /*create=*/true, sqlite::ConnectionOptions{});
  if (!db) return db.error();
  if (auto r = (*db)->ExecScript(kSchema); !r) return r.error();
  auto impl = std::make_unique<Impl>();
  impl->provider = &provider;
  impl->clock = &clock;
  impl->db = std::move(*db);
  return std::unique_ptr<Keyring>(new Keyring(std::move(impl)));
}

Result<int> Keyring::Create(const TenantId& tenant) {
  std::lock_guard lock(impl_->db_mu);
  auto rows = impl_->Rows(tenant.str());
  if (!rows) return rows.error();
  for (const auto& k : *rows)
    if (k.primary) return k.version;
  if (!rows->empty()) return Fail(Errc::kDataCorrupted, "the tenant's data keys have no primary");
  return impl_->Insert(tenant.str(), 1);
}

Result<int> Keyring::Rotate(const TenantId& tenant) {
  std::lock_guard lock(impl_->db_mu);
  auto rows = impl_->Rows(tenant.str());
  if (!rows) return rows.error();
  if (rows->empty()) return Fail(Errc::kNotFound, "the tenant has no data key");
  return impl_->Insert(tenant.str(), rows->back().version + 1);
}

Result<std::size_t> Keyring::RewrapAll() {
  std::lock_guard lock(impl_->db_mu);
  auto current = impl_->provider->Current();
  if (!current) return current.error();
  KeyRows all;
  if (auto r = impl_->db->Run(kSelect, {}, &all); !r) return r.error();
  if (auto r = impl_->db->Begin(); !r) return r.error();
  auto fail = [&](Error e) -> Result<std::size_t> {
    (void)impl_->db->Rollback();
    return e;
  };
  std::size_t count = 0;
  for (const auto& k : all.rows) {
    if (k.master_key_id == (*current)->id) continue;
    auto wrapped = crypto::RewrapSecret(k.wrapped, *impl_->provider, k.master_key_id, **current,
                                        WrapAd(k.tenant, k.version), kKeyBytes);
    if (!wrapped) return fail(wrapped.error());
    const Param p[] = {BlobView(*wrapped), std::string_view((*current)->id),
                       std::string_view(k.tenant), std::int64_t{k.version}};
    if (auto r = impl_->db->Run("UPDATE tenancy_data_keys SET wrapped = ?, master_key_id = ? "
                                "WHERE tenant_id = ? AND version = ?",
                                p, nullptr);
        !r)
      return fail(r.error());
    ++count;
  }
  if (auto r = impl_->db->Commit(); !r) return r.error();
  return count;
}

Result<void> Keyring::Destroy(const TenantId& tenant) {
  {
    std::lock_guard lock(impl_->db_mu);
    const Param p[] = {std::string_view(tenant.str())};
    if (auto r = impl_->db->Run("DELETE FROM tenancy_data_keys WHERE tenant_id = ?", p, nullptr); !r)
      return r.error();
    {
      std::unique_lock cache_lock(impl_->cache_mu);
      impl_->cache.erase(tenant.str());
      impl_->Changed();
    }
    // secure_delete zeroed the freed pages; the WAL still holds the old
    // ones until a checkpoint copies the database and truncates the log.
    // A reader holding an older snapshot blocks that (busy = 1): then the
    // key bytes are still on disk, so report it (a retry scrubs them).
    struct Checkpoint final : detail::RowSink {
      std::int64_t busy = 1;
      bool OnRow(const RowView& r) override {
        busy = r.Int(0);
        return false;
      }
    } checkpoint;
    if (auto r = impl_->db->Run("PRAGMA wal_checkpoint(TRUNCATE)", {}, &checkpoint); !r)
      return r.error();
    if (checkpoint.busy != 0)
      return Fail(Errc::kUnavailable,
                  "the tenant's data keys are deleted, but a reader still holds the database's "
                  "write-ahead log, so their bytes are not scrubbed yet; retry");
  }
  return {};
}

Result<void> Keyring::CountMasterKeyUses(MasterKeyUses& uses) const {
  struct Counts final : detail::RowSink {
    MasterKeyUses* uses = nullptr;
    bool OnRow(const RowView& r) override {
      (*uses)[std::string(r.Text(0))].data_keys += static_cast<std::size_t>(r.Int(1));
      return true;
    }
  } counts;
  counts.uses = &uses;
  std::lock_guard lock(impl_->db_mu);
  auto r = impl_->db->Run(
      "SELECT master_key_id, count(*) FROM tenancy_data_keys GROUP BY master_key_id", {}, &counts);
  if (!r) return r.error();
  return {};
}

Result<std::vector<DataKeyInfo>> Keyring::List(const TenantId& tenant) const {
  std::lock_guard lock(impl_->db_mu);
  auto rows = impl_->Rows(tenant.str());
  if (!rows) return rows.error();
  std::vector<DataKeyInfo> out;
  for (const auto& k : *rows)
    out.push_back({k.version, k.primary, k.master_key_id, FromUnixMillis(k.created_at)});
  return out;
}

Result<int> Keyring::PrimaryVersion(const TenantId& tenant) const {
  int version = 0;
  auto key = Unwrap(tenant.str(), 0, &version);
  if (!key) return key.error();
  return version;
}

Result<std::shared_ptr<const SecretBytes>> Keyring::Unwrap(std::string_view tenant, int version,
                                                           int* resolved_version) const {
  // Entries are trusted for kCacheTtl: a Destroy or Rotate made by another
  // process on the same control database is seen within that time.
  const TimePoint now = impl_->clock->Now();
  LastKey& last = last_key;
  if (last.keyring == impl_->instance &&
      last.generation == impl_->generation.load(std::memory_order_acquire) &&
      last.requested == version && last.tenant == tenant && now - last.checked_at < kCacheTtl) {
    if (auto key = last.key.lock()) {
      if (resolved_version) *resolved_version = last.resolved;
      return key;
    }
  }
  {
    std::shared_lock lock(impl_->cache_mu);
    if (auto entry = impl_->cache.find(tenant);
        entry != impl_->cache.end() && now - entry->second.checked_at < kCacheTtl) {
      const int v = version == 0 ? entry->second.primary : version;
      if (auto it = entry->second.versions.find(v); it != entry->second.versions.end()) {
        last.keyring = impl_->instance;
        last.generation = impl_->generation.load(std::memory_order_relaxed);
        last.tenant.assign(tenant);
        last.requested = version;
        last.resolved = v;
        last.checked_at = entry->second.checked_at;
        last.key = it->second;
        if (resolved_version) *resolved_version = v;
        return it->second;
      }
    }
  }
  // Miss: read and unwrap, then cache.
  std::lock_guard lock(impl_->db_mu);
  auto rows = impl_->Rows(tenant);
  if (!rows) return rows.error();
  const KeyRow* chosen = nullptr;
  int primary = 0;
  for (const auto& k : *rows) {
    if (k.primary) primary = k.version;
    if (k.version == version || (version == 0 && k.primary)) chosen = &k;
  }
  impl_->Reconcile(tenant, *rows, primary);
  if (!chosen)
    return Fail(Errc::kNotFound, version == 0 ? "the tenant has no data key"
                                              : "the tenant has no data key version " +
                                                    std::to_string(version));
  auto kek = impl_->provider->Get(chosen->master_key_id);
  // Not kNotFound: that means "no such data key" (crypto-shredded) to callers.
  if (!kek && kek.error().code == Errc::kNotFound)
    return Fail(Errc::kFailedPrecondition, "the master key '" + chosen->master_key_id +
                                               "' that wraps this data key is not available");
  if (!kek) return kek.error();
  auto dek = UnwrapKey(chosen->wrapped, **kek, chosen->tenant, chosen->version);
  if (!dek) return dek.error();
  auto shared = std::make_shared<const SecretBytes>(std::move(*dek));
  impl_->Remember(tenant, chosen->version, shared, primary);
  if (resolved_version) *resolved_version = chosen->version;
  return shared;
}

}  // namespace tenancy

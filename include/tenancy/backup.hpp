// tenancy/backup.hpp — per-tenant backup and restore, across instances and models.
//
// A backup is ONE tenant's data in one portable file: the rows of every
// table of its namespace (shared rows, its own database, or its dedicated
// placement) read in a single read transaction, so they are mutually
// consistent; its per-tenant configuration overrides; and its data keys
// exactly as the keyring stores them (wrapped under the master key, never
// in clear). Encrypted columns stay ciphertext.
//
//   tenancy::Backup backup({.directory = *dir, .keyring = keyring.get(),
//                           .keyring_path = "data/control.db",
//                           .master_keys = provider.get(), .config = config.get()});
//   std::ofstream out("acme.tnbk", std::ios::binary);
//   auto written = backup.Write(acme_id, out);          // Result<BackupInfo>
//   std::ifstream in("acme.tnbk", std::ios::binary);
//   auto restored = backup.Restore(in, {.slug = "acme-copy",
//                                       .model = tenancy::IsolationModel::kDatabase});
//
// File format (version 1; every integer little-endian):
//   magic        8 bytes  89 54 4E 42 4B 0D 0A 1A  ("\x89TNBK\r\n\x1a")
//   version      u32      1
//   flags        u32      0 (reserved)
//   records      kind (u8) ‖ payload length (u32) ‖ payload, in this order:
//     'M'  metadata, UTF-8 JSON: tenant (id, slug, display name, tier, model,
//          state, custom domain, created), backup time, source engine, schema
//          (migration) version, tables with their columns, wrapped data keys,
//          configuration overrides
//     per table: 'T' (table index) · 'R'* (batches of rows) · 'E' (row count)
//          a row is one value per column (tenant_id is left out: a restore
//          writes the target tenant's id); a value is a tag — 0 NULL,
//          1 integer (i64), 2 real (f64 bits), 3 text, 4 blob — then 8 bytes
//          or a u32 length and the bytes
//     'Z'  the BLAKE2b-256 (libsodium crypto_generichash) of every byte
//          before this record; nothing may follow it
// Any other shape is refused; see Backup::Verify for the errors.
//
// Restore re-creates the tenant under a NEW tenant id (ids are minted by
// the directory and never reused), under the original or a new slug, in the
// original or another isolation model, on the same or another instance
// (disaster recovery: a fresh data directory with the same master key).
// The whole file is verified before anything is touched; the rows are
// written in one transaction in the target tenant's namespace, so a restore
// lands completely or not at all, and never writes outside that namespace.
// (A new database-model or dedicated tenant on SQLite gets its database
// file built aside, synced, and swapped in whole by one rename.)
// Because field ciphertext is bound to its tenant id, encrypted values are
// opened with the backup tenant's data key and re-sealed under the target
// tenant's key on the way in.
//
// Keys and crypto-shredding. Restoring needs the master key the backup's
// data keys are wrapped under (or, on the instance that owns the tenant, its
// keyring). When this instance's directory knows the backup's tenant, its
// keyring is authoritative: if the tenant was offboarded (its data keys
// destroyed), the restore is refused with kFailedPrecondition — the
// backup's copy of the keys is not used to bring shredded data back. A
// fresh instance that has never heard of the tenant can only use the
// backup's wrapped keys; there, crypto-shredding holds once the master key
// they are wrapped under is retired (docs/keys.md).
//
// Thread safety: a Backup is immutable after construction and safe to share;
// concurrent writes of backups are fine; two restores racing for one slug
// see one of them fail with kAlreadyExists. Write of a tenant larger than
// one row batch (256 KiB) hashes and writes batches on a thread of its own,
// joined before it returns: `out` is used by one thread at a time.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

class Config;
class Directory;
class KeyProvider;
class Keyring;

// The format version this library writes and the newest it reads.
inline constexpr std::uint32_t kBackupFormatVersion = 1;

// What a backup reads from and a restore writes to. Only `directory` is
// required; the store is the directory's.
struct BackupSources {
  // REQUIRES: non-null; outlives the Backup. Tenants and their namespaces.
  Directory* directory = nullptr;
  // The keyring of the tenants' data keys, and the path of the control
  // database it was opened on (the keys are read from its table as stored:
  // wrapped). Null/empty: backups carry no keys, and a restore of a backup
  // that holds keys is refused (kFailedPrecondition).
  Keyring* keyring = nullptr;
  std::string keyring_path{};
  // The master keys, to unwrap a backup's data keys when restoring a tenant
  // this instance does not know (disaster recovery). Null: such restores of
  // backups with keys are refused.
  const KeyProvider* master_keys = nullptr;
  // Per-tenant configuration overrides travel with the backup when set.
  Config* config = nullptr;
  // Stamps a backup's creation time. Never null.
  Clock* clock = &SystemClock();
};

struct BackupColumn {
  std::string name{};
  std::string type{};  // declared type, as the source engine reports it
  bool not_null = false;
  int key = 0;  // position in the primary key after tenant_id (1, 2, ...); 0: not a key
};

struct BackupTable {
  std::string name{};
  std::vector<BackupColumn> columns{};  // tenant_id left out
  std::uint64_t rows = 0;
};

// What a backup file holds, as verified (or as just written).
struct BackupInfo {
  std::uint32_t format_version = kBackupFormatVersion;
  Tenant tenant{};             // the tenant as it was when backed up
  TimePoint created_at{};      // when the backup was taken
  std::string engine{};        // "sqlite" or "postgres"
  int schema_version = 0;      // the source namespace's migration version
  std::vector<BackupTable> tables{};
  std::size_t key_versions = 0;  // wrapped data-key versions carried
  bool has_config = false;       // per-tenant configuration overrides carried
  std::uint64_t rows = 0;        // in all tables
  std::uint64_t bytes = 0;       // size of the file
  std::string checksum{};        // BLAKE2b-256, lowercase hex
};

struct RestoreOptions {
  // The slug of the restored tenant; empty: the backup's.
  std::string slug{};
  // The isolation model to restore into; empty: the backup's.
  std::optional<IsolationModel> model{};
  // Dedicated model only: the placement directory; empty: the directory's
  // default for the new tenant.
  std::string placement{};
  // When a live tenant already has the slug: false (default) refuses with
  // kAlreadyExists; true replaces that tenant's rows (and configuration
  // overrides) with the backup's in one transaction — it keeps its id,
  // model and keys. REQUIRES with replace: `model` empty or the tenant's.
  bool replace_existing = false;
  // Author recorded on restored configuration versions.
  std::string author = "restore";
};

struct RestoreReport {
  Tenant tenant{};         // the restored tenant, as it is now
  TenantId source_id{};    // the backup's tenant
  bool created = false;    // false when an existing tenant was replaced
  std::uint64_t rows = 0;  // rows written
  std::uint64_t resealed = 0;  // encrypted values re-sealed under the target's key
  bool config_restored = false;
  // Things restored differently than backed up, for the operator: e.g. a
  // custom domain left out because another tenant holds it now.
  std::vector<std::string> notes{};
};

class TENANCY_EXPORT Backup {
 public:
  // REQUIRES: sources.directory non-null (else every call is kInvalidArgument).
  explicit Backup(BackupSources sources);

  // Streams a backup of `tenant` to `out`; memory stays bounded by one
  // batch of rows, whatever the tenant's size. Errors: kTenantUnknown (no
  // such tenant, or offboarded), kInvalidArgument (no directory),
  // kStorage (reading the namespace or writing `out` failed). On error,
  // `out` holds an incomplete file that Verify refuses.
  Result<BackupInfo> Write(const TenantId& tenant, std::ostream& out) const;

  // Reads a whole backup file and checks it: magic, version, structure,
  // checksum. Touches nothing. Errors: kInvalidArgument (not a tenancy
  // backup: wrong magic), kUnimplemented (a format version newer than
  // kBackupFormatVersion), kDataCorrupted (truncated, altered, malformed,
  // checksum mismatch).
  static Result<BackupInfo> Verify(std::istream& in);

  // Restores a backup (see the top of this file). `in` must be seekable: it
  // is read twice, once to verify everything before touching anything, then
  // to write. Errors: those of Verify; kAlreadyExists (slug taken and not
  // replacing); kFailedPrecondition (the backup's tenant was crypto-shredded
  // here, its keys cannot be unwrapped with the available master keys, the
  // target cannot hold encrypted values, or its schema is older than the
  // backup's); kInvalidArgument (bad slug or options, unseekable stream);
  // kMigrationFailed (a backed-up table or column is missing in the target);
  // kConflict/kStorage from the engine. On any error nothing is left
  // behind: a tenant created for the restore is offboarded again.
  Result<RestoreReport> Restore(std::istream& in, const RestoreOptions& options = {}) const;

 private:
  BackupSources sources_;
};

}  // namespace tenancy

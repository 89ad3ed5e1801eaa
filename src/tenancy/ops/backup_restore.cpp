// Backup::Restore: verify the whole file, pick or create the target tenant,
// then write every row in one transaction of the target's namespace,
// re-sealing encrypted values under the target tenant's key.
#include <sodium.h>

#include <boost/container/small_vector.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include "ops/backup_format.hpp"
#include "ops/backup_keys.hpp"
#include "storage/tenant_dump.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/config.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/keys.hpp"

namespace tenancy {
namespace {

using KeyMap = std::map<int, std::shared_ptr<const SecretBytes>>;

struct NullSink final : ops::backup::BodySink {
  Result<void> OnTable(std::size_t) override { return {}; }
  Result<void> OnRow(std::span<const Param>) override { return {}; }
};

// Feeds parsed rows to the target namespace. A blob that opens with one of
// the backup's data keys at its own address (source tenant, table, column,
// row key) is a sealed value: it is re-sealed for the target tenant. The
// AEAD tag makes this exact — a plain blob never opens by accident.
class RestoreSink final : public ops::backup::BodySink {
 public:
  RestoreSink(detail::DumpWriter& writer, const ops::backup::Meta& meta, const KeyMap& keys,
              const FieldCipher* cipher, std::string_view source, std::string_view target)
      : writer_(writer),
        meta_(meta),
        keys_(keys),
        cipher_(cipher),
        source_(source),
        target_(target),
        reseal_(!keys.empty() && source != target) {}

  Result<void> OnTable(std::size_t index) override {
    table_ = &meta_.info.tables[index];
    detail::DumpTable t;
    t.name = table_->name;
    key_columns_.clear();
    for (std::size_t i = 0; i < table_->columns.size(); ++i) {
      const auto& c = table_->columns[i];
      t.columns.push_back({c.name, c.type, c.not_null, c.key});
      if (c.key) key_columns_.push_back(i);
    }
    std::sort(key_columns_.begin(), key_columns_.end(), [&](std::size_t a, std::size_t b) {
      return table_->columns[a].key < table_->columns[b].key;
    });
    return writer_.Table(t);
  }

  Result<void> OnRow(std::span<const Param> values) override {
    ++rows_;
    if (!reseal_) return writer_.Insert(values);
    bool changed = false;
    Blob row_key;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto* blob = std::get_if<BlobView>(&values[i]);
      if (!blob) continue;
      const int version = ops::backup::SealedVersion(*blob);
      auto key = version ? keys_.find(version) : keys_.end();
      if (key == keys_.end()) continue;
      if (!changed && row_key.empty()) {
        boost::container::small_vector<Param, 4> k;
        for (std::size_t c : key_columns_) k.push_back(values[c]);
        row_key = EncodeRowKey(k);
      }
      const std::string_view column = table_->columns[i].name;
      auto plain = ops::backup::OpenSealed(*key->second, {source_, table_->name, column, row_key}, *blob);
      if (!plain) continue;  // not a ciphertext of this address: a plain blob
      if (!cipher_) return Fail(Errc::kFailedPrecondition, "no keyring to seal restored values under");
      auto sealed = cipher_->Seal({target_, table_->name, column, row_key}, *plain);
      sodium_memzero(plain->data(), plain->size());
      if (!sealed) return sealed.error();
      if (!changed) {
        row_.assign(values.begin(), values.end());
        owned_.clear();
        owned_.reserve(values.size());  // keeps the views below valid
        changed = true;
      }
      owned_.push_back(std::move(*sealed));
      row_[i] = BlobView(owned_.back());
      ++resealed_;
    }
    return writer_.Insert(changed ? std::span<const Param>(row_) : values);
  }

  std::uint64_t rows() const noexcept { return rows_; }
  std::uint64_t resealed() const noexcept { return resealed_; }

 private:
  detail::DumpWriter& writer_;
  const ops::backup::Meta& meta_;
  const KeyMap& keys_;
  const FieldCipher* cipher_;
  std::string_view source_, target_;
  bool reseal_;
  const BackupTable* table_ = nullptr;
  std::vector<std::size_t> key_columns_;
  std::vector<Param> row_;
  std::vector<Blob> owned_;
  std::uint64_t rows_ = 0, resealed_ = 0;
};

// The backup's data keys, unwrapped. When this instance knows the backup's
// tenant, its keyring decides (a shredded tenant stays shredded); only a
// tenant unknown here falls back to the backup's wrapped copies.
Result<KeyMap> ResolveKeys(const BackupSources& sources, const ops::backup::Meta& meta) {
  KeyMap keys;
  if (meta.keys.empty()) return keys;
  const Tenant& source = meta.info.tenant;
  if (!sources.keyring)
    return Fail(Errc::kFailedPrecondition,
                "the backup holds data keys, but no keyring was given to seal restored values");
  auto known = sources.directory->Get(source.id);
  if (known) {
    const TenantState state = (*known)->state;
    if (state == TenantState::kDeleted || state == TenantState::kOffboarding)
      return Fail(Errc::kFailedPrecondition,
                  "the backup's tenant was offboarded here and its data keys destroyed "
                  "(crypto-shredded); its encrypted data cannot be restored");
    for (const auto& k : meta.keys) {
      auto key = sources.keyring->Unwrap(source.id.str(), k.version);
      if (!key && key.error().code == Errc::kNotFound)
        return Fail(Errc::kFailedPrecondition,
                    "the keyring no longer holds data key version " + std::to_string(k.version) +
                        " of the backup's tenant (crypto-shredded)");
      if (!key) return key.error();
      keys[k.version] = *key;
    }
    return keys;
  }
  if (known.error().code != Errc::kTenantUnknown) return known.error();
  if (!sources.master_keys)
    return Fail(Errc::kFailedPrecondition,
                "the backup's data keys are wrapped; restoring it needs the master keys");
  for (const auto& k : meta.keys) {
    auto key = ops::backup::UnwrapDataKey(*sources.master_keys, source.id.str(), k);
    if (!key) return key.error();
    keys[k.version] = std::make_shared<const SecretBytes>(std::move(*key));
  }
  return keys;
}

}  // namespace

Result<RestoreReport> Backup::Restore(std::istream& in, const RestoreOptions& options) const {
  if (!sources_.directory) return Fail(Errc::kInvalidArgument, "restore needs a directory");
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialise");
  Directory& dir = *sources_.directory;
  const std::streampos start = in.tellg();
  if (start == std::streampos(-1))
    return Fail(Errc::kInvalidArgument, "restore needs a seekable stream (it reads the file twice)");

  // 1. The whole file is checked before anything is touched.
  ops::backup::Meta meta;
  std::array<std::uint8_t, ops::backup::kHashBytes> checksum{};
  {
    ops::backup::Parser check(in);
    if (auto r = check.Header(); !r) return r.error();
    auto m = check.ReadMeta();
    if (!m) return m.error();
    NullSink none;
    if (auto r = check.ReadBody(*m, none); !r) return r.error();
    meta = std::move(*m);
    checksum = check.checksum();
  }
  const Tenant& source = meta.info.tenant;
  const std::string slug = options.slug.empty() ? source.slug : options.slug;
  if (!IsValidSlug(slug)) return Fail(Errc::kInvalidArgument, "slug must be a DNS label");
  auto keys = ResolveKeys(sources_, meta);
  if (!keys) return keys.error();
  const bool restore_config = meta.config && sources_.config;
  if (restore_config)
    for (const auto& kv : *meta.config)
      if (auto r = sources_.config->schema().Validate(kv.key(), kv.value()); !r)
        return Fail(Errc::kInvalidArgument,
                    "the backup's configuration does not fit this instance: " + r.error().message);

  // 2. The target: an existing tenant to replace, or a new one, kept
  // suspended (out of traffic) until its rows are in.
  RestoreReport report;
  report.source_id = source.id;
  Tenant target;
  auto existing = dir.GetBySlug(slug);
  if (existing) {
    if (!options.replace_existing)
      return Fail(Errc::kAlreadyExists, "a tenant with slug '" + slug +
                                            "' exists; restore under another slug or replace it");
    const Tenant& t = **existing;
    if (options.model && *options.model != t.model)
      return Fail(Errc::kInvalidArgument, "replacing keeps the tenant's model (" +
                                              std::string(ToString(t.model)) + ")");
    if (t.state == TenantState::kProvisioning || t.state == TenantState::kOffboarding)
      return Fail(Errc::kFailedPrecondition, "the tenant to replace is " + std::string(ToString(t.state)));
    target = t;
  } else if (existing.error().code != Errc::kTenantUnknown) {
    return existing.error();
  } else {
    ProvisionRequest req;
    req.slug = slug;
    req.display_name = source.display_name;
    req.tier = source.tier;
    req.model = options.model.value_or(source.model);
    if (*req.model == IsolationModel::kDedicated) {
      req.placement = options.placement;
    } else if (!options.placement.empty()) {
      return Fail(Errc::kInvalidArgument, "a placement applies to the dedicated model only");
    }
    if (source.custom_domain) {
      if (dir.GetByDomain(*source.custom_domain)) {
        report.notes.push_back("custom domain '" + *source.custom_domain +
                               "' left out: another tenant holds it");
      } else {
        req.custom_domain = source.custom_domain;
      }
    }
    auto made = dir.Provision(req);
    if (!made) return made.error();
    if (!made->created)
      return Fail(Errc::kAlreadyExists, "a tenant with slug '" + slug + "' appeared meanwhile");
    report.created = true;
    target = made->tenant;
  }
  // From here on a failure removes the tenant made for this restore.
  auto undo = [&](Error e) -> Error {
    if (report.created) (void)dir.Offboard(target.id, "restore failed");
    return e;
  };
  if (report.created) {
    auto held = dir.ChangeState(target.id, TenantState::kSuspended, "restoring from backup");
    if (!held) return undo(held.error());
    target = *held;
  }
  std::optional<FieldCipher> cipher;
  if (!keys->empty()) {
    if (auto r = sources_.keyring->Create(target.id); !r) return undo(r.error());
    cipher.emplace(*sources_.keyring);
  }

  // 3. Every row, in one transaction of the target's namespace. The file is
  // re-hashed on the way: if it changed since step 1, nothing commits.
  in.clear();
  in.seekg(start);
  if (!in) return undo(Fail(Errc::kInvalidArgument, "cannot seek back in the backup stream"));
  {
    ops::backup::Parser parser(in);
    if (auto r = parser.Header(); !r) return undo(r.error());
    auto again = parser.ReadMeta();
    if (!again) return undo(again.error());
    // A tenant made for this restore is empty and suspended: its namespace
    // may be built aside and replaced whole (TenantDump::Load).
    auto writer = report.created ? detail::TenantDump::Load(dir.store(), target)
                                 : detail::TenantDump::Write(dir.store(), target);
    if (!writer) return undo(writer.error());
    // A failure ends the writer's transaction before the undo: offboarding
    // drops the namespace, which on PostgreSQL waits for the locks the
    // writer still holds.
    auto abort = [&](Error e) -> Error {
      writer->reset();
      return undo(std::move(e));
    };
    if ((*writer)->schema_version() < meta.info.schema_version)
      return abort(Fail(Errc::kFailedPrecondition,
                        "the target's schema is at version " +
                            std::to_string((*writer)->schema_version()) + ", older than the backup's " +
                            std::to_string(meta.info.schema_version) + "; migrate first"));
    if (!report.created)
      if (auto r = (*writer)->Clear(); !r) return abort(r.error());
    RestoreSink sink(**writer, *again, *keys, cipher ? &*cipher : nullptr, source.id.str(),
                     target.id.str());
    if (auto r = parser.ReadBody(*again, sink); !r) return abort(r.error());
    if (sodium_memcmp(parser.checksum().data(), checksum.data(), checksum.size()) != 0)
      return abort(Fail(Errc::kDataCorrupted, "the backup file changed while it was restored"));
    if (auto r = (*writer)->Commit(); !r) return abort(r.error());
    report.rows = sink.rows();
    report.resealed = sink.resealed();
  }

  // 4. Configuration overrides: the backup's document becomes the tenant's
  // (validated in step 1). Replacing also clears overrides it lacks.
  if (restore_config) {
    boost::json::object patch = *meta.config;
    if (!report.created) {
      auto history = sources_.config->History(ConfigScope::Tenant(target.id));
      if (!history) return history.error();
      if (!history->empty())
        for (const auto& kv : history->back().document)
          if (!patch.contains(kv.key())) patch[kv.key()] = nullptr;
    }
    if (!patch.empty())
      if (auto r = sources_.config->SetTenant(target, patch, options.author); !r)
        return undo(r.error());
    report.config_restored = true;
  } else if (meta.config) {
    report.notes.push_back("configuration overrides not restored: no Config was given");
  }

  if (report.created) {
    auto live = dir.ChangeState(target.id, TenantState::kActive, "restored from backup");
    if (!live) return undo(live.error());
    target = *live;
  }
  report.tenant = target;
  return report;
}

}  // namespace tenancy

// The machinery behind Config: layers, the merge, per-tenant publication
// slots and the write path.
//
// Locking (always in this order):
//   mu_        layers, tier views, the database, load issues; held by every
//              write for its whole duration and by snapshot cache misses
//   slots_mu_  the tenant → slot map (shared for lookups)
//   Slot::mu   one slot's current snapshot, tier and revision
// Readers on the hot path take none of them (ConfigReader), or only the
// last two briefly (Config::Snapshot on a cache hit).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/string_map.hpp"
#include "governance/config_db.hpp"
#include "governance/config_schema.hpp"
#include "tenancy/config.hpp"

namespace tenancy::detail::config {

// One tenant's publication point. Writers replace `current` and bump
// `version` under `mu`; readers compare `version` with what they saw.
struct Slot {
  std::atomic<std::uint64_t> version{1};
  std::mutex mu;
  std::shared_ptr<const ConfigSnapshot> current;  // never null once published
  std::string tier;                               // the tier `current` was merged for
  std::int64_t revision = -1;                     // newest Tenant::revision seen
  std::string tenant_id;
};

// One scope's overrides: (schema index, value), sorted by index.
struct Layer {
  std::int64_t version = 0;
  std::vector<std::pair<std::uint32_t, ValuePtr>> values;
  std::string tier;  // tenant layers: the tier the tenant was last seen in

  bool empty() const noexcept { return values.empty(); }
};

// Builds snapshots (ConfigSnapshot's members are private to it).
struct SnapshotAccess {
  static std::shared_ptr<const ConfigSnapshot> Make(std::shared_ptr<const SchemaData> schema,
                                                    std::vector<ValuePtr> values,
                                                    std::vector<ConfigLayer> sources,
                                                    std::string tier, ConfigVersions versions,
                                                    std::vector<std::string> issues);
  static const std::vector<ValuePtr>& Values(const ConfigSnapshot& s) { return s.values_; }
  static const std::vector<ConfigLayer>& Sources(const ConfigSnapshot& s) { return s.sources_; }
};

// Values merged from the layers present (null: absent), with the layer each
// came from.
struct Merged {
  std::vector<ValuePtr> values;
  std::vector<ConfigLayer> sources;
};
Merged Merge(const SchemaData& schema, const Layer* platform, const Layer* tier, const Layer* tenant);

// Faults of a merged configuration that single values cannot show: surge
// rules naming zones the configuration lacks. One message per fault, each
// starting with the field's path.
std::vector<std::string> CrossCheck(const SchemaData& schema, const std::vector<ValuePtr>& values);

// The layer's override document {"key": json}, in schema order.
boost::json::object ToDocument(const SchemaData& schema, const Layer& layer);

// Builds a layer from a stored document. Strict: the first unknown key or
// invalid value fails (kInvalidArgument). Lenient: they are left out and
// described in `issues`.
Result<Layer> FromDocument(const SchemaData& schema, const boost::json::object& doc, bool strict,
                           std::vector<std::string>* issues, std::string_view scope_label);

// "platform", "tier \"gold\"", "tenant tn_…" for messages.
std::string Describe(const ConfigScope& scope);

class ConfigImpl {
 public:
  ConfigImpl(ConfigOptions options, ConfigSchema schema, std::unique_ptr<ConfigDb> db);

  // Loads every layer's newest version and republishes every slot.
  Result<void> Load();

  // A write: `patch` applied, or (when `rollback_to` is set) the document
  // of that version restored. `tenant_tier` is the tier a tenant scope is
  // checked in (ignored otherwise; nullopt: the tier last seen).
  Result<ConfigVersion> Write(const ConfigScope& scope, std::optional<std::string> tenant_tier,
                              const boost::json::object* patch,
                              std::optional<std::int64_t> rollback_to, std::string_view author,
                              std::optional<std::int64_t> expected_version);

  Result<std::vector<ConfigVersion>> History(const ConfigScope& scope);
  Result<std::int64_t> CurrentVersion(const ConfigScope& scope);

  std::shared_ptr<const ConfigSnapshot> Snapshot(const Tenant& tenant);
  std::shared_ptr<const ConfigSnapshot> TierSnapshot(std::string_view tier);
  ConfigReader Reader(const Tenant& tenant);

  const ConfigSchema& schema() const noexcept { return schema_; }
  std::vector<std::string> load_issues() const;

 private:
  // All REQUIRE mu_ held.
  const Layer* TierLayer(std::string_view tier) const;
  const Layer* TenantLayer(std::string_view tenant_id) const;
  std::shared_ptr<const ConfigSnapshot> TierView(const std::string& tier);
  std::shared_ptr<const ConfigSnapshot> TenantView(const std::string& tenant_id, const std::string& tier);
  void Publish(Slot& slot);
  void PublishAll(const std::function<bool(const Slot&)>& affected);
  std::shared_ptr<Slot> SlotFor(const Tenant& tenant);
  std::shared_ptr<Slot> FindSlot(std::string_view tenant_id) const;
  Result<void> CheckVisible(const ConfigScope& scope, const Layer& candidate,
                            const std::string& tenant_tier) const;

  ConfigOptions options_;
  ConfigSchema schema_;
  std::shared_ptr<const SchemaData> schema_data_;

  mutable std::mutex mu_;
  std::unique_ptr<ConfigDb> db_;
  Layer platform_;
  std::map<std::string, Layer, std::less<>> tiers_;
  StringMap<Layer> tenants_;
  std::map<std::string, std::shared_ptr<const ConfigSnapshot>, std::less<>> tier_views_;
  std::vector<std::string> load_issues_;

  mutable std::shared_mutex slots_mu_;
  StringMap<std::shared_ptr<Slot>> slots_;
};

}  // namespace tenancy::detail::config

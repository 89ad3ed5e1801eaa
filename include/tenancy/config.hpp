// tenancy/config.hpp — per-tenant configuration: typed, validated, layered, versioned.
//
// A `ConfigSchema` lists every setting: its key ("dispatch.radius_m"), type,
// bounds, default and documentation. Values come in three layers of
// overrides above the schema's defaults, the upper winning key by key:
//
//   tenant   SetTenant(tenant, patch, author)     one tenant's own overrides
//   tier     SetTier(tier, patch, author)         every tenant of a plan tier
//   platform SetPlatform(patch, author)           the operator's defaults
//   default  ConfigSchema                         compiled in
//
// A patch is a JSON object of settings: {"dispatch.radius_m": 1500,
// "branding": {...}, "pricing": null}. A value replaces the layer's override
// of that setting whole (domain objects are not deep-merged); null removes
// the override, so the setting falls back to the layer below. Unknown keys
// and invalid values are refused with kInvalidArgument and a message naming
// the field, e.g. "pricing.surge[1].multiplier: must be >= 1". Every write
// also checks the merged result wherever the layer is visible — the
// platform's own view, every tier with overrides, every tenant with
// overrides (at the tier it was last seen in) — so a platform write that
// would leave some tenant's surge rule pointing at a zone it no longer has
// is refused, naming that tenant.
//
// Versions. Each layer (a `ConfigScope`) has its own version sequence: every
// write stores version n+1 — author, time (the injected Clock), the patch and
// the layer's whole resulting override document — in one SQLite transaction
// (`ConfigOptions::path`, WAL). History is append-only: `Rollback` writes a
// new version whose document equals the old one. Writers may pass the
// version they read (`expected_version`); kConflict if the layer moved
// meanwhile, in this process or in another one on the same file. A tenant's
// history and rollback see only that tenant's versions.
//
// Snapshots. `Snapshot(tenant)` returns the merged, typed, immutable view of
// one tenant's configuration. A holder sees it unchanged forever; a
// Snapshot call made after a write returned sees that write. For hot paths,
// `Reader(tenant)` returns a handle whose `Get()` costs one atomic load
// while nothing changed (see ConfigReader).
//
// Tiers. The snapshot follows the tenant's tier as given by the `Tenant`
// passed in (from Directory::Get or a context's snapshot). A tenant value
// with a newer `revision` and another tier moves the tenant's cached
// snapshot and every reader of it to the new tier; an older revision (a
// stale context) never moves it back.
//
// Built-in settings. Every schema starts with the fleet platform's domain
// settings, read through typed accessors of the snapshot:
//   "branding"   {name (1–100 characters), primary_color, secondary_color,
//                 accent_color ("#RRGGBB"), logo_url (https, ≤ 2048 bytes)}
//   "time_zone"  an IANA zone name ("Europe/Berlin"), default "UTC"
//   "zones"      a GeoJSON FeatureCollection of service zones (zones.hpp)
//   "pricing"    the fare model (pricing.hpp); its surge rules may only name
//                zones of the same merged configuration
//
// Thread safety: Config is safe to use from any number of threads; writes
// are serialized, snapshots are immutable and shared, readers of snapshots
// never block writers. ConfigSchema is a value: build it on one thread, then
// hand it to Config::Open. A ConfigReader is one thread's handle (copy it
// for each thread; copies are cheap).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/pricing.hpp"
#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"
#include "tenancy/zones.hpp"

namespace tenancy {

// -- domain values --------------------------------------------------------

struct Branding {
  std::string name{};             // 1–100 characters (UTF-8 code points)
  std::string primary_color{};    // "#RRGGBB"
  std::string secondary_color{};  // "#RRGGBB" or empty
  std::string accent_color{};     // "#RRGGBB" or empty
  std::string logo_url{};         // https URL or empty

  // Parses {"name", "primary_color", "secondary_color"?, "accent_color"?,
  // "logo_url"?}. kInvalidArgument naming the field: unknown members, a
  // name of 0 or more than 100 characters or with control characters, a
  // colour not "#RRGGBB", a logo URL that is not https (javascript:, data:,
  // http: ...), longer than 2048 bytes, with credentials or not a URL.
  TENANCY_EXPORT static Result<Branding> Parse(const boost::json::value& json,
                                               std::string_view path = "branding");
};

// Checks that `name` is a plausible IANA time-zone name: "UTC", or
// "Area/Location[/More]" segments of ASCII letters, digits, '_', '-', '+'
// and '.', each starting with a letter or digit, at most 14 bytes
// (the tz database's rule), at most 64 bytes in all; no "..", no leading or
// trailing '/'. It does not check that the zone exists.
TENANCY_EXPORT Result<void> CheckTimeZoneName(std::string_view name,
                                              std::string_view path = "time_zone");

// -- the schema -----------------------------------------------------------

enum class SettingType : std::uint8_t {
  kBool,
  kInteger,   // int64 within [min_int, max_int]
  kNumber,    // finite double within [min_number, max_number]; integers accepted
  kString,    // UTF-8 within [min_length, max_length] bytes; pattern / one_of
  kTimeZone,  // CheckTimeZoneName
  kBranding,  // Branding::Parse
  kZones,     // ZoneSet::Parse with ConfigLimits::zones
  kPricing,   // Pricing::Parse with ConfigLimits::pricing
};

// "bool", "integer", "number", "string", "time_zone", "branding", "zones", "pricing".
TENANCY_EXPORT std::string_view ToString(SettingType type) noexcept;

struct SettingSpec {
  // Dot-separated segments of [a-z0-9_], each starting with a letter;
  // at most 128 bytes. E.g. "dispatch.radius_m".
  std::string key{};
  SettingType type = SettingType::kString;
  boost::json::value default_value{};  // REQUIRES: valid for the setting
  std::string doc{};                   // one or two sentences for operators

  std::int64_t min_int = std::numeric_limits<std::int64_t>::min();
  std::int64_t max_int = std::numeric_limits<std::int64_t>::max();
  double min_number = std::numeric_limits<double>::lowest();
  double max_number = std::numeric_limits<double>::max();
  std::size_t min_length = 0;
  std::size_t max_length = 256;   // at most kMaxSettingStringBytes
  std::string pattern{};          // ECMAScript regex the whole string must match
  std::vector<std::string> one_of{};  // when non-empty: the allowed values

  TENANCY_EXPORT static SettingSpec Bool(std::string key, bool default_value, std::string doc);
  TENANCY_EXPORT static SettingSpec Integer(std::string key, std::int64_t default_value,
                                            std::int64_t min, std::int64_t max, std::string doc);
  TENANCY_EXPORT static SettingSpec Number(std::string key, double default_value, double min,
                                           double max, std::string doc);
  TENANCY_EXPORT static SettingSpec String(std::string key, std::string default_value,
                                           std::size_t max_length, std::string doc,
                                           std::string pattern = {});
  TENANCY_EXPORT static SettingSpec Enum(std::string key, std::string default_value,
                                         std::vector<std::string> values, std::string doc);
};

// Longest string setting (pattern matching is bounded by it too).
inline constexpr std::size_t kMaxSettingStringBytes = 4096;

// Bounds of the domain settings' values.
struct ConfigLimits {
  ZoneLimits zones{};
  PricingLimits pricing{};
};

namespace detail::config {
struct SchemaData;
struct SettingValue;
struct Slot;
struct SnapshotAccess;
class ConfigImpl;
}  // namespace detail::config

class TENANCY_EXPORT ConfigSchema {
 public:
  // A schema holding the built-in settings: branding, time_zone, zones,
  // pricing (see the top of this file).
  explicit ConfigSchema(ConfigLimits limits = {});

  // Adds a setting. kInvalidArgument for a malformed or taken key, bounds
  // that contradict each other, a pattern that does not compile, or a
  // default value the setting itself would refuse (named as for a write).
  Result<void> Add(SettingSpec spec);

  // The setting called `key`, or null. Valid while the schema lives and is
  // not modified.
  const SettingSpec* Find(std::string_view key) const noexcept;
  std::size_t size() const noexcept;
  // Settings in the order they were added (the built-ins first).
  std::vector<std::string_view> Keys() const;
  const ConfigLimits& limits() const noexcept;

  // Checks `value` for the setting `key` as a write would. kInvalidArgument
  // naming the field, or for an unknown key.
  Result<void> Validate(std::string_view key, const boost::json::value& value) const;

  // [{"key", "type", "default", "doc", bounds...}] for operators' tools.
  boost::json::array Describe() const;

 private:
  friend class detail::config::ConfigImpl;
  std::shared_ptr<detail::config::SchemaData> data_;
};

// -- layers, scopes and versions -------------------------------------------

enum class ConfigLayer : std::uint8_t { kDefault = 0, kPlatform = 1, kTier = 2, kTenant = 3 };

// "default", "platform", "tier", "tenant".
TENANCY_EXPORT std::string_view ToString(ConfigLayer layer) noexcept;

// One layer's identity: the platform, a tier by name, or a tenant by id.
struct ConfigScope {
  ConfigLayer layer = ConfigLayer::kPlatform;  // never kDefault
  std::string name{};                          // tier name, tenant id, or "" (platform)

  static ConfigScope Platform() { return {ConfigLayer::kPlatform, {}}; }
  static ConfigScope Tier(std::string tier) { return {ConfigLayer::kTier, std::move(tier)}; }
  static ConfigScope Tenant(const TenantId& id) { return {ConfigLayer::kTenant, id.str()}; }

  friend bool operator==(const ConfigScope&, const ConfigScope&) = default;
};

// One stored version of one layer.
struct ConfigVersion {
  ConfigScope scope{};
  std::int64_t version = 0;          // 1, 2, 3, ... per scope
  std::string author{};
  TimePoint at{};                    // from ConfigOptions::clock, millisecond precision
  boost::json::object patch{};       // the change: as written, or what a rollback changed
  boost::json::object document{};    // the layer's whole override document after it
  std::optional<std::int64_t> rollback_of{};  // the version a rollback restored
};

// The layer versions a snapshot was merged from; 0 for a layer never written.
struct ConfigVersions {
  std::int64_t platform = 0;
  std::int64_t tier = 0;
  std::int64_t tenant = 0;
  friend bool operator==(const ConfigVersions&, const ConfigVersions&) = default;
};

// Most bytes in an author string.
inline constexpr std::size_t kMaxConfigAuthorBytes = 200;

// -- snapshots -------------------------------------------------------------

// The merged configuration of one tenant (or one tier) at one moment.
// Immutable. Getters by key cost one hash lookup and never allocate on
// success. Errors: kNotFound for a key the schema lacks, kInvalidArgument
// when the setting has another type (named in the message).
class TENANCY_EXPORT ConfigSnapshot {
 public:
  Result<bool> GetBool(std::string_view key) const;
  Result<std::int64_t> GetInt(std::string_view key) const;
  // Number settings; integer settings are read as numbers too.
  Result<double> GetNumber(std::string_view key) const;
  // String and time-zone settings. The view lives as long as the snapshot.
  Result<std::string_view> GetString(std::string_view key) const;
  // Any setting as JSON (domain objects in their JSON form).
  Result<boost::json::value> GetJson(std::string_view key) const;
  // Domain settings under other keys (a schema may add more of these types).
  // The pointer lives as long as the snapshot.
  Result<const ZoneSet*> GetZones(std::string_view key) const;
  Result<const Pricing*> GetPricing(std::string_view key) const;
  Result<const Branding*> GetBranding(std::string_view key) const;
  // Which layer the setting's value came from.
  Result<ConfigLayer> SourceOf(std::string_view key) const;

  // The built-in settings.
  const Branding& branding() const noexcept { return *branding_; }
  std::string_view time_zone() const noexcept { return time_zone_; }
  const ZoneSet& zones() const noexcept { return *zones_; }
  const Pricing& pricing() const noexcept { return *pricing_; }

  // Every setting, merged: {"key": value, ...}.
  boost::json::object ToJson() const;
  // The tier the snapshot was merged for ("" for the platform view).
  const std::string& tier() const noexcept { return tier_; }
  const ConfigVersions& versions() const noexcept { return versions_; }
  // Problems found while merging layers that no write could prevent (a
  // tenant moved to a tier whose zones lack one its pricing names). The
  // affected surge rules never match. Empty normally.
  std::span<const std::string> issues() const noexcept { return issues_; }

 private:
  friend struct detail::config::SnapshotAccess;
  ConfigSnapshot() = default;
  Result<std::size_t> IndexOf(std::string_view key) const;

  std::shared_ptr<const detail::config::SchemaData> schema_;
  std::vector<std::shared_ptr<const detail::config::SettingValue>> values_;  // by schema index
  std::vector<ConfigLayer> sources_;
  const Branding* branding_ = nullptr;
  std::string_view time_zone_{};
  const ZoneSet* zones_ = nullptr;
  const Pricing* pricing_ = nullptr;
  std::string tier_{};
  ConfigVersions versions_{};
  std::vector<std::string> issues_{};
};

// A pre-resolved handle on one tenant's current snapshot, for hot paths.
// `Get()` is one acquire load of the tenant's publication counter while
// nothing changed, and takes the tenant's slot lock once after each
// published change. The snapshot returned stays valid and unchanged until
// the next Get()/Share() on this reader or its destruction; a reader may
// outlive its Config (it then keeps its last snapshot).
//
// Thread safety: one thread at a time per reader. Copy the reader for each
// thread (a copy shares the tenant's slot, not the cache).
class TENANCY_EXPORT ConfigReader {
 public:
  ConfigReader() = default;  // empty: REQUIRES valid() before Get()

  const ConfigSnapshot& Get() {
    if (version_->load(std::memory_order_acquire) != seen_) Refresh();
    return *cached_;
  }
  // The current snapshot as a shared pointer, to keep beyond the next Get().
  std::shared_ptr<const ConfigSnapshot> Share() {
    Get();
    return cached_;
  }
  bool valid() const noexcept { return version_ != nullptr; }

 private:
  friend class detail::config::ConfigImpl;
  explicit ConfigReader(std::shared_ptr<detail::config::Slot> slot);
  void Refresh();

  std::shared_ptr<detail::config::Slot> slot_;
  const std::atomic<std::uint64_t>* version_ = nullptr;
  std::uint64_t seen_ = 0;
  std::shared_ptr<const ConfigSnapshot> cached_;
};

// -- the store ---------------------------------------------------------------

struct ConfigOptions {
  // The SQLite file holding every layer's versions; created on first use.
  std::string path{};
  // Source of version timestamps. Never null; must outlive the Config.
  Clock* clock = &SystemClock();
};

class TENANCY_EXPORT Config {
 public:
  // Opens (creating if needed) the version database and loads the newest
  // version of every layer. Stored values the schema no longer accepts (a
  // removed setting, tightened bounds) are left out of the merge and listed
  // in load_issues(); the next write to that layer drops them. kStorage,
  // kDataCorrupted (a stored document that is not JSON).
  static Result<std::unique_ptr<Config>> Open(ConfigOptions options,
                                              ConfigSchema schema = ConfigSchema());
  ~Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  // Writes a patch to a layer and publishes the result before returning.
  // Returns the new version. Errors: kInvalidArgument (unknown key, invalid
  // value, merged result invalid somewhere the layer is visible, bad tier
  // name or tenant, author empty or longer than kMaxConfigAuthorBytes),
  // kConflict (expected_version given and the layer is at another version),
  // kStorage.
  Result<ConfigVersion> SetPlatform(const boost::json::object& patch, std::string_view author,
                                    std::optional<std::int64_t> expected_version = std::nullopt);
  Result<ConfigVersion> SetTier(std::string_view tier, const boost::json::object& patch,
                                std::string_view author,
                                std::optional<std::int64_t> expected_version = std::nullopt);
  // The tenant's tier (tenant.tier) decides the merged result checked.
  Result<ConfigVersion> SetTenant(const Tenant& tenant, const boost::json::object& patch,
                                  std::string_view author,
                                  std::optional<std::int64_t> expected_version = std::nullopt);

  // Writes a new version of `scope` whose document equals that of
  // `version`. A tenant scope is checked at the tenant's last seen tier.
  // kNotFound when the scope has no such version; other errors as for the
  // writes (the old document must still be valid today).
  Result<ConfigVersion> Rollback(const ConfigScope& scope, std::int64_t version,
                                 std::string_view author,
                                 std::optional<std::int64_t> expected_version = std::nullopt);

  // Every version of `scope`, oldest first (empty when never written).
  // kInvalidArgument for a malformed scope; kStorage.
  Result<std::vector<ConfigVersion>> History(const ConfigScope& scope) const;
  // The scope's current version (0 when never written).
  Result<std::int64_t> CurrentVersion(const ConfigScope& scope) const;

  // The tenant's merged configuration as of now (see the top of the file
  // for how the tier is followed). Never null.
  std::shared_ptr<const ConfigSnapshot> Snapshot(const Tenant& tenant) const;
  std::shared_ptr<const ConfigSnapshot> Snapshot(const TenantContext& ctx) const;
  // Defaults + platform + the tier's overrides ("" for no tier). Never null.
  std::shared_ptr<const ConfigSnapshot> TierSnapshot(std::string_view tier) const;
  // A hot-path handle on the tenant's snapshot (see ConfigReader).
  ConfigReader Reader(const Tenant& tenant) const;
  ConfigReader Reader(const TenantContext& ctx) const;

  // Re-reads every layer from the database (writes made by another
  // process) and republishes what changed. kStorage, kDataCorrupted.
  Result<void> Reload();

  const ConfigSchema& schema() const noexcept;
  // What Open or Reload left out of the merge, one line per value.
  std::vector<std::string> load_issues() const;

 private:
  explicit Config(std::unique_ptr<detail::config::ConfigImpl> impl);
  std::unique_ptr<detail::config::ConfigImpl> impl_;
};

}  // namespace tenancy

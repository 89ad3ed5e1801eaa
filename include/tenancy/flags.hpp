// tenancy/flags.hpp — feature flags in flagd's flag-definition format,
// evaluated as OpenFeature defines it, per tenant.
//
// A FlagSet is loaded from flagd JSON (https://flagd.dev/reference/flag-definitions/):
//
//   {"flags": {"new-dispatch": {"state": "ENABLED",
//                               "variants": {"on": true, "off": false},
//                               "defaultVariant": "off",
//                               "targeting": {"if": [{"==": [{"var": "tenant.tier"}, "enterprise"]},
//                                                    "on", null]},
//                               "metadata": {"owner": "dispatch"}}},
//    "$evaluators": {"shared-rule": {...}},   // reused in targeting as {"$ref": "shared-rule"}
//    "metadata": {"flagSetId": "platform"}}
//
// Targeting is a JsonLogic rule (rules.hpp) with flagd's operators added:
// fractional (sticky percentage split, MurmurHash3 bucketing as flagd does),
// sem_ver (=, !=, <, <=, >, >=, ^ same major, ~ same minor; semver 2.0
// precedence, optional leading v), starts_with and ends_with. Everything is
// checked at load time, with errors naming the flag and the place; after
// that a FlagSet never changes.
//
// Evaluation context. The caller passes attributes as a JSON object
// (OpenFeature's `targetingKey` is the key "targetingKey"); evaluation adds:
//   $flagd.flagKey     the key of the flag being evaluated
//   $flagd.timestamp   Unix time in seconds (from the set's clock)
//   targetingKey       "" when the caller gave none
// and, through WithTenant, TenantFlags or FlagStore:
//   tenant.id          "tn_…"
//   tenant.slug        the tenant's DNS label
//   tenant.tier        the tenant's plan tier
// A caller's own "$flagd" or "tenant" key is replaced, so a request cannot
// claim another tenant's attributes.
//
// Results follow OpenFeature: the value, the variant, a reason (STATIC,
// TARGETING_MATCH, DEFAULT, DISABLED, ERROR) and an error code
// (FLAG_NOT_FOUND, PARSE_ERROR, TYPE_MISMATCH, GENERAL). When the caller's
// default is returned (disabled flag, no default variant, any error) the
// variant is empty. Numbers follow flagd's coercion rule: an integer variant
// serves GetFloat; a float variant serves GetInteger only when whole.
//
// Thread safety: FlagSet and TenantFlags are immutable values, cheap to copy
// (they share their data); use them from any thread. FlagStore may be read
// and written from any thread: each reader gets a consistent snapshot, and a
// swap never disturbs evaluations already running.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/rules.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

// Why an evaluation produced its value (OpenFeature reasons).
enum class FlagReason : std::uint8_t {
  kStatic,          // the flag has no targeting: its default variant
  kTargetingMatch,  // targeting chose a variant
  kDefault,         // targeting chose none: the default variant, or the caller's default
  kDisabled,        // the flag is disabled: the caller's default
  kError,           // see the error code: the caller's default
};

// OpenFeature error codes.
enum class FlagError : std::uint8_t {
  kNone,
  kFlagNotFound,  // no flag with this key
  kParseError,    // the flag's definition cannot be evaluated (permissive loads only)
  kTypeMismatch,  // the variant's value is not of the type asked for
  kGeneral,       // targeting failed (limits) or chose a variant the flag lacks
};

// "STATIC", "TARGETING_MATCH", "DEFAULT", "DISABLED", "ERROR".
TENANCY_EXPORT std::string_view ToString(FlagReason reason) noexcept;
// "NONE", "FLAG_NOT_FOUND", "PARSE_ERROR", "TYPE_MISMATCH", "GENERAL".
TENANCY_EXPORT std::string_view ToString(FlagError error) noexcept;

// The outcome of one evaluation (OpenFeature's evaluation details).
template <class T>
struct FlagDetails {
  T value{};
  std::string variant{};  // empty when the caller's default was used
  FlagReason reason = FlagReason::kDefault;
  FlagError error = FlagError::kNone;
  std::string error_message{};
  // The set's metadata overlaid with the flag's. Never null.
  std::shared_ptr<const boost::json::object> metadata{};

  bool ok() const noexcept { return error == FlagError::kNone; }
};

enum class FlagValidation : std::uint8_t {
  // Refuse the whole document on any fault: the schema's rules (flags.json,
  // targeting.json: state, typed variants, metadata, fractional weights,
  // sem_ver versions, $flagd properties), unknown keys, a defaultVariant
  // that names no variant, unknown operators, $ref cycles and unknown refs.
  kStrict,
  // flagd's own behaviour: a faulty flag is kept and evaluates to the
  // caller's default with PARSE_ERROR; the rest of the set serves.
  // Schema-only checks are skipped (operators return null on bad input at
  // run time). A malformed document is still refused.
  kPermissive,
};

struct FlagSetOptions {
  FlagValidation validation = FlagValidation::kStrict;
  // Accept flagd.json's form "flags": [{"key": ..., ...}] as well as the
  // object form of flags.json.
  bool allow_flag_array = false;
  // Bounds of every targeting rule (after $ref expansion).
  RuleLimits limits{};
  // Source of $flagd.timestamp; null means SystemClock().
  // REQUIRES: outlives the set and its copies.
  Clock* clock = nullptr;
};

namespace detail::flagd {
struct FlagSetData;
}

class TENANCY_EXPORT FlagSet {
 public:
  // The empty set: every key is FLAG_NOT_FOUND.
  FlagSet();

  // Loads flag definitions from JSON text / a parsed document.
  // kInvalidArgument naming the flag and the fault: malformed JSON, a
  // document that is not {"flags": ...}, $ref cycles or unknown refs, and
  // (strict) any fault listed under FlagValidation::kStrict.
  static Result<FlagSet> Parse(std::string_view json, const FlagSetOptions& options = {});
  static Result<FlagSet> Load(const boost::json::value& document, const FlagSetOptions& options = {});

  // Typed evaluation. The caller's default comes back, with the reason and
  // error saying why, when the flag is missing, disabled, broken, has no
  // default variant to fall back on, or holds another type (TYPE_MISMATCH).
  FlagDetails<bool> GetBool(std::string_view key, bool default_value,
                            const boost::json::object& context = {}) const;
  FlagDetails<std::string> GetString(std::string_view key, std::string default_value,
                                     const boost::json::object& context = {}) const;
  FlagDetails<std::int64_t> GetInteger(std::string_view key, std::int64_t default_value,
                                       const boost::json::object& context = {}) const;
  FlagDetails<double> GetFloat(std::string_view key, double default_value,
                               const boost::json::object& context = {}) const;
  FlagDetails<boost::json::object> GetObject(std::string_view key, boost::json::object default_value,
                                             const boost::json::object& context = {}) const;
  // Untyped: any variant value.
  FlagDetails<boost::json::value> Evaluate(std::string_view key, boost::json::value default_value,
                                           const boost::json::object& context = {}) const;

  bool Contains(std::string_view key) const noexcept;
  // Flag keys, sorted.
  std::vector<std::string> Keys() const;
  std::size_t size() const noexcept;
  // The set-level metadata ({} when none).
  const boost::json::object& metadata() const noexcept;

 private:
  friend class TenantFlags;  // evaluates with the tenant bound into the context
  explicit FlagSet(std::shared_ptr<const detail::flagd::FlagSetData> data) noexcept
      : data_(std::move(data)) {}
  std::shared_ptr<const detail::flagd::FlagSetData> data_;
};

// Checks a targeting rule as flagd's targeting.json schema does — fractional
// buckets and non-negative integer weights, sem_ver versions and operators,
// starts_with / ends_with string arguments, only $flagd.flagKey and
// $flagd.timestamp — then compiles it with flagd's operators. A
// {"$ref": "name"} is accepted as a reference. kInvalidArgument naming the
// place otherwise.
TENANCY_EXPORT Result<void> ValidateTargeting(const boost::json::value& targeting,
                                              const RuleLimits& limits = {});

// flagd's operators (fractional, sem_ver, starts_with, ends_with), for rules
// of your own. Lives forever.
TENANCY_EXPORT const OperatorRegistry& FlagdOperators();

// `context` with the tenant's attributes set: tenant.id, tenant.slug,
// tenant.tier (replacing any "tenant" key the caller put there).
TENANCY_EXPORT boost::json::object WithTenant(const Tenant& tenant, boost::json::object context = {});
TENANCY_EXPORT boost::json::object WithTenant(const TenantContext& ctx, boost::json::object context = {});

// One tenant's flags: the tenant's own set overrides the platform set flag
// by flag (a flag the tenant defines is evaluated from the tenant's set
// only, even when disabled there), and the tenant's attributes join every
// evaluation context.
class TENANCY_EXPORT TenantFlags {
 public:
  // REQUIRES: `tenant` is not null.
  TenantFlags(FlagSet platform, FlagSet overrides, std::shared_ptr<const Tenant> tenant);

  FlagDetails<bool> GetBool(std::string_view key, bool default_value,
                            const boost::json::object& context = {}) const;
  FlagDetails<std::string> GetString(std::string_view key, std::string default_value,
                                     const boost::json::object& context = {}) const;
  FlagDetails<std::int64_t> GetInteger(std::string_view key, std::int64_t default_value,
                                       const boost::json::object& context = {}) const;
  FlagDetails<double> GetFloat(std::string_view key, double default_value,
                               const boost::json::object& context = {}) const;
  FlagDetails<boost::json::object> GetObject(std::string_view key, boost::json::object default_value,
                                             const boost::json::object& context = {}) const;
  FlagDetails<boost::json::value> Evaluate(std::string_view key, boost::json::value default_value,
                                           const boost::json::object& context = {}) const;

  // The set that answers for `key`: the tenant's when it defines the flag.
  const FlagSet& SourceOf(std::string_view key) const noexcept;
  const Tenant& tenant() const noexcept { return *tenant_; }

 private:
  FlagSet platform_;
  FlagSet overrides_;
  std::shared_ptr<const Tenant> tenant_;
};

// The live flag sets: the platform's and each tenant's overrides. Setting a
// set replaces it atomically; `For` takes a snapshot of both layers.
class TENANCY_EXPORT FlagStore {
 public:
  void SetPlatform(FlagSet set);
  void SetTenant(const TenantId& tenant, FlagSet overrides);
  // The tenant falls back to the platform set for every flag.
  void ClearTenant(const TenantId& tenant);

  FlagSet Platform() const;
  // The tenant's overrides (the empty set when none).
  FlagSet Overrides(const TenantId& tenant) const;
  // The flags of the context's tenant, as of now.
  TenantFlags For(const TenantContext& ctx) const;
  TenantFlags For(std::shared_ptr<const Tenant> tenant) const;

 private:
  mutable std::mutex mu_;
  FlagSet platform_;
  std::map<TenantId, FlagSet> tenants_;
};

}  // namespace tenancy

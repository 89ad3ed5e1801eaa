// Evaluating flags: OpenFeature's reasons and error codes, typed results.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/string.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include "governance/flagd_set.hpp"
#include "governance/jsonlogic_coerce.hpp"
#include "tenancy/flags.hpp"

namespace tenancy::detail::flagd {
namespace {

// What a flag resolved to before the caller's type is considered.
struct Resolution {
  const boost::json::value* value = nullptr;  // null: the caller's default
  std::string variant;
  FlagReason reason = FlagReason::kDefault;
  FlagError error = FlagError::kNone;
  std::string message;
  std::shared_ptr<const boost::json::object> metadata;
};

Resolution Failure(FlagError error, std::string message, std::shared_ptr<const boost::json::object> metadata) {
  Resolution r;
  r.reason = FlagReason::kError;
  r.error = error;
  r.message = std::move(message);
  r.metadata = std::move(metadata);
  return r;
}

// The default variant (reason `reason`), or the caller's default when the
// flag names none.
Resolution DefaultVariant(std::string_view key, const Flag& flag, FlagReason reason) {
  Resolution r;
  r.metadata = flag.metadata;
  r.reason = flag.default_variant ? reason : FlagReason::kDefault;
  if (!flag.default_variant) return r;
  const auto* value = flag.variants.if_contains(*flag.default_variant);
  if (!value)
    return Failure(FlagError::kGeneral,
                   "flag " + Quote(key) + ": defaultVariant " + Quote(*flag.default_variant) + " is not a variant",
                   flag.metadata);
  r.value = value;
  r.variant = *flag.default_variant;
  return r;
}

// The tenant's attributes as flags see them ("tenant": {id, slug, tier}).
boost::json::value TenantAttributes(const Tenant& tenant, boost::json::storage_ptr storage) {
  boost::json::object attributes(std::move(storage));
  attributes.reserve(3);
  attributes.emplace("id", tenant.id.str());
  attributes.emplace("slug", tenant.slug);
  attributes.emplace("tier", tenant.tier);
  return boost::json::value(std::move(attributes));
}

const boost::json::value kNoTargetingKey("");

Resolution Resolve(const FlagSetData& set, std::string_view key, const boost::json::object& context,
                   const Tenant* tenant) {
  const auto it = set.flags.find(key);
  if (it == set.flags.end()) return Failure(FlagError::kFlagNotFound, "flag " + Quote(key) + " not found", set.metadata);
  const Flag& flag = it->second;
  if (flag.broken) return Failure(FlagError::kParseError, *flag.broken, flag.metadata);
  if (!flag.enabled) {
    Resolution r;
    r.reason = FlagReason::kDisabled;
    r.metadata = flag.metadata;
    return r;
  }
  if (!flag.targeting) return DefaultVariant(key, flag, FlagReason::kStatic);

  // flagd's context enrichment ($flagd, targetingKey) and the tenant's
  // attributes are bound over the caller's context, not copied into it; the
  // few values they need live in a stack buffer. Bindings shadow the
  // caller's keys, so a request cannot claim another tenant or flag.
  alignas(std::max_align_t) unsigned char scratch_bytes[512];
  boost::json::monotonic_resource scratch(scratch_bytes, sizeof scratch_bytes);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(set.clock->Now().time_since_epoch());
  boost::json::object flagd(&scratch);
  flagd.reserve(2);
  flagd.emplace("flagKey", key);
  flagd.emplace("timestamp", static_cast<std::int64_t>(now.count()));
  const boost::json::value flagd_value(std::move(flagd));
  std::optional<boost::json::value> tenant_value;
  std::array<RuleBinding, 3> bindings;
  std::size_t bound = 0;
  bindings[bound++] = {"$flagd", &flagd_value};
  if (!context.contains("targetingKey")) bindings[bound++] = {"targetingKey", &kNoTargetingKey};
  if (tenant) {
    tenant_value.emplace(TenantAttributes(*tenant, &scratch));
    bindings[bound++] = {"tenant", &*tenant_value};
  }

  auto chosen = flag.targeting->Evaluate(context, std::span<const RuleBinding>(bindings.data(), bound));
  if (!chosen)
    return Failure(FlagError::kGeneral, "flag " + Quote(key) + ": targeting failed: " + chosen.error().message,
                   flag.metadata);
  if (chosen->is_null()) return DefaultVariant(key, flag, FlagReason::kDefault);

  // Targeting names a variant; booleans and numbers name it by their
  // string form ("true", "1.5"), as flagd does.
  std::string name;
  if (const auto* s = chosen->if_string()) {
    name.assign(s->data(), s->size());
  } else if (chosen->is_bool() || jsonlogic::IsNumber(*chosen)) {
    jsonlogic::AppendJsString(name, *chosen, 64, 1);
  } else {
    return Failure(FlagError::kGeneral,
                   "flag " + Quote(key) + ": targeting returned " + (chosen->is_array() ? "an array" : "an object") +
                       ", not a variant name",
                   flag.metadata);
  }
  if (name.empty() && !flag.default_variant) return DefaultVariant(key, flag, FlagReason::kDefault);
  const auto* value = flag.variants.if_contains(name);
  if (!value)
    return Failure(FlagError::kGeneral,
                   "flag " + Quote(key) + ": targeting chose variant " + Quote(name) + ", which the flag lacks",
                   flag.metadata);
  Resolution r;
  r.value = value;
  r.variant = std::move(name);
  r.reason = FlagReason::kTargetingMatch;
  r.metadata = flag.metadata;
  return r;
}

std::string_view KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "integer";
    case boost::json::kind::double_: return "float";
    case boost::json::kind::string: return "string";
    case boost::json::kind::array: return "array";
    case boost::json::kind::object: return "object";
  }
  return "value";
}

// The resolution as the caller's type, or the caller's default with
// TYPE_MISMATCH when `convert` refuses the variant's value.
template <class T, class Convert>
FlagDetails<T> Typed(std::string_view key, Resolution r, T default_value, std::string_view type, Convert convert) {
  FlagDetails<T> d;
  d.reason = r.reason;
  d.error = r.error;
  d.error_message = std::move(r.message);
  d.metadata = r.metadata ? std::move(r.metadata) : EmptyMetadata();
  if (!r.value) {
    d.value = std::move(default_value);
    return d;
  }
  std::optional<T> v = convert(*r.value);
  if (!v) {
    d.value = std::move(default_value);
    d.reason = FlagReason::kError;
    d.error = FlagError::kTypeMismatch;
    d.error_message = "flag " + Quote(key) + ": variant " + Quote(r.variant) + " is " +
                      std::string(KindName(*r.value)) + ", not " + std::string(type);
    return d;
  }
  d.value = std::move(*v);
  d.variant = std::move(r.variant);
  return d;
}

}  // namespace
}  // namespace tenancy::detail::flagd

namespace tenancy {

using detail::flagd::Resolve;
using detail::flagd::Typed;

std::string_view ToString(FlagReason reason) noexcept {
  switch (reason) {
    case FlagReason::kStatic: return "STATIC";
    case FlagReason::kTargetingMatch: return "TARGETING_MATCH";
    case FlagReason::kDefault: return "DEFAULT";
    case FlagReason::kDisabled: return "DISABLED";
    case FlagReason::kError: return "ERROR";
  }
  return "ERROR";
}

std::string_view ToString(FlagError error) noexcept {
  switch (error) {
    case FlagError::kNone: return "NONE";
    case FlagError::kFlagNotFound: return "FLAG_NOT_FOUND";
    case FlagError::kParseError: return "PARSE_ERROR";
    case FlagError::kTypeMismatch: return "TYPE_MISMATCH";
    case FlagError::kGeneral: return "GENERAL";
  }
  return "GENERAL";
}

namespace {

std::optional<bool> AsBool(const boost::json::value& v) {
  if (v.is_bool()) return v.get_bool();
  return std::nullopt;
}

std::optional<std::string> AsString(const boost::json::value& v) {
  if (const auto* s = v.if_string()) return std::string(s->data(), s->size());
  return std::nullopt;
}

// flagd's numeric coercion: integers as they are; floats only when whole and
// within range (converting 0.5 would lose information).
std::optional<std::int64_t> AsInteger(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> AsFloat(const boost::json::value& v) {
  if (detail::jsonlogic::IsNumber(v)) return detail::jsonlogic::AsDouble(v);
  return std::nullopt;
}

std::optional<boost::json::object> AsObject(const boost::json::value& v) {
  if (const auto* o = v.if_object()) return *o;
  return std::nullopt;
}

std::optional<boost::json::value> AsValue(const boost::json::value& v) { return v; }

}  // namespace

FlagDetails<bool> FlagSet::GetBool(std::string_view key, bool default_value,
                                   const boost::json::object& context) const {
  return Typed<bool>(key, Resolve(*data_, key, context, nullptr), default_value, "a boolean", AsBool);
}

FlagDetails<std::string> FlagSet::GetString(std::string_view key, std::string default_value,
                                            const boost::json::object& context) const {
  return Typed<std::string>(key, Resolve(*data_, key, context, nullptr), std::move(default_value), "a string",
                            AsString);
}

FlagDetails<std::int64_t> FlagSet::GetInteger(std::string_view key, std::int64_t default_value,
                                              const boost::json::object& context) const {
  return Typed<std::int64_t>(key, Resolve(*data_, key, context, nullptr), default_value, "an integer", AsInteger);
}

FlagDetails<double> FlagSet::GetFloat(std::string_view key, double default_value,
                                      const boost::json::object& context) const {
  return Typed<double>(key, Resolve(*data_, key, context, nullptr), default_value, "a float", AsFloat);
}

FlagDetails<boost::json::object> FlagSet::GetObject(std::string_view key, boost::json::object default_value,
                                                    const boost::json::object& context) const {
  return Typed<boost::json::object>(key, Resolve(*data_, key, context, nullptr), std::move(default_value),
                                    "an object", AsObject);
}

FlagDetails<boost::json::value> FlagSet::Evaluate(std::string_view key, boost::json::value default_value,
                                                  const boost::json::object& context) const {
  return Typed<boost::json::value>(key, Resolve(*data_, key, context, nullptr), std::move(default_value), "a value",
                                   AsValue);
}

FlagDetails<bool> TenantFlags::GetBool(std::string_view key, bool default_value,
                                       const boost::json::object& context) const {
  return Typed<bool>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()), default_value, "a boolean",
                     AsBool);
}

FlagDetails<std::string> TenantFlags::GetString(std::string_view key, std::string default_value,
                                                const boost::json::object& context) const {
  return Typed<std::string>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()),
                            std::move(default_value), "a string", AsString);
}

FlagDetails<std::int64_t> TenantFlags::GetInteger(std::string_view key, std::int64_t default_value,
                                                  const boost::json::object& context) const {
  return Typed<std::int64_t>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()), default_value,
                             "an integer", AsInteger);
}

FlagDetails<double> TenantFlags::GetFloat(std::string_view key, double default_value,
                                          const boost::json::object& context) const {
  return Typed<double>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()), default_value, "a float",
                       AsFloat);
}

FlagDetails<boost::json::object> TenantFlags::GetObject(std::string_view key, boost::json::object default_value,
                                                        const boost::json::object& context) const {
  return Typed<boost::json::object>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()),
                                    std::move(default_value), "an object", AsObject);
}

FlagDetails<boost::json::value> TenantFlags::Evaluate(std::string_view key, boost::json::value default_value,
                                                      const boost::json::object& context) const {
  return Typed<boost::json::value>(key, Resolve(*SourceOf(key).data_, key, context, tenant_.get()),
                                   std::move(default_value), "a value", AsValue);
}

}  // namespace tenancy

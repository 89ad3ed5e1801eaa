// Checking one value against its setting and building its typed form.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "governance/config_path.hpp"
#include "governance/config_schema.hpp"

namespace tenancy::detail::config {
namespace {

std::string Num(double d) {
  if (d == std::trunc(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<std::int64_t>(d));
  return boost::json::serialize(boost::json::value(d));
}

Result<std::string> ParseString(const SettingSpec& spec, const Matcher& matcher,
                                const boost::json::value& v, std::string_view path) {
  if (!v.is_string()) return WrongKind(path, "a string", v);
  const std::string_view s = v.get_string();
  std::size_t chars = 0;
  if (!IsCleanUtf8(s, chars)) return FieldError(path, "must be UTF-8 without control characters");
  if (s.size() < spec.min_length)
    return FieldError(path, "must be at least " + std::to_string(spec.min_length) + " bytes");
  if (s.size() > spec.max_length)
    return FieldError(path, "must be at most " + std::to_string(spec.max_length) + " bytes");
  if (!spec.one_of.empty() && std::find(spec.one_of.begin(), spec.one_of.end(), s) == spec.one_of.end()) {
    std::string what = "must be one of";
    for (std::size_t i = 0; i < spec.one_of.size(); ++i) what += (i ? ", \"" : " \"") + spec.one_of[i] + "\"";
    return FieldError(path, what);
  }
  if (matcher) {
    auto ok = matcher(s);
    if (!ok) return FieldError(path, "is too complex to check against the pattern");
    if (!*ok) return FieldError(path, "must match the pattern " + spec.pattern);
  }
  return std::string(s);
}

}  // namespace

Result<ValuePtr> ParseValue(const SchemaData& schema, std::size_t i, const boost::json::value& json) {
  const SettingSpec& spec = schema.specs[i];
  const std::string_view path = spec.key;
  auto out = std::make_shared<SettingValue>();
  switch (spec.type) {
    case SettingType::kBool:
      if (!json.is_bool()) return WrongKind(path, "a boolean", json);
      out->typed = json.get_bool();
      break;
    case SettingType::kInteger: {
      auto n = ReadInt(json, path);
      if (!n) return n.error();
      if (*n < spec.min_int) return FieldError(path, "must be >= " + std::to_string(spec.min_int));
      if (*n > spec.max_int) return FieldError(path, "must be <= " + std::to_string(spec.max_int));
      out->typed = *n;
      break;
    }
    case SettingType::kNumber: {
      auto d = ReadNumber(json, path);
      if (!d) return d.error();
      if (*d < spec.min_number) return FieldError(path, "must be >= " + Num(spec.min_number));
      if (*d > spec.max_number) return FieldError(path, "must be <= " + Num(spec.max_number));
      out->typed = *d;
      break;
    }
    case SettingType::kString: {
      auto s = ParseString(spec, schema.matchers[i], json, path);
      if (!s) return s.error();
      out->typed = std::move(*s);
      break;
    }
    case SettingType::kTimeZone: {
      if (!json.is_string()) return WrongKind(path, "a time zone name", json);
      if (auto r = CheckTimeZoneName(json.get_string(), path); !r) return r.error();
      out->typed = std::string(json.get_string());
      break;
    }
    case SettingType::kBranding: {
      auto b = Branding::Parse(json, path);
      if (!b) return b.error();
      out->typed = std::move(*b);
      break;
    }
    case SettingType::kZones: {
      auto z = ZoneSet::Parse(json, schema.limits.zones, path);
      if (!z) return z.error();
      out->typed = std::move(*z);
      break;
    }
    case SettingType::kPricing: {
      auto p = Pricing::Parse(json, schema.limits.pricing, path);
      if (!p) return p.error();
      out->typed = std::move(*p);
      break;
    }
  }
  out->json = json;
  return ValuePtr(std::move(out));
}

}  // namespace tenancy::detail::config

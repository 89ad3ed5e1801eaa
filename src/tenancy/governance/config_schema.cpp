// The settings registry: built-in domain settings, custom settings and their
// checks, and the documentation export.
#include <boost/json/parse.hpp>

#include <cmath>
#include <string>

#include "governance/config_path.hpp"
#include "governance/config_schema.hpp"

namespace tenancy {
namespace {

using detail::config::FieldError;
using detail::config::SchemaData;

bool IsValidKey(std::string_view key) noexcept {
  if (key.empty() || key.size() > detail::config::kMaxKeyBytes) return false;
  bool segment_start = true;
  for (char c : key) {
    if (c == '.') {
      if (segment_start) return false;  // empty segment
      segment_start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (segment_start && !lower) return false;
    if (!lower && !digit && c != '_') return false;
    segment_start = false;
  }
  return !segment_start;
}

SettingSpec Builtin(std::string key, SettingType type, std::string_view default_json, std::string doc) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = type;
  s.default_value = boost::json::parse(default_json);
  s.doc = std::move(doc);
  return s;
}

// Appends `spec` to `d`, checking it and its default; `d` is unchanged on
// failure.
Result<void> Append(SchemaData& d, SettingSpec spec) {
  const std::string& key = spec.key;
  if (!IsValidKey(key))
    return Fail(Errc::kInvalidArgument,
                "setting key \"" + key.substr(0, detail::config::kMaxKeyBytes) +
                    "\" is malformed (dot-separated [a-z][a-z0-9_]* segments, at most 128 bytes)");
  if (d.index.contains(key)) return FieldError(key, "a setting with this key exists already");
  detail::config::Matcher matcher;
  switch (spec.type) {
    case SettingType::kInteger:
      if (spec.min_int > spec.max_int) return FieldError(key, "min_int exceeds max_int");
      break;
    case SettingType::kNumber:
      if (!std::isfinite(spec.min_number) || !std::isfinite(spec.max_number))
        return FieldError(key, "number bounds must be finite");
      if (spec.min_number > spec.max_number) return FieldError(key, "min_number exceeds max_number");
      break;
    case SettingType::kString:
      if (spec.max_length > kMaxSettingStringBytes)
        return FieldError(key, "max_length exceeds " + std::to_string(kMaxSettingStringBytes));
      if (spec.min_length > spec.max_length) return FieldError(key, "min_length exceeds max_length");
      if (!spec.pattern.empty()) {
        auto m = detail::config::CompilePattern(spec.pattern, key);
        if (!m) return m.error();
        matcher = std::move(*m);
      }
      break;
    default:
      break;
  }
  const std::size_t i = d.specs.size();
  d.specs.push_back(std::move(spec));
  d.matchers.push_back(std::move(matcher));
  auto value = detail::config::ParseValue(d, i, d.specs[i].default_value);
  if (!value) {
    Error e = value.error();
    e.message = "default value: " + e.message;
    d.specs.pop_back();
    d.matchers.pop_back();
    return e;
  }
  d.defaults.push_back(std::move(*value));
  d.index.emplace(d.specs[i].key, i);
  d.fast_index.Rebuild(d.specs);
  return {};
}

}  // namespace

std::string_view ToString(SettingType type) noexcept {
  switch (type) {
    case SettingType::kBool: return "bool";
    case SettingType::kInteger: return "integer";
    case SettingType::kNumber: return "number";
    case SettingType::kString: return "string";
    case SettingType::kTimeZone: return "time_zone";
    case SettingType::kBranding: return "branding";
    case SettingType::kZones: return "zones";
    case SettingType::kPricing: return "pricing";
  }
  return "?";
}

std::string_view ToString(ConfigLayer layer) noexcept {
  switch (layer) {
    case ConfigLayer::kDefault: return "default";
    case ConfigLayer::kPlatform: return "platform";
    case ConfigLayer::kTier: return "tier";
    case ConfigLayer::kTenant: return "tenant";
  }
  return "?";
}

SettingSpec SettingSpec::Bool(std::string key, bool default_value, std::string doc) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kBool;
  s.default_value = default_value;
  s.doc = std::move(doc);
  return s;
}

SettingSpec SettingSpec::Integer(std::string key, std::int64_t default_value, std::int64_t min,
                                 std::int64_t max, std::string doc) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kInteger;
  s.default_value = default_value;
  s.doc = std::move(doc);
  s.min_int = min;
  s.max_int = max;
  return s;
}

SettingSpec SettingSpec::Number(std::string key, double default_value, double min, double max,
                                std::string doc) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kNumber;
  s.default_value = default_value;
  s.doc = std::move(doc);
  s.min_number = min;
  s.max_number = max;
  return s;
}

SettingSpec SettingSpec::String(std::string key, std::string default_value, std::size_t max_length,
                                std::string doc, std::string pattern) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kString;
  s.default_value = boost::json::string(default_value);
  s.doc = std::move(doc);
  s.max_length = max_length;
  s.pattern = std::move(pattern);
  return s;
}

SettingSpec SettingSpec::Enum(std::string key, std::string default_value,
                              std::vector<std::string> values, std::string doc) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kString;
  s.default_value = boost::json::string(default_value);
  s.doc = std::move(doc);
  s.one_of = std::move(values);
  return s;
}

ConfigSchema::ConfigSchema(ConfigLimits limits) : data_(std::make_shared<SchemaData>()) {
  data_->limits = std::move(limits);
  // The built-ins are known to be valid; a failure here is a bug.
  const SettingSpec builtins[] = {
      Builtin("branding", SettingType::kBranding, R"({"name": "Fleet", "primary_color": "#1F2937"})",
              "The tenant's brand in apps and the portal: name, colours, logo (https)."),
      Builtin("time_zone", SettingType::kTimeZone, R"("UTC")",
              "IANA time zone of the tenant's operations; local times (surge windows, "
              "quota periods) are read in it."),
      Builtin("zones", SettingType::kZones, R"({"type": "FeatureCollection", "features": []})",
              "Service zones: a GeoJSON FeatureCollection of Polygons/MultiPolygons with "
              "unique properties.id."),
      Builtin("pricing", SettingType::kPricing,
              R"({"currency": "USD", "base_fare": 0, "per_km": 0, "per_minute": 0,
                  "minimum_fare": 0, "surge": []})",
              "Fare model: amounts in minor units, surge windows by zone and local time, an "
              "optional JsonLogic rule."),
  };
  for (const auto& spec : builtins) {
    if (auto r = Append(*data_, spec); !r)
      throw std::logic_error("built-in setting refused: " + r.error().message);
  }
}

Result<void> ConfigSchema::Add(SettingSpec spec) {
  // Copy on write: a Config holding this schema's data keeps it unchanged.
  if (data_.use_count() > 1) data_ = std::make_shared<SchemaData>(*data_);
  return Append(*data_, std::move(spec));
}

const SettingSpec* ConfigSchema::Find(std::string_view key) const noexcept {
  auto it = data_->index.find(key);
  return it == data_->index.end() ? nullptr : &data_->specs[it->second];
}

std::size_t ConfigSchema::size() const noexcept { return data_->specs.size(); }

std::vector<std::string_view> ConfigSchema::Keys() const {
  std::vector<std::string_view> keys;
  keys.reserve(data_->specs.size());
  for (const auto& s : data_->specs) keys.emplace_back(s.key);
  return keys;
}

const ConfigLimits& ConfigSchema::limits() const noexcept { return data_->limits; }

Result<void> ConfigSchema::Validate(std::string_view key, const boost::json::value& value) const {
  auto it = data_->index.find(key);
  if (it == data_->index.end()) return FieldError(key, "unknown setting");
  auto v = detail::config::ParseValue(*data_, it->second, value);
  if (!v) return v.error();
  return {};
}

boost::json::array ConfigSchema::Describe() const {
  boost::json::array out;
  for (const auto& s : data_->specs) {
    boost::json::object o;
    o["key"] = s.key;
    o["type"] = ToString(s.type);
    o["default"] = s.default_value;
    o["doc"] = s.doc;
    if (s.type == SettingType::kInteger) {
      o["min"] = s.min_int;
      o["max"] = s.max_int;
    } else if (s.type == SettingType::kNumber) {
      o["min"] = s.min_number;
      o["max"] = s.max_number;
    } else if (s.type == SettingType::kString) {
      o["min_length"] = s.min_length;
      o["max_length"] = s.max_length;
      if (!s.pattern.empty()) o["pattern"] = s.pattern;
      if (!s.one_of.empty()) {
        boost::json::array values;
        for (const auto& v : s.one_of) values.emplace_back(v);
        o["one_of"] = std::move(values);
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace tenancy

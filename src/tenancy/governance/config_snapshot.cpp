// ConfigSnapshot's getters: one hash lookup into the schema's index, then
// the typed value; errors only build messages on failure.
#include <string>

#include "governance/config_impl.hpp"

namespace tenancy {
namespace {

using detail::config::SettingValue;

Error WrongType(std::string_view key, SettingType actual, std::string_view wanted) {
  return Error(Errc::kInvalidArgument, "setting \"" + std::string(key) + "\" is of type " +
                                           std::string(ToString(actual)) + ", not " +
                                           std::string(wanted));
}

}  // namespace

Result<std::size_t> ConfigSnapshot::IndexOf(std::string_view key) const {
  const std::ptrdiff_t i = schema_->fast_index.Find(key, schema_->specs);
  if (i < 0) return Error(Errc::kNotFound, "no setting \"" + std::string(key) + "\" in the schema");
  return static_cast<std::size_t>(i);
}

Result<bool> ConfigSnapshot::GetBool(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<bool>(&values_[*i]->typed)) return *v;
  return WrongType(key, schema_->specs[*i].type, "bool");
}

Result<std::int64_t> ConfigSnapshot::GetInt(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<std::int64_t>(&values_[*i]->typed)) return *v;
  return WrongType(key, schema_->specs[*i].type, "integer");
}

Result<double> ConfigSnapshot::GetNumber(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  const auto& typed = values_[*i]->typed;
  if (const auto* v = std::get_if<double>(&typed)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&typed)) return static_cast<double>(*v);
  return WrongType(key, schema_->specs[*i].type, "number");
}

Result<std::string_view> ConfigSnapshot::GetString(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<std::string>(&values_[*i]->typed)) return std::string_view(*v);
  return WrongType(key, schema_->specs[*i].type, "string");
}

Result<boost::json::value> ConfigSnapshot::GetJson(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  return values_[*i]->json;
}

Result<const ZoneSet*> ConfigSnapshot::GetZones(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<ZoneSet>(&values_[*i]->typed)) return v;
  return WrongType(key, schema_->specs[*i].type, "zones");
}

Result<const Pricing*> ConfigSnapshot::GetPricing(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<Pricing>(&values_[*i]->typed)) return v;
  return WrongType(key, schema_->specs[*i].type, "pricing");
}

Result<const Branding*> ConfigSnapshot::GetBranding(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  if (const auto* v = std::get_if<Branding>(&values_[*i]->typed)) return v;
  return WrongType(key, schema_->specs[*i].type, "branding");
}

Result<ConfigLayer> ConfigSnapshot::SourceOf(std::string_view key) const {
  auto i = IndexOf(key);
  if (!i) return i.error();
  return sources_[*i];
}

boost::json::object ConfigSnapshot::ToJson() const {
  boost::json::object out;
  out.reserve(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) out.emplace(schema_->specs[i].key, values_[i]->json);
  return out;
}

}  // namespace tenancy

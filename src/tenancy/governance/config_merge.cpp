// Layers → merged values → immutable snapshots, and the checks that only a
// merged configuration can answer (surge rules naming existing zones).
#include <algorithm>

#include "governance/config_impl.hpp"
#include "governance/config_path.hpp"

namespace tenancy::detail::config {
namespace {

void Apply(Merged& m, const Layer* layer, ConfigLayer source) {
  if (!layer) return;
  for (const auto& [i, value] : layer->values) {
    m.values[i] = value;
    m.sources[i] = source;
  }
}

}  // namespace

Merged Merge(const SchemaData& schema, const Layer* platform, const Layer* tier, const Layer* tenant) {
  Merged m;
  m.values = schema.defaults;
  m.sources.assign(schema.defaults.size(), ConfigLayer::kDefault);
  Apply(m, platform, ConfigLayer::kPlatform);
  Apply(m, tier, ConfigLayer::kTier);
  Apply(m, tenant, ConfigLayer::kTenant);
  return m;
}

std::vector<std::string> CrossCheck(const SchemaData& schema, const std::vector<ValuePtr>& values) {
  std::vector<std::string> faults;
  const auto& zones = std::get<ZoneSet>(values[kZonesIndex]->typed);
  for (std::size_t i = 0; i < schema.specs.size(); ++i) {
    if (schema.specs[i].type != SettingType::kPricing) continue;
    const auto& pricing = std::get<Pricing>(values[i]->typed);
    const std::string surge_path = Member(schema.specs[i].key, "surge");
    for (std::size_t r = 0; r < pricing.surge.size(); ++r) {
      const auto& ids = pricing.surge[r].zones;
      for (std::size_t z = 0; z < ids.size(); ++z) {
        if (zones.Contains(ids[z])) continue;
        faults.push_back(Element(Member(Element(surge_path, r), "zones"), z) + ": unknown zone \"" +
                         ids[z] + "\" (not in \"zones\")");
      }
    }
  }
  return faults;
}

boost::json::object ToDocument(const SchemaData& schema, const Layer& layer) {
  boost::json::object doc;
  doc.reserve(layer.values.size());
  for (const auto& [i, value] : layer.values) doc.emplace(schema.specs[i].key, value->json);
  return doc;
}

Result<Layer> FromDocument(const SchemaData& schema, const boost::json::object& doc, bool strict,
                           std::vector<std::string>* issues, std::string_view scope_label) {
  Layer layer;
  for (const auto& kv : doc) {
    auto it = schema.index.find(kv.key());
    if (it == schema.index.end()) {
      Error e = FieldError(kv.key(), "unknown setting");
      if (strict) return e;
      if (issues) issues->push_back(std::string(scope_label) + ": " + e.message);
      continue;
    }
    if (kv.value().is_null()) continue;
    auto value = ParseValue(schema, it->second, kv.value());
    if (!value) {
      if (strict) return value.error();
      if (issues) issues->push_back(std::string(scope_label) + ": " + value.error().message);
      continue;
    }
    layer.values.emplace_back(static_cast<std::uint32_t>(it->second), std::move(*value));
  }
  std::sort(layer.values.begin(), layer.values.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return layer;
}

std::string Describe(const ConfigScope& scope) {
  switch (scope.layer) {
    case ConfigLayer::kPlatform: return "the platform";
    case ConfigLayer::kTier: return "tier \"" + scope.name + "\"";
    case ConfigLayer::kTenant: return "tenant " + scope.name;
    case ConfigLayer::kDefault: break;
  }
  return "the defaults";
}

std::shared_ptr<const ConfigSnapshot> SnapshotAccess::Make(std::shared_ptr<const SchemaData> schema,
                                                           std::vector<ValuePtr> values,
                                                           std::vector<ConfigLayer> sources,
                                                           std::string tier, ConfigVersions versions,
                                                           std::vector<std::string> issues) {
  std::shared_ptr<ConfigSnapshot> s(new ConfigSnapshot());
  s->branding_ = &std::get<Branding>(values[kBrandingIndex]->typed);
  s->time_zone_ = std::get<std::string>(values[kTimeZoneIndex]->typed);
  s->zones_ = &std::get<ZoneSet>(values[kZonesIndex]->typed);
  s->pricing_ = &std::get<Pricing>(values[kPricingIndex]->typed);
  s->schema_ = std::move(schema);
  s->values_ = std::move(values);
  s->sources_ = std::move(sources);
  s->tier_ = std::move(tier);
  s->versions_ = versions;
  s->issues_ = std::move(issues);
  return s;
}

}  // namespace tenancy::detail::config

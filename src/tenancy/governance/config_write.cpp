// The write path: patch or rollback → checked against every merged view the
// layer is visible in → one version row in one transaction → published.
// Also loading, history and current versions (everything that reads the
// database).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "governance/config_impl.hpp"
#include "governance/config_path.hpp"

namespace tenancy::detail::config {
namespace {

// Rolls the transaction back unless it was committed.
class TxGuard {
 public:
  explicit TxGuard(ConfigDb& db) : db_(db) {}
  ~TxGuard() {
    if (!done_) db_.Rollback();
  }
  TxGuard(const TxGuard&) = delete;
  TxGuard& operator=(const TxGuard&) = delete;
  void Done() noexcept { done_ = true; }

 private:
  ConfigDb& db_;
  bool done_ = false;
};

// What changed from `before` to `after`, as a patch: changed values, and
// null for removed keys.
boost::json::object Diff(const boost::json::object& before, const boost::json::object& after) {
  boost::json::object patch;
  for (const auto& kv : before)
    if (!after.contains(kv.key())) patch.emplace(kv.key(), nullptr);
  for (const auto& kv : after) {
    const auto* old = before.if_contains(kv.key());
    if (!old || *old != kv.value()) patch.emplace(kv.key(), kv.value());
  }
  return patch;
}

Result<boost::json::object> ParseDocument(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return Fail(Errc::kDataCorrupted, "a stored configuration document is not a JSON object");
  return std::move(v.get_object());
}

}  // namespace

ConfigImpl::ConfigImpl(ConfigOptions options, ConfigSchema schema, std::unique_ptr<ConfigDb> db)
    : options_(std::move(options)),
      schema_(std::move(schema)),
      schema_data_(schema_.data_),
      db_(std::move(db)) {}

Result<void> ConfigImpl::Load() {
  std::lock_guard lock(mu_);
  auto rows = db_->LoadLatest();
  if (!rows) return rows.error();
  Layer platform;
  std::map<std::string, Layer, std::less<>> tiers;
  StringMap<Layer> tenants;
  std::vector<std::string> issues;
  for (const auto& row : *rows) {
    auto doc = ParseDocument(row.document);
    if (!doc) return doc.error();
    auto layer = FromDocument(*schema_data_, *doc, /*strict=*/false, &issues, Describe(row.scope));
    if (!layer) return layer.error();
    layer->version = row.version;
    layer->tier = row.tier;
    switch (row.scope.layer) {
      case ConfigLayer::kPlatform: platform = std::move(*layer); break;
      case ConfigLayer::kTier: tiers[row.scope.name] = std::move(*layer); break;
      case ConfigLayer::kTenant: tenants[row.scope.name] = std::move(*layer); break;
      case ConfigLayer::kDefault: break;
    }
  }
  // A tenant seen since (through a snapshot) keeps the tier it was seen in.
  for (auto& [id, layer] : tenants)
    if (auto it = tenants_.find(id); it != tenants_.end()) layer.tier = it->second.tier;
  platform_ = std::move(platform);
  tiers_ = std::move(tiers);
  tenants_ = std::move(tenants);
  load_issues_ = std::move(issues);
  tier_views_.clear();
  PublishAll([](const Slot&) { return true; });
  return {};
}

Result<void> ConfigImpl::CheckVisible(const ConfigScope& scope, const Layer& candidate,
                                      const std::string& tenant_tier) const {
  const SchemaData& schema = *schema_data_;
  auto check = [&](const Layer* platform, const Layer* tier, const Layer* tenant,
                   const std::string& where) -> Result<void> {
    const Merged m = Merge(schema, platform, tier, tenant);
    const auto faults = CrossCheck(schema, m.values);
    if (faults.empty()) return {};
    return Error(Errc::kInvalidArgument,
                 where.empty() ? faults.front()
                               : faults.front() + " (in the merged configuration of " + where + ")");
  };
  switch (scope.layer) {
    case ConfigLayer::kPlatform: {
      if (auto r = check(&candidate, nullptr, nullptr, {}); !r) return r;
      for (const auto& [name, layer] : tiers_)
        if (!layer.empty())
          if (auto r = check(&candidate, &layer, nullptr, Describe(ConfigScope::Tier(name))); !r) return r;
      for (const auto& [id, layer] : tenants_)
        if (!layer.empty())
          if (auto r = check(&candidate, TierLayer(layer.tier), &layer, "tenant " + id); !r) return r;
      return {};
    }
    case ConfigLayer::kTier: {
      if (auto r = check(&platform_, &candidate, nullptr, {}); !r) return r;
      for (const auto& [id, layer] : tenants_)
        if (!layer.empty() && layer.tier == scope.name)
          if (auto r = check(&platform_, &candidate, &layer, "tenant " + id); !r) return r;
      return {};
    }
    case ConfigLayer::kTenant:
      return check(&platform_, TierLayer(tenant_tier), &candidate, {});
    case ConfigLayer::kDefault: break;
  }
  return Fail(Errc::kInvalidArgument, "the defaults cannot be written");
}

Result<ConfigVersion> ConfigImpl::Write(const ConfigScope& scope, std::optional<std::string> tenant_tier,
                                        const boost::json::object* patch,
                                        std::optional<std::int64_t> rollback_to, std::string_view author,
                                        std::optional<std::int64_t> expected_version) {
  std::size_t chars = 0;
  if (author.empty() || author.size() > kMaxConfigAuthorBytes || !IsCleanUtf8(author, chars))
    return Fail(Errc::kInvalidArgument, "author must be 1 to " + std::to_string(kMaxConfigAuthorBytes) +
                                            " bytes of UTF-8 without control characters");
  const SchemaData& schema = *schema_data_;

  // Values are checked before taking the lock: a zone document can be large.
  std::vector<std::pair<std::uint32_t, ValuePtr>> changes;  // null: remove the override
  if (patch) {
    for (const auto& kv : *patch) {
      auto it = schema.index.find(kv.key());
      if (it == schema.index.end()) return FieldError(kv.key(), "unknown setting");
      ValuePtr value;
      if (!kv.value().is_null()) {
        auto parsed = ParseValue(schema, it->second, kv.value());
        if (!parsed) return parsed.error();
        value = std::move(*parsed);
      }
      changes.emplace_back(static_cast<std::uint32_t>(it->second), std::move(value));
    }
  }

  std::lock_guard lock(mu_);
  if (auto r = db_->Begin(); !r) return r.error();
  TxGuard tx(*db_);

  // The database is the authority on the current version: another process
  // may have written since this one last looked.
  auto latest = db_->Latest(scope);
  if (!latest) return latest.error();
  const std::int64_t current = *latest ? (*latest)->version : 0;
  if (expected_version && *expected_version != current)
    return Fail(Errc::kConflict, Describe(scope) + " is at version " + std::to_string(current) +
                                     ", not " + std::to_string(*expected_version));

  const Layer* known = nullptr;
  switch (scope.layer) {
    case ConfigLayer::kPlatform: known = &platform_; break;
    case ConfigLayer::kTier: known = TierLayer(scope.name); break;
    case ConfigLayer::kTenant: known = TenantLayer(scope.name); break;
    case ConfigLayer::kDefault: return Fail(Errc::kInvalidArgument, "the defaults cannot be written");
  }
  Layer base;
  if (known && known->version == current) {
    base = *known;
  } else if (*latest) {
    auto doc = ParseDocument((*latest)->document);
    if (!doc) return doc.error();
    auto layer = FromDocument(schema, *doc, /*strict=*/false, &load_issues_, Describe(scope));
    if (!layer) return layer.error();
    base = std::move(*layer);
    base.version = current;
    base.tier = (*latest)->tier;
  }

  Layer next = base;
  const boost::json::object before = ToDocument(schema, base);
  if (rollback_to) {
    auto row = db_->Get(scope, *rollback_to);
    if (!row) return row.error();
    if (!*row)
      return Fail(Errc::kNotFound, Describe(scope) + " has no version " + std::to_string(*rollback_to));
    auto doc = ParseDocument((*row)->document);
    if (!doc) return doc.error();
    auto restored = FromDocument(schema, *doc, /*strict=*/true, nullptr, Describe(scope));
    if (!restored)
      return Fail(Errc::kInvalidArgument, "version " + std::to_string(*rollback_to) +
                                              " is not valid today: " + restored.error().message);
    next.values = std::move(restored->values);
  } else {
    for (auto& [i, value] : changes) {
      auto it = std::lower_bound(next.values.begin(), next.values.end(), i,
                                 [](const auto& entry, std::uint32_t k) { return entry.first < k; });
      const bool present = it != next.values.end() && it->first == i;
      if (!value) {
        if (present) next.values.erase(it);
      } else if (present) {
        it->second = std::move(value);
      } else {
        next.values.emplace(it, i, std::move(value));
      }
    }
  }
  next.version = current + 1;
  if (scope.layer == ConfigLayer::kTenant) next.tier = tenant_tier ? *tenant_tier : base.tier;
  if (known && scope.layer == ConfigLayer::kTenant && !tenant_tier) next.tier = known->tier;

  if (auto r = CheckVisible(scope, next, next.tier); !r) return r.error();

  ConfigVersion out;
  out.scope = scope;
  out.version = next.version;
  out.author = std::string(author);
  // Stored at millisecond precision; returned as stored.
  out.at = FromUnixMillis(ToUnixMillis(options_.clock->Now()));
  out.document = ToDocument(schema, next);
  out.patch = rollback_to ? Diff(before, out.document) : *patch;
  out.rollback_of = rollback_to;

  VersionRow row;
  row.scope = scope;
  row.version = out.version;
  row.author = out.author;
  row.at_ms = ToUnixMillis(out.at);
  row.patch = boost::json::serialize(out.patch);
  row.document = boost::json::serialize(out.document);
  row.rollback_of = rollback_to;
  row.tier = next.tier;
  if (auto r = db_->Insert(row); !r) return r.error();
  if (auto r = db_->Commit(); !r) return r.error();
  tx.Done();

  // Published before returning: a Snapshot call made after this write
  // returns sees it.
  switch (scope.layer) {
    case ConfigLayer::kPlatform:
      platform_ = std::move(next);
      tier_views_.clear();
      PublishAll([](const Slot&) { return true; });
      break;
    case ConfigLayer::kTier:
      tiers_[scope.name] = std::move(next);
      tier_views_.erase(scope.name);
      PublishAll([&](const Slot& s) { return s.tier == scope.name; });
      break;
    case ConfigLayer::kTenant:
      tenants_[scope.name] = std::move(next);
      if (auto slot = FindSlot(scope.name)) Publish(*slot);
      break;
    case ConfigLayer::kDefault: break;
  }
  return out;
}

Result<std::vector<ConfigVersion>> ConfigImpl::History(const ConfigScope& scope) {
  std::vector<VersionRow> rows;
  {
    std::lock_guard lock(mu_);
    auto r = db_->History(scope);
    if (!r) return r.error();
    rows = std::move(*r);
  }
  std::vector<ConfigVersion> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    auto v = ToVersion(row);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::int64_t> ConfigImpl::CurrentVersion(const ConfigScope& scope) {
  std::lock_guard lock(mu_);
  auto latest = db_->Latest(scope);
  if (!latest) return latest.error();
  return *latest ? (*latest)->version : std::int64_t{0};
}

std::vector<std::string> ConfigImpl::load_issues() const {
  std::lock_guard lock(mu_);
  return load_issues_;
}

}  // namespace tenancy::detail::config

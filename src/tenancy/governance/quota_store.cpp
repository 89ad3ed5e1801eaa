#include "governance/quota_store.hpp"

#include <functional>

namespace tenancy::quota {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenancy_quota_plans (
  tier TEXT NOT NULL,
  limit_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  interval_ns INTEGER NOT NULL,
  burst INTEGER NOT NULL,
  period TEXT NOT NULL,
  soft_thresholds TEXT NOT NULL,
  PRIMARY KEY (tier, limit_name)
);
CREATE TABLE IF NOT EXISTS tenancy_quota_tiers (
  tier TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS tenancy_quota_overrides (
  tenant_id TEXT NOT NULL,
  limit_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  interval_ns INTEGER NOT NULL,
  burst INTEGER NOT NULL,
  period TEXT NOT NULL,
  soft_thresholds TEXT NOT NULL,
  PRIMARY KEY (tenant_id, limit_name)
);
CREATE TABLE IF NOT EXISTS tenancy_quota_time_zones (
  tenant_id TEXT PRIMARY KEY,
  zone TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tenancy_quota_usage (
  tenant_id TEXT NOT NULL,
  limit_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  used INTEGER NOT NULL,
  soft_thresholds_fired INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, limit_name)
);
)sql";

constexpr const char* kLimitColumns = "kind, amount, interval_ns, burst, period, soft_thresholds";

std::string_view KindName(std::int64_t kind) {
  return kind == kUnlimited ? "none" : ToString(static_cast<LimitKind>(kind));
}

Error Corrupted() {
  return Fail(Errc::kDataCorrupted, "quota database holds a malformed limit");
}

// Reads a limit from columns [first, first + 6) and validates it: a row
// edited by hand must not reach the hot path unchecked.
Result<Limit> ReadLimit(const RowView& r, int first) {
  auto kind = ParseLimitKind(r.Text(first));
  auto period = ParseCalendarPeriod(r.Text(first + 4));
  auto thresholds = DecodeThresholds(r.Text(first + 5));
  if (!kind || !period || !thresholds) return Corrupted();
  Limit l;
  l.kind = *kind;
  l.amount = r.Int(first + 1);
  l.interval = std::chrono::nanoseconds{r.Int(first + 2)};
  l.burst = r.Int(first + 3);
  l.period = *period;
  l.soft_thresholds = std::move(*thresholds);
  if (!Validate(l, "stored limit")) return Corrupted();
  return l;
}

struct LimitRows final : detail::RowSink {
  std::vector<std::pair<std::string, std::pair<std::string, Limit>>> items;  // owner, name, limit
  std::optional<Error> error;
  bool OnRow(const RowView& r) override {
    auto limit = ReadLimit(r, 2);
    if (!limit) {
      error = limit.error();
      return false;
    }
    items.push_back({std::string(r.Text(0)), {std::string(r.Text(1)), std::move(*limit)}});
    return true;
  }
};

}  // namespace

Result<std::unique_ptr<QuotaStore>> QuotaStore::Open(const std::string& path) {
  auto conn = sqlite::SqliteConnection::Open(path, /*create=*/true, sqlite::ConnectionOptions{});
  if (!conn) return conn.error();
  if (auto r = (*conn)->ExecScript(kSchema); !r) return r.error();
  return std::unique_ptr<QuotaStore>(new QuotaStore(std::move(*conn)));
}

Result<void> QuotaStore::InTransaction(const std::function<Result<void>()>& work) {
  if (auto r = conn_->Begin(); !r) return r;
  auto done = work();
  if (!done) {
    (void)conn_->Rollback();
    return done;
  }
  return conn_->Commit();
}

Result<std::map<std::string, Plan, std::less<>>> QuotaStore::LoadPlans() {
  std::map<std::string, Plan, std::less<>> plans;
  struct Tiers final : detail::RowSink {
    std::vector<std::string> names;
    bool OnRow(const RowView& r) override {
      names.emplace_back(r.Text(0));
      return true;
    }
  } tiers;
  if (auto r = conn_->Run("SELECT tier FROM tenancy_quota_tiers", {}, &tiers); !r) return r.error();
  for (auto& t : tiers.names) plans[t];
  LimitRows rows;
  auto r = conn_->Run(std::string("SELECT tier, limit_name, ") + kLimitColumns +
                          " FROM tenancy_quota_plans",
                      {}, &rows);
  if (!r) return r.error();
  if (rows.error) return *rows.error;
  for (auto& [tier, named] : rows.items) plans[tier].limits.emplace(std::move(named));
  return plans;
}

Result<std::map<TenantId, Limits>> QuotaStore::LoadOverrides() {
  LimitRows rows;
  auto r = conn_->Run(std::string("SELECT tenant_id, limit_name, ") + kLimitColumns +
                          " FROM tenancy_quota_overrides",
                      {}, &rows);
  if (!r) return r.error();
  if (rows.error) return *rows.error;
  std::map<TenantId, Limits> out;
  for (auto& [tenant, named] : rows.items) {
    auto id = TenantId::Parse(tenant);
    if (!id) return Fail(Errc::kDataCorrupted, "quota database holds a malformed tenant id");
    out[*id].emplace(std::move(named));
  }
  return out;
}

Result<std::map<TenantId, std::string>> QuotaStore::LoadTimeZones() {
  struct Rows final : detail::RowSink {
    std::map<TenantId, std::string> zones;
    bool bad = false;
    bool OnRow(const RowView& r) override {
      auto id = TenantId::Parse(r.Text(0));
      if (!id) {
        bad = true;
        return false;
      }
      zones[*id] = std::string(r.Text(1));
      return true;
    }
  } rows;
  if (auto r = conn_->Run("SELECT tenant_id, zone FROM tenancy_quota_time_zones", {}, &rows); !r)
    return r.error();
  if (rows.bad) return Fail(Errc::kDataCorrupted, "quota database holds a malformed tenant id");
  return std::move(rows.zones);
}

Result<void> QuotaStore::SavePlan(std::string_view tier, const Plan& plan) {
  return InTransaction([&]() -> Result<void> {
    const Param t[] = {tier};
    if (auto r = conn_->Run("DELETE FROM tenancy_quota_plans WHERE tier = ?", t, nullptr); !r)
      return r.error();
    if (auto r = conn_->Run("INSERT OR IGNORE INTO tenancy_quota_tiers (tier) VALUES (?)", t,
                            nullptr);
        !r)
      return r.error();
    for (const auto& [name, l] : plan.limits) {
      const std::string thresholds = EncodeThresholds(l.soft_thresholds);
      const Param p[] = {tier,
                         std::string_view(name),
                         ToString(l.kind),
                         l.amount,
                         static_cast<std::int64_t>(l.interval.count()),
                         l.burst,
                         ToString(l.period),
                         std::string_view(thresholds)};
      auto r = conn_->Run(std::string("INSERT INTO tenancy_quota_plans (tier, limit_name, ") +
                              kLimitColumns + ") VALUES (?,?,?,?,?,?,?,?)",
                          p, nullptr);
      if (!r) return r.error();
    }
    return {};
  });
}

Result<void> QuotaStore::SaveOverride(const TenantId& tenant, std::string_view limit,
                                      const Limit& l) {
  const std::string thresholds = EncodeThresholds(l.soft_thresholds);
  const Param p[] = {std::string_view(tenant.str()),
                     limit,
                     ToString(l.kind),
                     l.amount,
                     static_cast<std::int64_t>(l.interval.count()),
                     l.burst,
                     ToString(l.period),
                     std::string_view(thresholds)};
  auto r = conn_->Run(std::string("INSERT OR REPLACE INTO tenancy_quota_overrides (tenant_id, "
                                  "limit_name, ") +
                          kLimitColumns + ") VALUES (?,?,?,?,?,?,?,?)",
                      p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> QuotaStore::DeleteOverride(const TenantId& tenant, std::string_view limit) {
  const Param p[] = {std::string_view(tenant.str()), limit};
  auto r = conn_->Run("DELETE FROM tenancy_quota_overrides WHERE tenant_id = ? AND limit_name = ?",
                      p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> QuotaStore::SaveTimeZone(const TenantId& tenant, std::string_view zone) {
  const Param p[] = {std::string_view(tenant.str()), zone};
  auto r = conn_->Run(
      "INSERT OR REPLACE INTO tenancy_quota_time_zones (tenant_id, zone) VALUES (?,?)", p,
      nullptr);
  if (!r) return r.error();
  return {};
}

Result<std::optional<UsageRow>> QuotaStore::LoadUsage(const TenantId& tenant,
                                                      std::string_view limit) {
  struct Rows final : detail::RowSink {
    std::optional<UsageRow> row;
    bool OnRow(const RowView& r) override {
      UsageRow u;
      const auto kind = r.Text(0);
      if (kind == "none") {
        u.kind = kUnlimited;
      } else if (auto k = ParseLimitKind(kind)) {
        u.kind = static_cast<std::int64_t>(*k);
      } else {
        return false;  // unknown kind: ignore the row, start afresh
      }
      u.period_start_ms = r.Int(1);
      u.period_end_ms = r.Int(2);
      u.used = r.Int(3);
      u.thresholds = static_cast<std::uint32_t>(r.Int(4));
      u.version = r.Int(5);
      row = std::move(u);
      return false;
    }
  } rows;
  const Param p[] = {std::string_view(tenant.str()), limit};
  auto r = conn_->Run(
      "SELECT kind, period_start, period_end, used, soft_thresholds_fired, version "
      "FROM tenancy_quota_usage WHERE tenant_id = ? AND limit_name = ?",
      p, &rows);
  if (!r) return r.error();
  if (rows.row) {
    rows.row->tenant = tenant;
    rows.row->limit = std::string(limit);
  }
  return std::move(rows.row);
}

Result<void> QuotaStore::SaveUsage(std::span<const UsageRow> rows) {
  return InTransaction([&]() -> Result<void> {
    for (const auto& u : rows) {
      const Param p[] = {std::string_view(u.tenant.str()),
                         std::string_view(u.limit),
                         KindName(u.kind),
                         u.period_start_ms,
                         u.period_end_ms,
                         u.used,
                         static_cast<std::int64_t>(u.thresholds),
                         u.version};
      auto r = conn_->Run(
          "INSERT INTO tenancy_quota_usage (tenant_id, limit_name, kind, period_start, "
          "period_end, used, soft_thresholds_fired, version) VALUES (?,?,?,?,?,?,?,?) "
          "ON CONFLICT (tenant_id, limit_name) DO UPDATE SET kind = excluded.kind, "
          "period_start = excluded.period_start, period_end = excluded.period_end, "
          "used = excluded.used, soft_thresholds_fired = excluded.soft_thresholds_fired, "
          "version = excluded.version WHERE excluded.version > tenancy_quota_usage.version",
          p, nullptr);
      if (!r) return r.error();
    }
    return {};
  });
}

}  // namespace tenancy::quota

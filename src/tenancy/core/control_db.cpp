#include "core/control_db.hpp"

#include <boost/container/small_vector.hpp>

namespace tenancy {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenancy_tenants (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  display_name TEXT NOT NULL,
  tier TEXT NOT NULL,
  model TEXT NOT NULL,
  state TEXT NOT NULL,
  placement TEXT NOT NULL DEFAULT '',
  custom_domain TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  revision INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tenancy_tenants_live_slug
  ON tenancy_tenants(slug) WHERE state <> 'deleted';
CREATE UNIQUE INDEX IF NOT EXISTS tenancy_tenants_live_domain
  ON tenancy_tenants(custom_domain) WHERE custom_domain IS NOT NULL AND state <> 'deleted';
CREATE TABLE IF NOT EXISTS tenancy_tenant_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tenancy_tenant_transitions_by_tenant
  ON tenancy_tenant_transitions(tenant_id, seq);
)sql";

constexpr const char* kColumns =
    "id, slug, display_name, tier, model, state, placement, custom_domain, created_at, "
    "updated_at, revision";

struct TenantRows final : detail::RowSink {
  std::vector<Tenant> items;
  std::optional<Error> error;
  bool OnRow(const RowView& r) override {
    auto id = TenantId::Parse(r.Text(0));
    auto model = ParseIsolationModel(r.Text(4));
    auto state = ParseTenantState(r.Text(5));
    if (!id || !model || !state) {
      error = Error(Errc::kDataCorrupted, "control database holds a malformed tenant row");
      return false;
    }
    Tenant t;
    t.id = *id;
    t.slug = r.Text(1);
    t.display_name = r.Text(2);
    t.tier = r.Text(3);
    t.model = *model;
    t.state = *state;
    t.placement = r.Text(6);
    if (!r.IsNull(7)) t.custom_domain = std::string(r.Text(7));
    t.created_at = FromUnixMillis(r.Int(8));
    t.updated_at = FromUnixMillis(r.Int(9));
    t.revision = r.Int(10);
    items.push_back(std::move(t));
    return true;
  }
};

Param DomainParam(const Tenant& t) {
  return t.custom_domain ? Param(std::string_view(*t.custom_domain)) : Param{};
}

}  // namespace

Result<std::unique_ptr<ControlDb>> ControlDb::Open(const std::string& path) {
  auto conn = sqlite::SqliteConnection::Open(path, /*create=*/true, sqlite::ConnectionOptions{});
  if (!conn) return conn.error();
  if (auto r = (*conn)->ExecScript(kSchema); !r) return r.error();
  return std::unique_ptr<ControlDb>(new ControlDb(std::move(*conn)));
}

Result<std::vector<Tenant>> ControlDb::LoadAll() {
  TenantRows rows;
  auto r = conn_->Run(std::string("SELECT ") + kColumns + " FROM tenancy_tenants", {}, &rows);
  if (!r) return r.error();
  if (rows.error) return *rows.error;
  return std::move(rows.items);
}

Result<void> ControlDb::Insert(const Tenant& t) {
  const Param p[] = {std::string_view(t.id.str()),   std::string_view(t.slug),
                     std::string_view(t.display_name), std::string_view(t.tier),
                     ToString(t.model),               ToString(t.state),
                     std::string_view(t.placement),   DomainParam(t),
                     ToUnixMillis(t.created_at),      ToUnixMillis(t.updated_at),
                     t.revision};
  auto r = conn_->Run(std::string("INSERT INTO tenancy_tenants (") + kColumns +
                          ") VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> ControlDb::Save(const Tenant& t) {
  const Param p[] = {std::string_view(t.display_name), std::string_view(t.tier),
                     ToString(t.state),                std::string_view(t.placement),
                     DomainParam(t),                   ToUnixMillis(t.updated_at),
                     t.revision,                       std::string_view(t.id.str()),
                     t.revision - 1};
  auto r = conn_->Run(
      "UPDATE tenancy_tenants SET display_name = ?, tier = ?, state = ?, placement = ?, "
      "custom_domain = ?, updated_at = ?, revision = ? WHERE id = ? AND revision = ?",
      p, nullptr);
  if (!r) return r.error();
  if (*r != 1) return Fail(Errc::kConflict, "the tenant changed concurrently");
  return {};
}

Result<void> ControlDb::RecordTransition(const Tenant& t, TenantState from, std::string_view reason) {
  const Param p[] = {std::string_view(t.id.str()), ToString(from), ToString(t.state), reason,
                     ToUnixMillis(t.updated_at)};
  auto r = conn_->Run(
      "INSERT INTO tenancy_tenant_transitions (tenant_id, from_state, to_state, reason, at) "
      "VALUES (?,?,?,?,?)",
      p, nullptr);
  if (!r) return r.error();
  return {};
}

Result<void> ControlDb::SaveTransition(const Tenant& t, TenantState from, std::string_view reason,
                                       bool insert) {
  if (auto r = conn_->Begin(); !r) return r;
  auto written = insert ? Insert(t) : Save(t);
  if (written) written = RecordTransition(t, from, reason);
  if (!written) {
    (void)conn_->Rollback();
    return written;
  }
  return conn_->Commit();
}

Result<TenantPage> ControlDb::List(const TenantFilter& f) {
  if (f.limit == 0 || f.limit > 1000)
    return Fail(Errc::kInvalidArgument, "limit must be between 1 and 1000");
  if (!f.after.empty() && !TenantId::Parse(f.after))
    return Fail(Errc::kInvalidArgument, "malformed paging cursor");
  std::string sql = std::string("SELECT ") + kColumns + " FROM tenancy_tenants WHERE 1 = 1";
  boost::container::small_vector<Param, 8> p;
  if (f.state) {
    sql += " AND state = ?";
    p.push_back(ToString(*f.state));
  } else if (!f.include_deleted) {
    sql += " AND state <> 'deleted'";
  }
  if (f.tier) {
    sql += " AND tier = ?";
    p.push_back(std::string_view(*f.tier));
  }
  if (f.model) {
    sql += " AND model = ?";
    p.push_back(ToString(*f.model));
  }
  if (!f.after.empty()) {
    sql += " AND id > ?";
    p.push_back(std::string_view(f.after));
  }
  sql += " ORDER BY id LIMIT ?";
  p.push_back(static_cast<std::int64_t>(f.limit + 1));
  TenantRows rows;
  auto r = conn_->Run(sql, p, &rows);
  if (!r) return r.error();
  if (rows.error) return *rows.error;
  TenantPage page;
  if (rows.items.size() > f.limit) {
    rows.items.resize(f.limit);
    page.next_cursor = rows.items.back().id.str();
  }
  page.items = std::move(rows.items);
  return page;
}

Result<std::vector<Directory::Transition>> ControlDb::History(const TenantId& id) {
  struct Rows final : detail::RowSink {
    std::vector<Directory::Transition> items;
    bool OnRow(const RowView& r) override {
      auto from = ParseTenantState(r.Text(0));
      auto to = ParseTenantState(r.Text(1));
      if (!from || !to) return true;
      items.push_back({*from, *to, std::string(r.Text(2)), FromUnixMillis(r.Int(3))});
      return true;
    }
  } rows;
  const Param p[] = {std::string_view(id.str())};
  auto r = conn_->Run(
      "SELECT from_state, to_state, reason, at FROM tenancy_tenant_transitions WHERE tenant_id = ? "
      "ORDER BY seq",
      p, &rows);
  if (!r) return r.error();
  return std::move(rows.items);
}

}  // namespace tenancy

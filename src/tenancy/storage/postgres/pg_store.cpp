#include "storage/postgres/pg_store.hpp"

#include <libpq-fe.h>
#include <sodium.h>

#include "storage/postgres/pg_migrator.hpp"
#include "storage/sql_text.hpp"

namespace tenancy::pg {

std::string TenantSchemaName(const TenantId& id) {
  unsigned char digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(id.str().data()),
                     id.str().size(), nullptr, 0);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string("ts_") + hex;
}

namespace {

std::string SchemaOf(const Tenant& t) {
  return t.model == IsolationModel::kShared ? std::string(kSharedSchema) : TenantSchemaName(t.id);
}

// A server URL without tenancy's own query parameter, which libpq would
// refuse: `tenancy_binding=session` (default) keeps the tenant bound in the
// session between statements; `tenancy_binding=transaction` binds it in
// every transaction, for transaction-pooling proxies such as PgBouncer in
// pool_mode=transaction (pg_connection.hpp).
struct ServerUrl {
  std::string conninfo;
  bool session_binding = true;
};

Result<ServerUrl> SplitTenancyOptions(std::string_view url) {
  constexpr std::string_view kKey = "tenancy_binding=";
  ServerUrl out;
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos || url.find(kKey, q) == std::string_view::npos) {
    out.conninfo = url;
    return out;
  }
  out.conninfo = url.substr(0, q);
  char separator = '?';
  std::string_view rest = url.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.starts_with(kKey)) {
      const std::string_view value = pair.substr(kKey.size());
      if (value != "session" && value != "transaction")
        return Fail(Errc::kInvalidArgument,
                    "store URL: tenancy_binding must be 'session' or 'transaction'");
      out.session_binding = value == "session";
    } else if (!pair.empty()) {
      out.conninfo += separator;
      out.conninfo += pair;
      separator = '&';
    }
  }
  return out;
}

// `conninfo` with the user and password of `credentials` (both URLs or
// key=value strings), as a key=value string. Used to reach a dedicated
// placement with the admin role.
Result<std::string> WithCredentials(const std::string& conninfo, const std::string& credentials) {
  char* err = nullptr;
  PQconninfoOption* target = PQconninfoParse(conninfo.c_str(), &err);
  if (!target) {
    PQfreemem(err);
    return Fail(Errc::kInvalidArgument, "malformed PostgreSQL placement URL");
  }
  PQconninfoOption* creds = PQconninfoParse(credentials.c_str(), &err);
  if (!creds) {
    PQfreemem(err);
    PQconninfoFree(target);
    return Fail(Errc::kInvalidArgument, "malformed PostgreSQL admin URL");
  }
  auto find = [](PQconninfoOption* opts, std::string_view key) -> const char* {
    for (auto* o = opts; o->keyword; ++o)
      if (key == o->keyword) return o->val;
    return nullptr;
  };
  std::string out;
  for (auto* o = target; o->keyword; ++o) {
    const std::string_view key = o->keyword;
    const char* value = (key == "user" || key == "password") ? find(creds, key) : o->val;
    if (!value) continue;
    out += key;
    out += "='";
    for (const char* c = value; *c; ++c) {
      if (*c == '\'' || *c == '\\') out += '\\';
      out += *c;
    }
    out += "' ";
  }
  PQconninfoFree(target);
  PQconninfoFree(creds);
  return out;
}

// Nor may the serving role create schemas or temporary tables: a temporary
// table is a place raw SQL could copy rows to, outside every policy.
Result<void> HardenDatabase(PgConnection& admin, const std::string& app_role) {
  if (auto r = admin.ExecScript("DO $tenancy$ BEGIN EXECUTE format('REVOKE CREATE, TEMPORARY ON "
                                "DATABASE %I FROM PUBLIC', current_database()); END $tenancy$");
      !r)
    return r;
  auto privileges = admin.QueryText(
      "SELECT (has_database_privilege(" + admin.Literal(app_role) +
      ", current_database(), 'CREATE') OR has_database_privilege(" + admin.Literal(app_role) +
      ", current_database(), 'TEMPORARY'))::text");
  if (!privileges) return privileges.error();
  if ((*privileges)[0][0] == "true")
    return Fail(Errc::kInvalidArgument, "the serving role may create schemas or temporary tables "
                                        "in the database; revoke CREATE and TEMPORARY");
  return {};
}

}  // namespace

template <class F>
auto PgStore::WithAdmin(Server& server, F&& work) -> decltype(work(std::declval<PgConnection&>())) {
  std::lock_guard lock(server.admin_mu);
  if (!server.admin || !server.admin->Healthy()) {
    auto conn = PgConnection::Open(server.admin_conninfo, options().statement_cache_size);
    if (!conn) return conn.error();
    server.admin = std::move(*conn);
  }
  return work(*server.admin);
}

Result<PgStore::Server*> PgStore::AddServer(const std::string& app_url,
                                            const std::string& admin_conninfo) {
  auto app = SplitTenancyOptions(app_url);
  if (!app) return app.error();
  std::lock_guard lock(servers_mu_);
  auto& slot = servers_[app->conninfo];
  if (!slot) {
    auto server = std::make_unique<Server>();
    PoolOptions po;
    po.max_size = options().max_connections;
    po.wait = options().busy_timeout;
    po.statement_cache_size = options().statement_cache_size;
    po.session_binding = app->session_binding;
    server->app = std::make_shared<PgPool>(app->conninfo, po);
    server->admin_conninfo = admin_conninfo;
    slot = std::move(server);
  }
  return slot.get();
}

Result<PgStore::Server*> PgStore::ServerFor(const Tenant& tenant) {
  if (tenant.model != IsolationModel::kDedicated) return main_;
  if (tenant.placement.empty())
    return Fail(Errc::kInvalidArgument, "a dedicated tenant needs a placement (a PostgreSQL URL)");
  auto placement = SplitTenancyOptions(tenant.placement);
  if (!placement) return placement.error();
  auto admin = WithCredentials(placement->conninfo, admin_template_);
  if (!admin) return admin.error();
  return AddServer(tenant.placement, *admin);
}

Result<std::unique_ptr<Store>> PgStore::Open(const std::string& url, Schema schema,
                                             StoreOptions options) {
  auto admin_split = SplitTenancyOptions(options.admin_url.empty() ? url : options.admin_url);
  if (!admin_split) return admin_split.error();
  const std::string admin_url = std::move(admin_split->conninfo);
  std::unique_ptr<PgStore> store(new PgStore(std::move(schema), std::move(options)));
  store->admin_template_ = admin_url;
  auto main = store->AddServer(url, admin_url);
  if (!main) return main.error();
  store->main_ = *main;

  // The serving role must not be able to step over Row-Level Security.
  auto probe = store->main_->app->Take();
  if (!probe) return probe.error();
  auto role = (*probe)->QueryText(
      "SELECT current_user, (rolbypassrls OR rolsuper)::text FROM pg_roles WHERE rolname = "
      "current_user");
  store->main_->app->Give(std::move(*probe));
  if (!role) return role.error();
  if (role->empty()) return Fail(Errc::kInternal, "cannot read the application role");
  if ((*role)[0][1] == "true")
    return Fail(Errc::kInvalidArgument, "the store URL's role '" + (*role)[0][0] +
                                            "' bypasses row-level security; use a role without "
                                            "SUPERUSER and BYPASSRLS");
  store->app_role_ = (*role)[0][0];

  // Nor create schemas or temporary tables: a temporary table is a place
  // raw SQL could copy rows to, outside every policy.
  auto migrated = store->WithAdmin(*store->main_, [&](PgConnection& admin) -> Result<int> {
    if (auto r = HardenDatabase(admin, store->app_role_); !r) return r.error();
    return MigrateSchema(admin, kSharedSchema, store->schema(), store->app_role_);
  });
  if (!migrated) return migrated.error();
  return std::unique_ptr<Store>(std::move(store));
}

std::string PgStore::QualifiedTable(std::string_view table) const { return QuoteIdentifier(table); }

Result<void> PgStore::EnsureMigrated(const Tenant& tenant, Server& server) {
  const std::string key = server.admin_conninfo + '\n' + tenant.id.str();
  {
    std::shared_lock lock(verified_mu_);
    if (verified_.contains(key)) return {};
  }
  auto version = WithAdmin(server, [&](PgConnection& admin) -> Result<int> {
    auto v = ReadSchemaVersion(admin, SchemaOf(tenant));
    if (!v) return v.error();
    if (*v == schema().latest_version()) return *v;
    return MigrateSchema(admin, SchemaOf(tenant), schema(), app_role_, nullptr, *v);
  });
  if (!version) return version.error();
  std::unique_lock lock(verified_mu_);
  verified_.insert(key);
  return {};
}

Result<void> PgStore::RunEach(detail::Connection& conn, const std::string& sql,
                              std::span<const Param> rows, std::size_t width,
                              std::size_t* failed_row) {
  // A transaction of another store (a caller's mix-up) takes the portable path.
  if (auto* pg = dynamic_cast<PgConnection*>(&conn))
    return pg->RunMany(sql, rows, width, failed_row);
  return Store::RunEach(conn, sql, rows, width, failed_row);
}

Result<detail::Lease> PgStore::Acquire(const Tenant& tenant) {
  if (tenant.state == TenantState::kDeleted)
    return Fail(Errc::kTenantUnknown, "the tenant has been offboarded");
  auto server = ServerFor(tenant);
  if (!server) return server.error();
  if (tenant.model != IsolationModel::kShared) {
    if (auto r = EnsureMigrated(tenant, **server); !r) return r.error();
  }
  return (*server)->app->Acquire(tenant.id.str(), SchemaOf(tenant));
}

Result<void> PgStore::CreateNamespace(const Tenant& tenant) {
  if (tenant.model == IsolationModel::kShared) return {};
  auto server = ServerFor(tenant);
  if (!server) return server.error();
  if (tenant.model == IsolationModel::kDedicated) {
    // The placement must serve with a role that cannot bypass RLS, too.
    auto probe = (*server)->app->Take();
    if (!probe) return probe.error();
    auto role = (*probe)->QueryText(
        "SELECT (rolbypassrls OR rolsuper)::text FROM pg_roles WHERE rolname = current_user");
    (*server)->app->Give(std::move(*probe));
    if (!role) return role.error();
    if (!role->empty() && (*role)[0][0] == "true")
      return Fail(Errc::kInvalidArgument, "the placement's role bypasses row-level security");
  }
  auto version = WithAdmin(**server, [&](PgConnection& admin) -> Result<int> {
    if (tenant.model == IsolationModel::kDedicated)
      if (auto r = HardenDatabase(admin, app_role_); !r) return r.error();
    return MigrateSchema(admin, SchemaOf(tenant), schema(), app_role_);
  });
  if (!version) return version.error();
  return {};
}

Result<void> PgStore::DropNamespace(const Tenant& tenant) {
  auto server = ServerFor(tenant);
  if (!server) return server.error();
  if (tenant.model == IsolationModel::kShared) {
    return WithAdmin(**server, [&](PgConnection& admin) -> Result<void> {
      auto tables = admin.QueryText(
          "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
          "n.nspname = 'tenancy_shared' AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE "
          "'tenancy\\_%'");
      if (!tables) return tables.error();
      const std::string id = admin.Literal(tenant.id.str());
      std::string script = "BEGIN; SET LOCAL app.tenant_id = " + id +
                           "; SET LOCAL search_path = tenancy_shared;";
      for (const auto& row : *tables)
        script += " DELETE FROM " + QuoteIdentifier(row[0]) + " WHERE tenant_id = " + id + ";";
      script += " COMMIT";
      if (auto r = admin.ExecScript(script); !r) {
        (void)admin.ExecScript("ROLLBACK");
        return r;
      }
      return {};
    });
  }
  auto dropped = WithAdmin(**server, [&](PgConnection& admin) {
    return admin.ExecScript("DROP SCHEMA IF EXISTS " + QuoteIdentifier(SchemaOf(tenant)) + " CASCADE");
  });
  if (!dropped) return dropped;
  std::unique_lock lock(verified_mu_);
  verified_.erase((*server)->admin_conninfo + '\n' + tenant.id.str());
  return {};
}

Result<int> PgStore::SchemaVersion(const Tenant& tenant) {
  auto server = ServerFor(tenant);
  if (!server) return server.error();
  return WithAdmin(**server,
                   [&](PgConnection& admin) { return ReadSchemaVersion(admin, SchemaOf(tenant)); });
}

MigrationReport PgStore::MigrateTenants(std::span<const Tenant> tenants) {
  MigrationReport report;
  auto migrate = [&](Server& server, const TenantId& id, std::string_view schema_name) {
    MigrationReport::Entry entry;
    entry.tenant = id;
    auto done = WithAdmin(server, [&](PgConnection& admin) -> Result<int> {
      auto before = ReadSchemaVersion(admin, schema_name);
      if (!before) return before.error();
      entry.from_version = entry.to_version = *before;
      return MigrateSchema(admin, schema_name, schema(), app_role_, &entry.to_version, *before);
    });
    if (!done) entry.error = done.error();
    report.entries.push_back(std::move(entry));
  };
  migrate(*main_, TenantId{}, kSharedSchema);
  for (const auto& t : tenants) {
    if (t.model == IsolationModel::kShared || t.state == TenantState::kDeleted ||
        t.state == TenantState::kProvisioning)
      continue;  // a provisioning tenant is migrated when its provisioning resumes
    auto server = ServerFor(t);
    if (!server) {
      report.entries.push_back({t.id, 0, 0, server.error()});
      continue;
    }
    migrate(**server, t.id, SchemaOf(t));
  }
  return report;
}

}  // namespace tenancy::pg

// The PostgreSQL Store.
//
//   shared     tables in schema `tenancy_shared`, tenant_id predicate from the
//              library plus Row-Level Security (ENABLE + FORCE) as a second wall
//   database   one schema per tenant, named by the tenant id
//   dedicated  the tenant's schema on its own server: the tenant's placement
//              is that server's connection URL (the placement catalog lives in
//              the directory); the admin role's credentials are reused there
//
// Two roles: the store URL's role serves requests (owns nothing, no
// BYPASSRLS, refused otherwise); StoreOptions::admin_url's role owns the
// schemas and runs migrations.
//
// Thread safety: safe to share between threads.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "storage/postgres/pg_pool.hpp"
#include "tenancy/store.hpp"

namespace tenancy::pg {

inline constexpr std::string_view kSharedSchema = "tenancy_shared";

// The schema of a database-model or dedicated tenant: "ts_" + 16 hex digits
// of BLAKE2b(tenant id). Opaque, so the catalogs (readable by every role) do
// not list tenant ids.
std::string TenantSchemaName(const TenantId& id);

class PgStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& url, Schema schema,
                                             StoreOptions options);

  std::string_view engine() const noexcept override { return "postgres"; }
  Result<void> CreateNamespace(const Tenant& tenant) override;
  Result<void> DropNamespace(const Tenant& tenant) override;
  Result<int> SchemaVersion(const Tenant& tenant) override;
  MigrationReport MigrateTenants(std::span<const Tenant> tenants) override;

 protected:
  Result<detail::Lease> Acquire(const Tenant& tenant) override;
  std::string QualifiedTable(std::string_view table) const override;
  // Pipelines the rows (PgConnection::RunMany).
  Result<void> RunEach(detail::Connection& conn, const std::string& sql,
                       std::span<const Param> rows, std::size_t width,
                       std::size_t* failed_row) override;

 private:
  // One PostgreSQL server: a pool for the application role and one admin
  // connection (DDL is rare and serialized).
  struct Server {
    std::shared_ptr<PgPool> app;
    std::string admin_conninfo;
    std::mutex admin_mu;
    std::unique_ptr<PgConnection> admin;
  };

  PgStore(Schema schema, StoreOptions options) : Store(std::move(schema), options) {}
  Result<Server*> ServerFor(const Tenant& tenant);
  // `app_url` may carry tenancy_binding=session|transaction (pg_store.cpp).
  Result<Server*> AddServer(const std::string& app_url, const std::string& admin_conninfo);
  // Runs `work` on the server's admin connection, reconnecting if it was lost.
  template <class F>
  auto WithAdmin(Server& server, F&& work) -> decltype(work(std::declval<PgConnection&>()));
  // Migrates a tenant's schema the first time this process touches it.
  Result<void> EnsureMigrated(const Tenant& tenant, Server& server);

  std::string app_role_;
  std::string admin_template_;  // admin_url: user and password reused on placements
  std::mutex servers_mu_;
  std::unordered_map<std::string, std::unique_ptr<Server>> servers_;  // by app conninfo
  Server* main_ = nullptr;
  std::shared_mutex verified_mu_;
  std::unordered_set<std::string> verified_;  // schemas checked this process
};

}  // namespace tenancy::pg

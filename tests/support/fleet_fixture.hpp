// A small fleet schema and a store + directory built on a temp directory,
// shared by the storage and isolation tests.
#pragma once

#include "support/catch_tenancy.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string_view>
#include <filesystem>
#include <string>

#include "support/pg_env.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/store.hpp"

namespace tenancy::testing {

struct Vehicle {
  std::string id;
  std::string plate;
  std::int64_t seats = 0;
  std::optional<std::string> note;
  std::string tenant_id;  // mirrored by the library
  bool operator==(const Vehicle&) const = default;
};

struct Trip {  // composite key: (driver, seq)
  std::string driver;
  std::int64_t seq = 0;
  double km = 0;
  Blob payload;
  bool operator==(const Trip&) const = default;
};

inline const Entity<Vehicle>& Vehicles() {
  static const Entity<Vehicle> e = Entity<Vehicle>("vehicles")
                                       .Key("id", &Vehicle::id)
                                       .Column("plate", &Vehicle::plate, {.max_bytes = 64})
                                       .Column("seats", &Vehicle::seats)
                                       .Column("note", &Vehicle::note)
                                       .TenantColumn(&Vehicle::tenant_id);
  return e;
}

inline const Entity<Trip>& Trips() {
  static const Entity<Trip> e = Entity<Trip>("trips")
                                    .Key("driver", &Trip::driver)
                                    .Key("seq", &Trip::seq)
                                    .Column("km", &Trip::km)
                                    .Column("payload", &Trip::payload);
  return e;
}

inline Schema FleetSchema() {
  Schema s;
  s.migrations.push_back({1, "create vehicles",
                          "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                          "plate TEXT NOT NULL, seats INTEGER NOT NULL, note TEXT, "
                          "PRIMARY KEY (tenant_id, id));"});
  s.migrations.push_back({2, "create trips",
                          "CREATE TABLE trips (tenant_id TEXT NOT NULL, driver TEXT NOT NULL, "
                          "seq INTEGER NOT NULL, km REAL NOT NULL, payload BLOB NOT NULL, "
                          "PRIMARY KEY (tenant_id, driver, seq));",
                          "CREATE TABLE trips (tenant_id TEXT NOT NULL, driver TEXT NOT NULL, "
                          "seq BIGINT NOT NULL, km DOUBLE PRECISION NOT NULL, payload BYTEA NOT NULL, "
                          "PRIMARY KEY (tenant_id, driver, seq));"});
  return s;
}

// The engine the suite runs on. Each test executable links one definition
// (support/engine_sqlite.cpp or support/engine_postgres.cpp, picked by
// tenancy_add_test's ENGINE), so the suite's sources compile once and run
// unchanged on each engine.
extern const std::string_view kTestEngine;
inline bool OnPostgres() { return kTestEngine == "postgres"; }

// Extra query of every PostgreSQL store URL, from the environment: ctest
// runs the isolation suite once more with "?tenancy_binding=transaction".
inline std::string PgUrlOptions() {
  const char* options = std::getenv("TENANCY_TEST_PG_URL_OPTIONS");
  return options ? options : "";
}

// A store and directory under a fresh temp directory. Reopen() simulates a
// process restart.
class FleetWorld {
 public:
  explicit FleetWorld(StoreOptions options = {}, Schema schema = FleetSchema())
      : options_(options), schema_(std::move(schema)) {
    if (OnPostgres()) {
      pg_ = std::make_unique<PgDatabase>("TENANCY_TEST_PG_HOSTPORT");
      pg2_ = std::make_unique<PgDatabase>("TENANCY_TEST_PG2_HOSTPORT");
      options_.admin_url = pg_->AdminUrl();
    }
    Reopen();
  }

  // The store URL: a data directory, or this test's own PostgreSQL database.
  std::string StoreUrl() const {
    return OnPostgres() ? pg_->Url() + PgUrlOptions()
                        : "sqlite://" + (dir_.path() / "data").string();
  }

  void Reopen(std::optional<Schema> schema = std::nullopt) {
    directory_.reset();
    store_.reset();
    if (schema) schema_ = std::move(*schema);
    std::filesystem::create_directories(dir_.path() / "data");
    auto store = Store::Open(StoreUrl(), schema_, options_);
    REQUIRE(store);
    store_ = std::move(*store);
    DirectoryOptions o;
    o.path = (dir_.path() / "data" / "control.db").string();
    auto directory = Directory::Open(o, *store_);
    REQUIRE(directory);
    directory_ = std::move(*directory);
  }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    ProvisionRequest req;
    req.slug = slug;
    req.model = model;
    // On PostgreSQL a dedicated tenant lives on the second cluster.
    if (OnPostgres() && model == IsolationModel::kDedicated)
      req.placement = pg2_->Url() + PgUrlOptions();
    auto r = directory_->Provision(req);
    REQUIRE(r);
    return r->tenant;
  }

  TenantContext Context(const Tenant& t, std::string request_id = "req-test") {
    auto ctx = directory_->MintContext(t.id, Principal{"tester", PrincipalKind::kService}, {},
                                       std::move(request_id));
    REQUIRE(ctx);
    return *ctx;
  }

  Store& store() { return *store_; }
  Directory& directory() { return *directory_; }
  const TempDir& dir() const { return dir_; }
  PgDatabase* pg() const { return pg_.get(); }
  PgDatabase* pg2() const { return pg2_.get(); }

 private:
  TempDir dir_;
  StoreOptions options_;
  Schema schema_;
  std::unique_ptr<PgDatabase> pg_, pg2_;  // on PostgreSQL: this test's databases
  std::unique_ptr<Store> store_;
  std::unique_ptr<Directory> directory_;
};

inline const char* ModelName(IsolationModel m) {
  switch (m) {
    case IsolationModel::kShared: return "shared";
    case IsolationModel::kDatabase: return "database";
    case IsolationModel::kDedicated: return "dedicated";
  }
  return "?";
}

}  // namespace tenancy::testing

// quickstart.cpp — embedding tenancy in a fleet application.
//
// Opens a store on the embedded SQLite default, provisions two tenants in
// different isolation models, and shows that each sees only its own data.
//
//   quickstart [DATA_DIR]        (default: ./quickstart-data)
#include <cstdio>
#include <string>

#include "tenancy/directory.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/store.hpp"

namespace {

// 1. Your domain type, and how it maps to a table. tenant_id is implicit:
//    the library adds it to every row and every statement.
struct Vehicle {
  std::string id;
  std::string plate;
  std::int64_t seats = 0;
};

const tenancy::Entity<Vehicle> kVehicles = tenancy::Entity<Vehicle>("vehicles")
                                               .Key("id", &Vehicle::id)
                                               .Column("plate", &Vehicle::plate)
                                               .Column("seats", &Vehicle::seats);

// 2. Your schema, as versioned migrations. Every table leads its primary
//    key with tenant_id; the store refuses migrations that do not.
tenancy::Schema FleetSchema() {
  return {{{1, "create vehicles",
            "CREATE TABLE vehicles (tenant_id TEXT NOT NULL, id TEXT NOT NULL,"
            " plate TEXT NOT NULL, seats INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));"}}};
}

int Die(const tenancy::Error& e) {
  std::fprintf(stderr, "quickstart: %s\n", e.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : "./quickstart-data";

  // 3. Open the store and the control-plane directory.
  auto store = tenancy::Store::Open("sqlite://" + data, FleetSchema());
  if (!store) return Die(store.error());
  auto directory = tenancy::Directory::Open({.path = data + "/control.db"}, **store);
  if (!directory) return Die(directory.error());

  // 4. Provision tenants. Idempotent by slug, so re-running is safe. The
  //    tier picks the model (standard → shared tables, premium → own database).
  auto city = (*directory)->Provision({.slug = "city-cabs", .display_name = "City Cabs",
                                       .tier = "standard"});
  if (!city) return Die(city.error());
  auto partner = (*directory)->Provision({.slug = "partner-fleet", .tier = "premium"});
  if (!partner) return Die(partner.error());

  // 5. After authenticating a caller, mint its context. Every data call
  //    takes one; there is no way to reach tenant data without it.
  auto as_city = (*directory)->MintContext(city->tenant.id, {"dispatcher-1"}, {"dispatcher"}, "req-1");
  auto as_partner = (*directory)->MintContext(partner->tenant.id, {"ops-7"}, {"tenant_admin"}, "req-2");
  if (!as_city) return Die(as_city.error());
  if (!as_partner) return Die(as_partner.error());

  // 6. Work through repositories.
  tenancy::Repository<Vehicle> vehicles(**store, kVehicles);
  if (auto r = vehicles.Upsert(*as_city, {"cab-1", "B-CC 101", 4}); !r) return Die(r.error());
  if (auto r = vehicles.Upsert(*as_partner, {"van-9", "M-PF 909", 8}); !r) return Die(r.error());

  // Several writes, one atomic commit.
  auto batch = (*store)->Transact(*as_city, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    if (auto r = vehicles.Upsert(tx, {"cab-2", "B-CC 102", 4}); !r) return r;
    return vehicles.Upsert(tx, {"cab-3", "B-CC 103", 6});
  });
  if (!batch) return Die(batch.error());

  // 7. Isolation: the partner cannot see the city's cab, even by its id.
  auto peek = vehicles.Get(*as_partner, "cab-1");
  std::printf("partner reading city's cab-1: %s\n",
              peek ? "VISIBLE (bug!)" : peek.error().ToString().c_str());

  auto page = vehicles.List(*as_city, {.limit = 10});
  if (!page) return Die(page.error());
  std::printf("%s (%s model) has %zu vehicles:\n", city->tenant.display_name.c_str(),
              std::string(tenancy::ToString(city->tenant.model)).c_str(), page->items.size());
  for (const auto& v : page->items)
    std::printf("  %-6s %-9s %lld seats\n", v.id.c_str(), v.plate.c_str(),
                static_cast<long long>(v.seats));
  std::printf("%s (%s model) has %lld vehicle(s)\n", partner->tenant.display_name.c_str(),
              std::string(tenancy::ToString(partner->tenant.model)).c_str(),
              static_cast<long long>(vehicles.Count(*as_partner).value()));
  return peek ? 1 : 0;
}

// The fleet's route table, and its zones.
#include "services/fleet/fleet.hpp"

namespace tenancyd {

tenancy::Result<Response> GetZones(DataPlane& dp, Exchange& x) {
  const auto snapshot = dp.config.Snapshot(*x.context);
  auto zones = snapshot->GetJson("zones");
  if (!zones) return zones.error();
  return JsonResponse(http::status::ok, *zones);
}

void AddFleetRoutes(Router& router, DataPlane& dp) {
  using P = tenancy::Permission;
  using V = http::verb;
  DataPlane* d = &dp;
  const auto add = [&](V method, std::string pattern, P permission, auto fn) {
    router.Add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .scope = Scope::kTenant,
                     .permission = permission,
                     .handler = [d, fn](Exchange& x) { return fn(*d, x); }});
  };
  add(V::post, "/v1/vehicles", P::kFleetWrite, CreateVehicle);
  add(V::get, "/v1/vehicles", P::kFleetRead, ListVehicles);
  add(V::get, "/v1/vehicles/{id}", P::kFleetRead, GetVehicle);
  add(V::patch, "/v1/vehicles/{id}", P::kFleetWrite, PatchVehicle);
  add(V::delete_, "/v1/vehicles/{id}", P::kFleetWrite, DeleteVehicle);
  add(V::post, "/v1/drivers", P::kFleetWrite, CreateDriver);
  add(V::get, "/v1/drivers", P::kFleetRead, ListDrivers);
  add(V::get, "/v1/drivers/{id}", P::kFleetRead, GetDriver);
  add(V::patch, "/v1/drivers/{id}", P::kFleetWrite, PatchDriver);
  add(V::delete_, "/v1/drivers/{id}", P::kFleetWrite, DeleteDriver);
  add(V::put, "/v1/drivers/{id}/availability", P::kFleetWrite, SetDriverAvailability);
  add(V::put, "/v1/drivers/{id}/location", P::kFleetWrite, SetDriverLocation);
  add(V::get, "/v1/zones", P::kFleetRead, GetZones);
}

}  // namespace tenancyd

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
  ServiceRoutes routes(router, &dp);
  const Scope t = Scope::kTenant;
  routes.Add(V::post, "/v1/vehicles", t, P::kFleetWrite, CreateVehicle);
  routes.Add(V::get, "/v1/vehicles", t, P::kFleetRead, ListVehicles);
  routes.Add(V::get, "/v1/vehicles/{id}", t, P::kFleetRead, GetVehicle);
  routes.Add(V::patch, "/v1/vehicles/{id}", t, P::kFleetWrite, PatchVehicle);
  routes.Add(V::delete_, "/v1/vehicles/{id}", t, P::kFleetWrite, DeleteVehicle);
  routes.Add(V::post, "/v1/drivers", t, P::kFleetWrite, CreateDriver);
  routes.Add(V::get, "/v1/drivers", t, P::kFleetRead, ListDrivers);
  routes.Add(V::get, "/v1/drivers/{id}", t, P::kFleetRead, GetDriver);
  routes.Add(V::patch, "/v1/drivers/{id}", t, P::kFleetWrite, PatchDriver);
  routes.Add(V::delete_, "/v1/drivers/{id}", t, P::kFleetWrite, DeleteDriver);
  routes.Add(V::put, "/v1/drivers/{id}/availability", t, P::kFleetWrite, SetDriverAvailability);
  routes.Add(V::put, "/v1/drivers/{id}/location", t, P::kFleetWrite, SetDriverLocation);
  routes.Add(V::get, "/v1/zones", t, P::kFleetRead, GetZones);
}

}  // namespace tenancyd

// The fleet service: a tenant's vehicles, drivers, their availability and
// positions, and its service zones.
//
//   POST   /v1/vehicles                   fleet.write  {plate, model?, seats?, status?} → 201
//                                         403 quota_exceeded when the plan's `vehicles`
//                                         gauge is full
//   GET    /v1/vehicles?limit=&cursor=    fleet.read
//   GET    /v1/vehicles/{id}              fleet.read
//   PATCH  /v1/vehicles/{id}              fleet.write  {plate?, model?, seats?, status?}
//   DELETE /v1/vehicles/{id}              fleet.write  → 204, releases the gauge
//   POST   /v1/drivers                    fleet.write  {name, phone?, vehicle_id?} → 201
//   GET    /v1/drivers?availability=&limit=&cursor=   fleet.read
//   GET    /v1/drivers/{id}               fleet.read
//   PATCH  /v1/drivers/{id}               fleet.write  {name?, phone?, vehicle_id?} (null clears)
//   DELETE /v1/drivers/{id}               fleet.write  → 204 (409 driver_busy on a ride)
//   PUT    /v1/drivers/{id}/availability  fleet.write  {availability: available|offline}
//                                         (409 driver_busy while on a ride)
//   PUT    /v1/drivers/{id}/location      fleet.write  {lon: -180..180, lat: -90..90}
//   GET    /v1/zones                      fleet.read   the tenant's zones (GeoJSON)
//
// Ids are the server's ("vh_…", "dr_…"); another tenant's id answers 404
// exactly like a missing one.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>

#include "router.hpp"
#include "services/data_plane.hpp"

namespace tenancyd {

// REQUIRES: `dp` outlives the router.
void AddFleetRoutes(Router& router, DataPlane& dp);

tenancy::Result<Response> CreateVehicle(DataPlane& dp, Exchange& x);
tenancy::Result<Response> ListVehicles(DataPlane& dp, Exchange& x);
tenancy::Result<Response> GetVehicle(DataPlane& dp, Exchange& x);
tenancy::Result<Response> PatchVehicle(DataPlane& dp, Exchange& x);
tenancy::Result<Response> DeleteVehicle(DataPlane& dp, Exchange& x);

tenancy::Result<Response> CreateDriver(DataPlane& dp, Exchange& x);
tenancy::Result<Response> ListDrivers(DataPlane& dp, Exchange& x);
tenancy::Result<Response> GetDriver(DataPlane& dp, Exchange& x);
tenancy::Result<Response> PatchDriver(DataPlane& dp, Exchange& x);
tenancy::Result<Response> DeleteDriver(DataPlane& dp, Exchange& x);
tenancy::Result<Response> SetDriverAvailability(DataPlane& dp, Exchange& x);
tenancy::Result<Response> SetDriverLocation(DataPlane& dp, Exchange& x);

tenancy::Result<Response> GetZones(DataPlane& dp, Exchange& x);

boost::json::object VehicleJson(const Vehicle& v);
boost::json::object DriverJson(const Driver& d);

}  // namespace tenancyd

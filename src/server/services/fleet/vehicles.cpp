// Vehicles: CRUD, with the plan's `vehicles` gauge held in step.
#include "plans.hpp"
#include "services/fleet/fleet.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxPlate = 32;
constexpr std::size_t kMaxModel = 100;

tenancy::Result<void> CheckStatus(const std::string& s) {
  if (s != "active" && s != "maintenance")
    return Fail(Errc::kInvalidArgument, "field 'status' must be 'active' or 'maintenance'");
  return {};
}

// Applies the optional fields of a create or patch body to `v`.
tenancy::Result<void> ApplyVehicleFields(const JsonBody& body, Vehicle& v) {
  auto plate = body.OptionalString("plate", kMaxPlate);
  if (!plate) return plate.error();
  if (*plate) {
    if ((*plate)->empty()) return Fail(Errc::kInvalidArgument, "field 'plate' must not be empty");
    v.plate = std::move(**plate);
  }
  auto model = body.OptionalString("model", kMaxModel);
  if (!model) return model.error();
  if (*model) v.model = std::move(**model);
  auto seats = body.OptionalInt("seats", 1, 20);
  if (!seats) return seats.error();
  if (*seats) v.seats = **seats;
  auto status = body.OptionalString("status", 16);
  if (!status) return status.error();
  if (*status) {
    if (auto ok = CheckStatus(**status); !ok) return ok;
    v.status = std::move(**status);
  }
  return {};
}

}  // namespace

json::object VehicleJson(const Vehicle& v) {
  return json::object{{"id", v.id},
                      {"plate", v.plate},
                      {"model", v.model},
                      {"seats", v.seats},
                      {"status", v.status},
                      {"created_at", MillisToRfc3339(v.created_at)},
                      {"updated_at", MillisToRfc3339(v.updated_at)}};
}

tenancy::Result<Response> CreateVehicle(DataPlane& dp, Exchange& x) {
  const tenancy::TenantContext& ctx = *x.context;
  auto body = JsonBody::Parse(x.request, {"plate", "model", "seats", "status"});
  if (!body) return body.error();
  Vehicle v;
  if (!body->Has("plate")) return Fail(Errc::kInvalidArgument, "field 'plate' is required");
  if (auto ok = ApplyVehicleFields(*body, v); !ok) return ok.error();
  v.id = NewEntityId("vh_", dp.NowMillis());
  v.created_at = v.updated_at = dp.NowMillis();

  // Take the gauge first: two racing creates cannot both pass a full plan.
  auto taken = dp.quotas.TryAdjust(ctx.tenant_id(), kVehicles, +1);
  if (!taken) return taken.error();
  if (!taken->allowed)
    return x.Refuse("quota_exceeded", Errc::kPermissionDenied,
                    "the plan allows " + std::to_string(taken->limit) +
                        " vehicles; remove one or upgrade the plan");
  if (auto ins = dp.vehicles.Insert(ctx, v); !ins) {
    (void)dp.quotas.TryAdjust(ctx.tenant_id(), kVehicles, -1);  // give the unit back
    return ins.error();
  }
  return Created(VehicleJson(v), "/v1/vehicles/" + v.id);
}

tenancy::Result<Response> ListVehicles(DataPlane& dp, Exchange& x) {
  auto params = ParseForm(x.query, {"limit", "cursor"});
  if (!params) return params.error();
  tenancy::ListQuery q;
  if (auto ok = ReadPaging(*params, q); !ok) return ok.error();
  auto page = dp.vehicles.List(*x.context, q);
  if (!page) return page.error();
  json::array items;
  for (const Vehicle& v : page->items) items.push_back(VehicleJson(v));
  return JsonResponse(http::status::ok, PageJson(std::move(items), page->next_cursor));
}

tenancy::Result<Response> GetVehicle(DataPlane& dp, Exchange& x) {
  auto v = dp.vehicles.Get(*x.context, x.Param("id"));
  if (!v) return v.error();
  return JsonResponse(http::status::ok, VehicleJson(*v));
}

tenancy::Result<Response> PatchVehicle(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"plate", "model", "seats", "status"});
  if (!body) return body.error();
  Vehicle out;
  auto done = dp.store.Transact(*x.context, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    auto v = dp.vehicles.Get(tx, x.Param("id"));
    if (!v) return v.error();
    if (auto ok = ApplyVehicleFields(*body, *v); !ok) return ok;
    v->updated_at = dp.NowMillis();
    if (auto up = dp.vehicles.Update(tx, *v); !up) return up;
    out = std::move(*v);
    return {};
  });
  if (!done) return done.error();
  return JsonResponse(http::status::ok, VehicleJson(out));
}

tenancy::Result<Response> DeleteVehicle(DataPlane& dp, Exchange& x) {
  const tenancy::TenantContext& ctx = *x.context;
  if (auto rm = dp.vehicles.Remove(ctx, x.Param("id")); !rm) return rm.error();
  // Only a removal that happened gives its unit back (a repeated DELETE
  // answers 404 above and releases nothing).
  (void)dp.quotas.TryAdjust(ctx.tenant_id(), kVehicles, -1);
  Response res{http::status::no_content, 11};
  return res;
}

}  // namespace tenancyd

// Drivers: CRUD, availability and position.
#include "services/fleet/fleet.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxId = 64;

tenancy::Result<void> CheckPhone(const std::string& phone) {
  // E.164-ish: digits, spaces, dashes, parentheses, an optional leading '+'.
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    const bool ok = (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '(' || c == ')' ||
                    (c == '+' && i == 0);
    if (!ok) return Fail(Errc::kInvalidArgument, "field 'phone' is not a phone number");
  }
  return {};
}

// name, phone (null clears), vehicle_id (null clears; must name a vehicle
// of this tenant).
tenancy::Result<void> ApplyDriverFields(DataPlane& dp, tenancy::Scope scope, const JsonBody& body,
                                        Driver& d) {
  auto name = body.OptionalString("name", kMaxPersonName);
  if (!name) return name.error();
  if (*name) {
    if ((*name)->empty()) return Fail(Errc::kInvalidArgument, "field 'name' must not be empty");
    d.name = std::move(**name);
  }
  auto phone = body.NullableString("phone", kMaxPhone);
  if (!phone) return phone.error();
  if (*phone) {
    if (**phone)
      if (auto ok = CheckPhone(***phone); !ok) return ok;
    d.phone = std::move(**phone);
  }
  auto vehicle = body.NullableString("vehicle_id", kMaxId);
  if (!vehicle) return vehicle.error();
  if (*vehicle) {
    if (**vehicle) {
      auto v = dp.vehicles.Get(scope, ***vehicle);
      if (!v && v.error() == Errc::kNotFound)
        return Fail(Errc::kInvalidArgument, "field 'vehicle_id' names no vehicle");
      if (!v) return v.error();
    }
    d.vehicle_id = std::move(**vehicle);
  }
  return {};
}

// Read, change and write one driver atomically.
template <class F>
tenancy::Result<Driver> ChangeDriver(DataPlane& dp, Exchange& x, F&& change) {
  Driver out;
  auto done = dp.store.Transact(*x.context, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    auto d = dp.drivers.Get(tx, x.Param("id"));
    if (!d) return d.error();
    if (auto ok = change(tx, *d); !ok) return ok;
    d->updated_at = dp.NowMillis();
    if (auto up = dp.drivers.Update(tx, *d); !up) return up;
    out = std::move(*d);
    return {};
  });
  if (!done) return done.error();
  return out;
}

}  // namespace

json::object DriverJson(const Driver& d) {
  json::object o{{"id", d.id},
                 {"name", d.name},
                 {"phone", d.phone ? json::value(*d.phone) : json::value(nullptr)},
                 {"vehicle_id", d.vehicle_id ? json::value(*d.vehicle_id) : json::value(nullptr)},
                 {"availability", d.availability},
                 {"created_at", MillisToRfc3339(d.created_at)},
                 {"updated_at", MillisToRfc3339(d.updated_at)}};
  if (d.lon && d.lat) {
    o["location"] = json::object{{"lon", *d.lon},
                                 {"lat", *d.lat},
                                 {"at", d.located_at ? json::value(MillisToRfc3339(*d.located_at))
                                                     : json::value(nullptr)}};
  } else {
    o["location"] = nullptr;
  }
  return o;
}

tenancy::Result<Response> CreateDriver(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"name", "phone", "vehicle_id"});
  if (!body) return body.error();
  if (!body->Has("name")) return Fail(Errc::kInvalidArgument, "field 'name' is required");
  Driver d;
  if (auto ok = ApplyDriverFields(dp, *x.context, *body, d); !ok) return ok.error();
  d.id = NewEntityId("dr_", dp.NowMillis());
  d.created_at = d.updated_at = dp.NowMillis();
  if (auto ins = dp.drivers.Insert(*x.context, d); !ins) return ins.error();
  return Created(DriverJson(d), "/v1/drivers/" + d.id);
}

tenancy::Result<Response> ListDrivers(DataPlane& dp, Exchange& x) {
  auto params = ParseForm(x.query, {"availability", "limit", "cursor"});
  if (!params) return params.error();
  tenancy::ListQuery q;
  if (auto ok = ReadPaging(*params, q); !ok) return ok.error();
  if (auto a = Lookup(*params, "availability")) {
    if (*a != "available" && *a != "offline" && *a != "busy")
      return Fail(Errc::kInvalidArgument,
                  "parameter 'availability' must be available, offline or busy");
    q.filters.push_back({"availability", tenancy::FilterOp::kEq, std::string(*a)});
  }
  auto page = dp.drivers.List(*x.context, q);
  if (!page) return page.error();
  json::array items;
  for (const Driver& d : page->items) items.push_back(DriverJson(d));
  return JsonResponse(http::status::ok, PageJson(std::move(items), page->next_cursor));
}

tenancy::Result<Response> GetDriver(DataPlane& dp, Exchange& x) {
  auto d = dp.drivers.Get(*x.context, x.Param("id"));
  if (!d) return d.error();
  return JsonResponse(http::status::ok, DriverJson(*d));
}

tenancy::Result<Response> PatchDriver(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"name", "phone", "vehicle_id"});
  if (!body) return body.error();
  auto d = ChangeDriver(dp, x, [&](tenancy::Transaction& tx, Driver& row) {
    return ApplyDriverFields(dp, tx, *body, row);
  });
  if (!d) return d.error();
  return JsonResponse(http::status::ok, DriverJson(*d));
}

tenancy::Result<Response> DeleteDriver(DataPlane& dp, Exchange& x) {
  auto done = dp.store.Transact(*x.context, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
    auto d = dp.drivers.Get(tx, x.Param("id"));
    if (!d) return d.error();
    if (d->availability == "busy")
      return x.Refuse("driver_busy", Errc::kFailedPrecondition,
                      "the driver is on a ride; finish or cancel it first");
    return dp.drivers.Remove(tx, d->id);
  });
  if (!done) return done.error();
  return Response{http::status::no_content, 11};
}

tenancy::Result<Response> SetDriverAvailability(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"availability"});
  if (!body) return body.error();
  auto to = body->RequiredString("availability", 16);
  if (!to) return to.error();
  if (*to != "available" && *to != "offline")
    return Fail(Errc::kInvalidArgument, "field 'availability' must be 'available' or 'offline'");
  auto d = ChangeDriver(dp, x, [&](tenancy::Transaction&, Driver& row) -> tenancy::Result<void> {
    // Busy is dispatch's to set and to clear: a driver on a ride cannot
    // walk away from it through this route.
    if (row.availability == "busy")
      return x.Refuse("driver_busy", Errc::kFailedPrecondition,
                      "the driver is on a ride; its completion frees the driver");
    row.availability = *to;
    return {};
  });
  if (!d) return d.error();
  return JsonResponse(http::status::ok, DriverJson(*d));
}

tenancy::Result<Response> SetDriverLocation(DataPlane& dp, Exchange& x) {
  auto body = JsonBody::Parse(x.request, {"lon", "lat"});
  if (!body) return body.error();
  auto lon = body->RequiredNumber("lon", -180, 180);
  if (!lon) return lon.error();
  auto lat = body->RequiredNumber("lat", -90, 90);
  if (!lat) return lat.error();
  auto d = ChangeDriver(dp, x, [&](tenancy::Transaction&, Driver& row) -> tenancy::Result<void> {
    row.lon = *lon;
    row.lat = *lat;
    row.located_at = dp.NowMillis();
    return {};
  });
  if (!d) return d.error();
  return JsonResponse(http::status::ok, DriverJson(*d));
}

}  // namespace tenancyd

// The booking service's route table.
#include "services/booking/booking.hpp"

namespace tenancyd {

void AddBookingRoutes(Router& router, DataPlane& dp) {
  using P = tenancy::Permission;
  using V = http::verb;
  DataPlane* d = &dp;
  const auto add = [&](V method, std::string pattern, P permission, auto fn, bool reads_only = false) {
    router.Add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .scope = Scope::kTenant,
                     .permission = permission,
                     .handler = [d, fn](Exchange& x) { return fn(*d, x); },
                     .reads_only = reads_only});
  };
  add(V::post, "/v1/quotes", P::kRidesBook, CreateQuote, /*reads_only=*/true);
  add(V::post, "/v1/rides", P::kRidesBook, CreateRide);
  add(V::get, "/v1/rides", P::kRidesBook, ListRides);
  add(V::get, "/v1/rides/{id}", P::kRidesBook, GetRide);
  add(V::post, "/v1/rides/{id}/dispatch", P::kRidesDispatch, DispatchRide);
  const auto move = [&](std::string verb, std::string_view to) {
    add(V::post, "/v1/rides/{id}/" + verb, P::kRidesDispatch,
        [to](DataPlane& dp2, Exchange& x) { return MoveRide(dp2, x, to); });
  };
  move("arriving", "arriving");
  move("start", "in_progress");
  move("complete", "completed");
  move("cancel", "cancelled");
}

}  // namespace tenancyd

// The booking service's route table.
#include "services/booking/booking.hpp"

namespace tenancyd {

void AddBookingRoutes(Router& router, DataPlane& dp) {
  using P = tenancy::Permission;
  using V = http::verb;
  ServiceRoutes routes(router, &dp);
  const Scope t = Scope::kTenant;
  routes.Add(V::post, "/v1/quotes", t, P::kRidesBook, CreateQuote, /*reads_only=*/true);
  routes.Add(V::post, "/v1/rides", t, P::kRidesBook, CreateRide);
  routes.Add(V::get, "/v1/rides", t, P::kRidesBook, ListRides);
  routes.Add(V::get, "/v1/rides/{id}", t, P::kRidesBook, GetRide);
  routes.Add(V::post, "/v1/rides/{id}/dispatch", t, P::kRidesDispatch, DispatchRide);
  const auto move = [&](std::string verb, std::string_view to) {
    routes.Add(V::post, "/v1/rides/{id}/" + verb, t, P::kRidesDispatch,
        [to](DataPlane& dp2, Exchange& x) { return MoveRide(dp2, x, to); });
  };
  move("arriving", "arriving");
  move("start", "in_progress");
  move("complete", "completed");
  move("cancel", "cancelled");
}

}  // namespace tenancyd

// Dispatch: the nearest available driver in the pickup's zone, within the
// tenant's radius, passing the tenant's dispatch rule.
#include <boost/json.hpp>

#include <limits>

#include "config_schema.hpp"
#include "services/booking/booking.hpp"
#include "tenancy/rules.hpp"

namespace tenancyd {
namespace json = boost::json;

namespace {

// Drivers looked at per page while searching (all available drivers are
// seen; pages bound the memory held at once).
constexpr std::size_t kDriverPage = 500;

}  // namespace

tenancy::Result<bool> AssignNearestDriver(DataPlane& dp, tenancy::Transaction& tx,
                                          const tenancy::ConfigSnapshot& config, Ride& ride) {
  const double radius = static_cast<double>(ValueOr<std::int64_t>(config.GetInt(kDispatchRadius), 5000));
  std::optional<tenancy::Rule> rule;
  if (auto text = config.GetString(kDispatchRule); text && !text->empty()) {
    // Checked when saved (tenant self-service); a rule that stopped
    // compiling dispatches nobody rather than everybody.
    auto compiled = tenancy::Rule::Parse(*text);
    if (!compiled) return false;
    rule = std::move(*compiled);
  }
  const Position pickup{ride.pickup_lon, ride.pickup_lat};
  std::optional<Driver> best;
  double best_distance = std::numeric_limits<double>::infinity();
  std::vector<std::string_view> zones;

  tenancy::ListQuery q;
  q.filters.push_back({"availability", tenancy::FilterOp::kEq, std::string("available")});
  q.limit = kDriverPage;
  for (;;) {
    auto page = dp.drivers.List(tx, q);
    if (!page) return page.error();
    for (Driver& d : page->items) {
      if (!d.lon || !d.lat) continue;  // position unknown: cannot be judged near
      const double distance = HaversineMeters(pickup, Position{*d.lon, *d.lat});
      if (distance > radius || distance >= best_distance) continue;
      if (!ride.pickup_zone.empty()) {
        config.zones().ZonesAt(*d.lon, *d.lat, zones);
        if (std::find(zones.begin(), zones.end(), ride.pickup_zone) == zones.end()) continue;
      }
      if (rule) {
        const json::value data = json::object{
            {"distance_m", distance},
            {"driver", json::object{{"id", d.id},
                                    {"vehicle_id", d.vehicle_id ? json::value(*d.vehicle_id)
                                                                : json::value(nullptr)},
                                    {"lon", *d.lon},
                                    {"lat", *d.lat}}},
            {"ride", json::object{{"zone", ride.pickup_zone},
                                  {"est_distance_m", ride.est_distance_m},
                                  {"quoted_fare", ride.quoted_fare}}}};
        auto pass = rule->Test(data);
        if (!pass || !*pass) continue;  // a rule that fails counts as "no"
      }
      best_distance = distance;
      best = std::move(d);
    }
    if (page->next_cursor.empty()) break;
    q.after = std::move(page->next_cursor);
  }
  if (!best) return false;
  best->availability = "busy";
  best->updated_at = dp.NowMillis();
  if (auto r = dp.drivers.Update(tx, *best); !r) return r.error();
  ride.driver_id = best->id;
  ride.state = "assigned";
  ride.updated_at = dp.NowMillis();
  if (auto r = dp.rides.Update(tx, ride); !r) return r.error();
  return true;
}

}  // namespace tenancyd

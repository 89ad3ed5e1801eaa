// What the data-plane services (fleet, booking, billing) share: the
// library objects they work through and one repository per entity, built
// once (a repository prepares its SQL at construction), plus helpers every
// data-plane handler uses for paging and timestamps.
//
// Tenant confinement comes from the library: every repository call takes
// the request's TenantContext, and a row of another tenant reads as
// missing (404), so cross-tenant ids never leak.
//
// Thread safety: immutable after construction; the library objects are
// thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string_view>
#include <memory>
#include <string>

#include "data_schema.hpp"
#include "exchange.hpp"
#include "http.hpp"
#include "ids.hpp"
#include "json_input.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/config.hpp"
#include "tenancy/metering.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/store.hpp"

namespace tenancyd {

class DataPlane {
 public:
  // REQUIRES: every argument outlives the data plane.
  DataPlane(tenancy::Store& s, tenancy::Quotas& q, tenancy::Config& c, tenancy::Metering& m,
            tenancy::Clock& k)
      : store(s),
        quotas(q),
        config(c),
        metering(m),
        clock(k),
        vehicles(s, VehicleEntity()),
        drivers(s, DriverEntity()),
        rides(s, RideEntity()),
        ride_keys(s, RideKeyEntity()),
        receipts(s, ReceiptEntity()) {}
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  std::int64_t NowMillis() const noexcept { return tenancy::ToUnixMillis(clock.Now()); }

  tenancy::Store& store;
  tenancy::Quotas& quotas;
  tenancy::Config& config;
  tenancy::Metering& metering;
  tenancy::Clock& clock;
  tenancy::Repository<Vehicle> vehicles;
  tenancy::Repository<Driver> drivers;
  tenancy::Repository<Ride> rides;
  tenancy::Repository<RideKey> ride_keys;
  tenancy::Repository<Receipt> receipts;

  // Serializes ride bookings per (tenant, Idempotency-Key) stripe, so a
  // key's check, quota take and insert are one step in this process (the
  // ride_keys primary key backs it up across processes).
  std::mutex& BookingLock(std::string_view tenant, std::string_view key) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(tenant) * 31 + std::hash<std::string_view>{}(key);
    return booking_locks_[h % booking_locks_.size()];
  }

 private:
  mutable std::array<std::mutex, 64> booking_locks_;
};

// Reads `limit` (1..200, default 50) and `cursor` of parsed query
// parameters into `q`. kInvalidArgument naming the parameter.
tenancy::Result<void> ReadPaging(const QueryParams& params, tenancy::ListQuery& q);

// {"items": [...], "next_cursor": "..." | null}.
boost::json::object PageJson(boost::json::array items, const std::string& next_cursor);

// RFC 3339 UTC with milliseconds of a stored Unix-milliseconds timestamp.
std::string MillisToRfc3339(std::int64_t unix_millis);

// The value of `r`, or `fallback` when it failed (settings with defaults).
template <class T>
T ValueOr(const tenancy::Result<T>& r, T fallback) {
  return r ? *r : fallback;
}

// A 201 with the created object and its Location.
Response Created(const boost::json::object& body, std::string location);
Response Created(std::string json_text, std::string location);

}  // namespace tenancyd

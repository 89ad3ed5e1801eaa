// A rate limit per client address: GCRA (the generic cell rate algorithm,
// as the library's quota.hpp uses per tenant) keyed by the connection's
// peer address, for the public routes that have no tenant to charge (the
// sign-up). The library's Quotas key by tenant, so this is a small limiter
// of the server's own.
//
// Each address may make `burst` requests at once, then one per `interval`.
// IPv6 addresses count per /64, the block one subscriber usually gets, so a
// client cannot pick a fresh address per request; IPv4 per address.
//
// Memory is bounded: at most `max_addresses` are tracked. An address whose
// budget has fully refilled is forgotten (it is indistinguishable from a
// new one). When the table is full of addresses still inside their window,
// a new address is refused (fail closed) until one expires: the alternative,
// evicting a busy address, would let a client with many addresses reset
// everyone else's limit.
//
// Thread safety: TryAcquire() may be called concurrently (one mutex; the
// sign-up is not a hot path).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "tenancy/clock.hpp"

namespace tenancyd {

struct AddressLimiterOptions {
  // Requests an address may make at once. Default 5; at least 1.
  std::int64_t burst = 5;
  // Then one request per interval. Default 12 min (5 an hour); positive.
  std::chrono::nanoseconds interval = std::chrono::minutes(12);
  // Addresses tracked at most. Default 10000; at least 1.
  std::size_t max_addresses = 10'000;
  // The time source; never null, must outlive the limiter.
  tenancy::Clock* clock = &tenancy::SystemClock();
};

struct AddressVerdict {
  bool allowed = false;
  // When refused: how long until a request from this address would pass
  // (at least 1 s).
  std::chrono::seconds retry_after{0};
};

class AddressLimiter {
 public:
  // REQUIRES: options as documented (burst >= 1, interval > 0,
  // max_addresses >= 1); out-of-range values are clamped.
  explicit AddressLimiter(AddressLimiterOptions options);

  // Takes one unit of `peer`'s budget, or refuses.
  AddressVerdict TryAcquire(const boost::asio::ip::address& peer);

  // Addresses currently tracked (tests, metrics).
  std::size_t tracked() const;

  // The key an address counts under: IPv4 as is, IPv6 by its /64.
  using Key = std::array<unsigned char, 17>;
  static Key KeyOf(const boost::asio::ip::address& peer) noexcept;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  // Forgets every address whose budget has refilled; returns the earliest
  // time one of the rest will have.
  std::int64_t Sweep(std::int64_t now);

  AddressLimiterOptions options_;
  std::int64_t interval_ns_;
  std::int64_t tolerance_ns_;  // (burst - 1) * interval
  mutable std::mutex mu_;
  // Theoretical arrival time per key (ns since the epoch): the address is
  // within its budget while now >= tat - tolerance.
  std::unordered_map<Key, std::int64_t, KeyHash> tat_;
  // No entry can be forgotten before this time: a full table skips the
  // sweep until then.
  std::int64_t next_expiry_ = 0;
};

}  // namespace tenancyd

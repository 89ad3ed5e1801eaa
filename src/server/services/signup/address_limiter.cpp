#include "services/signup/address_limiter.hpp"

#include <algorithm>
#include <limits>

namespace tenancyd {

namespace {
std::int64_t Nanos(tenancy::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::chrono::seconds CeilSeconds(std::int64_t ns) {
  const std::int64_t s = (ns + 999'999'999) / 1'000'000'000;
  return std::chrono::seconds(std::max<std::int64_t>(1, s));
}
}  // namespace

AddressLimiter::AddressLimiter(AddressLimiterOptions options) : options_(options) {
  if (!options_.clock) options_.clock = &tenancy::SystemClock();
  options_.burst = std::clamp<std::int64_t>(options_.burst, 1, 1'000'000);
  if (options_.interval <= std::chrono::nanoseconds::zero()) options_.interval = std::chrono::seconds(1);
  options_.max_addresses = std::max<std::size_t>(options_.max_addresses, 1);
  interval_ns_ = options_.interval.count();
  // Saturate: a huge interval × burst must not overflow.
  const std::int64_t max = std::numeric_limits<std::int64_t>::max() / 4;
  tolerance_ns_ = interval_ns_ > max / options_.burst ? max : (options_.burst - 1) * interval_ns_;
  tat_.reserve(std::min<std::size_t>(options_.max_addresses, 1024));
}

AddressLimiter::Key AddressLimiter::KeyOf(const boost::asio::ip::address& peer) noexcept {
  Key k{};
  if (peer.is_v4()) {
    const auto b = peer.to_v4().to_bytes();
    k[0] = 4;
    std::copy(b.begin(), b.end(), k.begin() + 1);
  } else {
    const auto b = peer.to_v6().to_bytes();
    k[0] = 6;
    std::copy(b.begin(), b.begin() + 8, k.begin() + 1);  // the /64
  }
  return k;
}

std::size_t AddressLimiter::KeyHash::operator()(const Key& k) const noexcept {
  // FNV-1a: the key is short and not attacker-chosen beyond its address.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : k) h = (h ^ c) * 1099511628211ULL;
  return static_cast<std::size_t>(h);
}

std::int64_t AddressLimiter::Sweep(std::int64_t now) {
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (auto it = tat_.begin(); it != tat_.end();) {
    if (it->second <= now) {
      it = tat_.erase(it);
    } else {
      earliest = std::min(earliest, it->second);
      ++it;
    }
  }
  return earliest;
}

AddressVerdict AddressLimiter::TryAcquire(const boost::asio::ip::address& peer) {
  const Key key = KeyOf(peer);
  const std::int64_t now = Nanos(options_.clock->Now());
  std::lock_guard lock(mu_);
  auto it = tat_.find(key);
  if (it == tat_.end()) {
    if (tat_.size() >= options_.max_addresses) {
      if (now >= next_expiry_) next_expiry_ = Sweep(now);
      if (tat_.size() >= options_.max_addresses)
        return AddressVerdict{.allowed = false, .retry_after = CeilSeconds(next_expiry_ - now)};
    }
    it = tat_.emplace(key, now).first;
  }
  const std::int64_t tat = std::max(it->second, now);
  if (now < tat - tolerance_ns_)
    return AddressVerdict{.allowed = false, .retry_after = CeilSeconds(tat - tolerance_ns_ - now)};
  it->second = tat + interval_ns_;
  // A lower bound of every tracked entry's expiry (entries only move later).
  next_expiry_ = std::min(next_expiry_, it->second);
  return AddressVerdict{.allowed = true};
}

std::size_t AddressLimiter::tracked() const {
  std::lock_guard lock(mu_);
  return tat_.size();
}

}  // namespace tenancyd

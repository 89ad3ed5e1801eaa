// One tenant's governance handles and counters (private to governance*.cpp).
#pragma once

#include <atomic>
#include <cstdint>

#include "middleware/governance.hpp"
#include "plans.hpp"

namespace tenancyd {

struct Governance::Entry {
  tenancy::QuotaHandle rate;
  tenancy::MeterHandle meter;  // empty if the meter could not be resolved
  tenancy::QuarantineProbe probe;

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> server_errors{0};
  std::atomic<std::uint64_t> client_errors{0};
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::int64_t> latency_sum_ns{0};
  std::atomic<std::int64_t> latency_max_ns{0};
  // The steady-clock time (ns) from which the next held connection of this
  // tenant may be read again (governance_admission.cpp).
  std::atomic<std::int64_t> next_read_slot_ns{0};

  TenantLoad Load() const {
    TenantLoad l;
    l.requests = requests.load(std::memory_order_relaxed);
    l.server_errors = server_errors.load(std::memory_order_relaxed);
    l.client_errors = client_errors.load(std::memory_order_relaxed);
    l.throttled = throttled.load(std::memory_order_relaxed);
    l.latency_sum = std::chrono::nanoseconds{latency_sum_ns.load(std::memory_order_relaxed)};
    l.latency_max = std::chrono::nanoseconds{latency_max_ns.load(std::memory_order_relaxed)};
    return l;
  }
};

}  // namespace tenancyd

// Step 7: accounting (the seam).
#include "middleware/accounting.hpp"

#include <time.h>

#include "router.hpp"

namespace tenancyd {

namespace {
// The thread's CPU time at its last read; negative before its first (whose
// share is unknown, so it counts none). And when that read was.
thread_local std::chrono::nanoseconds t_last_cpu{-1};
thread_local std::chrono::steady_clock::time_point t_last_read{};
}  // namespace

std::chrono::nanoseconds ThreadCpuTime() noexcept {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return std::chrono::nanoseconds{0};
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

void Account(std::span<Accounting* const> sinks, const Exchange& x, unsigned status,
             std::chrono::nanoseconds cpu_read_interval) {
  if (sinks.empty()) return;
  AccountingRecord r;
  r.method = x.request.method();
  r.route = x.route ? std::string_view(x.route->pattern) : std::string_view{};
  r.path = x.path;
  if (x.route) r.params = &x.params;
  r.status = status;
  if (x.resolution && x.resolution->tenant) r.tenant = &x.resolution->tenant->id;
  if (x.context) {
    r.principal = &x.context->principal();
    r.context = &*x.context;
  } else if (x.who) {
    r.principal = &x.who->principal;
  }
  r.request_id = x.request_id;
  r.problem_code = x.problem_code;
  r.audit = &x.audit;
  r.trace = &x.trace;
  const auto now = std::chrono::steady_clock::now();
  r.latency = now - x.started;
  // The thread's CPU time since its last read, read at most every
  // cpu_read_interval (accounting.hpp says why).
  if (t_last_cpu.count() < 0 || now - t_last_read >= cpu_read_interval) {
    const std::chrono::nanoseconds cpu_now = ThreadCpuTime();
    if (t_last_cpu.count() >= 0 && cpu_now > t_last_cpu) r.cpu = cpu_now - t_last_cpu;
    r.cpu_read = true;
    t_last_cpu = cpu_now;
    t_last_read = now;
  }
  for (Accounting* sink : sinks) sink->Record(r);
}

}  // namespace tenancyd

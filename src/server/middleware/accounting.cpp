// Step 7: accounting (the seam).
#include "middleware/accounting.hpp"

#include <time.h>

#include "router.hpp"

namespace tenancyd {

namespace {
// The thread's CPU time when it last accounted a request; negative before
// its first (whose share is unknown, so it counts none).
thread_local std::chrono::nanoseconds t_last_cpu{-1};
}  // namespace

std::chrono::nanoseconds ThreadCpuTime() noexcept {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return std::chrono::nanoseconds{0};
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

void Account(std::span<Accounting* const> sinks, const Exchange& x, unsigned status) {
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
  r.latency = std::chrono::steady_clock::now() - x.started;
  // One clock read per request: the thread's CPU time since it accounted
  // its previous request (accounting.hpp says why).
  const std::chrono::nanoseconds cpu_now = ThreadCpuTime();
  if (t_last_cpu.count() >= 0 && cpu_now > t_last_cpu) r.cpu = cpu_now - t_last_cpu;
  t_last_cpu = cpu_now;
  for (Accounting* sink : sinks) sink->Record(r);
}

}  // namespace tenancyd

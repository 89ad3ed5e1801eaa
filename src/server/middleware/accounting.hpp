// Step 7, accounting: what every request leaves behind once answered.
//
// Each plugged-in `Accounting` receives one record per request (errors and
// unmatched routes included): the seam where metering (usage per tenant),
// per-tenant latency and error metrics (SLOs), audit and the structured
// request log join (design.md §2.7, §5–6).
//
// Thread safety: Record() is called concurrently from the I/O threads, on
// the request path: implementations must be thread-safe, must not throw,
// and should not block (buffer, then flush elsewhere).
#pragma once

#include <chrono>
#include <span>
#include <string_view>

#include "exchange.hpp"
#include "http.hpp"
#include "tenancy/context.hpp"
#include "tenancy/tenant.hpp"

namespace tenancyd {

struct AccountingRecord {
  http::verb method = http::verb::unknown;
  std::string_view route{};  // the route's pattern; empty when none matched
  std::string_view path{};   // the request target's path, as sent (no query)
  // The matched route's parameters (e.g. {"tenant", "acme"}); empty when
  // none matched.
  const RouteParams* params = nullptr;
  unsigned status = 0;
  // The tenant the request was resolved to, when any (also for refusals
  // after resolution); null otherwise.
  const tenancy::TenantId* tenant = nullptr;
  // The caller's principal, when authenticated; null otherwise.
  const tenancy::Principal* principal = nullptr;
  // The caller's context, when one was minted for the resolved tenant (the
  // request got past authentication inside it); null otherwise.
  const tenancy::TenantContext* context = nullptr;
  std::string_view request_id{};
  // A refusal's problem code when a step or the handler named one
  // (Exchange::problem_code); empty otherwise.
  std::string_view problem_code{};
  // What the handler noted for the audit trail (Exchange::audit); never
  // null when built by Account.
  const AuditNote* audit = nullptr;
  // The request's W3C trace (never null when built by Account).
  const Trace* trace = nullptr;
  std::chrono::nanoseconds latency{0};
  // CPU time of the serving thread since its previous read of its CPU
  // clock: this request's steps and handler, and the I/O the thread did in
  // between (reading and parsing, writing earlier answers), and, when reads
  // are spaced (ObservabilityOptions::cpu_read_interval), the requests it
  // served since. One clock_gettime(CLOCK_THREAD_CPUTIME_ID) per read (a
  // system call, ~0.2 µs on bare metal, ~1 µs in a VM) rather than two
  // around each handler; all of an I/O thread's CPU lands on some request
  // (idle waits use none). A thread's first read counts zero.
  std::chrono::nanoseconds cpu{0};
  // This request read the thread's CPU clock (else `cpu` is zero, not
  // measured).
  bool cpu_read = false;
};

class Accounting {
 public:
  virtual ~Accounting() = default;
  virtual void Record(const AccountingRecord& record) noexcept = 0;
};

// Builds the record of `x` answered with `status` and hands it to each.
// The thread's CPU clock is read when `cpu_read_interval` has passed since
// its last read (zero: always).
void Account(std::span<Accounting* const> sinks, const Exchange& x, unsigned status,
             std::chrono::nanoseconds cpu_read_interval = {});

// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): a system call
// on Linux (the vDSO does not serve per-thread clocks). Zero if the clock
// cannot be read.
std::chrono::nanoseconds ThreadCpuTime() noexcept;

}  // namespace tenancyd

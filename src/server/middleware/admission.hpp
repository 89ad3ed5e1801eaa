// Step 5, admission: may this tenant be served right now?
//
// The built-in check refuses a tenant that is not live (suspended,
// provisioning, offboarding → 403 `tenant_suspended`; deleted → 404). Then
// each plugged-in `Admission` is asked in order; the first refusal wins.
// This is the seam where quotas, rate limits and quarantine budgets join
// (design.md §5): a rate limiter refuses with kResourceExhausted and a
// retry-after, which the response carries as `Retry-After`.
//
// Thread safety: Admit() is called concurrently from the I/O threads;
// implementations must be thread-safe and should not block.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

#include "exchange.hpp"
#include "tenancy/context.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

struct Route;

struct AdmissionVerdict {
  std::optional<tenancy::Error> refusal{};  // empty: admitted
  std::chrono::seconds retry_after{0};      // with kResourceExhausted / kUnavailable
  // How long the caller's connection is not read after this refusal
  // (Connection::hold_reading); zero: read on at once.
  std::chrono::nanoseconds hold_reading{0};
  // The problem's code when more precise than the Errc's (a static string).
  std::string_view problem_code{};

  static AdmissionVerdict Admit() { return {}; }
  static AdmissionVerdict Refuse(tenancy::Error e, std::chrono::seconds retry_after = {},
                                 std::string_view problem_code = {}) {
    return {std::move(e), retry_after, {}, problem_code};
  }
};

class Admission {
 public:
  virtual ~Admission() = default;
  // Called for every request on a tenant route, after authorization and
  // before the handler, with the caller's context.
  virtual AdmissionVerdict Admit(const tenancy::TenantContext& ctx, const Route& route) = 0;
};

// The built-in state check, then `plugins` in order. On refusal sets
// x.retry_after and returns the error.
tenancy::Result<void> Admit(std::span<Admission* const> plugins, Exchange& x);

}  // namespace tenancyd

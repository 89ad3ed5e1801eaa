// Liveness and readiness, for load balancers and orchestrators:
//   GET /healthz  200 while the process serves at all
//   GET /readyz   200 while it takes new work; 503 once draining
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <atomic>

#include "router.hpp"

namespace tenancyd {

// REQUIRES: `ready` outlives the router.
void AddHealthRoutes(Router& router, const std::atomic<bool>& ready);

}  // namespace tenancyd

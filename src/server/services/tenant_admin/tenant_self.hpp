// A tenant's view of itself (the first tenant-scoped routes; the rest of the
// tenant self-service API joins with its issue):
//   GET /v1/ping    tenant.read: the whole pipeline, nothing else (probes, benchmarks)
//   GET /v1/tenant  tenant.read: the caller's tenant
// Both are also reachable as /t/{slug}/v1/...
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include "router.hpp"

namespace tenancyd {

void AddTenantSelfRoutes(Router& router);

}  // namespace tenancyd

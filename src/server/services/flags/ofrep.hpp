// OpenFeature Remote Evaluation Protocol (OFREP) over the tenant's flags,
// so OpenFeature SDKs' OFREP providers can use tenancyd as their backend:
//
//   POST /ofrep/v1/evaluate/flags/{key}   tenant.read   {"context": {...}}
//        200 {key, value, reason, variant, metadata}
//        404 {key, errorCode: "FLAG_NOT_FOUND", errorDetails}
//        400 {key, errorCode: "INVALID_CONTEXT" | "PARSE_ERROR" | "GENERAL", errorDetails}
//   POST /ofrep/v1/evaluate/flags         tenant.read   {"context": {...}}
//        200 {flags: [{key, value, reason, variant, metadata} |
//                     {key, errorCode, errorDetails}]}
//        400 {errorCode: "INVALID_CONTEXT", errorDetails}
//
// The tenant is the credential's (as everywhere); its attributes
// (tenant.id, tenant.slug, tenant.tier) join the evaluation context and
// replace any the caller sent, so targeting can use the tier and a client
// cannot pose as another tenant. The tenant's own flags override the
// platform's flag by flag. A disabled flag answers reason DISABLED without
// a value (the SDK then uses its code default). Errors here are OFREP's
// shapes, not problem+json, because OFREP providers parse these; failures
// before the handler (authentication, rate limits) stay problems.
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include "router.hpp"
#include "tenancy/flags.hpp"

namespace tenancyd {

// REQUIRES: `flags` outlives the router.
void AddOfrepRoutes(Router& router, tenancy::FlagStore& flags);

tenancy::Result<Response> OfrepEvaluateOne(tenancy::FlagStore& flags, Exchange& x);
tenancy::Result<Response> OfrepEvaluateAll(tenancy::FlagStore& flags, Exchange& x);

}  // namespace tenancyd

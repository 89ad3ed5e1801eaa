// The audit log's API (tenancy/audit.hpp): reading, verifying and
// exporting the hash chains the audit trail (middleware/audit_trail.hpp)
// appends to.
//
// Tenant scope (audit.read; the caller's own chain only — there is no
// parameter that names a chain, and a cursor of another chain is refused):
//   GET /v1/audit?after=&limit=&action=&outcome=&request_id=
//        a page of entries, oldest first: {"items": [...], "next_cursor"}
//   GET /v1/audit/verify    the chain checked end to end:
//        {"ok", "chain", "tamper", "seq" (first bad position), "verified_through",
//         "entries", "message"}
//   GET /v1/audit/export    the chain as JSON lines with its genesis and head
//        (application/x-ndjson), for offline checking (tenancy::VerifyExport,
//        `tenancyctl audit verify --file`)
// Platform scope (platform.tenants.read, and audit.read among the
// caller's platform roles; any chain):
//   GET /v1/platform/audit?chain=&after=&limit=&action=&outcome=&request_id=
//        chain: "platform", a tenant id or a live tenant's slug; absent:
//        every chain, ordered by chain then sequence
//   GET /v1/platform/audit/verify?chain=     (chain required)
//   GET /v1/platform/audit/export?chain=     (absent: every chain)
// An operator impersonating a tenant reads that tenant's chain through the
// tenant routes, like its admin.
// `limit` is 1-1000 (default 100); `action` is exact or a prefix ending in
// '.' or '*' ("tenant.*"); `outcome` is success, denied or failed. Exports
// larger than kMaxAuditExportBytes answer 409 `export_too_large` (use
// `tenancyctl audit export`).
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <cstddef>

#include "router.hpp"
#include "tenancy/audit.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {

// Largest export the API answers with in one response (held in memory).
inline constexpr std::size_t kMaxAuditExportBytes = std::size_t{64} << 20;

struct AuditApi {
  const tenancy::AuditLog& log;
  const tenancy::Directory& directory;  // slugs in ?chain=
};

// REQUIRES: `api`'s objects outlive the router.
void AddAuditRoutes(Router& router, const AuditApi& api);

tenancy::Result<Response> TenantAuditPage(const AuditApi& api, Exchange& x);
tenancy::Result<Response> TenantAuditVerify(const AuditApi& api, Exchange& x);
tenancy::Result<Response> TenantAuditExport(const AuditApi& api, Exchange& x);
tenancy::Result<Response> PlatformAuditPage(const AuditApi& api, Exchange& x);
tenancy::Result<Response> PlatformAuditVerify(const AuditApi& api, Exchange& x);
tenancy::Result<Response> PlatformAuditExport(const AuditApi& api, Exchange& x);

}  // namespace tenancyd

// Operations API of tenancyd: the tenant's event log, its webhooks, and
// per-tenant backup and restore for platform operators (issue #7).
//
// Tenant scope (the caller's tenant only; another tenant's ids answer 404):
//   GET    /v1/events?after=&limit=&type=          tenant.read   the outbox, cursor paging
//   POST   /v1/webhooks                            tenant.admin  {url, event_types, enabled?,
//          description?} → 201 with `secret` ("whsec_…", shown once, Cache-Control: no-store)
//   GET    /v1/webhooks                            tenant.admin
//   GET    /v1/webhooks/{id}                       tenant.admin
//   PATCH  /v1/webhooks/{id}                       tenant.admin  {url?, event_types?, enabled?,
//          description?}
//   DELETE /v1/webhooks/{id}                       tenant.admin  → 204
//   POST   /v1/webhooks/{id}/rotate-secret         tenant.admin  {overlap_s?} → the new secret
//   GET    /v1/webhooks/deliveries?state=&subscription_id=&limit=&cursor=   tenant.admin
//   GET    /v1/webhooks/deliveries/{id}            tenant.admin  with its attempt log
//   POST   /v1/webhooks/deliveries/{id}/redeliver  tenant.admin
// Webhook routes need tenant.admin even to read: target URLs often carry
// credentials of the receiving system in their path or query.
// A target the SSRF policy refuses (loopback, private, link-local... unless
// PlatformOptions::webhook_policy allows the class) answers 422
// `webhook_target_refused`, a host that does not resolve 422
// `webhook_target_unresolvable`; a malformed URL or pattern 400.
//
// Platform scope (operators, platform.tenants.admin):
//   POST   /v1/tenants/{tenant}/backup   → the backup file, application/octet-stream
//          (written to a temporary file under <data>/backups first; files over
//          kMaxBackupResponseBytes answer 409 `backup_too_large`: use tenancyctl)
//   POST   /v1/restore?as=&model=&replace=   body: a backup file (bounded by the
//          server's max_body_bytes) → 201 (or 200 when replacing) the restore report
//          Refusals: 422 `backup_corrupted` / `not_a_backup` /
//          `backup_version_unsupported`, 409 `slug_taken`, 409 `restore_refused`
//          (e.g. the backup's tenant was crypto-shredded here).
//
// Thread safety: handlers are safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>

#include "router.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/events.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancyd {

// Largest backup the API answers with in one response (the body is held in
// memory by the HTTP layer); larger tenants are backed up with tenancyctl.
inline constexpr std::size_t kMaxBackupResponseBytes = std::size_t{64} << 20;

struct Ops {
  const tenancy::Directory& directory;
  const tenancy::Events& events;
  tenancy::Webhooks& webhooks;
  const tenancy::Backup& backup;
  std::string data_dir;  // temporary backup files go to <data_dir>/backups
};

// REQUIRES: `ops`'s objects outlive the router.
void AddOpsRoutes(Router& router, const Ops& ops);

tenancy::Result<Response> ListEvents(const Ops& o, Exchange& x);

tenancy::Result<Response> CreateWebhook(const Ops& o, Exchange& x);
tenancy::Result<Response> ListWebhooks(const Ops& o, Exchange& x);
tenancy::Result<Response> GetWebhook(const Ops& o, Exchange& x);
tenancy::Result<Response> PatchWebhook(const Ops& o, Exchange& x);
tenancy::Result<Response> DeleteWebhook(const Ops& o, Exchange& x);
tenancy::Result<Response> RotateWebhookSecret(const Ops& o, Exchange& x);
tenancy::Result<Response> ListDeliveries(const Ops& o, Exchange& x);
tenancy::Result<Response> GetDelivery(const Ops& o, Exchange& x);
tenancy::Result<Response> RedeliverDelivery(const Ops& o, Exchange& x);

tenancy::Result<Response> BackupTenant(const Ops& o, Exchange& x);
tenancy::Result<Response> RestoreTenant(const Ops& o, Exchange& x);

}  // namespace tenancyd

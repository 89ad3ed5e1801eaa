// The library objects tenancyd composes, opened together from one data
// directory, in dependency order:
//
//   <data>/master.key  → KeyProvider (created 0600 on first start when the
//                        default path is used; an explicit path must exist)
//   <data>/control.db  → Keyring, Directory, Authenticator, RoleCatalog
//   store URL          → Store (default sqlite://<data>), sealing encrypted
//                        columns through the Keyring
//   TenantResolver over the Directory
//   <data>/quotas.db   → Quotas (the tiers' default plans written once)
//   (memory)           → QuarantinePolicy over the Quotas (read-only
//                        quarantine by default)
//   <data>/usage.db    → Metering
//   <data>/config.db   → Config (the fleet settings of data_schema.hpp)
//   <data>/flags/      → FlagStore (flagd documents per tenant, FlagFiles)
//   store              → Events (the tenants' outboxes) and Webhooks (sealed
//                        secrets through the FieldCipher, delivered over
//                        http or https by tenancy_net's HttpWebhookTransport,
//                        whose trust store loads here: system or
//                        `webhook_ca_file`)
//   (all of the above) → Backup (per-tenant backup files and restores)
//   <data>/incidents.db, <data>/activity.json → Observability (logs,
//                        metrics, SLOs and alerts into the outboxes,
//                        per-tenant activity; its own background thread)
//   <data>/audit.db    → AuditLog (hash chains per tenant and the platform's)
//                        and the AuditTrail sink appending to it
// A dispatcher thread calls Webhooks::DispatchAll every
// `webhook_dispatch_interval`; it is stopped by StopDispatcher or the
// destructor, before anything it uses closes. A running pass sees the stop
// between two tenants and ends early, so a shutdown does not wait for a
// walk over every tenant (the first pass of a process walks them all).
// Quotas, quarantine and metering read one shared clock: a TickingClock the
// platform owns (one atomic load per read), unless a test injects one.
//
// This is the only place the server names storage; the rest speaks to the
// library's interfaces.
//
// Thread safety: every object here is safe to share between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "flag_files.hpp"
#include "middleware/audit_trail.hpp"
#include "net/http_client.hpp"
#include "observability/observability.hpp"
#include "observability/options.hpp"
#include "tenancy/audit.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/backup.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/clock.hpp"
#include "tenancy/config.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/events.hpp"
#include "tenancy/flags.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/metering.hpp"
#include "tenancy/quarantine.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/resolve.hpp"
#include "tenancy/store.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancyd {

struct PlatformOptions {
  // Data directory (created 0700 if missing). Default "./data".
  std::string data_dir = "./data";
  // Store URL; empty: "sqlite://<data_dir>".
  std::string store_url{};
  // PostgreSQL migration role (StoreOptions::admin_url); empty: none.
  std::string store_admin_url{};
  // Master key file; empty: "<data_dir>/master.key", created if missing.
  std::string master_key_file{};
  // Tenants are served at "<slug>.<base_domain>"; empty: no subdomains
  // (custom domains, the X-Tenant header and /t/{slug} still resolve).
  std::string base_domain{};
  // Issuer (`iss`) of access tokens. Default "tenancyd".
  std::string issuer = "tenancyd";
  // The time source. Never null; must outlive the platform.
  tenancy::Clock* clock = &tenancy::SystemClock();
  // The hot-path clock of quotas, quarantine and metering. Null (default):
  // a TickingClock owned by the platform. Tests inject a ManualClock.
  tenancy::Clock* governance_clock = nullptr;
  // Write-behind interval of quota usage and meters; zero: only on
  // shutdown and before queries.
  std::chrono::milliseconds governance_flush_interval{1000};
  // The quarantine policy; `quotas` and `clock` are ignored (the
  // platform's are used). tenancyd's defaults differ from the library's:
  // quarantined tenants may only read, and the policy evaluates every 5 s
  // (zero: only when Evaluate is called).
  tenancy::QuarantineOptions quarantine{.read_only = true,
                                        .evaluate_every = std::chrono::seconds{5}};
  // Which address classes webhook targets may resolve to. Default: public
  // addresses only (loopback, private, link-local... refused); tests allow
  // loopback.
  tenancy::TargetPolicy webhook_policy{};
  // PEM file of the CA certificates https webhook receivers must chain to;
  // empty: the system trust store. A file that does not load fails Open.
  std::string webhook_ca_file{};
  // How often the dispatcher thread runs Webhooks::DispatchAll; zero: no
  // thread (tests call DispatchWebhooks themselves).
  std::chrono::milliseconds webhook_dispatch_interval{1000};
  // Logs, metrics, SLOs, activity and cost (observability/options.hpp).
  ObservabilityOptions observability{};
};

class Platform {
 public:
  // Errors from each component, e.g. kPermissionDenied for a master key
  // file readable by others, kMigrationFailed for a store ahead of us.
  static tenancy::Result<std::unique_ptr<Platform>> Open(PlatformOptions options);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  const PlatformOptions& options() const noexcept { return options_; }
  tenancy::Store& store() noexcept { return *store_; }
  tenancy::Directory& directory() noexcept { return *directory_; }
  tenancy::Keyring& keyring() noexcept { return *keyring_; }
  tenancy::Authenticator& auth() noexcept { return *auth_; }
  const tenancy::RoleCatalog& roles() const noexcept { return *roles_; }
  const tenancy::TenantResolver& resolver() const noexcept { return *resolver_; }
  tenancy::Clock& governance_clock() noexcept { return *governance_clock_; }
  tenancy::Quotas& quotas() noexcept { return *quotas_; }
  tenancy::QuarantinePolicy& quarantine() noexcept { return *quarantine_; }
  tenancy::Metering& metering() noexcept { return *metering_; }
  tenancy::Config& config() noexcept { return *config_; }
  tenancy::FlagStore& flags() noexcept { return flags_; }
  // The flag documents behind flags(), one file per tenant.
  FlagFiles& flag_files() noexcept { return *flag_files_; }
  const tenancy::Events& events() const noexcept { return *events_; }
  tenancy::Webhooks& webhooks() noexcept { return *webhooks_; }
  const tenancy::Backup& backup() const noexcept { return *backup_; }
  // (observability: accessors)
  // Logs, metrics, SLOs and per-tenant activity (observability.hpp).
  Observability& observability() noexcept { return *observability_; }
  // (audit: accessors)
  // The audit chains (<data>/audit.db) and the sink that appends every
  // control-plane and admin action to them (middleware/audit_trail.hpp).
  tenancy::AuditLog& audit() noexcept { return *audit_; }
  AuditTrail& audit_trail() noexcept { return *audit_trail_; }

  // One dispatch pass over every live tenant, on the caller's thread (what
  // the dispatcher thread runs; tests call it directly).
  tenancy::Result<tenancy::DispatchReport> DispatchWebhooks();
  // Stops the dispatcher thread (its current pass ends between two
  // tenants); idempotent. Called on graceful shutdown and by the destructor.
  void StopDispatcher();

  // Writes meters and quota usage out (graceful shutdown). The first
  // failure is returned; both are attempted.
  tenancy::Result<void> FlushGovernance();

 private:
  Platform() = default;
  tenancy::Result<void> OpenGovernance();
  tenancy::Result<void> OpenOperations();
  void RunDispatcher();
  PlatformOptions options_;
  std::unique_ptr<tenancy::KeyProvider> keys_;
  std::unique_ptr<tenancy::Keyring> keyring_;
  std::unique_ptr<tenancy::FieldCipher> cipher_;
  std::unique_ptr<tenancy::Store> store_;
  std::unique_ptr<tenancy::Directory> directory_;
  std::unique_ptr<tenancy::Authenticator> auth_;
  std::unique_ptr<tenancy::RoleCatalog> roles_;
  std::unique_ptr<tenancy::TenantResolver> resolver_;
  // Declared before its users, so it stops after them.
  std::unique_ptr<tenancy::TickingClock> ticking_clock_;
  tenancy::Clock* governance_clock_ = nullptr;
  std::unique_ptr<tenancy::Quotas> quotas_;
  std::unique_ptr<tenancy::QuarantinePolicy> quarantine_;
  std::unique_ptr<tenancy::Metering> metering_;
  std::unique_ptr<tenancy::Config> config_;
  tenancy::FlagStore flags_;
  std::unique_ptr<FlagFiles> flag_files_;
  std::unique_ptr<tenancy::Events> events_;
  std::unique_ptr<tenancy::net::HttpWebhookTransport> webhook_transport_;
  std::unique_ptr<tenancy::Webhooks> webhooks_;
  std::unique_ptr<tenancy::Backup> backup_;
  // (observability: members)
  // After everything its thread uses, so it stops before they close.
  std::unique_ptr<Observability> observability_;
  // (audit: members)
  std::unique_ptr<tenancy::AuditLog> audit_;
  std::unique_ptr<AuditTrail> audit_trail_;  // after the log it appends to
  // The dispatcher: waits `webhook_dispatch_interval` or until stopped.
  std::mutex dispatcher_mu_;
  std::condition_variable dispatcher_cv_;
  bool dispatcher_stop_ = false;
  // The same, read by a running pass between tenants (no lock there).
  std::atomic<bool> dispatcher_stopping_{false};
  std::mutex dispatcher_join_mu_;
  std::thread dispatcher_;
};

}  // namespace tenancyd

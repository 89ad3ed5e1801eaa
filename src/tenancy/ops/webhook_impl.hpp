// Private: the webhook tables (rows and entity descriptors), the sealed
// secrets of a subscription, and Webhooks::Impl, shared by the
// subscription, delivery and dispatch files.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tenancy/repository.hpp"
#include "tenancy/tenant.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancy::ops {

inline constexpr std::string_view kSubscriptionsTable = "webhook_subscriptions";
inline constexpr std::string_view kSecretsColumn = "secrets";

struct SubscriptionRow {
  std::string id;
  std::string url;
  std::string event_types;  // patterns, space-separated
  bool enabled = true;
  std::string description;
  Blob secrets;  // sealed SecretSet
  std::int64_t previous_expires_at = 0;  // Unix ms; 0: no previous secret
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct DeliveryRow {
  std::string id;
  std::string subscription_id;
  std::int64_t event_seq = 0;
  std::string event_type;
  std::string body;
  std::string state;  // "pending", "delivered", "dead"
  std::int64_t attempts = 0;
  std::int64_t total_attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t last_status = 0;
  std::string last_error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct AttemptRow {
  std::string delivery_id;
  std::int64_t attempt = 0;
  std::string subscription_id;
  std::int64_t at = 0;
  std::int64_t status = 0;
  std::int64_t latency_us = 0;
  std::string outcome;
  std::string error;
};

struct CursorRow {
  std::string name;
  std::int64_t seq = 0;
};

const Entity<SubscriptionRow>& SubscriptionRows();
const Entity<DeliveryRow>& DeliveryRows();
const Entity<AttemptRow>& AttemptRows();
const Entity<CursorRow>& CursorRows();

// The current secret and, during a rotation's overlap, the previous one.
struct SecretSet {
  std::optional<WebhookSecret> current;
  std::optional<WebhookSecret> previous;
};

// Seals / opens a SecretSet bound to (tenant, subscription id).
Result<Blob> SealSecrets(const FieldCipher& cipher, std::string_view tenant,
                         std::string_view subscription_id, const SecretSet& secrets);
Result<SecretSet> OpenSecrets(const FieldCipher& cipher, std::string_view tenant,
                              std::string_view subscription_id, BlobView sealed);

WebhookSubscription ToSubscription(const SubscriptionRow& row);
WebhookDelivery ToDelivery(const DeliveryRow& row);
DeliveryAttempt ToAttempt(const AttemptRow& row);
std::vector<std::string> SplitPatterns(std::string_view joined);
std::string_view StateName(DeliveryState s) noexcept;

// Cuts a text to `max` bytes for logs and errors (at a UTF-8 boundary).
std::string Excerpt(std::string_view text, std::size_t max);

}  // namespace tenancy::ops

namespace tenancy {

struct Webhooks::Impl {
  Impl(Store& s, const Events& e, const FieldCipher& c, WebhookTransport& t, WebhookOptions o)
      : store(s),
        events(e),
        cipher(c),
        transport(t),
        options(std::move(o)),
        subscriptions(s, ops::SubscriptionRows()),
        deliveries(s, ops::DeliveryRows()),
        attempts(s, ops::AttemptRows()),
        cursors(s, ops::CursorRows()) {
    if (!options.resolver) options.resolver = SystemResolver();
  }

  Store& store;
  const Events& events;
  const FieldCipher& cipher;
  WebhookTransport& transport;
  WebhookOptions options;
  Repository<ops::SubscriptionRow> subscriptions;
  Repository<ops::DeliveryRow> deliveries;
  Repository<ops::AttemptRow> attempts;
  Repository<ops::CursorRow> cursors;
  std::mutex dispatch_mu;  // one dispatch pass at a time

  // -- which tenants DispatchAll visits (webhook_index.cpp) --
  struct IndexEntry {
    bool recheck = false;     // a removal: re-read the tenant after each visit
    std::uint64_t touched = 0;  // `touches` when last noted
  };
  mutable std::mutex index_mu;
  std::unordered_map<TenantId, IndexEntry> index;  // REQUIRES index_mu
  std::uint64_t touches = 0;                       // REQUIRES index_mu; bumped by Note
  // The sweep's state: only DispatchAll uses it, under all_mu.
  std::mutex all_mu;  // one DispatchAll at a time
  bool seeded = false;          // a full walk has completed
  std::string sweep_after;      // the last tenant id the walk read; empty: from the start
  std::optional<TimePoint> last_pass;

  // The tenant may have work: visit it from now on (`recheck`: re-read it
  // after each visit, and forget it once it has none).
  void Note(const TenantId& tenant, bool recheck = false);
  std::uint64_t Touches() const;
  // Forgets the tenant unless it was noted at or after `touches_seen` (a
  // Subscribe racing the read that found no work wins).
  void Forget(const TenantId& tenant, std::uint64_t touches_seen);
  // What may need a visit: any subscription row (enabled or not: a
  // disabled one still moves the cursor), else any pending delivery.
  enum class Work : std::uint8_t { kNone, kPendingOnly, kSubscribed };
  Result<Work> ReadWork(const TenantContext& ctx) const;
  // After a visit of a tenant marked for re-checking: forget it when no
  // work is left, unmark it when it has subscriptions again.
  void Recheck(const TenantContext& ctx, std::uint64_t touches_seen);
  // Re-reads one tenant of the walk and sets its membership.
  void Check(const Directory& directory, const Tenant& t, DispatchReport& report);
  // Re-reads up to `budget` tenants, continuing the walk (wrapping at the
  // end once seeded). Sets `seeded` when the first full walk completes.
  Result<void> Sweep(const Directory& directory, std::size_t budget,
                     const std::atomic<bool>* stop, DispatchReport& report);

  std::int64_t NowMs() const noexcept { return ToUnixMillis(options.clock->Now()); }
  Result<WebhookTarget> Check(std::string_view url) const;
  Result<ops::SubscriptionRow> LoadSubscription(const TenantContext& ctx, std::string_view id) const;

  // Moves the fan-out cursor to the outbox's head (a tenant's first
  // subscription: DispatchAll did not visit the tenant while it had none,
  // so the cursor may lag far behind; the events it skips were never
  // anyone's to deliver).
  Result<void> SkipToHead(Transaction& tx);

  // Dispatch steps (webhook_dispatch.cpp).
  Result<void> FanOut(const TenantContext& ctx, DispatchReport& report);
  Result<void> DeliverDue(const TenantContext& ctx, DispatchReport& report);
  Result<void> Attempt(const TenantContext& ctx, const ops::DeliveryRow& delivery,
                       const ops::SubscriptionRow* sub, DispatchReport& report);
  std::chrono::milliseconds Backoff(std::int64_t round_attempts) const;
};

}  // namespace tenancy

// The webhook tables: schema, entity descriptors, row conversions, and the
// sealed form of a subscription's secrets.
#include <string>

#include "ops/webhook_impl.hpp"
#include "tenancy/keys.hpp"

namespace tenancy::ops {

const Entity<SubscriptionRow>& SubscriptionRows() {
  static const Entity<SubscriptionRow> e =
      Entity<SubscriptionRow>(std::string(kSubscriptionsTable))
          .Key("id", &SubscriptionRow::id)
          .Column("url", &SubscriptionRow::url, {.max_bytes = 2048})
          .Column("event_types", &SubscriptionRow::event_types, {.max_bytes = 4096})
          .Column("enabled", &SubscriptionRow::enabled)
          .Column("description", &SubscriptionRow::description, {.max_bytes = 256})
          .Column(std::string(kSecretsColumn), &SubscriptionRow::secrets, {.max_bytes = 512})
          .Column("previous_expires_at", &SubscriptionRow::previous_expires_at)
          .Column("created_at", &SubscriptionRow::created_at)
          .Column("updated_at", &SubscriptionRow::updated_at);
  return e;
}

const Entity<DeliveryRow>& DeliveryRows() {
  static const Entity<DeliveryRow> e = Entity<DeliveryRow>("webhook_deliveries")
                                           .Key("id", &DeliveryRow::id)
                                           .Column("subscription_id", &DeliveryRow::subscription_id)
                                           .Column("event_seq", &DeliveryRow::event_seq)
                                           .Column("event_type", &DeliveryRow::event_type)
                                           .Column("body", &DeliveryRow::body)
                                           .Column("state", &DeliveryRow::state)
                                           .Column("attempts", &DeliveryRow::attempts)
                                           .Column("total_attempts", &DeliveryRow::total_attempts)
                                           .Column("next_attempt_at", &DeliveryRow::next_attempt_at)
                                           .Column("last_status", &DeliveryRow::last_status)
                                           .Column("last_error", &DeliveryRow::last_error)
                                           .Column("created_at", &DeliveryRow::created_at)
                                           .Column("updated_at", &DeliveryRow::updated_at);
  return e;
}

const Entity<AttemptRow>& AttemptRows() {
  static const Entity<AttemptRow> e = Entity<AttemptRow>("webhook_attempts")
                                          .Key("delivery_id", &AttemptRow::delivery_id)
                                          .Key("attempt", &AttemptRow::attempt)
                                          .Column("subscription_id", &AttemptRow::subscription_id)
                                          .Column("at", &AttemptRow::at)
                                          .Column("status", &AttemptRow::status)
                                          .Column("latency_us", &AttemptRow::latency_us)
                                          .Column("outcome", &AttemptRow::outcome)
                                          .Column("error", &AttemptRow::error);
  return e;
}

const Entity<CursorRow>& CursorRows() {
  static const Entity<CursorRow> e = Entity<CursorRow>("webhook_cursors")
                                         .Key("name", &CursorRow::name)
                                         .Column("seq", &CursorRow::seq);
  return e;
}

namespace {

FieldAddress SecretAddress(std::string_view tenant, const Param (&key)[1], Blob& row_key) {
  row_key = EncodeRowKey(key);
  return FieldAddress{tenant, kSubscriptionsTable, kSecretsColumn, row_key};
}

}  // namespace

Result<Blob> SealSecrets(const FieldCipher& cipher, std::string_view tenant,
                         std::string_view subscription_id, const SecretSet& secrets) {
  // Plaintext: len ‖ current ‖ len ‖ previous (len 0: none), in guarded memory.
  const auto cur = secrets.current ? secrets.current->bytes() : std::span<const unsigned char>{};
  const auto prev = secrets.previous ? secrets.previous->bytes() : std::span<const unsigned char>{};
  SecretBytes plain(2 + cur.size() + prev.size());
  unsigned char* p = plain.data();
  *p++ = static_cast<unsigned char>(cur.size());
  std::copy(cur.begin(), cur.end(), p);
  p += cur.size();
  *p++ = static_cast<unsigned char>(prev.size());
  std::copy(prev.begin(), prev.end(), p);
  const Param key[] = {subscription_id};
  Blob row_key;
  return cipher.Seal(SecretAddress(tenant, key, row_key), plain.bytes());
}

Result<SecretSet> OpenSecrets(const FieldCipher& cipher, std::string_view tenant,
                              std::string_view subscription_id, BlobView sealed) {
  const Param key[] = {subscription_id};
  Blob row_key;
  auto plain = cipher.Open(SecretAddress(tenant, key, row_key), sealed);
  if (!plain) return plain.error();
  SecretSet out;
  const Blob& b = *plain;
  bool ok = !b.empty() && b.size() >= 2u + b[0] && b.size() == 2u + b[0] + b[1u + b[0]];
  if (ok) {
    const std::size_t n = b[0];
    const std::size_t m = b[1 + n];
    if (n > 0) out.current = WebhookSecret::FromBytes({b.data() + 1, n});
    if (m > 0) out.previous = WebhookSecret::FromBytes({b.data() + 2 + n, m});
    ok = out.current.has_value();
  }
  Wipe({plain->data(), plain->size()});
  if (!ok) return Fail(Errc::kDataCorrupted, "sealed webhook secrets are malformed");
  return out;
}

std::vector<std::string> SplitPatterns(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const std::size_t sp = joined.find(' ');
    if (sp != 0) out.emplace_back(joined.substr(0, sp));
    if (sp == std::string_view::npos) break;
    joined.remove_prefix(sp + 1);
  }
  return out;
}

std::string_view StateName(DeliveryState s) noexcept { return ToString(s); }

WebhookSubscription ToSubscription(const SubscriptionRow& row) {
  WebhookSubscription s;
  s.id = row.id;
  s.url = row.url;
  s.event_types = SplitPatterns(row.event_types);
  s.enabled = row.enabled;
  s.description = row.description;
  s.created_at = FromUnixMillis(row.created_at);
  s.updated_at = FromUnixMillis(row.updated_at);
  if (row.previous_expires_at > 0) s.previous_secret_expires_at = FromUnixMillis(row.previous_expires_at);
  return s;
}

namespace {
DeliveryState ParseState(std::string_view s) noexcept {
  if (s == "delivered") return DeliveryState::kDelivered;
  if (s == "dead") return DeliveryState::kDead;
  return DeliveryState::kPending;
}
}  // namespace

WebhookDelivery ToDelivery(const DeliveryRow& row) {
  WebhookDelivery d;
  d.id = row.id;
  d.subscription_id = row.subscription_id;
  d.event_sequence = row.event_seq;
  d.event_type = row.event_type;
  d.state = ParseState(row.state);
  d.attempts = static_cast<int>(row.attempts);
  d.total_attempts = static_cast<int>(row.total_attempts);
  d.next_attempt_at = FromUnixMillis(row.next_attempt_at);
  d.last_status = static_cast<int>(row.last_status);
  d.last_error = row.last_error;
  d.created_at = FromUnixMillis(row.created_at);
  d.updated_at = FromUnixMillis(row.updated_at);
  return d;
}

DeliveryAttempt ToAttempt(const AttemptRow& row) {
  return DeliveryAttempt{row.delivery_id,  static_cast<int>(row.attempt),
                         row.subscription_id, FromUnixMillis(row.at),
                         static_cast<int>(row.status), std::chrono::microseconds{row.latency_us},
                         row.outcome,      row.error};
}

std::string Excerpt(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  return std::string(text.substr(0, n));
}

}  // namespace tenancy::ops

namespace tenancy {

std::string_view ToString(DeliveryState s) noexcept {
  switch (s) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kDead: return "dead";
  }
  return "pending";
}

DispatchReport& DispatchReport::operator+=(const DispatchReport& o) {
  events_scanned += o.events_scanned;
  deliveries_created += o.deliveries_created;
  attempts += o.attempts;
  delivered += o.delivered;
  failed += o.failed;
  dead_lettered += o.dead_lettered;
  tenants += o.tenants;
  tenants_checked += o.tenants_checked;
  tenant_errors.insert(tenant_errors.end(), o.tenant_errors.begin(), o.tenant_errors.end());
  return *this;
}

WebhookTransport::~WebhookTransport() = default;

Migration Webhooks::SchemaMigration(int version) {
  Migration m;
  m.version = version;
  m.name = "tenancy webhooks";
  m.sql =
      "CREATE TABLE webhook_subscriptions (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
      "url TEXT NOT NULL, event_types TEXT NOT NULL, enabled INTEGER NOT NULL, "
      "description TEXT NOT NULL, secrets BLOB NOT NULL, previous_expires_at INTEGER NOT NULL, "
      "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));"
      "CREATE TABLE webhook_deliveries (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
      "subscription_id TEXT NOT NULL, event_seq INTEGER NOT NULL, event_type TEXT NOT NULL, "
      "body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, "
      "total_attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, "
      "last_status INTEGER NOT NULL, last_error TEXT NOT NULL, created_at INTEGER NOT NULL, "
      "updated_at INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));"
      "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, state, "
      "next_attempt_at);"
      "CREATE TABLE webhook_attempts (tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, "
      "attempt INTEGER NOT NULL, subscription_id TEXT NOT NULL, at INTEGER NOT NULL, "
      "status INTEGER NOT NULL, latency_us INTEGER NOT NULL, outcome TEXT NOT NULL, "
      "error TEXT NOT NULL, PRIMARY KEY (tenant_id, delivery_id, attempt));"
      "CREATE TABLE webhook_cursors (tenant_id TEXT NOT NULL, name TEXT NOT NULL, "
      "seq INTEGER NOT NULL, PRIMARY KEY (tenant_id, name));";
  m.postgres_sql =
      "CREATE TABLE webhook_subscriptions (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
      "url TEXT NOT NULL, event_types TEXT NOT NULL, enabled BIGINT NOT NULL, "
      "description TEXT NOT NULL, secrets BYTEA NOT NULL, previous_expires_at BIGINT NOT NULL, "
      "created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"
      "CREATE TABLE webhook_deliveries (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
      "subscription_id TEXT NOT NULL, event_seq BIGINT NOT NULL, event_type TEXT NOT NULL, "
      "body TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL, "
      "total_attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, "
      "last_status BIGINT NOT NULL, last_error TEXT NOT NULL, created_at BIGINT NOT NULL, "
      "updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id));"
      "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, state, "
      "next_attempt_at);"
      "CREATE TABLE webhook_attempts (tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, "
      "attempt BIGINT NOT NULL, subscription_id TEXT NOT NULL, at BIGINT NOT NULL, "
      "status BIGINT NOT NULL, latency_us BIGINT NOT NULL, outcome TEXT NOT NULL, "
      "error TEXT NOT NULL, PRIMARY KEY (tenant_id, delivery_id, attempt));"
      "CREATE TABLE webhook_cursors (tenant_id TEXT NOT NULL, name TEXT NOT NULL, "
      "seq BIGINT NOT NULL, PRIMARY KEY (tenant_id, name));";
  return m;
}

}  // namespace tenancy

// tenancy/webhooks.hpp — per-tenant webhooks, signed per Standard Webhooks.
//
//   tenancy::Webhooks hooks(*store, events, cipher, transport, {.clock = &clock});
//   auto sub = hooks.Subscribe(ctx, {.url = "https://hooks.example.com/in",
//                                    .event_types = {"ride.*"}});
//   // sub->secret ("whsec_...") is shown once; only its sealed form is stored.
//   hooks.Dispatch(ctx);            // or DispatchAll(directory), from a timer
//
// Subscriptions, deliveries, the delivery log and the dispatcher's cursor
// are tables in the tenant's namespace (`Webhooks::SchemaMigration`), so they
// obey the tenant's isolation model, are readable only through that tenant's
// context (another tenant's ids answer kNotFound) and leave with it on
// offboarding. Signing secrets are sealed with the tenant's data key
// (FieldCipher, bound to the subscription's row), so crypto-shredding a
// tenant also destroys its webhook secrets; they never appear in errors.
//
// Delivery (Standard Webhooks, https://www.standardwebhooks.com): the body is
// {"type", "timestamp", "data"} JSON; headers `webhook-id` (the delivery id,
// the same on every retry), `webhook-timestamp` (Unix seconds of the attempt)
// and `webhook-signature`: "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>"
// — during a secret rotation's overlap, the old and the new signature,
// space-separated. A 2xx answer delivers; anything else is retried with
// exponential backoff and jitter up to `max_attempts`, then dead-lettered.
// `Redeliver` sends a dead letter (or any past delivery) again.
//
// Dispatch is driven by the caller (`Dispatch` per tenant, `DispatchAll` over
// a directory), with time from the injected clock, so tests are
// deterministic and the server decides on threads. Per tenant it (1) moves
// new events from the outbox into deliveries — cursor and deliveries commit
// together, so each event fans out exactly once — and (2) attempts the
// deliveries that are due, with no database transaction open during
// network I/O. A tenant's first subscription starts at the outbox's head:
// events appended before a tenant had any subscription are never sent.
//
// Which tenants DispatchAll visits: only those that may have webhook work —
// a subscription (enabled or not) or a pending delivery. Most tenants have
// neither, so a pass costs O(tenants with webhooks), not O(tenants). The
// Webhooks object keeps that set in memory:
//   - seeded by one full walk of the directory (the first DispatchAll);
//   - added to at once by this object's Subscribe, UpdateSubscription and
//     Redeliver; a tenant whose subscription this object removed is
//     re-checked after each visit and leaves once it has neither
//     subscriptions nor pending deliveries;
//   - re-synchronised by a sweep that re-reads every tenant once per
//     `WebhookOptions::sweep_interval`, paced over the passes (each pass
//     re-reads its share, live tenants × time since the last pass /
//     sweep_interval, continuing where the last pass stopped).
// Bound: a subscription or redelivery made through ANOTHER Webhooks object
// (tenancyctl, a second process on the same data) is first dispatched at
// most `sweep_interval` plus one DispatchAll period after it commits (given
// a DispatchAll at least that often), and the same holds for a removal
// made elsewhere to stop the visits. Deleted and offboarding tenants leave
// the set; suspended ones stay in it but are not visited until they return.
//
// SSRF guard: a target URL must be http or https (https only with a
// transport that supports it), without credentials; its host is resolved and
// every address classified. Loopback, RFC 1918, CGNAT, link-local, ULA,
// unspecified, multicast and reserved addresses — IPv4, IPv6 and IPv4-mapped
// or -translated IPv6 — are refused (kPermissionDenied) unless the policy
// allows their class. The check runs at subscription time and again at each
// attempt, and the transport connects only to the addresses just checked, so
// DNS rebinding cannot slip a private address in between.
//
// Thread safety: signing functions are pure. A Webhooks object is safe to
// share; dispatch runs are serialized per object (run one dispatcher per
// store: two processes dispatching the same tenants would deliver twice).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/events.hpp"
#include "tenancy/export.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/result.hpp"
#include "tenancy/secret.hpp"
#include "tenancy/store.hpp"

namespace tenancy {

class Directory;

// ---------------------------------------------------------------------------
// Signing and verification (pure functions; for senders and receivers)

// A signing secret: its raw bytes, in guarded memory. Printed form
// "whsec_<base64>".
class TENANCY_EXPORT WebhookSecret {
 public:
  static constexpr std::size_t kMinBytes = 24;
  static constexpr std::size_t kMaxBytes = 64;

  // `bytes` random bytes from libsodium. REQUIRES kMinBytes <= bytes <= kMaxBytes.
  static WebhookSecret Generate(std::size_t bytes = 32);
  // Parses "whsec_<base64>" or bare base64 (padded or not), as the
  // Standard Webhooks libraries accept. kInvalidArgument when empty or not
  // base64 (the message never repeats the input).
  static Result<WebhookSecret> Parse(std::string_view text);
  static WebhookSecret FromBytes(std::span<const unsigned char> bytes);

  // "whsec_" + base64 (original alphabet, padded). The only way out of the
  // object; callers show it once and must not log it.
  std::string ToString() const;
  std::span<const unsigned char> bytes() const noexcept { return bytes_.bytes(); }

 private:
  SecretBytes bytes_;
};

// "v1," + base64(HMAC-SHA256(secret, msg_id + "." + timestamp + "." + body)).
TENANCY_EXPORT std::string SignWebhook(const WebhookSecret& secret, std::string_view msg_id,
                                       std::int64_t timestamp, std::string_view body);

// The three headers of a delivery, as received.
struct WebhookHeaders {
  std::string_view id{};         // webhook-id
  std::string_view timestamp{};  // webhook-timestamp (decimal Unix seconds)
  std::string_view signature{};  // webhook-signature (space-separated list)
};

// Verifies a delivery against any of `secrets` (a receiver holding both
// secrets during a rotation passes both). Succeeds when some "v1," entry of
// the signature list matches (compared in constant time) and the timestamp
// is within `tolerance` of `now`. Errors: kInvalidArgument (a header missing
// or malformed), kUnauthenticated (no matching signature, or the timestamp
// is too old or too new).
TENANCY_EXPORT Result<void> VerifyWebhook(std::span<const WebhookSecret* const> secrets,
                                          const WebhookHeaders& headers, std::string_view body,
                                          TimePoint now,
                                          std::chrono::seconds tolerance = std::chrono::minutes{5});
TENANCY_EXPORT Result<void> VerifyWebhook(const WebhookSecret& secret, const WebhookHeaders& headers,
                                          std::string_view body, TimePoint now,
                                          std::chrono::seconds tolerance = std::chrono::minutes{5});

// ---------------------------------------------------------------------------
// Targets: URL checks and the SSRF guard

enum class AddressClass : std::uint8_t {
  kPublic = 0,
  kLoopback = 1,     // 127.0.0.0/8, ::1
  kPrivate = 2,      // RFC 1918: 10/8, 172.16/12, 192.168/16
  kSharedCgnat = 3,  // 100.64.0.0/10
  kLinkLocal = 4,    // 169.254.0.0/16 (cloud metadata), fe80::/10
  kUniqueLocal = 5,  // fc00::/7 (and deprecated site-local fec0::/10)
  kUnspecified = 6,  // 0.0.0.0/8, ::
  kMulticast = 7,    // 224.0.0.0/4, ff00::/8
  kReserved = 8,     // 240/4, broadcast, documentation and benchmark ranges
};
TENANCY_EXPORT std::string_view ToString(AddressClass c) noexcept;

// The class of a numeric IPv4 or IPv6 address (no brackets). IPv4-mapped
// (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
// addresses take the class of the IPv4 address inside. kInvalidArgument
// when `ip` is not a numeric address.
TENANCY_EXPORT Result<AddressClass> ClassifyAddress(std::string_view ip);

// Which non-public classes a deployment accepts. Unspecified, multicast and
// reserved addresses are never accepted.
struct TargetPolicy {
  bool allow_loopback = false;    // tests and single-host setups
  bool allow_private = false;     // RFC 1918, CGNAT and ULA networks
  bool allow_link_local = false;  // includes 169.254.169.254: think twice
  TENANCY_EXPORT bool Allows(AddressClass c) const noexcept;
};

// A parsed and checked delivery target.
struct WebhookTarget {
  std::string scheme{};  // "http" or "https"
  std::string host{};    // as written, without brackets
  std::uint16_t port = 0;
  std::string target{};  // path and query, at least "/"
  std::vector<std::string> addresses{};  // the checked numeric addresses to connect to
};

// Resolves a host name to numeric addresses. The default uses getaddrinfo.
using HostResolver = std::function<Result<std::vector<std::string>>(std::string_view host)>;
TENANCY_EXPORT HostResolver SystemResolver();

// Parses an absolute http(s) URL: no credentials, no fragment, a host, a
// port in 1..65535, at most 2048 bytes. kInvalidArgument otherwise.
TENANCY_EXPORT Result<WebhookTarget> ParseWebhookUrl(std::string_view url);

// ParseWebhookUrl, then resolves the host (a numeric host is used as is) and
// classifies every address. kPermissionDenied when any address is of a class
// the policy does not allow (the message names the class and host, never
// the URL's path or query); kUnavailable when the host does not resolve.
TENANCY_EXPORT Result<WebhookTarget> CheckWebhookTarget(std::string_view url,
                                                        const TargetPolicy& policy,
                                                        const HostResolver& resolver);

// ---------------------------------------------------------------------------
// Transport: how a signed request reaches the target (tenancy_net provides
// the HTTP implementation; tests may provide their own).

struct WebhookRequest {
  const WebhookTarget* target = nullptr;  // connect to target->addresses only
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string_view body{};
  std::chrono::milliseconds timeout{10000};  // whole exchange
};

struct WebhookResponse {
  int status = 0;
  std::string body_excerpt{};  // at most a few hundred bytes, for the log
};

class TENANCY_EXPORT WebhookTransport {
 public:
  virtual ~WebhookTransport();
  // True for the URL schemes this transport can deliver to ("http", "https").
  virtual bool Supports(std::string_view scheme) const noexcept = 0;
  // Sends one POST. Any HTTP answer is a value (check `status`); an error is
  // a failure to get one (kUnavailable: connect, timeout, reset, oversize).
  virtual Result<WebhookResponse> Post(const WebhookRequest& request) = 0;
};

// ---------------------------------------------------------------------------
// Subscriptions, deliveries and the dispatcher

struct WebhookOptions {
  Clock* clock = &SystemClock();  // never null; must outlive the Webhooks
  TargetPolicy policy{};
  HostResolver resolver{};  // empty: SystemResolver()
  int max_attempts = 8;     // per delivery round (a redelivery starts a new round)
  std::chrono::milliseconds initial_backoff{std::chrono::seconds{5}};
  std::chrono::milliseconds max_backoff{std::chrono::hours{1}};
  // The retry delay is drawn uniformly from [(1 - jitter) * d, d], where
  // d = min(max_backoff, initial_backoff * 2^(attempt - 1)).
  double jitter = 0.5;
  std::chrono::milliseconds request_timeout{std::chrono::seconds{10}};
  std::size_t max_subscriptions_per_tenant = 100;
  std::size_t events_per_dispatch = 500;      // fan-out batch per tenant per Dispatch
  std::size_t deliveries_per_dispatch = 100;  // attempts per tenant per Dispatch
  std::size_t secret_bytes = 32;              // 24..64
  // DispatchAll's sweep re-reads every tenant's webhook state once per this
  // interval, spread over the passes (see "Which tenants DispatchAll
  // visits" above); it bounds how late work created by another process is
  // noticed. Zero: every pass re-reads every tenant.
  std::chrono::milliseconds sweep_interval{std::chrono::seconds{60}};
};

struct WebhookSubscription {
  std::string id{};  // "sub_..."
  std::string url{};
  std::vector<std::string> event_types{};  // patterns, see IsValidEventTypePattern
  bool enabled = true;
  std::string description{};
  TimePoint created_at{};
  TimePoint updated_at{};
  // Set while a rotated-out secret still signs (until this time).
  std::optional<TimePoint> previous_secret_expires_at{};
};

struct NewSubscription {
  std::string url{};
  std::vector<std::string> event_types{};  // at least one pattern
  bool enabled = true;
  std::string description{};  // at most 256 bytes
};

struct SubscriptionChange {
  std::optional<std::string> url{};
  std::optional<std::vector<std::string>> event_types{};
  std::optional<bool> enabled{};
  std::optional<std::string> description{};
};

// The only time a secret leaves the library in clear text.
struct SubscriptionWithSecret {
  WebhookSubscription subscription{};
  std::string secret{};  // "whsec_..."
};

enum class DeliveryState : std::uint8_t { kPending = 0, kDelivered = 1, kDead = 2 };
TENANCY_EXPORT std::string_view ToString(DeliveryState s) noexcept;

struct WebhookDelivery {
  std::string id{};  // the webhook-id header
  std::string subscription_id{};
  std::int64_t event_sequence = 0;
  std::string event_type{};
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;        // in the current round
  int total_attempts = 0;  // over all rounds
  TimePoint next_attempt_at{};
  int last_status = 0;     // 0: no HTTP answer
  std::string last_error{};
  TimePoint created_at{};
  TimePoint updated_at{};
};

// One line of the delivery log.
struct DeliveryAttempt {
  std::string delivery_id{};
  int attempt = 0;  // 1, 2, ... over all rounds
  std::string subscription_id{};
  TimePoint at{};
  int status = 0;  // HTTP status; 0 when there was none
  std::chrono::microseconds latency{0};
  std::string outcome{};  // "delivered", "failed", "refused"
  std::string error{};
};

struct DeliveryQuery {
  std::optional<DeliveryState> state{};  // kDead: the dead-letter list
  std::string subscription_id{};         // empty: all
  std::size_t limit = 50;                // 1..1000
  std::string after{};                   // next_cursor of the previous page
};

template <class T>
struct WebhookPage {
  std::vector<T> items{};
  std::string next_cursor{};  // empty at the end
};

struct DispatchReport {
  std::int64_t events_scanned = 0;
  std::int64_t deliveries_created = 0;
  std::int64_t attempts = 0;
  std::int64_t delivered = 0;
  std::int64_t failed = 0;         // attempts that will be retried
  std::int64_t dead_lettered = 0;
  std::int64_t tenants = 0;        // DispatchAll: tenants served (visited)
  std::int64_t tenants_checked = 0;  // DispatchAll: tenants the seeding or sweep re-read
  std::vector<std::pair<TenantId, Error>> tenant_errors{};  // DispatchAll only

  TENANCY_EXPORT DispatchReport& operator+=(const DispatchReport& o);
};

class TENANCY_EXPORT Webhooks {
 public:
  // The migration that creates the webhook tables, at `version` of the
  // application's Schema (after the Events migration or before; either).
  static Migration SchemaMigration(int version);

  // REQUIRES: store, events, cipher and transport outlive the Webhooks; the
  // store's schema includes both migrations; the cipher's keyring holds the
  // tenants' data keys (the directory creates them when given the keyring).
  Webhooks(Store& store, const Events& events, const FieldCipher& cipher,
           WebhookTransport& transport, WebhookOptions options = {});
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // -- subscriptions (the context's tenant only) --

  // Creates a subscription with a fresh secret. Errors: kInvalidArgument
  // (URL, patterns, description), kPermissionDenied (target address refused
  // by the policy, or a scheme the transport cannot deliver),
  // kResourceExhausted (max_subscriptions_per_tenant), kUnavailable.
  Result<SubscriptionWithSecret> Subscribe(const TenantContext& ctx, const NewSubscription& request);
  Result<WebhookSubscription> GetSubscription(const TenantContext& ctx, std::string_view id) const;
  Result<std::vector<WebhookSubscription>> ListSubscriptions(const TenantContext& ctx) const;
  // A changed URL is checked like a new one. kNotFound for an unknown id.
  Result<WebhookSubscription> UpdateSubscription(const TenantContext& ctx, std::string_view id,
                                                 const SubscriptionChange& change);
  // Pending deliveries of a removed subscription are dead-lettered when due.
  Result<void> RemoveSubscription(const TenantContext& ctx, std::string_view id);
  // Makes a new secret current; the old one keeps signing alongside it for
  // `overlap` (zero: it stops at once). A rotation during an overlap drops
  // the oldest secret. Returns the new secret (shown once).
  Result<std::string> RotateSecret(const TenantContext& ctx, std::string_view id,
                                   std::chrono::seconds overlap = std::chrono::hours{24});

  // -- deliveries and the log (the context's tenant only) --

  Result<WebhookDelivery> GetDelivery(const TenantContext& ctx, std::string_view id) const;
  Result<WebhookPage<WebhookDelivery>> ListDeliveries(const TenantContext& ctx,
                                                      const DeliveryQuery& query) const;
  // The attempts of one delivery, oldest first. kNotFound for an unknown id.
  Result<std::vector<DeliveryAttempt>> ListAttempts(const TenantContext& ctx,
                                                    std::string_view delivery_id) const;
  // Starts a new round for a dead or delivered delivery (same webhook-id and
  // body), due now. kFailedPrecondition while it is still pending.
  Result<WebhookDelivery> Redeliver(const TenantContext& ctx, std::string_view delivery_id);

  // -- dispatch --

  // One pass for the context's tenant: fan out new events, then attempt the
  // due deliveries. Per-delivery failures are recorded, not returned; an
  // error means the pass itself could not run (storage, keys).
  Result<DispatchReport> Dispatch(const TenantContext& ctx);
  // Dispatch for every live tenant of `directory` that may have webhook
  // work (see "Which tenants DispatchAll visits" above; contexts minted for
  // the system principal "webhooks"; suspended tenants are skipped until
  // they return), after this pass's share of the sweep. One tenant's
  // failure is reported and the pass goes on. When `stop` is given and
  // becomes true, the pass ends early between two tenants (a shutdown need
  // not wait for it) and the next pass resumes the walk where it stopped.
  // Passes are serialized per object. REQUIRES: the same directory on
  // every call.
  Result<DispatchReport> DispatchAll(const Directory& directory,
                                     const std::atomic<bool>* stop = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

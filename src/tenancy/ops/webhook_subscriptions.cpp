// Webhook subscriptions (webhooks.hpp): create, read, change, remove, rotate
// the secret. Every call is confined to the context's tenant by the
// repositories; secrets are sealed under the tenant's data key.
#include <sodium.h>

#include <string>

#include "ops/webhook_impl.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kMaxPatterns = 32;
constexpr std::size_t kMaxDescription = 256;

std::string NewId(std::string_view prefix) {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string(prefix) + hex;
}

Result<std::string> JoinPatterns(const std::vector<std::string>& patterns) {
  if (patterns.empty() || patterns.size() > kMaxPatterns)
    return Fail(Errc::kInvalidArgument, "a subscription needs 1..32 event type patterns");
  std::string out;
  for (const auto& p : patterns) {
    if (!IsValidEventTypePattern(p))
      return Fail(Errc::kInvalidArgument,
                  "event type pattern must be '*', a type like 'ride.completed' or 'ride.*'");
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

Result<void> CheckDescription(const std::string& d) {
  if (d.size() > kMaxDescription)
    return Fail(Errc::kInvalidArgument, "description is longer than 256 bytes");
  if (d.find('\0') != std::string::npos)
    return Fail(Errc::kInvalidArgument, "description may not contain NUL bytes");
  return {};
}

}  // namespace

Webhooks::Webhooks(Store& store, const Events& events, const FieldCipher& cipher,
                   WebhookTransport& transport, WebhookOptions options)
    : impl_(std::make_unique<Impl>(store, events, cipher, transport, std::move(options))) {}
Webhooks::~Webhooks() = default;

Result<WebhookTarget> Webhooks::Impl::Check(std::string_view url) const {
  auto parsed = ParseWebhookUrl(url);
  if (!parsed) return parsed.error();
  if (!transport.Supports(parsed->scheme))
    return Fail(Errc::kPermissionDenied,
                "the webhook transport cannot deliver to " + parsed->scheme + " URLs");
  return CheckWebhookTarget(url, options.policy, options.resolver);
}

Result<ops::SubscriptionRow> Webhooks::Impl::LoadSubscription(const TenantContext& ctx,
                                                               std::string_view id) const {
  auto row = subscriptions.Get(ctx, id);
  if (!row && row.error() == Errc::kNotFound)
    return Fail(Errc::kNotFound, "no webhook subscription with that id");
  return row;
}

Result<SubscriptionWithSecret> Webhooks::Subscribe(const TenantContext& ctx,
                                                   const NewSubscription& request) {
  auto patterns = JoinPatterns(request.event_types);
  if (!patterns) return patterns.error();
  if (auto r = CheckDescription(request.description); !r) return r.error();
  if (auto t = impl_->Check(request.url); !t) return t.error();

  ops::SubscriptionRow row;
  row.id = NewId("sub_");
  row.url = request.url;
  row.event_types = std::move(*patterns);
  row.enabled = request.enabled;
  row.description = request.description;
  row.created_at = row.updated_at = impl_->NowMs();
  ops::SecretSet secrets;
  secrets.current = WebhookSecret::Generate(impl_->options.secret_bytes);
  auto sealed = ops::SealSecrets(impl_->cipher, ctx.tenant_id().str(), row.id, secrets);
  if (!sealed) return sealed.error();
  row.secrets = std::move(*sealed);

  auto r = impl_->store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto n = impl_->subscriptions.Count(tx);
    if (!n) return n.error();
    if (static_cast<std::size_t>(*n) >= impl_->options.max_subscriptions_per_tenant)
      return Fail(Errc::kResourceExhausted, "the tenant has reached its webhook subscription limit");
    if (*n == 0)
      if (auto c = impl_->SkipToHead(tx); !c) return c;
    return impl_->subscriptions.Insert(tx, row);
  });
  if (!r) return r.error();
  impl_->Note(ctx.tenant_id());
  return SubscriptionWithSecret{ops::ToSubscription(row), secrets.current->ToString()};
}

Result<WebhookSubscription> Webhooks::GetSubscription(const TenantContext& ctx,
                                                      std::string_view id) const {
  auto row = impl_->LoadSubscription(ctx, id);
  if (!row) return row.error();
  return ops::ToSubscription(*row);
}

Result<std::vector<WebhookSubscription>> Webhooks::ListSubscriptions(const TenantContext& ctx) const {
  std::vector<WebhookSubscription> out;
  ListQuery q;
  q.limit = 1000;
  do {
    auto page = impl_->subscriptions.List(ctx, q);
    if (!page) return page.error();
    for (const auto& row : page->items) out.push_back(ops::ToSubscription(row));
    q.after = std::move(page->next_cursor);
  } while (!q.after.empty());
  return out;
}

Result<WebhookSubscription> Webhooks::UpdateSubscription(const TenantContext& ctx,
                                                         std::string_view id,
                                                         const SubscriptionChange& change) {
  std::optional<std::string> patterns;
  if (change.event_types) {
    auto p = JoinPatterns(*change.event_types);
    if (!p) return p.error();
    patterns = std::move(*p);
  }
  if (change.description)
    if (auto r = CheckDescription(*change.description); !r) return r.error();
  if (change.url)
    if (auto t = impl_->Check(*change.url); !t) return t.error();
  ops::SubscriptionRow row;
  auto r = impl_->store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto current = impl_->subscriptions.Get(tx, id);
    if (!current) {
      if (current.error() == Errc::kNotFound)
        return Fail(Errc::kNotFound, "no webhook subscription with that id");
      return current.error();
    }
    row = std::move(*current);
    if (change.url) row.url = *change.url;
    if (patterns) row.event_types = *patterns;
    if (change.enabled) row.enabled = *change.enabled;
    if (change.description) row.description = *change.description;
    row.updated_at = impl_->NowMs();
    return impl_->subscriptions.Update(tx, row);
  });
  if (!r) return r.error();
  impl_->Note(ctx.tenant_id());
  return ops::ToSubscription(row);
}

Result<void> Webhooks::RemoveSubscription(const TenantContext& ctx, std::string_view id) {
  auto r = impl_->subscriptions.Remove(ctx, id);
  if (!r && r.error() == Errc::kNotFound)
    return Fail(Errc::kNotFound, "no webhook subscription with that id");
  // Maybe the last one: DispatchAll settles its pending deliveries, then
  // lets the tenant go.
  if (r) impl_->Note(ctx.tenant_id(), /*recheck=*/true);
  return r;
}

Result<std::string> Webhooks::RotateSecret(const TenantContext& ctx, std::string_view id,
                                           std::chrono::seconds overlap) {
  if (overlap.count() < 0) return Fail(Errc::kInvalidArgument, "overlap must not be negative");
  std::string shown;
  auto r = impl_->store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto row = impl_->subscriptions.Get(tx, id);
    if (!row) {
      if (row.error() == Errc::kNotFound)
        return Fail(Errc::kNotFound, "no webhook subscription with that id");
      return row.error();
    }
    auto secrets = ops::OpenSecrets(impl_->cipher, ctx.tenant_id().str(), row->id, row->secrets);
    if (!secrets) return secrets.error();
    ops::SecretSet next;
    next.current = WebhookSecret::Generate(impl_->options.secret_bytes);
    const std::int64_t now = impl_->NowMs();
    if (overlap.count() > 0) {
      next.previous = std::move(secrets->current);
      row->previous_expires_at =
          now + std::chrono::duration_cast<std::chrono::milliseconds>(overlap).count();
    } else {
      row->previous_expires_at = 0;
    }
    auto sealed = ops::SealSecrets(impl_->cipher, ctx.tenant_id().str(), row->id, next);
    if (!sealed) return sealed.error();
    row->secrets = std::move(*sealed);
    row->updated_at = now;
    if (auto u = impl_->subscriptions.Update(tx, *row); !u) return u;
    shown = next.current->ToString();
    return {};
  });
  if (!r) return r.error();
  return shown;
}

}  // namespace tenancy

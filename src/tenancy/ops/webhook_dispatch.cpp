// The webhook dispatcher (webhooks.hpp): fan-out from the outbox, signed
// attempts, backoff with jitter, dead letters, redelivery and the log.
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "ops/webhook_impl.hpp"
#include "tenancy/rfc3339.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kCursorName = "dispatch";
constexpr std::size_t kMaxErrorBytes = 300;

// The Standard Webhooks payload shape: {"type", "timestamp", "data"}. The
// event's payload is already serialized JSON and is spliced in unchanged.
std::string Body(const Event& e) {
  std::string body = "{\"type\":";
  body += boost::json::serialize(boost::json::string(e.type));
  body += ",\"timestamp\":\"";
  AppendRfc3339(body, e.created_at);
  body += "\",\"data\":";
  body += e.payload;
  body += '}';
  return body;
}

// Sortable by event, unique per (event, subscription): "msg_<seq>_<sub>".
std::string DeliveryId(std::int64_t seq, std::string_view sub_id) {
  char num[24];
  std::snprintf(num, sizeof num, "%016lld", static_cast<long long>(seq));
  std::string id = "msg_";
  id += num;
  id += '_';
  id += sub_id.starts_with("sub_") ? sub_id.substr(4) : sub_id;
  return id;
}

bool Matches(const std::vector<std::string>& patterns, std::string_view type) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return EventTypeMatches(p, type); });
}

Error NotFoundDelivery() { return Error(Errc::kNotFound, "no webhook delivery with that id"); }

}  // namespace

std::chrono::milliseconds Webhooks::Impl::Backoff(std::int64_t round_attempts) const {
  using std::chrono::milliseconds;
  const std::int64_t cap = options.max_backoff.count();
  std::int64_t d = options.initial_backoff.count();
  for (std::int64_t i = 1; i < round_attempts && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  // Jitter spreads retries of many deliveries failing at once.
  const double u = static_cast<double>(randombytes_uniform(1'000'000)) / 1e6;
  const double j = std::clamp(options.jitter, 0.0, 1.0);
  return milliseconds{static_cast<std::int64_t>(static_cast<double>(d) * (1.0 - j * u))};
}

Result<void> Webhooks::Impl::SkipToHead(Transaction& tx) {
  auto head = events.LastSequence(tx);
  if (!head) return head.error();
  std::int64_t cursor = 0;
  if (auto c = cursors.Get(tx, kCursorName)) {
    cursor = c->seq;
  } else if (c.error() != Errc::kNotFound) {
    return c.error();
  }
  if (*head <= cursor) return {};
  return cursors.Upsert(tx, ops::CursorRow{std::string(kCursorName), *head});
}

Result<void> Webhooks::Impl::FanOut(const TenantContext& ctx, DispatchReport& report) {
  return store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    std::int64_t cursor = 0;
    if (auto c = cursors.Get(tx, kCursorName)) {
      cursor = c->seq;
    } else if (c.error() != Errc::kNotFound) {
      return c.error();
    }
    auto page = events.Read(tx, {.after = cursor, .limit = options.events_per_dispatch});
    if (!page) return page.error();
    if (page->items.empty()) return {};
    ListQuery q;
    q.limit = 1000;
    q.filters.push_back({"enabled", FilterOp::kEq, Value{std::int64_t{1}}});
    auto subs = subscriptions.List(tx, q);
    if (!subs) return subs.error();
    std::vector<std::pair<const ops::SubscriptionRow*, std::vector<std::string>>> active;
    for (const auto& s : subs->items) active.emplace_back(&s, ops::SplitPatterns(s.event_types));
    const std::int64_t now = NowMs();
    for (const Event& e : page->items) {
      std::string body;
      for (const auto& [sub, patterns] : active) {
        if (!Matches(patterns, e.type)) continue;
        if (body.empty()) body = Body(e);
        ops::DeliveryRow d;
        d.id = DeliveryId(e.sequence, sub->id);
        d.subscription_id = sub->id;
        d.event_seq = e.sequence;
        d.event_type = e.type;
        d.body = body;
        d.state = "pending";
        d.next_attempt_at = d.created_at = d.updated_at = now;
        if (auto r = deliveries.Insert(tx, d); !r) return r;
        ++report.deliveries_created;
      }
    }
    report.events_scanned += static_cast<std::int64_t>(page->items.size());
    return cursors.Upsert(tx, ops::CursorRow{std::string(kCursorName), page->next_after});
  });
}

Result<void> Webhooks::Impl::Attempt(const TenantContext& ctx, const ops::DeliveryRow& delivery,
                                     const ops::SubscriptionRow* sub, DispatchReport& report) {
  const std::int64_t now = NowMs();
  ops::AttemptRow log;
  log.delivery_id = delivery.id;
  log.attempt = delivery.total_attempts + 1;
  log.subscription_id = delivery.subscription_id;
  log.at = now;
  bool delivered = false;
  bool final_failure = false;  // dead-letter now, retrying cannot help

  if (sub == nullptr || !sub->enabled) {
    log.outcome = "refused";
    log.error = sub == nullptr ? "subscription removed" : "subscription disabled";
    final_failure = true;
  } else if (auto target = Check(sub->url); !target) {
    log.outcome = "refused";
    log.error = ops::Excerpt(target.error().message, kMaxErrorBytes);
    // A name that does not resolve may resolve later; a refused address or
    // URL stays refused.
    final_failure = target.error() != Errc::kUnavailable;
  } else {
    auto secrets = ops::OpenSecrets(cipher, ctx.tenant_id().str(), sub->id, sub->secrets);
    if (!secrets) return secrets.error();  // keys gone: the pass cannot sign anything
    const std::int64_t ts = now / 1000;
    std::string signature = SignWebhook(*secrets->current, delivery.id, ts, delivery.body);
    if (secrets->previous && now < sub->previous_expires_at)
      signature += " " + SignWebhook(*secrets->previous, delivery.id, ts, delivery.body);
    WebhookRequest req;
    req.target = &*target;
    req.headers = {{"content-type", "application/json"},
                   {"user-agent", "tenancy-webhooks/1"},
                   {"webhook-id", delivery.id},
                   {"webhook-timestamp", std::to_string(ts)},
                   {"webhook-signature", std::move(signature)}};
    req.body = delivery.body;
    req.timeout = options.request_timeout;
    const auto start = std::chrono::steady_clock::now();
    auto resp = transport.Post(req);
    log.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    if (resp) {
      log.status = resp->status;
      delivered = resp->status >= 200 && resp->status < 300;
      if (!delivered)
        log.error = ops::Excerpt("HTTP " + std::to_string(resp->status) + ": " + resp->body_excerpt,
                                 kMaxErrorBytes);
    } else {
      log.error = ops::Excerpt(resp.error().message, kMaxErrorBytes);
    }
    log.outcome = delivered ? "delivered" : "failed";
  }
  ++report.attempts;

  ops::DeliveryRow next = delivery;
  next.attempts += 1;
  next.total_attempts += 1;
  next.last_status = log.status;
  next.last_error = log.error;
  next.updated_at = now;
  if (delivered) {
    next.state = "delivered";
    ++report.delivered;
  } else if (final_failure || next.attempts >= options.max_attempts) {
    next.state = "dead";
    ++report.dead_lettered;
  } else {
    next.next_attempt_at = now + Backoff(next.attempts).count();
    ++report.failed;
  }
  return store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    if (auto r = attempts.Insert(tx, log); !r) return r;
    return deliveries.Update(tx, next);
  });
}

Result<void> Webhooks::Impl::DeliverDue(const TenantContext& ctx, DispatchReport& report) {
  ListQuery q;
  q.limit = options.deliveries_per_dispatch;
  q.filters.push_back({"state", FilterOp::kEq, Value{std::string("pending")}});
  q.filters.push_back({"next_attempt_at", FilterOp::kLe, Value{NowMs()}});
  auto due = deliveries.List(ctx, q);
  if (!due) return due.error();
  std::map<std::string, std::optional<ops::SubscriptionRow>, std::less<>> subs;
  for (const auto& d : due->items) {
    auto it = subs.find(d.subscription_id);
    if (it == subs.end()) {
      auto row = subscriptions.Get(ctx, d.subscription_id);
      if (!row && row.error() != Errc::kNotFound) return row.error();
      it = subs.emplace(d.subscription_id,
                        row ? std::optional<ops::SubscriptionRow>(std::move(*row)) : std::nullopt)
               .first;
    }
    if (auto r = Attempt(ctx, d, it->second ? &*it->second : nullptr, report); !r) return r;
  }
  return {};
}

Result<DispatchReport> Webhooks::Dispatch(const TenantContext& ctx) {
  std::lock_guard lock(impl_->dispatch_mu);
  DispatchReport report;
  if (auto r = impl_->FanOut(ctx, report); !r) return r.error();
  if (auto r = impl_->DeliverDue(ctx, report); !r) return r.error();
  report.tenants = 1;
  return report;
}

Result<WebhookDelivery> Webhooks::GetDelivery(const TenantContext& ctx, std::string_view id) const {
  auto row = impl_->deliveries.Get(ctx, id);
  if (!row) return row.error() == Errc::kNotFound ? NotFoundDelivery() : row.error();
  return ops::ToDelivery(*row);
}

Result<WebhookPage<WebhookDelivery>> Webhooks::ListDeliveries(const TenantContext& ctx,
                                                              const DeliveryQuery& query) const {
  ListQuery q;
  q.limit = query.limit;
  q.after = query.after;
  if (query.state)
    q.filters.push_back({"state", FilterOp::kEq, Value{std::string(ToString(*query.state))}});
  if (!query.subscription_id.empty())
    q.filters.push_back({"subscription_id", FilterOp::kEq, Value{query.subscription_id}});
  auto page = impl_->deliveries.List(ctx, q);
  if (!page) return page.error();
  WebhookPage<WebhookDelivery> out;
  for (const auto& row : page->items) out.items.push_back(ops::ToDelivery(row));
  out.next_cursor = std::move(page->next_cursor);
  return out;
}

Result<std::vector<DeliveryAttempt>> Webhooks::ListAttempts(const TenantContext& ctx,
                                                            std::string_view delivery_id) const {
  if (auto d = GetDelivery(ctx, delivery_id); !d) return d.error();
  std::vector<DeliveryAttempt> out;
  ListQuery q;
  q.limit = 1000;
  q.filters.push_back({"delivery_id", FilterOp::kEq, Value{std::string(delivery_id)}});
  do {
    auto page = impl_->attempts.List(ctx, q);
    if (!page) return page.error();
    for (const auto& row : page->items) out.push_back(ops::ToAttempt(row));
    q.after = std::move(page->next_cursor);
  } while (!q.after.empty());
  return out;
}

Result<WebhookDelivery> Webhooks::Redeliver(const TenantContext& ctx, std::string_view delivery_id) {
  ops::DeliveryRow row;
  auto r = impl_->store.Transact(ctx, [&](Transaction& tx) -> Result<void> {
    auto current = impl_->deliveries.Get(tx, delivery_id);
    if (!current) return current.error() == Errc::kNotFound ? NotFoundDelivery() : current.error();
    if (current->state == "pending")
      return Fail(Errc::kFailedPrecondition, "the delivery is still pending");
    row = std::move(*current);
    row.state = "pending";
    row.attempts = 0;
    row.next_attempt_at = row.updated_at = impl_->NowMs();
    return impl_->deliveries.Update(tx, row);
  });
  if (!r) return r.error();
  impl_->Note(ctx.tenant_id(), /*recheck=*/true);  // pending again, maybe without a subscription
  return ops::ToDelivery(row);
}

}  // namespace tenancy

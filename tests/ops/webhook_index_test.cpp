// Which tenants Webhooks::DispatchAll visits: only those with subscriptions
// or pending deliveries, seeded by one walk, kept by this object's changes,
// re-synchronised by a paced sweep that finds another object's (another
// process's) changes within sweep_interval; removed, offboarded and
// suspended tenants; retries through DispatchAll; the stop flag; and a
// race of subscriptions against sweeps on two threads.
#include "support/catch_tenancy.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "ops/webhook_world.hpp"

namespace tenancy::testing {
namespace {

using std::chrono::seconds;

// Answers without a network: the scripted statuses first, then `fallback`;
// records which path (the tenant's marker) each request went to. Optionally
// raises a stop flag when it is called (a pass stopping mid-walk).
class ScriptedTransport final : public WebhookTransport {
 public:
  explicit ScriptedTransport(int fallback = 204) : fallback_(fallback) {}
  bool Supports(std::string_view scheme) const noexcept override { return scheme == "http"; }
  Result<WebhookResponse> Post(const WebhookRequest& request) override {
    std::lock_guard lock(mu_);
    targets_.push_back(request.target->target);
    if (stop_on_post_ != nullptr) stop_on_post_->store(true);
    int status = fallback_;
    if (!script_.empty()) {
      status = script_.front();
      script_.erase(script_.begin());
    }
    return WebhookResponse{status, ""};
  }
  void Script(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    script_ = std::move(statuses);
  }
  void StopOnPost(std::atomic<bool>* stop) {
    std::lock_guard lock(mu_);
    stop_on_post_ = stop;
  }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mu_);
    return targets_;
  }

 private:
  mutable std::mutex mu_;
  int fallback_;
  std::vector<int> script_;
  std::vector<std::string> targets_;
  std::atomic<bool>* stop_on_post_ = nullptr;
};

WebhookOptions PublicResolver() {
  WebhookOptions o;
  o.resolver = [](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"93.184.216.34"};
  };
  return o;
}

std::string UrlFor(const Tenant& t) { return "http://hooks.example/" + t.slug; }

// `n` shared-model tenants "<prefix>-<i>".
std::vector<Tenant> ProvisionMany(OpsWorld& w, const std::string& prefix, int n) {
  std::vector<Tenant> out;
  for (int i = 0; i < n; ++i) out.push_back(w.Provision(prefix + "-" + std::to_string(i), IsolationModel::kShared));
  return out;
}

TEST_CASE("webhook index: after seeding, a pass visits the subscribers, not every tenant",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport;
  WebhookOptions o = PublicResolver();
  o.sweep_interval = seconds{60};
  OpsWorld w(&transport, o);
  constexpr int kTenants = 40;
  std::vector<Tenant> tenants = ProvisionMany(w, "many", kTenants);
  // Another model, to show the walk covers every model.
  tenants.push_back(w.Provision("many-db", IsolationModel::kDatabase));
  const Tenant& subscriber = tenants[17];
  auto sctx = w.Context(subscriber);
  REQUIRE(w.webhooks().Subscribe(sctx, {.url = UrlFor(subscriber), .event_types = {"*"}}));
  // Events everywhere: only the subscriber's are delivered.
  for (const Tenant& t : tenants) w.Emit(w.Context(t), "ride.completed", {});

  auto seed = w.webhooks().DispatchAll(w.directory());
  REQUIRE(seed);
  CHECK(seed->tenants_checked == kTenants + 1);  // the seeding walk reads everyone once
  CHECK(seed->tenants == 1);
  CHECK(seed->delivered == 1);
  CHECK(seed->tenant_errors.empty());

  // The clock has not moved: no sweep share, one visit.
  auto again = w.webhooks().DispatchAll(w.directory());
  REQUIRE(again);
  CHECK(again->tenants_checked == 0);
  CHECK(again->tenants == 1);
  CHECK(again->events_scanned == 0);

  // A second at a time: the sweep reads ceil(41 / 60) = 1 tenant a pass.
  std::int64_t checked = 0;
  for (int i = 0; i < 10; ++i) {
    w.clock().Advance(seconds{1});
    auto r = w.webhooks().DispatchAll(w.directory());
    REQUIRE(r);
    CHECK(r->tenants == 1);
    CHECK(r->tenants_checked == 1);
    checked += r->tenants_checked;
  }
  CHECK(checked == 10);

  w.Emit(sctx, "ride.completed", {});
  auto more = w.webhooks().DispatchAll(w.directory());
  REQUIRE(more);
  CHECK(more->delivered == 1);
  const auto targets = transport.targets();
  REQUIRE(targets.size() == 2);
  for (const auto& t : targets) CHECK(t == "/" + subscriber.slug);
}

TEST_CASE("webhook index: a subscription made by another Webhooks object is dispatched within the "
          "sweep interval, not before the sweep reaches it",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport, other_transport;
  WebhookOptions o = PublicResolver();
  o.sweep_interval = seconds{10};
  OpsWorld w(&transport, o);
  constexpr int kTenants = 25;
  std::vector<Tenant> tenants = ProvisionMany(w, "far", kTenants);
  REQUIRE(w.webhooks().DispatchAll(w.directory()));  // seeded: nobody subscribes

  // "tenancyctl": its own Webhooks on the same store and keys.
  FieldCipher cipher(w.keyring());
  WebhookOptions oo = PublicResolver();
  oo.clock = &w.clock();
  Webhooks other(w.store(), w.events(), cipher, other_transport, oo);
  const Tenant& target = tenants[kTenants - 3];
  auto tctx = w.Context(target);
  auto sub = other.Subscribe(tctx, {.url = UrlFor(target), .event_types = {"ride.*"}});
  REQUIRE(sub);
  w.Emit(tctx, "ride.completed", {});

  // No time has passed: this object has not seen it and sends nothing.
  auto early = w.webhooks().DispatchAll(w.directory());
  REQUIRE(early);
  CHECK(early->tenants == 0);
  CHECK(transport.targets().empty());

  // A second a pass: each pass sweeps ceil(25 × 1/10) = 3 tenants, so the
  // whole directory is read within 9 passes ≤ the 10 s interval.
  int passes = 0;
  std::int64_t delivered = 0;
  while (delivered == 0 && passes < 30) {
    w.clock().Advance(seconds{1});
    auto r = w.webhooks().DispatchAll(w.directory());
    REQUIRE(r);
    CHECK(r->tenants_checked == 3);
    delivered += r->delivered;
    ++passes;
  }
  CHECK(delivered == 1);
  CHECK(passes <= 10);
  CHECK(other_transport.targets().empty());  // the other object never dispatched
  REQUIRE(transport.targets().size() == 1);
  CHECK(transport.targets()[0] == "/" + target.slug);

  // Removed elsewhere: this object keeps visiting until its sweep re-reads
  // the tenant, then stops.
  REQUIRE(other.RemoveSubscription(tctx, sub->subscription.id));
  auto still = w.webhooks().DispatchAll(w.directory());
  REQUIRE(still);
  CHECK(still->tenants == 1);
  w.clock().Advance(seconds{10});  // one full sweep in this pass
  auto swept = w.webhooks().DispatchAll(w.directory());
  REQUIRE(swept);
  CHECK(swept->tenants_checked == kTenants);
  auto after = w.webhooks().DispatchAll(w.directory());
  REQUIRE(after);
  CHECK(after->tenants == 0);
}

TEST_CASE("webhook index: a tenant whose last subscription is removed stops being visited once its "
          "pending deliveries are settled",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport(500);  // every attempt fails
  WebhookOptions o = PublicResolver();
  o.initial_backoff = seconds{30};
  o.sweep_interval = std::chrono::hours{1};  // the sweep plays no part here
  OpsWorld w(&transport, o);
  std::vector<Tenant> tenants = ProvisionMany(w, "rm", 5);
  auto ctx = w.Context(tenants[2]);
  auto a = w.webhooks().Subscribe(ctx, {.url = UrlFor(tenants[2]), .event_types = {"*"}});
  auto b = w.webhooks().Subscribe(ctx, {.url = UrlFor(tenants[2]), .event_types = {"*"}});
  REQUIRE(a);
  REQUIRE(b);
  w.Emit(ctx, "ride.completed", {});
  auto first = w.webhooks().DispatchAll(w.directory());
  REQUIRE(first);
  CHECK(first->tenants == 1);
  CHECK(first->failed == 2);  // two pending deliveries, retried in 15..30 s

  // One of two removed: still a subscriber.
  REQUIRE(w.webhooks().RemoveSubscription(ctx, a->subscription.id));
  REQUIRE(w.webhooks().DispatchAll(w.directory()).value().tenants == 1);
  REQUIRE(w.webhooks().DispatchAll(w.directory()).value().tenants == 1);
  // The last one removed: its delivery is still pending, so the tenant is
  // visited until that delivery is dead-lettered when due.
  REQUIRE(w.webhooks().RemoveSubscription(ctx, b->subscription.id));
  auto pending = w.webhooks().DispatchAll(w.directory());
  REQUIRE(pending);
  CHECK(pending->tenants == 1);
  CHECK(pending->attempts == 0);  // not due yet
  w.clock().Advance(seconds{31});
  auto settled = w.webhooks().DispatchAll(w.directory());
  REQUIRE(settled);
  CHECK(settled->tenants == 1);
  CHECK(settled->dead_lettered == 2);  // both subscriptions are gone
  auto gone = w.webhooks().DispatchAll(w.directory());
  REQUIRE(gone);
  CHECK(gone->tenants == 0);
  CHECK(w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kDead}).value().items.size() == 2);

  // A redelivery brings it back at once.
  const auto dead = w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kDead}).value().items;
  REQUIRE(w.webhooks().Redeliver(ctx, dead[0].id));
  auto back = w.webhooks().DispatchAll(w.directory());
  REQUIRE(back);
  CHECK(back->tenants == 1);
  CHECK(back->dead_lettered == 1);  // still no subscription
}

TEST_CASE("webhook index: deliveries dispatched by DispatchAll retry with backoff",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport;
  transport.Script({503, 503});
  WebhookOptions o = PublicResolver();
  o.initial_backoff = seconds{10};
  o.max_backoff = seconds{600};
  OpsWorld w(&transport, o);
  std::vector<Tenant> tenants = ProvisionMany(w, "retry", 6);
  auto ctx = w.Context(tenants[4]);
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = UrlFor(tenants[4]), .event_types = {"*"}}));
  w.Emit(ctx, "ride.completed", {});

  auto r1 = w.webhooks().DispatchAll(w.directory());
  REQUIRE(r1);
  CHECK(r1->failed == 1);
  const auto d1 = w.webhooks().ListDeliveries(ctx, {}).value().items.at(0);
  CHECK(d1.next_attempt_at >= w.clock().Now() + seconds{5});
  CHECK(d1.next_attempt_at <= w.clock().Now() + seconds{10});
  // Before the retry is due, passes attempt nothing.
  w.clock().Advance(seconds{4});
  CHECK(w.webhooks().DispatchAll(w.directory()).value().attempts == 0);
  w.clock().Advance(seconds{6});
  auto r2 = w.webhooks().DispatchAll(w.directory());
  REQUIRE(r2);
  CHECK(r2->failed == 1);
  const auto d2 = w.webhooks().GetDelivery(ctx, d1.id).value();
  CHECK(d2.next_attempt_at >= w.clock().Now() + seconds{10});  // 20 s × [0.5, 1]
  CHECK(d2.next_attempt_at <= w.clock().Now() + seconds{20});
  w.clock().Advance(seconds{20});
  auto r3 = w.webhooks().DispatchAll(w.directory());
  REQUIRE(r3);
  CHECK(r3->delivered == 1);
  CHECK(w.webhooks().GetDelivery(ctx, d1.id).value().total_attempts == 3);
  CHECK(transport.targets().size() == 3);
}

TEST_CASE("webhook index: offboarded tenants are never visited; suspended ones wait and return",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport;
  WebhookOptions o = PublicResolver();
  o.sweep_interval = std::chrono::hours{1};
  OpsWorld w(&transport, o);
  std::vector<Tenant> tenants = ProvisionMany(w, "life", 4);
  for (const Tenant& t : tenants)
    REQUIRE(w.webhooks().Subscribe(w.Context(t), {.url = UrlFor(t), .event_types = {"*"}}));
  REQUIRE(w.webhooks().DispatchAll(w.directory()).value().tenants == 4);

  for (const Tenant& t : tenants) w.Emit(w.Context(t), "ride.completed", {});
  REQUIRE(w.directory().Offboard(tenants[0].id, "test"));
  REQUIRE(w.directory().ChangeState(tenants[1].id, TenantState::kSuspended, "test"));
  auto r = w.webhooks().DispatchAll(w.directory());
  REQUIRE(r);
  CHECK(r->tenants == 2);
  CHECK(r->delivered == 2);
  CHECK(r->tenant_errors.empty());
  for (const auto& target : transport.targets()) {
    CHECK(target != "/" + tenants[0].slug);
    CHECK(target != "/" + tenants[1].slug);
  }
  // A full sweep (clock past the interval) does not bring the offboarded one back.
  w.clock().Advance(std::chrono::hours{1});
  auto swept = w.webhooks().DispatchAll(w.directory());
  REQUIRE(swept);
  CHECK(swept->tenants == 2);
  CHECK(swept->tenant_errors.empty());

  // The suspended tenant returns: served on the next pass, no sweep needed.
  REQUIRE(w.directory().ChangeState(tenants[1].id, TenantState::kActive, "back"));
  auto back = w.webhooks().DispatchAll(w.directory());
  REQUIRE(back);
  CHECK(back->tenants_checked == 0);
  CHECK(back->tenants == 3);
  CHECK(back->delivered == 1);
  std::size_t offboarded_posts = 0;
  for (const auto& target : transport.targets()) offboarded_posts += target == "/" + tenants[0].slug;
  CHECK(offboarded_posts == 0);
}

TEST_CASE("webhook index: a first subscription starts at the outbox head, a second one does not",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport;
  WebhookOptions o = PublicResolver();
  OpsWorld w(&transport, o);
  std::vector<Tenant> tenants = ProvisionMany(w, "head", 2);
  auto ctx = w.Context(tenants[0]);
  REQUIRE(w.webhooks().DispatchAll(w.directory()));
  // Events from before any subscription (never visited: no cursor moved).
  for (int i = 0; i < 5; ++i) w.Emit(ctx, "ride.completed", {{"n", i}});
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = "http://hooks.example/a", .event_types = {"*"}}));
  const std::int64_t after_first = w.Emit(ctx, "ride.completed", {{"n", 5}});
  // A second subscription joins the tenant's stream where it is: the event
  // not yet fanned out goes to both.
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = "http://hooks.example/b", .event_types = {"*"}}));
  auto r = w.webhooks().DispatchAll(w.directory());
  REQUIRE(r);
  CHECK(r->events_scanned == 1);
  CHECK(r->deliveries_created == 2);
  CHECK(r->delivered == 2);
  const auto items = w.webhooks().ListDeliveries(ctx, {}).value().items;
  REQUIRE(items.size() == 2);
  for (const auto& d : items) CHECK(d.event_sequence == after_first);
}

TEST_CASE("webhook index: a raised stop flag ends a pass between tenants, the next resumes",
          "[webhooks][dispatch-index]") {
  ScriptedTransport transport;
  WebhookOptions o = PublicResolver();
  OpsWorld w(&transport, o);
  constexpr int kTenants = 12;
  std::vector<Tenant> tenants = ProvisionMany(w, "stop", kTenants);
  std::atomic<bool> stop{true};
  auto none = w.webhooks().DispatchAll(w.directory(), &stop);
  REQUIRE(none);
  CHECK(none->tenants_checked == 0);
  CHECK(none->tenants == 0);

  for (int i = 0; i < 3; ++i) {
    auto ctx = w.Context(tenants[i * 4]);
    REQUIRE(w.webhooks().Subscribe(ctx, {.url = UrlFor(tenants[i * 4]), .event_types = {"*"}}));
    w.Emit(ctx, "ride.completed", {});
  }
  // The stopped pass did not seed: this one walks everything first. Then
  // the first attempt raises the flag: that tenant finishes, the rest wait.
  stop = false;
  transport.StopOnPost(&stop);
  auto part = w.webhooks().DispatchAll(w.directory(), &stop);
  REQUIRE(part);
  CHECK(part->tenants_checked == kTenants);
  CHECK(part->tenants == 1);
  CHECK(part->delivered == 1);
  transport.StopOnPost(nullptr);
  stop = false;
  auto rest = w.webhooks().DispatchAll(w.directory(), &stop);
  REQUIRE(rest);
  CHECK(rest->tenants == 3);
  CHECK(rest->delivered == 2);
  CHECK(rest->tenants_checked == 0);  // seeded once, and the clock stood still
  CHECK(transport.targets().size() == 3);
}

TEST_CASE("webhook index: subscriptions racing full sweeps on another thread are never lost",
          "[webhooks][dispatch-index][concurrency]") {
  ScriptedTransport transport;
  WebhookOptions o = PublicResolver();
  o.sweep_interval = seconds{1};
  OpsWorld w(&transport, o);
  constexpr int kTenants = 48;
  constexpr int kRounds = 4;  // a lost subscription shows in some rounds, not all
  std::vector<Tenant> tenants = ProvisionMany(w, "race", kTenants);
  std::vector<TenantContext> ctxs;
  for (const Tenant& t : tenants) ctxs.push_back(w.Context(t));
  REQUIRE(w.webhooks().DispatchAll(w.directory()));

  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    std::atomic<bool> done{false};
    std::atomic<int> passes{0};
    std::atomic<int> failures{0};
    // Every pass is a full sweep (the clock moves a whole interval), so each
    // tenant's membership is re-read while its first subscription commits.
    std::thread sweeper([&] {
      while (!done.load()) {
        w.clock().Advance(seconds{1});
        if (!w.webhooks().DispatchAll(w.directory())) ++failures;
        ++passes;
      }
    });
    std::thread subscriber([&] {
      for (int i = 0; i < kTenants; ++i) {
        auto r = WithRetry([&]() -> Result<void> {
          auto sub = w.webhooks().Subscribe(ctxs[i], {.url = UrlFor(tenants[i]), .event_types = {"*"}});
          if (!sub) return sub.error();
          return {};
        });
        if (!r) ++failures;
        if ((i + round) % 2 == 1) {
          // Half lose theirs again: a removal racing the sweep too.
          auto subs = w.webhooks().ListSubscriptions(ctxs[i]);
          if (!subs || subs->size() != 1 ||
              !WithRetry([&] { return w.webhooks().RemoveSubscription(ctxs[i], subs->front().id); }))
            ++failures;
        }
      }
      done = true;
    });
    subscriber.join();
    sweeper.join();
    CHECK(failures.load() == 0);
    CHECK(passes.load() > 0);

    // Without a sweep (the clock stands still), every tenant that kept its
    // subscription is in the set; the others leave after their removal's
    // re-check.
    const std::size_t posted_before = transport.targets().size();
    for (int i = 0; i < kTenants; ++i) w.Emit(ctxs[i], "ride.completed", {});
    auto r = w.webhooks().DispatchAll(w.directory());
    REQUIRE(r);
    CHECK(r->tenants_checked == 0);
    CHECK(r->delivered == kTenants / 2);
    CHECK(r->tenant_errors.empty());
    const auto targets = transport.targets();
    const std::set<std::string> reached(targets.begin() + static_cast<std::ptrdiff_t>(posted_before),
                                        targets.end());
    CHECK(reached.size() == static_cast<std::size_t>(kTenants / 2));
    for (int i = 0; i < kTenants; ++i)
      if ((i + round) % 2 == 0) CHECK(reached.count("/" + tenants[i].slug) == 1);
    auto next = w.webhooks().DispatchAll(w.directory());
    REQUIRE(next);
    CHECK(next->tenants == kTenants / 2);

    // Everyone back to no subscription for the next round (no race here).
    for (int i = 0; i < kTenants; ++i)
      for (const auto& sub : w.webhooks().ListSubscriptions(ctxs[i]).value())
        REQUIRE(w.webhooks().RemoveSubscription(ctxs[i], sub.id));
    REQUIRE(w.webhooks().DispatchAll(w.directory()));
    CHECK(w.webhooks().DispatchAll(w.directory()).value().tenants == 0);
  }
}

}  // namespace
}  // namespace tenancy::testing

// The operations API of tenancyd over real sockets: the tenant's event log
// written with its rides, webhook subscriptions with Standard Webhooks
// signatures delivered to a receiver on 127.0.0.1, dead letters and
// redelivery, the SSRF policy, tenant isolation of all of it, the
// dispatcher thread, and per-tenant backup/restore for operators.
#include "data_plane_fixture.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "live_server.hpp"
#include "ops/webhook_receiver.hpp"
#include "server.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// An AppWorld whose platform allows loopback webhook targets (or not), with
// the dispatcher thread off (`interval` zero: the test dispatches) or on,
// served over real sockets on an ephemeral port.
class OpsServer {
 public:
  explicit OpsServer(bool allow_loopback = true, std::chrono::milliseconds interval = 0ms)
      : world_({}, {}, [=](PlatformOptions& p) {
          p.webhook_policy.allow_loopback = allow_loopback;
          p.webhook_dispatch_interval = interval;
        }) {
    server_ = ServeOnLoopback(world_);
  }
  ~OpsServer() { server_.reset(); }

  AppWorld& world() { return world_; }
  Platform& platform() { return world_.app().platform(); }

  // One request on a fresh connection.
  Response Call(V method, const std::string& target, const std::string& credential,
                std::string body = {}, std::string content_type = "application/json",
                const Headers& headers = {}) {
    Request req = WithBearer(MakeRequest(method, target, std::move(body), content_type), credential);
    for (const auto& [k, v] : headers) req.set(k, v);
    TestClient c(server_->port());
    REQUIRE(c.connected());
    auto res = c.Roundtrip(std::move(req));
    REQUIRE(res);
    return std::move(*res);
  }
  // As tenant `t` (its admin key unless `key`), under /t/{slug}.
  Response As(const Onboarded& t, V method, const std::string& path, std::string body = {},
              const std::string& key = {}, const Headers& headers = {}) {
    return Call(method, "/t/" + t.slug + path, key.empty() ? t.key : key, std::move(body),
                "application/json", headers);
  }

 private:
  AppWorld world_;
  std::unique_ptr<Server> server_;
};

std::string NewDriver(OpsServer& s, const Onboarded& t, double lon, double lat) {
  const std::string id =
      Str(Expect(s.As(t, V::post, "/v1/drivers", R"({"name":"Dana Driver"})"), S::created), "id");
  Expect(s.As(t, V::put, "/v1/drivers/" + id + "/location",
              R"({"lon":)" + std::to_string(lon) + R"(,"lat":)" + std::to_string(lat) + "}"),
         S::ok);
  Expect(s.As(t, V::put, "/v1/drivers/" + id + "/availability", R"({"availability":"available"})"),
         S::ok);
  return id;
}

const std::string kTrip =
    R"({"pickup":{"lon":13.401,"lat":52.501},"dropoff":{"lon":13.45,"lat":52.52},)"
    R"("rider":{"name":"Rita Rider","phone":"+4930123456"}})";

std::string BookRide(OpsServer& s, const Onboarded& t, const std::string& key) {
  const json::value ride =
      Expect(s.As(t, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", key}}), S::created);
  return Str(ride, "id");
}

void CompleteRide(OpsServer& s, const Onboarded& t, const std::string& ride) {
  for (const char* step : {"arriving", "start"})
    Expect(s.As(t, V::post, "/v1/rides/" + ride + "/" + step), S::ok);
  Expect(s.As(t, V::post, "/v1/rides/" + ride + "/complete", R"({"distance_m":4200,"duration_s":600})"),
         S::ok);
}

json::value Subscribe(OpsServer& s, const Onboarded& t, const std::string& url,
                      const std::string& types = R"(["ride.*"])") {
  Response res = s.As(t, V::post, "/v1/webhooks", R"({"url":")" + url + R"(","event_types":)" + types +
                                                      R"(,"description":"ops test"})");
  INFO(res.body());
  REQUIRE(res.result() == S::created);
  CHECK(res[http::field::cache_control] == "no-store");
  return BodyJson(res);
}

std::vector<std::string> EventTypes(const json::value& page) {
  std::vector<std::string> out;
  for (const auto& e : page.at("items").as_array()) out.emplace_back(e.at("type").as_string());
  return out;
}

TEST_CASE("ride events are in the tenant's outbox and signed deliveries reach its receiver",
          "[server][ops]") {
  OpsServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  tenancy::testing::WebhookReceiver receiver;

  const json::value sub = Subscribe(s, a, receiver.Url("/in"));
  const std::string sub_id = Str(sub, "id");
  const std::string secret_text = Str(sub, "secret");
  REQUIRE(secret_text.rfind("whsec_", 0) == 0);
  auto secret = tenancy::WebhookSecret::Parse(secret_text);
  REQUIRE(secret);
  // The secret is shown once: never in reads.
  const json::value listed = Expect(s.As(a, V::get, "/v1/webhooks"), S::ok);
  REQUIRE(listed.at("items").as_array().size() == 1);
  CHECK(!listed.at("items").as_array()[0].as_object().contains("secret"));
  CHECK(Str(Expect(s.As(a, V::get, "/v1/webhooks/" + sub_id), S::ok), "url") == receiver.Url("/in"));

  NewDriver(s, a, 13.4, 52.5);
  const std::string r1 = BookRide(s, a, "k-1");
  CompleteRide(s, a, r1);
  const std::string r2 = BookRide(s, a, "k-2");
  Expect(s.As(a, V::post, "/v1/rides/" + r2 + "/cancel", R"({"reason":"changed plans"})"), S::ok);

  // The outbox, in order, with the rides' ids and no rider details.
  const json::value events = Expect(s.As(a, V::get, "/v1/events"), S::ok);
  const std::vector<std::string> expected{"ride.requested", "ride.assigned", "ride.completed",
                                          "ride.requested", "ride.assigned", "ride.cancelled"};
  REQUIRE(EventTypes(events) == expected);
  const auto& items = events.at("items").as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    CHECK(items[i].at("sequence").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(Str(items[i].at("data"), "ride_id") == (i < 3 ? r1 : r2));
    CHECK(json::serialize(items[i]).find("Rita") == std::string::npos);
  }
  const json::value r1_read = Expect(s.As(a, V::get, "/v1/rides/" + r1), S::ok);
  CHECK(items[2].at("data").at("fare") == r1_read.at("fare"));
  CHECK(Str(items[2].at("data"), "currency") == Str(r1_read.at("quote"), "currency"));
  CHECK(Str(items[1].at("data"), "driver_id") == Str(r1_read, "driver_id"));
  CHECK(Str(items[0].at("data"), "state") == "requested");
  CHECK(Str(items[5].at("data"), "cancel_reason") == "changed plans");
  CHECK(events.at("more").as_bool() == false);
  // Cursor and filter.
  const json::value after3 = Expect(s.As(a, V::get, "/v1/events?after=3&limit=2"), S::ok);
  REQUIRE(EventTypes(after3) == std::vector<std::string>{"ride.requested", "ride.assigned"});
  CHECK(after3.at("next_after").as_int64() == 5);
  CHECK(after3.at("more").as_bool());
  const json::value done = Expect(s.As(a, V::get, "/v1/events?type=ride.completed"), S::ok);
  REQUIRE(EventTypes(done) == std::vector<std::string>{"ride.completed"});
  RequireProblem(s.As(a, V::get, "/v1/events?limit=0"), S::bad_request, "invalid_argument");
  RequireProblem(s.As(a, V::get, "/v1/events?type=Ride"), S::bad_request, "invalid_argument");
  RequireProblem(s.As(a, V::get, "/v1/events?after=-1"), S::bad_request, "invalid_argument");

  // One dispatch pass: six signed deliveries, in order.
  auto report = s.platform().DispatchWebhooks();
  REQUIRE(report);
  CHECK(report->delivered == 6);
  const auto got = receiver.requests();
  REQUIRE(got.size() == 6);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("delivery " << i);
    CHECK(got[i].target == "/in");
    REQUIRE(tenancy::VerifyWebhook(*secret, {got[i].id, got[i].timestamp, got[i].signature},
                                   got[i].body, s.world().clock().Now()));
    const json::value body = json::parse(got[i].body);
    CHECK(Str(body, "type") == expected[i]);
    ids.insert(got[i].id);
    // A tampered body does not verify.
    CHECK_FALSE(tenancy::VerifyWebhook(*secret, {got[i].id, got[i].timestamp, got[i].signature},
                                       got[i].body + " ", s.world().clock().Now()));
  }
  CHECK(ids.size() == 6);

  // The delivery log.
  const json::value deliveries = Expect(s.As(a, V::get, "/v1/webhooks/deliveries?state=delivered"), S::ok);
  REQUIRE(deliveries.at("items").as_array().size() == 6);
  const std::string delivery_id = Str(deliveries.at("items").as_array()[0], "id");
  CHECK(ids.count(delivery_id) == 1);
  const json::value one = Expect(s.As(a, V::get, "/v1/webhooks/deliveries/" + delivery_id), S::ok);
  CHECK(Str(one, "state") == "delivered");
  REQUIRE(one.at("attempt_log").as_array().size() == 1);
  CHECK(one.at("attempt_log").as_array()[0].at("status").as_int64() == 200);
  CHECK(Expect(s.As(a, V::get, "/v1/webhooks/deliveries?state=dead"), S::ok)
            .at("items").as_array().empty());

  // Tenant B sees none of it, and A's ids are 404 to B.
  CHECK(Expect(s.As(b, V::get, "/v1/events"), S::ok).at("items").as_array().empty());
  CHECK(Expect(s.As(b, V::get, "/v1/webhooks"), S::ok).at("items").as_array().empty());
  CHECK(Expect(s.As(b, V::get, "/v1/webhooks/deliveries"), S::ok).at("items").as_array().empty());
  CHECK(s.As(b, V::get, "/v1/webhooks/" + sub_id).result() == S::not_found);
  CHECK(s.As(b, V::patch, "/v1/webhooks/" + sub_id, R"({"enabled":false})").result() == S::not_found);
  CHECK(s.As(b, V::delete_, "/v1/webhooks/" + sub_id).result() == S::not_found);
  CHECK(s.As(b, V::post, "/v1/webhooks/" + sub_id + "/rotate-secret").result() == S::not_found);
  CHECK(s.As(b, V::get, "/v1/webhooks/deliveries/" + delivery_id).result() == S::not_found);
  CHECK(s.As(b, V::post, "/v1/webhooks/deliveries/" + delivery_id + "/redeliver").result() ==
        S::not_found);
  // Still A's, untouched.
  CHECK(Expect(s.As(a, V::get, "/v1/webhooks/" + sub_id), S::ok).at("enabled").as_bool());

  // A dispatcher role cannot manage webhooks (tenant.admin).
  const std::string dispatcher = KeyWithRoles(s.world(), a, {"dispatcher"});
  CHECK(s.As(a, V::get, "/v1/webhooks", {}, dispatcher).result() == S::forbidden);
}

TEST_CASE("failed deliveries are dead-lettered, redelivered, and secrets rotate",
          "[server][ops]") {
  OpsServer s;
  const Onboarded a = s.world().Onboard("alpha");
  tenancy::testing::WebhookReceiver receiver({}, 500);
  const json::value sub = Subscribe(s, a, receiver.Url(), R"(["ride.requested"])");
  const std::string sub_id = Str(sub, "id");
  BookRide(s, a, "only");  // no driver: requested, not assigned

  // Every attempt fails; the clock moves past each backoff until it dies.
  for (int i = 0; i < 12; ++i) {
    REQUIRE(s.platform().DispatchWebhooks());
    s.world().clock().Advance(2h);
  }
  const json::value dead = Expect(s.As(a, V::get, "/v1/webhooks/deliveries?state=dead"), S::ok);
  REQUIRE(dead.at("items").as_array().size() == 1);
  const std::string id = Str(dead.at("items").as_array()[0], "id");
  const json::value detail = Expect(s.As(a, V::get, "/v1/webhooks/deliveries/" + id), S::ok);
  const auto attempts = detail.at("attempt_log").as_array().size();
  CHECK(attempts == 8);  // WebhookOptions::max_attempts (the platform keeps the default)
  CHECK(receiver.requests().size() == attempts);
  for (const auto& at : detail.at("attempt_log").as_array()) CHECK(at.at("status").as_int64() == 500);

  // Rotate with overlap: the next delivery carries both signatures.
  const json::value rotated =
      Expect(s.As(a, V::post, "/v1/webhooks/" + sub_id + "/rotate-secret", R"({"overlap_s":3600})"),
             S::ok);
  const std::string new_secret = Str(rotated, "secret");
  REQUIRE(new_secret != Str(sub, "secret"));
  CHECK(!rotated.at("previous_secret_expires_at").is_null());

  receiver.Script({200});
  const json::value again =
      Expect(s.As(a, V::post, "/v1/webhooks/deliveries/" + id + "/redeliver"), S::accepted);
  CHECK(Str(again, "state") == "pending");
  // A pending delivery cannot be redelivered again.
  RequireProblem(s.As(a, V::post, "/v1/webhooks/deliveries/" + id + "/redeliver"), S::conflict,
                 "delivery_pending");
  REQUIRE(s.platform().DispatchWebhooks());
  CHECK(Str(Expect(s.As(a, V::get, "/v1/webhooks/deliveries/" + id), S::ok), "state") == "delivered");
  const auto last = receiver.requests().back();
  CHECK(last.id == id);  // the same webhook-id on redelivery
  auto old_key = tenancy::WebhookSecret::Parse(Str(sub, "secret"));
  auto new_key = tenancy::WebhookSecret::Parse(new_secret);
  REQUIRE(old_key);
  REQUIRE(new_key);
  const tenancy::WebhookHeaders h{last.id, last.timestamp, last.signature};
  CHECK(tenancy::VerifyWebhook(*old_key, h, last.body, s.world().clock().Now()));
  CHECK(tenancy::VerifyWebhook(*new_key, h, last.body, s.world().clock().Now()));

  // Disable, then delete.
  CHECK_FALSE(Expect(s.As(a, V::patch, "/v1/webhooks/" + sub_id, R"({"enabled":false})"), S::ok)
                  .at("enabled").as_bool());
  CHECK(s.As(a, V::delete_, "/v1/webhooks/" + sub_id).result() == S::no_content);
  CHECK(s.As(a, V::get, "/v1/webhooks/" + sub_id).result() == S::not_found);
}

TEST_CASE("webhook targets in private ranges are refused; bad input is typed", "[server][ops]") {
  SECTION("default policy: loopback refused too") {
    OpsServer s(/*allow_loopback=*/false);
    const Onboarded a = s.world().Onboard("alpha");
    tenancy::testing::WebhookReceiver receiver;
    RequireProblem(s.As(a, V::post, "/v1/webhooks",
                        R"({"url":")" + receiver.Url() + R"(","event_types":["ride.*"]})"),
                   S::unprocessable_entity, "webhook_target_refused");
    CHECK(Expect(s.As(a, V::get, "/v1/webhooks"), S::ok).at("items").as_array().empty());
  }
  SECTION("loopback allowed: private, link-local and metadata addresses still refused") {
    OpsServer s;
    const Onboarded a = s.world().Onboard("alpha");
    for (const char* url : {"http://10.1.2.3/hook", "http://192.168.0.10:8080/x",
                            "http://169.254.169.254/latest", "http://[fd00::1]/h",
                            "http://[::ffff:10.0.0.1]/h"}) {
      INFO(url);
      Response res = s.As(a, V::post, "/v1/webhooks",
                          std::string(R"({"url":")") + url + R"(","event_types":["ride.*"]})");
      RequireProblem(res, S::unprocessable_entity, "webhook_target_refused");
      CHECK(res.body().find("/latest") == std::string::npos);  // never the path
    }
    RequireProblem(s.As(a, V::post, "/v1/webhooks", R"({"url":"ftp://example.com/x","event_types":["ride.*"]})"),
                   S::bad_request, "invalid_argument");
    RequireProblem(s.As(a, V::post, "/v1/webhooks", R"({"url":"http://127.0.0.1:9/x","event_types":[]})"),
                   S::bad_request, "invalid_argument");
    RequireProblem(s.As(a, V::post, "/v1/webhooks", R"({"url":"http://127.0.0.1:9/x","event_types":["Bad Type"]})"),
                   S::bad_request, "invalid_argument");
    RequireProblem(s.As(a, V::post, "/v1/webhooks", R"({"url":"http://127.0.0.1:9/x","event_types":["ride.*"],"x":1})"),
                   S::bad_request, "invalid_argument");
    RequireProblem(s.As(a, V::get, "/v1/webhooks/deliveries?state=lost"), S::bad_request,
                   "invalid_argument");
    CHECK(Expect(s.As(a, V::get, "/v1/webhooks"), S::ok).at("items").as_array().empty());
    // Changing a URL to a private one is refused the same way.
    const std::string id = Str(Subscribe(s, a, "http://127.0.0.1:9/x"), "id");
    RequireProblem(s.As(a, V::patch, "/v1/webhooks/" + id, R"({"url":"http://10.0.0.1/x"})"),
                   S::unprocessable_entity, "webhook_target_refused");
    CHECK(Str(Expect(s.As(a, V::get, "/v1/webhooks/" + id), S::ok), "url") == "http://127.0.0.1:9/x");
  }
}

TEST_CASE("concurrent bookings leave a gapless event log matching the committed rides",
          "[server][ops]") {
  OpsServer s;
  const Onboarded a = s.world().Onboard("alpha");
  constexpr int kThreads = 3;
  constexpr int kPerThread = 5;
  std::atomic<int> booked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        // A writer that lost the race answers 503: retry, as clients do
        // (the same Idempotency-Key makes the retry safe).
        for (int attempt = 0; attempt < 50; ++attempt) {
          Request req = WithBearer(MakeRequest(V::post, "/t/alpha/v1/rides", kTrip), a.key);
          req.set("Idempotency-Key", key);
          Response res = s.world().Call(std::move(req));
          if (res.result() == S::created) ++booked;
          if (res.result() != S::service_unavailable) break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(booked.load() == kThreads * kPerThread);
  const json::value events = Expect(s.As(a, V::get, "/v1/events?limit=1000"), S::ok);
  const auto& items = events.at("items").as_array();
  REQUIRE(items.size() == static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> rides;
  for (std::size_t i = 0; i < items.size(); ++i) {
    CHECK(items[i].at("sequence").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(Str(items[i], "type") == "ride.requested");
    rides.insert(Str(items[i].at("data"), "ride_id"));
  }
  CHECK(rides.size() == items.size());
}

TEST_CASE("the dispatcher thread delivers on its own and stops cleanly", "[server][ops]") {
  OpsServer s(true, 20ms);
  const Onboarded a = s.world().Onboard("alpha");
  tenancy::testing::WebhookReceiver receiver;
  Subscribe(s, a, receiver.Url());
  BookRide(s, a, "bg");
  // Waits for the background pass (the deadline only turns a hang into a
  // failure).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (receiver.requests().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(receiver.requests().size() == 1);
  CHECK(Str(json::parse(receiver.requests()[0].body), "type") == "ride.requested");
  s.platform().StopDispatcher();
  s.platform().StopDispatcher();  // idempotent
  BookRide(s, a, "after-stop");
  CHECK(receiver.requests().size() == 1);  // nobody dispatches any more
}

TEST_CASE("operators back up a tenant and restore it under a new slug in another model",
          "[server][ops]") {
  OpsServer s;
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  const std::string op = s.world().OperatorKey();
  for (const char* plate : {"B-A 1", "B-A 2", "B-A 3"})
    Expect(s.As(a, V::post, "/v1/vehicles", std::string(R"({"plate":")") + plate + R"(","seats":4})"),
           S::created);
  NewDriver(s, a, 13.4, 52.5);
  CompleteRide(s, a, BookRide(s, a, "r1"));
  BookRide(s, a, "r2");
  Expect(s.As(b, V::post, "/v1/vehicles", R"({"plate":"B-B 9","seats":2})"), S::created);

  Response backup = s.Call(V::post, "/v1/tenants/" + a.id + "/backup", op);
  REQUIRE(backup.result() == S::ok);
  CHECK(backup[http::field::content_type] == "application/octet-stream");
  CHECK(backup.body().size() > 16);
  CHECK(backup.body().rfind("\x89TNBK", 0) == 0);
  // By slug too; and no temporary files are left behind.
  REQUIRE(s.Call(V::post, "/v1/tenants/alpha/backup", op).result() == S::ok);
  CHECK(std::filesystem::is_empty(s.world().data_dir() / "backups"));

  const std::string file = backup.body();
  Response restored =
      s.Call(V::post, "/v1/restore?as=alpha-copy&model=database", op, file, "application/octet-stream");
  INFO(restored.body());
  REQUIRE(restored.result() == S::created);
  const json::value report = BodyJson(restored);
  CHECK(Str(report.at("tenant"), "slug") == "alpha-copy");
  CHECK(Str(report.at("tenant"), "model") == "database");
  CHECK(Str(report, "source_id") == a.id);
  CHECK(report.at("rows").as_int64() > 0);

  // The copy reads back equal: vehicles, drivers and rides (encrypted rider
  // details re-sealed under the copy's key).
  const std::string copy_id = Str(report.at("tenant"), "id");
  CHECK(copy_id != a.id);
  auto key = s.platform().auth().CreateApiKey(tenancy::TenantId::Parse(copy_id).value(), "test",
                                              {"tenant_admin"});
  REQUIRE(key);
  const Onboarded copy{copy_id, "alpha-copy", {}, key->key};
  for (const char* path : {"/v1/vehicles?limit=200", "/v1/drivers?limit=200", "/v1/rides?limit=200"}) {
    INFO(path);
    const json::value original = Expect(s.As(a, V::get, path), S::ok);
    const json::value restored_page = Expect(s.As(copy, V::get, path), S::ok);
    CHECK(!original.at("items").as_array().empty());
    CHECK(original.at("items") == restored_page.at("items"));
  }
  // The outbox travelled too; beta was not touched.
  CHECK(EventTypes(Expect(s.As(copy, V::get, "/v1/events"), S::ok)) ==
        EventTypes(Expect(s.As(a, V::get, "/v1/events"), S::ok)));
  CHECK(Expect(s.As(b, V::get, "/v1/vehicles"), S::ok).at("items").as_array().size() == 1);

  // The slug is now taken.
  RequireProblem(s.Call(V::post, "/v1/restore?as=alpha-copy", op, file, "application/octet-stream"),
                 S::conflict, "slug_taken");

  // Corrupted, truncated and foreign files are refused and create nothing.
  auto count_tenants = [&] {
    auto page = s.platform().directory().List({});
    REQUIRE(page);
    return page->items.size();
  };
  const std::size_t before = count_tenants();
  std::string flipped = file;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5A);
  RequireProblem(s.Call(V::post, "/v1/restore?as=alpha-bad", op, flipped, "application/octet-stream"),
                 S::unprocessable_entity, "backup_corrupted");
  RequireProblem(s.Call(V::post, "/v1/restore?as=alpha-bad", op, file.substr(0, file.size() - 7),
                        "application/octet-stream"),
                 S::unprocessable_entity, "backup_corrupted");
  RequireProblem(s.Call(V::post, "/v1/restore?as=alpha-bad", op, "not a backup at all",
                        "application/octet-stream"),
                 S::unprocessable_entity, "not_a_backup");
  RequireProblem(s.Call(V::post, "/v1/restore?as=Bad_Slug", op, file, "application/octet-stream"),
                 S::bad_request, "invalid_argument");
  RequireProblem(s.Call(V::post, "/v1/restore?model=cloud", op, file, "application/octet-stream"),
                 S::bad_request, "invalid_argument");
  CHECK(count_tenants() == before);
  CHECK(s.platform().directory().GetBySlug("alpha-bad").error() == tenancy::Errc::kTenantUnknown);

  // Unknown tenants, and callers who are not operators.
  CHECK(s.Call(V::post, "/v1/tenants/nobody/backup", op).result() == S::not_found);
  for (const std::string& target : {"/v1/tenants/" + a.id + "/backup", "/t/alpha/v1/tenants/" + a.id + "/backup",
                                    std::string("/v1/restore?as=alpha-evil")}) {
    INFO(target);
    const auto status = s.Call(V::post, target, a.key, file, "application/octet-stream").result();
    CHECK((status == S::forbidden || status == S::not_found || status == S::unauthorized));
  }
  CHECK(count_tenants() == before);
}

}  // namespace
}  // namespace tenancyd::testing

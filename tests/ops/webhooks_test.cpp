// Webhooks: the Standard Webhooks known-answer vectors (read by path),
// signing and verification, rotation, retries against a real receiver on
// 127.0.0.1, dead letters and redelivery, the SSRF guard, and tenant
// isolation of subscriptions, deliveries and dead letters.
#include "support/catch_tenancy.hpp"

#include <boost/json.hpp>
#include <sodium.h>

#include <fstream>
#include <iterator>

#include "net/http_client.hpp"
#include "ops/webhook_receiver.hpp"
#include "ops/webhook_world.hpp"

namespace tenancy::testing {
namespace {

boost::json::value Vectors() {
  const std::string path =
      std::string(TENANCY_CONFORMANCE_DIR) + "/standardwebhooks/vectors.json";
  std::ifstream in(path);
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return boost::json::parse(text);
}

// A JSON string as std::string (Boost.JSON's string_view type varies by release).
std::string Str(const boost::json::value& v) {
  const auto& s = v.as_string();
  return std::string(s.data(), s.size());
}

std::int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

WebhookHeaders HeadersOf(const WebhookReceiver::Request& r) {
  return {r.id, r.timestamp, r.signature};
}

// A transport that records and answers without a network: for the SSRF
// tests, which must show that no request leaves.
class RecordingTransport final : public WebhookTransport {
 public:
  bool Supports(std::string_view scheme) const noexcept override {
    return scheme == "http" || scheme == "https";
  }
  Result<WebhookResponse> Post(const WebhookRequest& request) override {
    posted.push_back(request.target->addresses);
    return WebhookResponse{204, ""};
  }
  std::vector<std::vector<std::string>> posted;
};

TEST_CASE("webhooks: the published Standard Webhooks vectors", "[webhooks][conformance]") {
  const auto v = Vectors();
  for (const auto& vec : v.at("sign").as_array()) {
    auto secret = WebhookSecret::Parse(Str(vec.at("secret")));
    REQUIRE(secret);
    const std::string id = Str(vec.at("msg_id"));
    const std::int64_t ts = vec.at("timestamp").as_int64();
    const std::string payload = Str(vec.at("payload"));
    const std::string expected = Str(vec.at("expected_signature"));
    CHECK(SignWebhook(*secret, id, ts, payload) == expected);
    const TimePoint at{std::chrono::seconds{ts}};
    const std::string ts_text = std::to_string(ts);
    CHECK(VerifyWebhook(*secret, {id, ts_text, expected}, payload, at));
  }
  // Timestamps that are not plain decimal seconds are refused.
  for (const auto& vec : v.at("sign_errors").as_array()) {
    auto secret = WebhookSecret::Parse(Str(vec.at("secret")));
    REQUIRE(secret);
    const std::string ts = Str(vec.at("timestamp"));
    const std::string id = Str(vec.at("msg_id"));
    auto r = VerifyWebhook(*secret, {id, ts, "v1,AAAA"}, Str(vec.at("payload")),
                           TimePoint{std::chrono::seconds{161426533}});
    INFO(ts);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kInvalidArgument);
  }
  for (const auto& vec : v.at("secret_errors").as_array()) {
    auto r = WebhookSecret::Parse(Str(vec.at("secret")));
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kInvalidArgument);
  }
}

TEST_CASE("webhooks: verification behaviour of the reference libraries", "[webhooks][conformance]") {
  const auto v = Vectors().at("verify_behaviour");
  const std::int64_t tolerance = v.at("tolerance_seconds").as_int64();
  auto secret = WebhookSecret::Parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const std::string payload = R"({"test": 2432232314})";
  const TimePoint now{std::chrono::seconds{1'700'000'000}};
  const std::int64_t ts = UnixSeconds(now);
  const std::string ts_text = std::to_string(ts);
  const std::string sig = SignWebhook(secret, id, ts, payload);
  const std::chrono::seconds tol{tolerance};

  CHECK(VerifyWebhook(secret, {id, ts_text, sig}, payload, now, tol));
  CHECK(VerifyWebhook(secret, {"", ts_text, sig}, payload, now, tol).error() == Errc::kInvalidArgument);
  CHECK(VerifyWebhook(secret, {id, "", sig}, payload, now, tol).error() == Errc::kInvalidArgument);
  CHECK(VerifyWebhook(secret, {id, "hello", sig}, payload, now, tol).error() == Errc::kInvalidArgument);
  CHECK(VerifyWebhook(secret, {id, ts_text, ""}, payload, now, tol).error() == Errc::kInvalidArgument);
  CHECK(VerifyWebhook(secret, {id, ts_text, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}, payload,
                      now, tol)
            .error() == Errc::kUnauthenticated);
  // Outside the tolerance, with a signature that is otherwise right.
  for (std::int64_t off : {-(tolerance + 1), tolerance + 1}) {
    const std::string t = std::to_string(ts + off);
    auto r = VerifyWebhook(secret, {id, t, SignWebhook(secret, id, ts + off, payload)}, payload, now, tol);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnauthenticated);
  }
  // Inside it, at the edges.
  for (std::int64_t off : {-tolerance, tolerance}) {
    const std::string t = std::to_string(ts + off);
    CHECK(VerifyWebhook(secret, {id, t, SignWebhook(secret, id, ts + off, payload)}, payload, now, tol));
  }
  // A multi-signature header with foreign and wrong entries around the right one.
  const std::string bad = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::string multi = "v1," + bad + " v2," + bad + " " + sig + " v1," + bad;
  CHECK(VerifyWebhook(secret, {id, ts_text, multi}, payload, now, tol));
  // Secrets with and without the prefix, unpadded base64.
  for (const char* text : {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
                           "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"}) {
    auto s = WebhookSecret::Parse(text);
    INFO(text);
    REQUIRE(s);
    CHECK(VerifyWebhook(*s, {id, ts_text, SignWebhook(*s, id, ts, payload)}, payload, now, tol));
  }
  CHECK(WebhookSecret::Parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS").value().bytes().size() == 23);
  CHECK(WebhookSecret::Parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS=").value().bytes().size() == 23);
  // Empty payload.
  CHECK(VerifyWebhook(secret, {id, ts_text, SignWebhook(secret, id, ts, "")}, "", now, tol));
}

TEST_CASE("webhooks: tampered id, timestamp or body is refused", "[webhooks]") {
  auto secret = WebhookSecret::Generate();
  const TimePoint now{std::chrono::seconds{1'700'000'000}};
  const std::int64_t ts = UnixSeconds(now);
  const std::string ts_text = std::to_string(ts);
  const std::string body = R"({"type":"ride.completed","data":{"fare":12}})";
  const std::string sig = SignWebhook(secret, "msg_1", ts, body);
  REQUIRE(VerifyWebhook(secret, {"msg_1", ts_text, sig}, body, now));
  CHECK(VerifyWebhook(secret, {"msg_2", ts_text, sig}, body, now).error() == Errc::kUnauthenticated);
  const std::string ts_plus = std::to_string(ts + 1);
  CHECK(VerifyWebhook(secret, {"msg_1", ts_plus, sig}, body, now).error() == Errc::kUnauthenticated);
  std::string tampered = body;
  tampered[tampered.find("12")] = '9';
  CHECK(VerifyWebhook(secret, {"msg_1", ts_text, sig}, tampered, now).error() == Errc::kUnauthenticated);
  // Old timestamp, correctly signed: replay refused.
  const std::int64_t old = ts - 301;
  const std::string old_text = std::to_string(old);
  CHECK(VerifyWebhook(secret, {"msg_1", old_text, SignWebhook(secret, "msg_1", old, body)}, body, now)
            .error() == Errc::kUnauthenticated);
  // Another secret.
  auto other = WebhookSecret::Generate();
  CHECK(VerifyWebhook(other, {"msg_1", ts_text, sig}, body, now).error() == Errc::kUnauthenticated);
  // Secrets: prefix, 24..64 random bytes, distinct, round-trip.
  for (std::size_t n : {std::size_t{24}, std::size_t{32}, std::size_t{64}}) {
    auto s = WebhookSecret::Generate(n);
    CHECK(s.bytes().size() == n);
    const std::string text = s.ToString();
    CHECK(text.starts_with("whsec_"));
    auto back = WebhookSecret::Parse(text);
    REQUIRE(back);
    CHECK(sodium_memcmp(back->bytes().data(), s.bytes().data(), n) == 0);
  }
  CHECK(WebhookSecret::Generate().ToString() != WebhookSecret::Generate().ToString());
  CHECK(WebhookSecret::Parse("whsec_not*base64").error() == Errc::kInvalidArgument);
}

TEST_CASE("webhooks: target policy refuses private, loopback and odd targets", "[webhooks][ssrf]") {
  struct Case {
    const char* url;
    Errc expected;
  };
  const Case cases[] = {
      {"http://10.0.0.1/hook", Errc::kPermissionDenied},
      {"http://172.16.5.4/", Errc::kPermissionDenied},
      {"http://192.168.1.1:8080/x", Errc::kPermissionDenied},
      {"http://127.0.0.1/", Errc::kPermissionDenied},
      {"http://[::1]/", Errc::kPermissionDenied},
      {"http://[::ffff:127.0.0.1]/", Errc::kPermissionDenied},
      {"http://[::ffff:10.1.2.3]/", Errc::kPermissionDenied},
      {"http://[64:ff9b::a9fe:a9fe]/", Errc::kPermissionDenied},  // NAT64 of 169.254.169.254
      {"http://169.254.169.254/latest/meta-data", Errc::kPermissionDenied},
      {"http://0.0.0.0/", Errc::kPermissionDenied},
      {"http://[::]/", Errc::kPermissionDenied},
      {"http://100.64.0.1/", Errc::kPermissionDenied},
      {"http://[fd00::1]/", Errc::kPermissionDenied},
      {"http://[fe80::1]/", Errc::kPermissionDenied},
      {"http://224.0.0.1/", Errc::kPermissionDenied},
      {"http://[ff02::1]/", Errc::kPermissionDenied},
      {"http://255.255.255.255/", Errc::kPermissionDenied},
      {"http://[2002:7f00:1::1]/", Errc::kPermissionDenied},  // 6to4 of 127.0.0.1
      {"ftp://example.com/file", Errc::kInvalidArgument},
      {"file:///etc/passwd", Errc::kInvalidArgument},
      {"gopher://example.com/", Errc::kInvalidArgument},
      {"http://user:pass@example.com/", Errc::kInvalidArgument},
      {"http://user@93.184.216.34/", Errc::kInvalidArgument},
      {"http://93.184.216.34:0/", Errc::kInvalidArgument},
      {"http://93.184.216.34:65536/", Errc::kInvalidArgument},
      {"http:///nohost", Errc::kInvalidArgument},
      {"http://exa mple.com/", Errc::kInvalidArgument},
      {"http://[::1/", Errc::kInvalidArgument},
      {"http://93.184.216.34/#frag", Errc::kInvalidArgument},
      {"example.com/hook", Errc::kInvalidArgument},
  };
  // A resolver that must not be needed for numeric hosts, and answers the rest.
  HostResolver resolver = [](std::string_view host) -> Result<std::vector<std::string>> {
    if (host == "internal.example") return std::vector<std::string>{"93.184.216.34", "10.9.8.7"};
    if (host == "public.example") return std::vector<std::string>{"93.184.216.34", "2606:2800:220:1::1"};
    return Fail(Errc::kUnavailable, "no such host");
  };
  const TargetPolicy strict{};
  for (const auto& c : cases) {
    auto r = CheckWebhookTarget(c.url, strict, resolver);
    INFO(c.url);
    REQUIRE_FALSE(r);
    CHECK(r.error() == c.expected);
  }
  // One private address among public ones is enough to refuse.
  CHECK(CheckWebhookTarget("http://internal.example/", strict, resolver).error() ==
        Errc::kPermissionDenied);
  auto ok = CheckWebhookTarget("http://public.example:8443/in?x=1", strict, resolver);
  REQUIRE(ok);
  CHECK(ok->port == 8443);
  CHECK(ok->target == "/in?x=1");
  CHECK(ok->addresses.size() == 2);
  CHECK(CheckWebhookTarget("http://93.184.216.34", strict, resolver).value().target == "/");
  CHECK(CheckWebhookTarget("http://nowhere.example/", strict, resolver).error() == Errc::kUnavailable);
  // The message names the class, never the path or query (which may carry tokens).
  auto denied = CheckWebhookTarget("http://10.0.0.1/hook?token=sekrit", strict, resolver);
  CHECK(denied.error().message.find("private") != std::string::npos);
  CHECK(denied.error().message.find("sekrit") == std::string::npos);

  // Loopback allowed only when configured; other classes stay refused.
  const TargetPolicy loopback{.allow_loopback = true};
  CHECK(CheckWebhookTarget("http://127.0.0.1:9/", loopback, resolver));
  CHECK(CheckWebhookTarget("http://[::1]:9/", loopback, resolver));
  CHECK(CheckWebhookTarget("http://[::ffff:127.0.0.1]/", loopback, resolver));
  CHECK(CheckWebhookTarget("http://10.0.0.1/", loopback, resolver).error() == Errc::kPermissionDenied);
  CHECK(CheckWebhookTarget("http://0.0.0.0/", loopback, resolver).error() == Errc::kPermissionDenied);
  CHECK(CheckWebhookTarget("http://169.254.169.254/", TargetPolicy{.allow_private = true}, resolver)
            .error() == Errc::kPermissionDenied);

  // The classifier itself.
  CHECK(ClassifyAddress("8.8.8.8").value() == AddressClass::kPublic);
  CHECK(ClassifyAddress("2606:4700::1111").value() == AddressClass::kPublic);
  CHECK(ClassifyAddress("172.32.0.1").value() == AddressClass::kPublic);  // just outside 172.16/12
  CHECK(ClassifyAddress("172.31.255.255").value() == AddressClass::kPrivate);
  CHECK(ClassifyAddress("100.128.0.1").value() == AddressClass::kPublic);  // just outside CGNAT
  CHECK(ClassifyAddress("::ffff:192.168.0.1").value() == AddressClass::kPrivate);
  CHECK(ClassifyAddress("::127.0.0.1").value() == AddressClass::kLoopback);
  CHECK(ClassifyAddress("fec0::1").value() == AddressClass::kUniqueLocal);
  CHECK(ClassifyAddress("localhost").error() == Errc::kInvalidArgument);
}

TEST_CASE("webhooks: subscriptions are checked at creation and again at delivery (DNS rebinding)",
          "[webhooks][ssrf]") {
  RecordingTransport transport;
  std::string answer = "93.184.216.34";
  WebhookOptions o;
  o.resolver = [&answer](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{answer};
  };
  OpsWorld w(&transport, o);
  Tenant t = w.Provision("rebind", IsolationModel::kShared);
  auto ctx = w.Context(t);

  for (const char* url : {"http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/",
                          "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"}) {
    auto r = w.webhooks().Subscribe(ctx, {.url = url, .event_types = {"*"}});
    INFO(url);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kPermissionDenied);
  }
  CHECK(w.webhooks().Subscribe(ctx, {.url = "ftp://x.example/", .event_types = {"*"}}).error() ==
        Errc::kInvalidArgument);
  CHECK(w.webhooks().Subscribe(ctx, {.url = "http://hooks.example/", .event_types = {}}).error() ==
        Errc::kInvalidArgument);
  CHECK(w.webhooks().Subscribe(ctx, {.url = "http://hooks.example/", .event_types = {"Ride.*"}})
            .error() == Errc::kInvalidArgument);
  REQUIRE(w.webhooks().ListSubscriptions(ctx).value().empty());

  auto sub = w.webhooks().Subscribe(ctx, {.url = "http://hooks.example/in", .event_types = {"ride.*"}});
  REQUIRE(sub);
  w.Emit(ctx, "ride.completed", {{"n", 1}});
  auto first = w.webhooks().Dispatch(ctx);
  REQUIRE(first);
  CHECK(first->delivered == 1);
  REQUIRE(transport.posted.size() == 1);
  CHECK(transport.posted[0] == std::vector<std::string>{"93.184.216.34"});

  // The name now points inside: the next delivery is refused without a request.
  answer = "127.0.0.1";
  w.Emit(ctx, "ride.completed", {{"n", 2}});
  auto second = w.webhooks().Dispatch(ctx);
  REQUIRE(second);
  CHECK(second->dead_lettered == 1);
  CHECK(transport.posted.size() == 1);
  auto dead = w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kDead});
  REQUIRE(dead);
  REQUIRE(dead->items.size() == 1);
  auto log = w.webhooks().ListAttempts(ctx, dead->items[0].id);
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK((*log)[0].outcome == "refused");
  CHECK((*log)[0].error.find("loopback") != std::string::npos);
  // Changing the URL to a refused target is refused as well.
  CHECK(w.webhooks().UpdateSubscription(ctx, sub->subscription.id, {.url = "http://10.1.1.1/"})
            .error() == Errc::kPermissionDenied);
}

TEST_CASE("webhooks: a receiver that fails twice gets exactly one successful delivery",
          "[webhooks][delivery]") {
  WebhookReceiver receiver({500, 500}, 200);
  net::HttpWebhookTransport transport;
  WebhookOptions o;
  o.policy.allow_loopback = true;
  o.initial_backoff = std::chrono::seconds{10};
  o.max_backoff = std::chrono::minutes{10};
  OpsWorld w(&transport, o);
  const IsolationModel model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase,
                                        IsolationModel::kDedicated);
  Tenant t = w.Provision("retry", model);
  auto ctx = w.Context(t);
  auto sub = w.webhooks().Subscribe(ctx, {.url = receiver.Url(), .event_types = {"ride.completed"}});
  REQUIRE(sub);
  auto secret = WebhookSecret::Parse(sub->secret);
  REQUIRE(secret);
  const std::int64_t seq = w.Emit(ctx, "ride.completed", {{"ride", "r-1"}, {"fare", 12.5}});
  w.Emit(ctx, "tenant.suspended", {});  // not subscribed

  auto r1 = w.webhooks().Dispatch(ctx);
  REQUIRE(r1);
  CHECK(r1->events_scanned == 2);
  CHECK(r1->deliveries_created == 1);
  CHECK(r1->failed == 1);
  auto pending = w.webhooks().ListDeliveries(ctx, {});
  REQUIRE(pending);
  REQUIRE(pending->items.size() == 1);
  const WebhookDelivery d1 = pending->items[0];
  CHECK(d1.state == DeliveryState::kPending);
  CHECK(d1.event_sequence == seq);
  CHECK(d1.attempts == 1);
  CHECK(d1.last_status == 500);
  // Backoff with jitter: 10 s scaled into [5 s, 10 s].
  CHECK(d1.next_attempt_at >= w.clock().Now() + std::chrono::seconds{5});
  CHECK(d1.next_attempt_at <= w.clock().Now() + std::chrono::seconds{10});

  // Not due yet: nothing is sent.
  auto idle = w.webhooks().Dispatch(ctx);
  REQUIRE(idle);
  CHECK(idle->attempts == 0);
  CHECK(receiver.requests().size() == 1);

  w.clock().Advance(std::chrono::seconds{10});
  auto r2 = w.webhooks().Dispatch(ctx);
  REQUIRE(r2);
  CHECK(r2->failed == 1);
  auto d2 = w.webhooks().GetDelivery(ctx, d1.id).value();
  CHECK(d2.next_attempt_at >= w.clock().Now() + std::chrono::seconds{10});  // second step: 20 s * [0.5, 1]
  CHECK(d2.next_attempt_at <= w.clock().Now() + std::chrono::seconds{20});
  w.clock().Advance(std::chrono::seconds{20});
  auto r3 = w.webhooks().Dispatch(ctx);
  REQUIRE(r3);
  CHECK(r3->delivered == 1);
  w.clock().Advance(std::chrono::hours{1});
  auto r4 = w.webhooks().Dispatch(ctx);  // nothing left to do
  REQUIRE(r4);
  CHECK(r4->attempts == 0);

  const auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 3);
  for (const auto& req : reqs) {
    CHECK(req.id == d1.id);  // the same message on every retry
    CHECK(req.content_type == "application/json");
    CHECK(req.target == "/hook");
    CHECK(req.signature.find(' ') == std::string::npos);
    // Each attempt verifies at its own time with the subscription's secret.
    const TimePoint sent{std::chrono::seconds{std::stoll(req.timestamp)}};
    CHECK(VerifyWebhook(*secret, HeadersOf(req), req.body, sent));
  }
  const auto body = boost::json::parse(reqs.back().body);
  CHECK(body.at("type") == "ride.completed");
  CHECK(body.at("data") == boost::json::parse(R"({"ride":"r-1","fare":12.5})"));
  CHECK(body.at("timestamp") == "2023-11-14T22:13:20.000Z");

  auto done = w.webhooks().GetDelivery(ctx, d1.id);
  REQUIRE(done);
  CHECK(done->state == DeliveryState::kDelivered);
  CHECK(done->total_attempts == 3);
  auto log = w.webhooks().ListAttempts(ctx, d1.id);
  REQUIRE(log);
  REQUIRE(log->size() == 3);
  CHECK((*log)[0].status == 500);
  CHECK((*log)[1].status == 500);
  CHECK((*log)[2].status == 200);
  CHECK((*log)[0].outcome == "failed");
  CHECK((*log)[2].outcome == "delivered");
  CHECK((*log)[0].attempt == 1);
  CHECK((*log)[2].attempt == 3);
}

TEST_CASE("webhooks: dead letter after max attempts, then manual redelivery", "[webhooks][delivery]") {
  WebhookReceiver receiver({}, 503);
  net::HttpWebhookTransport transport;
  WebhookOptions o;
  o.policy.allow_loopback = true;
  o.max_attempts = 3;
  o.initial_backoff = std::chrono::seconds{1};
  OpsWorld w(&transport, o);
  Tenant t = w.Provision("deadletter", IsolationModel::kShared);
  auto ctx = w.Context(t);
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = receiver.Url("/dl"), .event_types = {"*"}}));
  w.Emit(ctx, "alert.fired", {{"slo", "availability"}});

  for (int i = 0; i < 6; ++i) {
    REQUIRE(w.webhooks().Dispatch(ctx));
    w.clock().Advance(std::chrono::minutes{5});
  }
  CHECK(receiver.requests().size() == 3);
  auto dead = w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kDead});
  REQUIRE(dead);
  REQUIRE(dead->items.size() == 1);
  const auto id = dead->items[0].id;
  CHECK(dead->items[0].attempts == 3);
  CHECK(dead->items[0].last_status == 503);
  CHECK(w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kPending}).value().items.empty());

  receiver.Script({200});
  auto again = w.webhooks().Redeliver(ctx, id);
  REQUIRE(again);
  CHECK(again->state == DeliveryState::kPending);
  CHECK(w.webhooks().Redeliver(ctx, id).error() == Errc::kFailedPrecondition);  // already queued
  auto r = w.webhooks().Dispatch(ctx);
  REQUIRE(r);
  CHECK(r->delivered == 1);
  auto done = w.webhooks().GetDelivery(ctx, id).value();
  CHECK(done.state == DeliveryState::kDelivered);
  CHECK(done.total_attempts == 4);
  CHECK(w.webhooks().ListAttempts(ctx, id).value().size() == 4);
  CHECK(w.webhooks().ListDeliveries(ctx, {.state = DeliveryState::kDead}).value().items.empty());
  const auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(reqs.back().id == id);

  // A past, delivered delivery can be sent again too.
  receiver.Script({200});
  REQUIRE(w.webhooks().Redeliver(ctx, id));
  CHECK(w.webhooks().Dispatch(ctx).value().delivered == 1);
  CHECK(receiver.requests().size() == 5);
}

TEST_CASE("webhooks: an unreachable receiver is a failed attempt with a logged error",
          "[webhooks][delivery]") {
  net::HttpWebhookTransport transport(net::HttpOptions{.connect_timeout = std::chrono::seconds{2},
                                                       .timeout = std::chrono::seconds{2}});
  WebhookOptions o;
  o.policy.allow_loopback = true;
  o.max_attempts = 2;
  OpsWorld w(&transport, o);
  Tenant t = w.Provision("unreachable", IsolationModel::kShared);
  auto ctx = w.Context(t);
  // Port 1 on loopback: nothing listens, the connection is refused.
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = "http://127.0.0.1:1/x", .event_types = {"*"}}));
  w.Emit(ctx, "ride.completed", {});
  auto r = w.webhooks().Dispatch(ctx);
  REQUIRE(r);
  CHECK(r->failed == 1);
  auto d = w.webhooks().ListDeliveries(ctx, {}).value().items;
  REQUIRE(d.size() == 1);
  CHECK(d[0].last_status == 0);
  CHECK(d[0].last_error.find("connect") != std::string::npos);
  w.clock().Advance(std::chrono::hours{2});
  CHECK(w.webhooks().Dispatch(ctx).value().dead_lettered == 1);
  auto log = w.webhooks().ListAttempts(ctx, d[0].id).value();
  REQUIRE(log.size() == 2);
  CHECK(log[1].outcome == "failed");
  CHECK(log[1].status == 0);
}

TEST_CASE("webhooks: rotation signs with both secrets during the overlap, then only the new",
          "[webhooks][rotation]") {
  WebhookReceiver receiver;
  net::HttpWebhookTransport transport;
  WebhookOptions o;
  o.policy.allow_loopback = true;
  OpsWorld w(&transport, o);
  Tenant t = w.Provision("rotor", IsolationModel::kDatabase);
  auto ctx = w.Context(t);
  auto sub = w.webhooks().Subscribe(ctx, {.url = receiver.Url(), .event_types = {"ride.*"}});
  REQUIRE(sub);
  auto old_secret = WebhookSecret::Parse(sub->secret).value();
  auto rotated = w.webhooks().RotateSecret(ctx, sub->subscription.id, std::chrono::hours{1});
  REQUIRE(rotated);
  CHECK(*rotated != sub->secret);
  auto new_secret = WebhookSecret::Parse(*rotated).value();
  auto info = w.webhooks().GetSubscription(ctx, sub->subscription.id).value();
  REQUIRE(info.previous_secret_expires_at);
  CHECK(*info.previous_secret_expires_at == w.clock().Now() + std::chrono::hours{1});

  w.Emit(ctx, "ride.completed", {{"n", 1}});
  REQUIRE(w.webhooks().Dispatch(ctx).value().delivered == 1);
  auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 1);
  const auto& during = reqs[0];
  CHECK(std::count(during.signature.begin(), during.signature.end(), ' ') == 1);
  CHECK(std::count(during.signature.begin(), during.signature.end(), ',') == 2);
  const TimePoint at{std::chrono::seconds{std::stoll(during.timestamp)}};
  CHECK(VerifyWebhook(old_secret, HeadersOf(during), during.body, at));
  CHECK(VerifyWebhook(new_secret, HeadersOf(during), during.body, at));
  auto stranger = WebhookSecret::Generate();
  CHECK_FALSE(VerifyWebhook(stranger, HeadersOf(during), during.body, at));

  w.clock().Advance(std::chrono::hours{1} + std::chrono::seconds{1});
  w.Emit(ctx, "ride.completed", {{"n", 2}});
  REQUIRE(w.webhooks().Dispatch(ctx).value().delivered == 1);
  reqs = receiver.requests();
  REQUIRE(reqs.size() == 2);
  const auto& after = reqs[1];
  CHECK(after.signature.find(' ') == std::string::npos);
  const TimePoint at2{std::chrono::seconds{std::stoll(after.timestamp)}};
  CHECK(VerifyWebhook(new_secret, HeadersOf(after), after.body, at2));
  CHECK(VerifyWebhook(old_secret, HeadersOf(after), after.body, at2).error() == Errc::kUnauthenticated);

  // Rotation without overlap: the old secret stops at once.
  auto hard = w.webhooks().RotateSecret(ctx, sub->subscription.id, std::chrono::seconds{0});
  REQUIRE(hard);
  CHECK_FALSE(w.webhooks().GetSubscription(ctx, sub->subscription.id).value().previous_secret_expires_at);
}

TEST_CASE("webhooks: filters, the enabled flag and subscription changes", "[webhooks]") {
  RecordingTransport transport;
  WebhookOptions o;
  o.resolver = [](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"93.184.216.34"};
  };
  o.max_subscriptions_per_tenant = 3;
  OpsWorld w(&transport, o);
  Tenant t = w.Provision("filters", IsolationModel::kShared);
  auto ctx = w.Context(t);
  auto rides = w.webhooks().Subscribe(ctx, {.url = "http://a.example/", .event_types = {"ride.*"}});
  auto alerts = w.webhooks().Subscribe(
      ctx, {.url = "http://b.example/", .event_types = {"alert.fired", "tenant.suspended"}});
  auto off = w.webhooks().Subscribe(
      ctx, {.url = "http://c.example/", .event_types = {"*"}, .enabled = false});
  REQUIRE(rides);
  REQUIRE(alerts);
  REQUIRE(off);
  CHECK(w.webhooks().Subscribe(ctx, {.url = "http://d.example/", .event_types = {"*"}}).error() ==
        Errc::kResourceExhausted);

  w.Emit(ctx, "ride.completed", {});
  w.Emit(ctx, "rides.completed", {});  // not "ride.*"
  w.Emit(ctx, "alert.fired", {});
  w.Emit(ctx, "invoice.paid", {});
  auto r = w.webhooks().Dispatch(ctx);
  REQUIRE(r);
  CHECK(r->events_scanned == 4);
  CHECK(r->deliveries_created == 2);
  CHECK(r->delivered == 2);
  auto by_rides = w.webhooks().ListDeliveries(ctx, {.subscription_id = rides->subscription.id});
  REQUIRE(by_rides);
  REQUIRE(by_rides->items.size() == 1);
  CHECK(by_rides->items[0].event_type == "ride.completed");
  CHECK(w.webhooks().ListDeliveries(ctx, {.subscription_id = off->subscription.id}).value().items.empty());

  // Enable the catch-all: it gets events from now on, not the past ones.
  auto changed = w.webhooks().UpdateSubscription(ctx, off->subscription.id, {.enabled = true});
  REQUIRE(changed);
  CHECK(changed->enabled);
  w.Emit(ctx, "invoice.paid", {});
  CHECK(w.webhooks().Dispatch(ctx).value().delivered == 1);
  // Paging over deliveries.
  std::size_t seen = 0;
  DeliveryQuery q{.limit = 1};
  do {
    auto page = w.webhooks().ListDeliveries(ctx, q);
    REQUIRE(page);
    seen += page->items.size();
    q.after = page->next_cursor;
  } while (!q.after.empty());
  CHECK(seen == 3);

  REQUIRE(w.webhooks().RemoveSubscription(ctx, rides->subscription.id));
  CHECK(w.webhooks().GetSubscription(ctx, rides->subscription.id).error() == Errc::kNotFound);
  CHECK(w.webhooks().RemoveSubscription(ctx, rides->subscription.id).error() == Errc::kNotFound);
  CHECK(w.webhooks().ListSubscriptions(ctx).value().size() == 2);
}

TEST_CASE("webhooks: tenant B never sees A's subscriptions, deliveries or dead letters",
          "[webhooks][isolation]") {
  RecordingTransport transport;
  WebhookOptions o;
  o.resolver = [](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"93.184.216.34"};
  };
  o.max_attempts = 1;
  OpsWorld w(&transport, o);
  for (IsolationModel mb : kAllModels) {
    SECTION(ModelName(mb)) {
      Tenant a = w.Provision("iso-a", IsolationModel::kShared);
      Tenant b = w.Provision("iso-b", mb);
      auto ca = w.Context(a), cb = w.Context(b);
      auto sub = w.webhooks().Subscribe(ca, {.url = "http://a.example/", .event_types = {"*"}});
      REQUIRE(sub);
      auto removed = w.webhooks().Subscribe(ca, {.url = "http://gone.example/", .event_types = {"*"}});
      REQUIRE(removed);
      REQUIRE(w.webhooks().RemoveSubscription(ca, removed->subscription.id));
      w.Emit(ca, "ride.completed", {});
      // A's second subscription is gone before dispatch: no delivery for it.
      auto ra = w.webhooks().Dispatch(ca);
      REQUIRE(ra);
      CHECK(ra->delivered == 1);
      // Make a dead letter for A by disabling and redelivering.
      auto delivered = w.webhooks().ListDeliveries(ca, {}).value().items;
      REQUIRE(delivered.size() == 1);
      const std::string did = delivered[0].id;
      REQUIRE(w.webhooks().UpdateSubscription(ca, sub->subscription.id, {.enabled = false}));
      REQUIRE(w.webhooks().Redeliver(ca, did));
      REQUIRE(w.webhooks().Dispatch(ca));
      REQUIRE(w.webhooks().ListDeliveries(ca, {.state = DeliveryState::kDead}).value().items.size() == 1);

      // B, with A's ids.
      const std::string sid = sub->subscription.id;
      CHECK(w.webhooks().GetSubscription(cb, sid).error() == Errc::kNotFound);
      CHECK(w.webhooks().UpdateSubscription(cb, sid, {.enabled = true}).error() == Errc::kNotFound);
      CHECK(w.webhooks().RotateSecret(cb, sid).error() == Errc::kNotFound);
      CHECK(w.webhooks().RemoveSubscription(cb, sid).error() == Errc::kNotFound);
      CHECK(w.webhooks().GetDelivery(cb, did).error() == Errc::kNotFound);
      CHECK(w.webhooks().ListAttempts(cb, did).error() == Errc::kNotFound);
      CHECK(w.webhooks().Redeliver(cb, did).error() == Errc::kNotFound);
      CHECK(w.webhooks().ListSubscriptions(cb).value().empty());
      CHECK(w.webhooks().ListDeliveries(cb, {}).value().items.empty());
      CHECK(w.webhooks().ListDeliveries(cb, {.state = DeliveryState::kDead}).value().items.empty());
      CHECK(w.webhooks().ListDeliveries(cb, {.subscription_id = sid}).value().items.empty());
      // B's dispatch neither sees A's events nor sends A's deliveries.
      const auto before = transport.posted.size();
      auto rb = w.webhooks().Dispatch(cb);
      REQUIRE(rb);
      CHECK(rb->events_scanned == 0);
      CHECK(rb->attempts == 0);
      CHECK(transport.posted.size() == before);
      // A's subscription is intact after B's attempts.
      auto still = w.webhooks().GetSubscription(ca, sid);
      REQUIRE(still);
      CHECK_FALSE(still->enabled);
      CHECK(w.webhooks().ListAttempts(ca, did).value().size() == 2);
    }
  }
}

TEST_CASE("webhooks: DispatchAll serves every live tenant, and secrets never rest in clear",
          "[webhooks]") {
  RecordingTransport transport;
  WebhookOptions o;
  o.resolver = [](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"93.184.216.34"};
  };
  OpsWorld w(&transport, o);
  std::vector<std::string> secrets;
  std::vector<TenantContext> ctxs;
  for (IsolationModel m : kAllModels) {
    Tenant t = w.Provision(std::string("all-") + ModelName(m), m);
    ctxs.push_back(w.Context(t));
    auto sub = w.webhooks().Subscribe(ctxs.back(), {.url = "http://a.example/", .event_types = {"*"}});
    REQUIRE(sub);
    secrets.push_back(sub->secret);
    w.Emit(ctxs.back(), "ride.completed", {});
  }
  Tenant paused = w.Provision("all-suspended", IsolationModel::kShared);
  auto pctx = w.Context(paused);
  REQUIRE(w.webhooks().Subscribe(pctx, {.url = "http://a.example/", .event_types = {"*"}}));
  w.Emit(pctx, "ride.completed", {});
  REQUIRE(w.directory().ChangeState(paused.id, TenantState::kSuspended, "test"));

  auto all = w.webhooks().DispatchAll(w.directory());
  REQUIRE(all);
  CHECK(all->tenants == 3);
  CHECK(all->delivered == 3);
  CHECK(all->tenant_errors.empty());

  if (!OnPostgres()) {
    // The raw secret bytes appear in no file of the data directory.
    for (const auto& s : secrets) {
      auto parsed = WebhookSecret::Parse(s).value();
      const std::string raw(reinterpret_cast<const char*>(parsed.bytes().data()), parsed.bytes().size());
      for (const auto& entry : std::filesystem::recursive_directory_iterator(w.dir().path())) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        INFO(entry.path());
        CHECK(bytes.find(raw) == std::string::npos);
        CHECK(bytes.find(s) == std::string::npos);
      }
    }
  }
  // Crypto-shredding a tenant makes its secrets unusable: dispatch fails, typed.
  REQUIRE(w.keyring().Destroy(ctxs[0].tenant_id()));
  w.Emit(ctxs[0], "ride.completed", {});
  auto shredded = w.webhooks().Dispatch(ctxs[0]);
  REQUIRE_FALSE(shredded);
  CHECK((shredded.error() == Errc::kFailedPrecondition || shredded.error() == Errc::kNotFound));
}

}  // namespace
}  // namespace tenancy::testing

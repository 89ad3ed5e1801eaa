// The public sign-up: a tenant on the default tier with a working admin
// key, strict input, 409 for a taken slug, and a per-address limit with
// bounded memory (AddressLimiter), on a ManualClock.
#include "contracts_fixture.hpp"

#include <atomic>
#include <thread>

#include "services/signup/address_limiter.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
namespace net = boost::asio;

Connection From(std::string_view ip) { return Connection{.peer = net::ip::make_address(ip)}; }

Response SignUpAs(AppWorld& w, std::string_view ip, const std::string& body) {
  Connection from = From(ip);
  return w.app().Handle(MakeRequest(V::post, "/v1/signup", body), from);
}

std::string Body(const std::string& slug, const std::string& email = "ops@example.com") {
  return R"({"name":"Company )" + slug + R"(","slug":")" + slug + R"(","admin_email":")" + email + R"("})";
}

std::size_t TenantCount(AppWorld& w) {
  tenancy::TenantFilter q;
  q.limit = 1000;
  auto page = w.app().platform().directory().List(q);
  REQUIRE(page);
  return page->items.size();
}

AppOptions Limit(std::int64_t burst, std::chrono::minutes interval) {
  AppOptions o;
  o.signup.limiter.burst = burst;
  o.signup.limiter.interval = interval;
  return o;
}

TEST_CASE("sign-up creates a shared tenant on the default tier whose admin key works",
          "[server][signup]") {
  AppWorld w;
  const Response res = SignUpAs(w, "192.0.2.1", Body("city-cabs"));
  INFO(res.body());
  REQUIRE(res.result() == S::created);
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(res[http::field::location] == "/t/city-cabs/v1/tenant");
  const json::value v = BodyJson(res);
  CHECK(Str(v.at("tenant"), "slug") == "city-cabs");
  CHECK(Str(v.at("tenant"), "display_name") == "Company city-cabs");
  CHECK(Str(v.at("tenant"), "tier") == "standard");
  CHECK(Str(v.at("tenant"), "model") == "shared");
  CHECK(Str(v.at("tenant"), "state") == "active");
  CHECK(Str(v.at("admin"), "email") == "ops@example.com");
  CHECK(v.at("admin").at("roles") == json::array{"tenant_admin"});
  const std::string key = Str(v.at("admin").at("api_key"), "key");
  const std::string client_id = Str(v.at("admin").at("api_key"), "client_id");
  CHECK(key.starts_with("tk."));
  CHECK(key != client_id);
  CHECK(key.find(client_id) != std::string::npos);  // the id is part of the key (OAuth client_id)

  // The key is the tenant's admin: reads, writes, and nothing of the platform.
  Response ping = w.Call(WithBearer(MakeRequest(V::get, "/t/city-cabs/v1/ping"), key));
  REQUIRE(ping.result() == S::ok);
  CHECK(Str(BodyJson(ping), "tenant") == "city-cabs");
  CHECK(w.Call(WithBearer(MakeRequest(V::post, "/t/city-cabs/v1/vehicles", R"({"plate":"C-1"})"), key))
            .result() == S::created);
  RequireProblem(w.Call(WithBearer(MakeRequest(V::get, "/v1/tenants"), key)), S::forbidden,
                 "permission_denied");
  // The same tenant, as the operator sees it.
  Response read = w.Call(WithBearer(MakeRequest(V::get, "/v1/tenants/city-cabs"), w.OperatorKey()));
  REQUIRE(read.result() == S::ok);
  CHECK(Str(BodyJson(read), "id") == Str(v.at("tenant"), "id"));
}

TEST_CASE("sign-up refuses bad input with 400 naming the field and creates nothing",
          "[server][signup]") {
  AppWorld w(Limit(100, std::chrono::minutes(1)));
  const std::size_t before = TenantCount(w);
  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"slug":"a-b","admin_email":"x@y.example"})", "name"},
      {R"({"name":"","slug":"a-b","admin_email":"x@y.example"})", "name"},
      {R"({"name":42,"slug":"a-b","admin_email":"x@y.example"})", "name"},
      {R"({"name":"A","admin_email":"x@y.example"})", "slug"},
      {R"({"name":"A","slug":"Not A Slug","admin_email":"x@y.example"})", "slug"},
      {R"({"name":"A","slug":"-dash","admin_email":"x@y.example"})", "slug"},
      {R"({"name":"A","slug":")" + std::string(64, 'a') + R"(","admin_email":"x@y.example"})", "slug"},
      {R"({"name":"A","slug":"a-b"})", "admin_email"},
      {R"({"name":"A","slug":"a-b","admin_email":"not-an-email"})", "admin_email"},
      {R"({"name":"A","slug":"a-b","admin_email":"a b@c.example"})", "admin_email"},
      {R"({"name":"A","slug":"a-b","admin_email":["x@y.example"]})", "admin_email"},
      {R"({"name":"A","slug":"a-b","admin_email":"x@y.example","tier":"enterprise"})", "tier"},
      {R"({"name":"A","slug":"a-b","admin_email":"x@y.example","admin_name":7})", "admin_name"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    const Response res = SignUpAs(w, "198.51.100.7", c.body);
    RequireProblem(res, S::bad_request, "invalid_argument");
    CHECK(Str(BodyJson(res), "detail").find(c.field) != std::string::npos);
  }
  RequireProblem(SignUpAs(w, "198.51.100.7", "{not json"), S::bad_request, "invalid_argument");
  Connection from = From("198.51.100.7");
  RequireProblem(w.app().Handle(MakeRequest(V::post, "/v1/signup", Body("a-b"), "text/plain"), from),
                 S::bad_request, "invalid_argument");
  CHECK(TenantCount(w) == before);
  CHECK(!w.app().platform().directory().GetBySlug("a-b"));
}

TEST_CASE("a taken slug answers 409 and leaves its tenant alone", "[server][signup]") {
  AppWorld w(Limit(100, std::chrono::minutes(1)));
  const Onboarded acme = w.Onboard("acme");
  const auto id = tenancy::TenantId::Parse(acme.id).value();
  const auto keys_before = w.app().platform().auth().ListApiKeys(id);
  REQUIRE(keys_before);
  const Response res = SignUpAs(w, "192.0.2.9", Body("acme", "thief@evil.example"));
  RequireProblem(res, S::conflict, "already_exists");
  CHECK(res.body().find("tk.") == std::string::npos);  // no credential in a refusal
  const auto keys_after = w.app().platform().auth().ListApiKeys(id);
  REQUIRE(keys_after);
  CHECK(keys_after->size() == keys_before->size());
  // Signed up once, the second sign-up of the same slug is refused too.
  REQUIRE(SignUpAs(w, "192.0.2.9", Body("fresh")).result() == S::created);
  RequireProblem(SignUpAs(w, "192.0.2.10", Body("fresh")), S::conflict, "already_exists");
}

TEST_CASE("racing sign-ups of one slug create one tenant", "[server][signup][concurrency]") {
  AppWorld w(Limit(1000, std::chrono::minutes(1)));
  std::atomic<int> created{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const Response r = SignUpAs(w, "203.0.113." + std::to_string(t + 1), Body("contested"));
        if (r.result() == S::created) ++created;
        else if (r.result() == S::conflict) ++conflict;
        else ++other;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(created.load() == 1);
  CHECK(conflict.load() == 11);
  CHECK(other.load() == 0);
}

TEST_CASE("sign-ups are limited per client address, IPv6 per /64", "[server][signup][limit]") {
  AppWorld w(Limit(3, std::chrono::minutes(20)));
  // Three at once from one address, then 429 with the wait in Retry-After.
  for (int i = 0; i < 3; ++i) REQUIRE(SignUpAs(w, "192.0.2.1", Body("a" + std::to_string(i))).result() == S::created);
  const Response refused = SignUpAs(w, "192.0.2.1", Body("a3"));
  RequireProblem(refused, S::too_many_requests, "rate_limited");
  CHECK(refused[http::field::retry_after] == "1200");
  CHECK(!w.app().platform().directory().GetBySlug("a3"));
  // Bad input spends the budget too (no free slug probing).
  RequireProblem(SignUpAs(w, "192.0.2.1", "{}"), S::too_many_requests, "rate_limited");
  // Another address has its own budget.
  REQUIRE(SignUpAs(w, "192.0.2.2", Body("b0")).result() == S::created);
  // IPv6: one /64 is one client.
  REQUIRE(SignUpAs(w, "2001:db8:1:2::1", Body("c0")).result() == S::created);
  REQUIRE(SignUpAs(w, "2001:db8:1:2::2", Body("c1")).result() == S::created);
  REQUIRE(SignUpAs(w, "2001:db8:1:2:ffff::3", Body("c2")).result() == S::created);
  RequireProblem(SignUpAs(w, "2001:db8:1:2::4", Body("c3")), S::too_many_requests, "rate_limited");
  REQUIRE(SignUpAs(w, "2001:db8:1:3::1", Body("d0")).result() == S::created);
  // Time refills one unit per interval.
  w.clock().Advance(std::chrono::minutes(19));
  RequireProblem(SignUpAs(w, "192.0.2.1", Body("a3")), S::too_many_requests, "rate_limited");
  w.clock().Advance(std::chrono::minutes(1));
  REQUIRE(SignUpAs(w, "192.0.2.1", Body("a3")).result() == S::created);
  RequireProblem(SignUpAs(w, "192.0.2.1", Body("a4")), S::too_many_requests, "rate_limited");
}

TEST_CASE("the sign-up can be turned off", "[server][signup]") {
  AppOptions o;
  o.signup.enabled = false;
  AppWorld w(o);
  RequireProblem(SignUpAs(w, "192.0.2.1", Body("nope")), S::not_found, "not_found");
}

TEST_CASE("the address limiter keeps a bounded table and fails closed when full",
          "[server][signup][limit]") {
  tenancy::ManualClock clock;
  AddressLimiter limiter(AddressLimiterOptions{
      .burst = 1, .interval = std::chrono::seconds(60), .max_addresses = 4, .clock = &clock});
  for (int i = 1; i <= 4; ++i)
    REQUIRE(limiter.TryAcquire(net::ip::make_address("10.0.0." + std::to_string(i))).allowed);
  CHECK(limiter.tracked() == 4);
  // Full of addresses still inside their window: a new one is refused.
  clock.Advance(std::chrono::seconds(20));
  const AddressVerdict full = limiter.TryAcquire(net::ip::make_address("10.0.0.5"));
  CHECK(!full.allowed);
  CHECK(full.retry_after == std::chrono::seconds(40));
  CHECK(limiter.tracked() == 4);
  // Once their budgets refilled they are forgotten and new ones fit.
  clock.Advance(std::chrono::seconds(40));
  CHECK(limiter.TryAcquire(net::ip::make_address("10.0.0.5")).allowed);
  CHECK(limiter.tracked() == 1);
  for (int i = 6; i <= 100; ++i) (void)limiter.TryAcquire(net::ip::make_address("10.0.1." + std::to_string(i)));
  CHECK(limiter.tracked() == 4);
  // The keys: IPv4 whole, IPv6 by /64.
  CHECK(AddressLimiter::KeyOf(net::ip::make_address("2001:db8::1")) ==
        AddressLimiter::KeyOf(net::ip::make_address("2001:db8::ffff:1")));
  CHECK(AddressLimiter::KeyOf(net::ip::make_address("2001:db8:0:1::1")) !=
        AddressLimiter::KeyOf(net::ip::make_address("2001:db8::1")));
  CHECK(AddressLimiter::KeyOf(net::ip::make_address("10.0.0.1")) !=
        AddressLimiter::KeyOf(net::ip::make_address("10.0.0.2")));
}

TEST_CASE("racing threads share one address's budget exactly", "[server][signup][limit][concurrency]") {
  tenancy::ManualClock clock;
  AddressLimiter limiter(AddressLimiterOptions{
      .burst = 50, .interval = std::chrono::hours(1), .max_addresses = 16, .clock = &clock});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (limiter.TryAcquire(net::ip::make_address("192.0.2.77")).allowed) ++allowed;
    });
  for (auto& th : threads) th.join();
  CHECK(allowed.load() == 50);
}

}  // namespace
}  // namespace tenancyd::testing

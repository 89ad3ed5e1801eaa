// The HTTP core over real sockets: keep-alive, limits, garbage, timeouts,
// pipelining and graceful shutdown, against an in-process server.
#include "live_server.hpp"
#include "problem.hpp"

#include <future>
#include <thread>

namespace tenancyd::testing {
namespace {

using S = http::status;
using namespace std::chrono_literals;

Request Get(std::string target, std::string request_id = {}) {
  Request req = MakeRequest(http::verb::get, std::move(target));
  if (!request_id.empty()) req.set("X-Request-Id", request_id);
  return req;
}

void RequireProblemClosed(TestClient& c, S status, std::string_view code) {
  auto res = c.Read();
  REQUIRE(res);
  RequireProblem(*res, status, code);
  CHECK_FALSE(res->keep_alive());
  CHECK(c.WaitClosed());
}

// The server is still well: a fresh connection gets an answer.
void RequireServing(LiveServer& s) {
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  auto res = c.Roundtrip(Get("/healthz"));
  REQUIRE(res);
  CHECK(res->result() == S::ok);
}

TEST_CASE("keep-alive: several requests on one connection", "[server][http]") {
  LiveServer s;
  s.Start();
  const auto before = s.server().stats().connections_accepted;
  TestClient c = s.Connect();
  for (int i = 0; i < 5; ++i) {
    auto res = c.Roundtrip(Get(i % 2 ? "/healthz" : "/readyz", "ka-" + std::to_string(i)));
    REQUIRE(res);
    CHECK(res->result() == S::ok);
    CHECK(res->keep_alive());
    CHECK((*res)["X-Request-Id"] == "ka-" + std::to_string(i));
  }
  CHECK(s.server().stats().connections_accepted - before == 1);
  // Connection: close is honoured.
  Request last = Get("/healthz");
  last.keep_alive(false);
  auto res = c.Roundtrip(std::move(last));
  REQUIRE(res);
  CHECK_FALSE(res->keep_alive());
  CHECK(c.WaitClosed());
}

TEST_CASE("a huge header answers 431 and the connection closes", "[server][http]") {
  LiveServer s;
  s.Start();
  TestClient c = s.Connect();
  c.Write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  RequireProblemClosed(c, S::request_header_fields_too_large, "header_too_large");
  RequireServing(s);
}

TEST_CASE("a huge body answers 413 and the connection closes", "[server][http]") {
  LiveServer s;
  ServerOptions o;
  o.max_body_bytes = 1024;
  s.Start(o);
  SECTION("announced by Content-Length") {
    TestClient c = s.Connect();
    c.Write("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 10000000\r\n\r\n" + std::string(4096, '{'));
    RequireProblemClosed(c, S::payload_too_large, "body_too_large");
  }
  SECTION("chunked, found out while reading") {
    TestClient c = s.Connect();
    std::string chunks;
    for (int i = 0; i < 8; ++i) chunks += "200\r\n" + std::string(512, 'x') + "\r\n";
    c.Write("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
    RequireProblemClosed(c, S::payload_too_large, "body_too_large");
  }
  RequireServing(s);
}

TEST_CASE("garbage answers 400 problem+json — the server survives", "[server][http]") {
  LiveServer s;
  s.Start();
  const std::vector<std::string> garbage = {
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n",  // a TLS hello
      "GET / HTTP/9.9\r\n\r\n",
      "NOT A REQUEST\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
      "POST /oauth/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("GET /\0 HTTP/1.1\r\n\r\n", 20),
  };
  for (const auto& bytes : garbage) {
    INFO(SafeText(bytes, 60));
    TestClient c = s.Connect();
    c.Write(bytes);
    RequireProblemClosed(c, S::bad_request, "malformed_request");
  }
  RequireServing(s);
}

TEST_CASE("idle and slow connections are closed", "[server][http]") {
  LiveServer s;
  ServerOptions o;
  o.idle_timeout = 300ms;
  o.read_timeout = 300ms;
  s.Start(o);
  SECTION("idle after a response") {
    TestClient c = s.Connect();
    auto res = c.Roundtrip(Get("/healthz"));
    REQUIRE(res);
    CHECK(res->keep_alive());
    CHECK(c.WaitClosed());
  }
  SECTION("silent from the start") {
    TestClient c = s.Connect();
    CHECK(c.WaitClosed());
  }
  SECTION("a request that never completes") {
    TestClient c = s.Connect();
    c.Write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    CHECK(c.WaitClosed());
  }
  RequireServing(s);
}

TEST_CASE("pipelined requests are answered in order, and reading pauses at the cap", "[server][http]") {
  LiveServer s;
  constexpr std::size_t kBody = 3 << 20;  // 3 MiB per response: the socket buffers fill up
  s.world().app().router().Add({.method = http::verb::get, .pattern = "/test/big",
                                .handler = [](Exchange&) -> tenancy::Result<Response> {
                                  Response res{S::ok, 11};
                                  res.body().assign(kBody, 'b');
                                  return res;
                                }});
  ServerOptions o;
  o.pipeline_limit = 4;
  s.Start(o);
  constexpr int kRequests = 24;
  TestClient c = s.Connect();
  std::string all;
  for (int i = 0; i < kRequests; ++i)
    all += "GET " + std::string(i % 3 ? "/test/big" : "/healthz") + " HTTP/1.1\r\nHost: x\r\nX-Request-Id: p" +
           std::to_string(i) + "\r\n\r\n";
  c.Write(all);
  REQUIRE_FALSE(c.error);

  // Not reading: the server must stop taking requests once its queue and
  // the socket buffers are full. Wait until its count stops moving.
  std::uint64_t handled = 0;
  for (int stable = 0, polls = 0; stable < 5 && polls < 400; ++polls) {
    std::this_thread::sleep_for(20ms);
    const auto now = s.server().stats().requests_handled;
    stable = now == handled && now > 0 ? stable + 1 : 0;
    handled = now;
  }
  CHECK(handled < kRequests);
  CHECK(s.server().stats().max_queued_responses == o.pipeline_limit);

  for (int i = 0; i < kRequests; ++i) {
    auto res = c.Read();
    REQUIRE(res);
    CHECK((*res)["X-Request-Id"] == "p" + std::to_string(i));
    CHECK(res->result() == S::ok);
    if (i % 3) CHECK(res->body().size() == kBody);
  }
  CHECK(s.server().stats().requests_handled == kRequests);
  CHECK(s.server().stats().max_queued_responses <= o.pipeline_limit);
}

TEST_CASE("graceful shutdown finishes the request in flight and closes idle ones", "[server][http]") {
  LiveServer s;
  std::promise<void> entered, release;
  std::shared_future<void> go = release.get_future().share();
  s.world().app().router().Add({.method = http::verb::get, .pattern = "/test/slow",
                                .handler = [&entered, go](Exchange&) -> tenancy::Result<Response> {
                                  entered.set_value();
                                  go.wait();
                                  return JsonResponse(S::ok, json::object{{"slow", "done"}});
                                }});
  ServerOptions o;
  o.drain_timeout = 30s;
  s.Start(o);

  TestClient idle = s.Connect();
  REQUIRE(idle.Roundtrip(Get("/healthz")));
  TestClient busy = s.Connect();
  busy.Send(Get("/test/slow", "slow-1"));
  entered.get_future().wait();  // the handler runs

  s.server().Shutdown();
  CHECK(idle.WaitClosed());  // idle keep-alive connections go at once
  TestClient late(s.port());
  CHECK((!late.connected() || late.WaitClosed()));  // no new work is taken

  release.set_value();
  auto res = busy.Read();
  REQUIRE(res);
  CHECK(res->result() == S::ok);
  CHECK((*res)["X-Request-Id"] == "slow-1");
  CHECK(Str(BodyJson(*res), "slow") == "done");
  CHECK_FALSE(res->keep_alive());
  CHECK(busy.WaitClosed());
  s.server().Wait();
  CHECK(s.shutdown_hook_ran());
  CHECK(s.server().stats().open_connections == 0);
}

TEST_CASE("the drain deadline closes what is still open", "[server][http]") {
  LiveServer s;
  ServerOptions o;
  o.drain_timeout = 200ms;
  s.Start(o);
  // A request that never completes holds its connection until the deadline.
  TestClient stuck = s.Connect();
  stuck.Write("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  std::this_thread::sleep_for(50ms);
  s.server().Shutdown();
  CHECK(stuck.WaitClosed());
  s.server().Wait();
  CHECK(s.shutdown_hook_ran());
}

TEST_CASE("many clients at once on several threads", "[server][http]") {
  LiveServer s;
  ServerOptions o;
  o.threads = 3;
  s.Start(o);
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      TestClient c(s.port());
      for (int i = 0; i < 30; ++i) {
        auto res = c.Roundtrip(Get("/healthz", "c" + std::to_string(t) + "-" + std::to_string(i)));
        if (res && res->result() == S::ok &&
            (*res)["X-Request-Id"] == "c" + std::to_string(t) + "-" + std::to_string(i))
          ++ok;
        else
          ++bad;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 180);
  CHECK(bad.load() == 0);
}

}  // namespace
}  // namespace tenancyd::testing

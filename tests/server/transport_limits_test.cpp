// Slow clients and the connection cap over real sockets: a request that
// does not arrive within the read timeout is answered 408 problem+json
// before the connection closes (an idle keep-alive connection still closes
// silently); connections beyond --max-connections are answered 503
// `server_busy` at once; the server keeps serving throughout.
#include <boost/beast/core/error.hpp>

#include "contracts_fixture.hpp"

#include <thread>

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

void RequireServing(LiveServer& s) {
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  auto res = c.Roundtrip(MakeRequest(V::get, "/healthz"));
  REQUIRE(res);
  CHECK(res->result() == S::ok);
}

ServerOptions Short() {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  return o;
}

TEST_CASE("half a request's headers within the read timeout answers 408 and closes",
          "[server][transport][slow]") {
  LiveServer s;
  s.Start(Short());
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  c.Write("GET /healthz HTTP/1.1\r\nHost: loc");
  auto res = c.Read();
  REQUIRE(res);
  RequireProblem(*res, S::request_timeout, "request_timeout");
  CHECK(!res->keep_alive());
  CHECK(c.WaitClosed());
  RequireServing(s);
}

TEST_CASE("half a request's body within the read timeout answers 408 and closes",
          "[server][transport][slow]") {
  LiveServer s;
  s.Start(Short());
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  c.Write("POST /v1/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          "Content-Length: 200\r\n\r\n{\"name\":\"slow");
  auto res = c.Read();
  REQUIRE(res);
  RequireProblem(*res, S::request_timeout, "request_timeout");
  CHECK(c.WaitClosed());
  // Nothing was signed up from the partial body.
  CHECK(!s.world().app().platform().directory().GetBySlug("slow"));
  RequireServing(s);
}

TEST_CASE("a slow request after a served one gets its 408 after the first answer",
          "[server][transport][slow]") {
  LiveServer s;
  s.Start(Short());
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  c.Write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET /readyz HTTP/1.1\r\nHo");
  auto first = c.Read();
  REQUIRE(first);
  CHECK(first->result() == S::ok);
  CHECK(first->keep_alive());
  auto second = c.Read();
  REQUIRE(second);
  RequireProblem(*second, S::request_timeout, "request_timeout");
  CHECK(c.WaitClosed());
}

TEST_CASE("an idle keep-alive connection closes without a response", "[server][transport][slow]") {
  LiveServer s;
  s.Start(Short());
  TestClient c = s.Connect();
  REQUIRE(c.connected());
  auto res = c.Roundtrip(MakeRequest(V::get, "/healthz"));
  REQUIRE(res);
  // Nothing more is sent: the idle timeout ends the connection, and no
  // response (a 408 would confuse a client about to reuse it) comes.
  CHECK(!c.Read());
  CHECK(c.error != boost::beast::error::timeout);
  RequireServing(s);
}

TEST_CASE("connections beyond the cap are answered 503 server_busy", "[server][transport][cap]") {
  LiveServer s;
  ServerOptions o;
  o.max_connections = 2;
  s.Start(o);
  // Two connections, each known to be served (and so registered).
  std::optional<TestClient> a(std::in_place, s.port());
  TestClient b = s.Connect();
  for (TestClient* c : {&*a, &b}) {
    auto r = c->Roundtrip(MakeRequest(V::get, "/healthz"));
    REQUIRE(r);
    REQUIRE(r->result() == S::ok);
  }
  // A third and a fourth: refused at once, with a wait hint, then closed.
  for (int i = 0; i < 2; ++i) {
    TestClient extra = s.Connect();
    REQUIRE(extra.connected());
    auto r = extra.Roundtrip(MakeRequest(V::get, "/healthz"));
    REQUIRE(r);
    RequireProblem(*r, S::service_unavailable, "server_busy");
    CHECK(r->at(http::field::retry_after) == "1");
    CHECK(!r->keep_alive());
    CHECK(extra.WaitClosed());
  }
  // The two admitted connections still work.
  for (TestClient* c : {&*a, &b}) {
    auto r = c->Roundtrip(MakeRequest(V::get, "/readyz"));
    REQUIRE(r);
    CHECK(r->result() == S::ok);
  }
  CHECK(s.server().stats().connections_accepted >= 4);
  // Closing one frees its place: a new connection is served once the
  // server has noticed (polled, with a generous bound).
  a.reset();
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    TestClient c = s.Connect();
    auto r = c.Roundtrip(MakeRequest(V::get, "/healthz"));
    served = r && r->result() == S::ok;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(served);
}

TEST_CASE("the connection cap is validated", "[server][transport][cap]") {
  ServerOptions o;
  o.max_connections = 0;
  CHECK(!Validate(o));
  o.max_connections = 1;
  CHECK(Validate(o));
  o.max_connections = 2'000'000;
  CHECK(!Validate(o));
}

}  // namespace
}  // namespace tenancyd::testing

// Held connections over real sockets (D59): after a 429 for the tenant's
// request rate, the connection's next request is read only at the tenant's
// next free slot. The 429 itself goes out at once; the held request is
// answered, not lost; other tenants are served meanwhile; a shutdown does
// not wait for a hold.
//
// The holds here are kMaxReadHold (1 s): the governance clock stands still,
// so the limit's wait is as long as the rate says (an hour). Asio's timers
// never fire early, so "held at least this long" cannot fail by chance.
#include "data_plane_fixture.hpp"
#include "live_server.hpp"

#include <thread>

namespace tenancyd::testing {
namespace {

using S = http::status;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Request PingOf(const Onboarded& t) {
  return WithBearer(MakeRequest(http::verb::get, "/t/" + t.slug + "/v1/ping"), t.key);
}

// Pings as `t` on `c` until refused (so `c` is held); `refused_at`: a
// time before the refused request was sent, so before its hold began.
void Throttle(TestClient& c, const Onboarded& t, Clock::time_point& refused_at) {
  REQUIRE(c.connected());
  for (int i = 0; i < 3; ++i) {
    refused_at = Clock::now();
    auto res = c.Roundtrip(PingOf(t));
    REQUIRE(res);
    if (res->result() == S::too_many_requests) {
      RequireProblem(*res, S::too_many_requests, "rate_limited");
      CHECK(res->keep_alive());  // held, not closed
      return;
    }
    REQUIRE(res->result() == S::ok);
  }
  FAIL("the rate never refused");
}

TEST_CASE("a throttled connection's next request waits for its slot; a neighbour does not",
          "[server][governance][hold]") {
  LiveServer s;
  s.Start();
  const Onboarded a = s.world().Onboard("alpha");
  const Onboarded b = s.world().Onboard("beta");
  SetRate(s.world(), a, 1, 1h, 1);

  Clock::time_point sent;
  TestClient held = s.Connect();
  Throttle(held, a, sent);
  const std::uint64_t handled_before = s.server().stats().requests_handled;
  held.Send(PingOf(a));  // waits in the socket, unread

  // The neighbour, on its own connection, is served while A's is held...
  TestClient neighbour = s.Connect();
  for (int i = 0; i < 3; ++i) {
    auto res = neighbour.Roundtrip(PingOf(b));
    REQUIRE(res);
    CHECK(res->result() == S::ok);
  }
  // ... and A's held request was not read meanwhile (the neighbour's three
  // take milliseconds; the hold is a second).
  CHECK(s.server().stats().requests_handled == handled_before + 3);

  // The held request is answered, at the end of the hold.
  auto late = held.Read();
  REQUIRE(late);
  CHECK(Clock::now() - sent >= kMaxReadHold);
  RequireProblem(*late, S::too_many_requests, "rate_limited");
  CHECK(s.server().stats().requests_handled == handled_before + 4);
}

TEST_CASE("pipelined requests behind a refusal are all answered, in order, after the hold",
          "[server][governance][hold]") {
  LiveServer s;
  s.Start();
  const Onboarded a = s.world().Onboard("alpha");
  SetRate(s.world(), a, 1, 1h, 1);
  Clock::time_point sent;
  TestClient held = s.Connect();
  Throttle(held, a, sent);
  Request first = PingOf(a), second = PingOf(a);
  first.set("X-Request-Id", "held-first");
  second.set("X-Request-Id", "held-second");
  held.Send(std::move(first));
  held.Send(std::move(second));
  auto r1 = held.Read();
  REQUIRE(r1);
  CHECK(Clock::now() - sent >= kMaxReadHold);
  CHECK((*r1)["X-Request-Id"] == "held-first");
  auto r2 = held.Read();
  REQUIRE(r2);
  CHECK((*r2)["X-Request-Id"] == "held-second");
  // Each was refused again, so each waited its own hold.
  CHECK(Clock::now() - sent >= 2 * kMaxReadHold);
}

TEST_CASE("a shutdown closes a held connection without waiting for its hold",
          "[server][governance][hold]") {
  LiveServer s;
  ServerOptions o;
  o.drain_timeout = 30s;  // the close must come from the drain, not its deadline
  s.Start(o);
  const Onboarded a = s.world().Onboard("alpha");
  SetRate(s.world(), a, 1, 1h, 1);
  Clock::time_point refused_at;
  TestClient held = s.Connect();
  Throttle(held, a, refused_at);
  held.Send(PingOf(a));
  const std::uint64_t handled = s.server().stats().requests_handled;
  const auto begun = Clock::now();
  std::thread stopper([&] { s.server().Shutdown(); });
  CHECK(held.WaitClosed());
  s.server().Wait();
  stopper.join();
  // The drain ended the connection before its deadline; the unread request
  // was never handled.
  CHECK(Clock::now() - begun < 30s);
  CHECK(s.server().stats().requests_handled == handled);
  CHECK(s.shutdown_hook_ran());
}

}  // namespace
}  // namespace tenancyd::testing

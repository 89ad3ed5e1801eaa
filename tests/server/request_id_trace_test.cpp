// Step 1: request ids and W3C traceparent, against hostile input.
#include "server_fixture.hpp"

#include <set>
#include <thread>

#include "ids.hpp"

#include "middleware/steps.hpp"

namespace tenancyd::testing {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST_CASE("a valid traceparent is continued", "[server][trace]") {
  auto t = ParseTraceparent(kValid);
  REQUIRE(t);
  CHECK(Hex(t->trace_id) == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(Hex(t->parent_id) == "00f067aa0ba902b7");
  CHECK(t->flags == 1);
  CHECK(t->continued);
}

TEST_CASE("malformed traceparent values are refused", "[server][trace]") {
  const std::string valid(kValid);
  const std::vector<std::string> hostile = {
      "",
      "00",
      valid.substr(0, 54),                                                   // short
      valid + "-extra",                                                      // version 00 is exact
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",            // version ff
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",            // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",            // zero parent id
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",            // upper case
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",            // not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",            // separators
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
      std::string(4096, '0'),
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX: y",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",           // future: '-' needed
  };
  for (const auto& h : hostile) {
    INFO(h.substr(0, 80));
    CHECK_FALSE(ParseTraceparent(h));
  }
  // A future version with extra fields is read as version 00.
  auto future = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever");
  REQUIRE(future);
  CHECK(Hex(future->trace_id) == "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_CASE("request ids: sane ones are kept, others replaced", "[server][trace]") {
  CHECK(IsSaneRequestId("abc-DEF_012.x"));
  CHECK(IsSaneRequestId(std::string(kMaxRequestIdBytes, 'a')));
  CHECK_FALSE(IsSaneRequestId(""));
  CHECK_FALSE(IsSaneRequestId(std::string(kMaxRequestIdBytes + 1, 'a')));
  CHECK_FALSE(IsSaneRequestId("a b"));
  CHECK_FALSE(IsSaneRequestId("a\"b"));
  CHECK_FALSE(IsSaneRequestId("<script>"));
  CHECK_FALSE(IsSaneRequestId("ü"));

  Request req = MakeRequest(http::verb::get, "/healthz");
  req.set("X-Request-Id", "client-id.1");
  req.set("traceparent", kValid);
  Exchange x(req);
  TakeRequestIdAndTrace(x);
  CHECK(x.request_id == "client-id.1");
  CHECK(x.TraceIdHex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  const std::string out(Traceparent(x.trace).view());
  CHECK(out.size() == 55);
  CHECK(out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
  CHECK(out.substr(36, 16) != "00f067aa0ba902b7");  // our own span, not the caller's
  CHECK(ParseTraceparent(out));
  // Byte for byte: the caller's trace id, our span id, the sampled flag kept.
  x.trace.span_id = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  CHECK(Traceparent(x.trace).view() == "00-4bf92f3577b34da6a3ce929d0e0e4736-0123456789abcdef-01");
  x.trace.flags = 0xfe;  // only the sampled bit is ours to pass on
  CHECK(Traceparent(x.trace).view().ends_with("-00"));

  Request hostile = MakeRequest(http::verb::get, "/healthz");
  hostile.set("X-Request-Id", "evil id\twith spaces");
  hostile.set("traceparent", "garbage");
  Exchange y(hostile);
  TakeRequestIdAndTrace(y);
  CHECK(y.request_id != "evil id\twith spaces");
  CHECK(IsSaneRequestId(y.request_id));
  REQUIRE(y.request_id.size() == 25);  // "r" and 24 lowercase hex digits
  CHECK(y.request_id[0] == 'r');
  CHECK(y.request_id.find_first_not_of("0123456789abcdef", 1) == std::string::npos);
  CHECK_FALSE(y.trace.continued);
  CHECK(ParseTraceparent(Traceparent(y.trace).view()));
}

TEST_CASE("two traceparent headers start a new trace", "[server][trace]") {
  Request req = MakeRequest(http::verb::get, "/healthz");
  req.insert("traceparent", kValid);
  req.insert("traceparent", "00-11111111111111111111111111111111-2222222222222222-01");
  Exchange x(req);
  TakeRequestIdAndTrace(x);
  CHECK_FALSE(x.trace.continued);
  CHECK(x.TraceIdHex() != "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_CASE("generated ids are distinct across threads", "[server][trace]") {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& out : per)
    threads.emplace_back([&out] {
      for (int i = 0; i < 500; ++i) out.push_back(NewRequestId() + Hex(NewTraceId()));
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : per) all.insert(v.begin(), v.end());
  CHECK(all.size() == 2000);
}

TEST_CASE("responses echo the request id and traceparent", "[server][trace]") {
  AppWorld w;
  Request req = MakeRequest(http::verb::get, "/healthz");
  req.set("X-Request-Id", "probe-7");
  req.set("traceparent", kValid);
  const Response res = w.Call(std::move(req));
  CHECK(res.result() == http::status::ok);
  CHECK(res["X-Request-Id"] == "probe-7");
  CHECK(std::string(res["traceparent"]).starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
  // Errors carry the same id in the problem document.
  Request bad = MakeRequest(http::verb::get, "/no/such/route");
  bad.set("X-Request-Id", "probe-8");
  const Response missing = w.Call(std::move(bad));
  CHECK(Str(BodyJson(missing), "request_id") == "probe-8");
  CHECK(missing["X-Request-Id"] == "probe-8");
}

}  // namespace
}  // namespace tenancyd::testing

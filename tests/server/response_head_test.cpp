// AppendResponseHead against Beast's own serializer: for random responses
// (versions, known and unknown status codes, custom reasons, known and
// unknown fields in any order, empty values, repeated names) the two must
// write the same bytes.
#include "server_fixture.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/serializer.hpp>

#include <random>

#include "response_head.hpp"

namespace tenancyd::testing {
namespace {

namespace beast = boost::beast;

std::string BeastHead(Response& response) {
  std::string out;
  http::response_serializer<http::string_body> sr(response);
  sr.split(true);
  beast::error_code ec;
  while (!sr.is_header_done()) {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (const auto b : beast::buffers_range_ref(buffers))
        out.append(static_cast<const char*>(b.data()), b.size());
      sr.consume(beast::buffer_bytes(buffers));
    });
    REQUIRE_FALSE(ec);
  }
  return out;
}

TEST_CASE("a response head is written as Beast's serializer writes it (property)",
          "[server][http][property]") {
  std::mt19937 rng(20261128);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::string token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~";
  const std::string visible = token + " \"(),/:;<=>?@[\\]{}\t";
  const auto text = [&](const std::string& alphabet, std::size_t max) {
    std::string s(pick(max + 1), ' ');
    for (char& c : s) c = alphabet[pick(alphabet.size())];
    return s;
  };
  for (int round = 0; round < 3000; ++round) {
    Response res;
    res.version(pick(2) == 0 ? 10 : 11);
    // Every code from 100 to 999: Beast's and unknown ones alike.
    res.result(static_cast<unsigned>(100 + pick(900)));
    if (pick(4) == 0) res.reason(text(visible, 20));
    for (std::size_t i = 0, n = pick(9); i < n; ++i) {
      std::string value = text(visible, 40);
      // Beast trims a value's surrounding whitespace on insert, as HTTP does.
      if (pick(2) == 0)
        res.insert(static_cast<http::field>(1 + pick(static_cast<std::size_t>(http::field::xref))),
                   value);
      else
        res.insert("X-" + text(token, 12), value);
    }
    const unsigned code = res.result_int();
    // prepare_payload refuses a body where HTTP allows none.
    if (code >= 200 && code != 204 && code != 304) res.body() = text(visible, 64);
    if (pick(3) != 0) res.prepare_payload();
    std::string ours = "prefix";
    AppendResponseHead(ours, res);
    INFO("round " << round);
    CHECK(ours == "prefix" + BeastHead(res));
  }
}

TEST_CASE("a response head: status line, fields in order, blank line", "[server][http]") {
  Response res{http::status::too_many_requests, 11};
  res.set(http::field::content_type, "application/problem+json");
  res.set("X-Request-Id", "r1");
  res.set(http::field::retry_after, "1");
  res.body() = "{}";
  res.prepare_payload();
  std::string out;
  AppendResponseHead(out, res);
  CHECK(out ==
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\n"
        "X-Request-Id: r1\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\n");
}

}  // namespace
}  // namespace tenancyd::testing

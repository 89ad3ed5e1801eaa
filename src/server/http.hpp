// tenancyd's HTTP vocabulary: the request and response types every layer
// above the socket speaks (Beast's messages with string bodies), and small
// helpers to build responses.
//
// Services see these types and never a socket: a handler is a function from
// a request (plus the pipeline's findings) to a response.
//
// Thread safety: values.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace tenancyd {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kProblemType = "application/problem+json";

// What the transport knows about the connection a request came over, and
// what the handler asks of it.
struct Connection {
  // The TCP peer's IP address (no proxy header is trusted). Unspecified
  // (0.0.0.0) when the request did not come over a socket, e.g. a test
  // driving the pipeline directly.
  boost::asio::ip::address peer{};
  // Set by the handler: read this connection's next request only after
  // this long (its response goes out at once). Zero: at once. The rate
  // limit sets it on a 429, so a flooding caller's next requests wait in
  // its own socket rather than in front of other tenants' (D59).
  std::chrono::nanoseconds hold_reading{0};
};

// A response with a JSON body (serialized here) and its Content-Type.
Response JsonResponse(http::status status, const boost::json::value& body);
// The same with the body already JSON text (e.g. from a JsonWriter).
Response JsonTextResponse(http::status status, std::string json_text);

// Splits a request target into path and query ("/a?b=c" → "/a", "b=c").
struct Target {
  std::string_view path{};
  std::string_view query{};
};
Target SplitTarget(std::string_view target) noexcept;

}  // namespace tenancyd

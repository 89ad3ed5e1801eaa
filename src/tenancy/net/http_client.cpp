// The blocking HTTP client of tenancy_net: Beast's async operations driven
// by a private io_context, so every step runs under a deadline
// (beast::tcp_stream::expires_after works only with async operations).
#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

namespace tenancy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Runs one async operation to completion on `ioc`; returns its error.
template <class Start>
boost::system::error_code RunOne(asio::io_context& ioc, Start&& start) {
  boost::system::error_code result = asio::error::would_block;
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

Error NetError(std::string_view what, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout)
    return Error(Errc::kUnavailable, std::string(what) + ": timed out");
  return Error(Errc::kUnavailable, std::string(what) + ": " + ec.message());
}

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds{1},
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

Result<HttpResponse> HttpPostTo(std::span<const std::string> addresses, std::uint16_t port,
                                std::string_view host_header, std::string_view target,
                                const Headers& headers, std::string_view body,
                                const HttpOptions& options) {
  if (addresses.empty()) return Fail(Errc::kInvalidArgument, "no address to connect to");
  std::vector<tcp::endpoint> endpoints;
  for (const auto& a : addresses) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(a, ec);
    if (ec) return Fail(Errc::kInvalidArgument, "not a numeric address: " + a);
    endpoints.emplace_back(addr, port);
  }
  const auto deadline = Clock::now() + options.timeout;
  asio::io_context ioc(1);
  beast::tcp_stream stream(ioc);

  stream.expires_after(std::min(options.connect_timeout, Remaining(deadline)));
  if (auto ec = RunOne(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); }))
    return NetError("connect", ec);

  http::request<http::string_body> req{http::verb::post, std::string(target), 11};
  req.set(http::field::host, std::string(host_header));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(false);
  req.body() = std::string(body);
  req.prepare_payload();

  stream.expires_after(Remaining(deadline));
  if (auto ec = RunOne(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); }))
    return NetError("send", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  stream.expires_after(Remaining(deadline));
  auto ec = RunOne(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  HttpResponse out;
  if (ec == http::error::body_limit && parser.is_header_done()) {
    out.truncated = true;
  } else if (ec) {
    return NetError("receive", ec);
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    out.headers.emplace_back(std::string(field.name_string().data(), field.name_string().size()),
                             std::string(field.value().data(), field.value().size()));
  out.body = res.body();
  if (out.body.size() > options.max_body_bytes) out.body.resize(options.max_body_bytes);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

Result<HttpResponse> HttpPost(std::string_view url, const Headers& headers, std::string_view body,
                              const HttpOptions& options) {
  auto t = ParseWebhookUrl(url);
  if (!t) return t.error();
  if (t->scheme != "http") return Fail(Errc::kUnimplemented, "tenancy_net speaks plain http only");
  auto addrs = SystemResolver()(t->host);
  if (!addrs) return addrs.error();
  const bool v6 = t->host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + t->host + "]" : t->host;
  if (t->port != 80) host += ":" + std::to_string(t->port);
  return HttpPostTo(*addrs, t->port, host, t->target, headers, body, options);
}

Result<WebhookResponse> HttpWebhookTransport::Post(const WebhookRequest& request) {
  if (request.target == nullptr) return Fail(Errc::kInvalidArgument, "webhook request has no target");
  const WebhookTarget& t = *request.target;
  if (t.scheme != "http") return Fail(Errc::kUnimplemented, "this transport speaks plain http only");
  const bool v6 = t.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + t.host + "]" : t.host;
  if (t.port != 80) host += ":" + std::to_string(t.port);
  HttpOptions options = options_;
  options.timeout = std::min(options.timeout, request.timeout);
  auto res = HttpPostTo(t.addresses, t.port, host, t.target, request.headers, request.body, options);
  if (!res) return res.error();
  constexpr std::size_t kExcerpt = 200;
  WebhookResponse out;
  out.status = res->status;
  out.body_excerpt = res->body.substr(0, std::min(kExcerpt, res->body.size()));
  return out;
}

}  // namespace tenancy::net

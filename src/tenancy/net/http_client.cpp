// The blocking HTTP client of tenancy_net: Beast's async operations driven
// by a private io_context, so every step runs under a deadline
// (beast::tcp_stream::expires_after works only with async operations). The
// same exchange runs over a plain or a TLS stream.
#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

#include "net/tls_client.hpp"

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

Result<std::vector<tcp::endpoint>> Endpoints(std::span<const std::string> addresses,
                                             std::uint16_t port) {
  if (addresses.empty()) return Fail(Errc::kInvalidArgument, "no address to connect to");
  std::vector<tcp::endpoint> endpoints;
  for (const auto& a : addresses) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(a, ec);
    if (ec) return Fail(Errc::kInvalidArgument, "not a numeric address: " + a);
    endpoints.emplace_back(addr, port);
  }
  return endpoints;
}

// "host", "host:port" or "[v6]:port"; the port only when not the scheme's.
std::string HostHeader(const std::string& host, std::uint16_t port, std::string_view scheme) {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out;
  out.reserve(host.size() + 8);
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  if (port != (scheme == "https" ? 443 : 80)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

boost::system::error_code Connect(asio::io_context& ioc, beast::tcp_stream& stream,
                                  const std::vector<tcp::endpoint>& endpoints,
                                  Clock::time_point deadline, const HttpOptions& options) {
  stream.expires_after(std::min(options.connect_timeout, Remaining(deadline)));
  return RunOne(ioc, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
}

// Writes the request and reads the answer on a connected (and, for TLS,
// handshaken) stream, then closes the connection.
template <class Stream>
Result<HttpResponse> Exchange(asio::io_context& ioc, Stream& stream, Clock::time_point deadline,
                              std::string_view host_header, std::string_view target,
                              const Headers& headers, std::string_view body,
                              const HttpOptions& options) {
  http::request<http::string_body> req{http::verb::post, std::string(target), 11};
  req.set(http::field::host, std::string(host_header));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(false);
  req.body() = std::string(body);
  req.prepare_payload();

  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(Remaining(deadline));
  if (auto ec = RunOne(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); }))
    return NetError("send", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  tcp_layer.expires_after(Remaining(deadline));
  auto ec = RunOne(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  HttpResponse out;
  // A TLS server that closes without close_notify truncates only what
  // follows the (authenticated) status line and headers: the answer stands,
  // its body may be cut, as with an oversized one.
  if ((ec == http::error::body_limit || ec == asio::ssl::error::stream_truncated) &&
      parser.is_header_done()) {
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
  // The answer is complete (Connection: close): no TLS close_notify
  // exchange, which a peer could stall; the socket just closes.
  boost::system::error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace

Result<HttpResponse> HttpPostTo(std::span<const std::string> addresses, std::uint16_t port,
                                std::string_view host_header, std::string_view target,
                                const Headers& headers, std::string_view body,
                                const HttpOptions& options) {
  auto endpoints = Endpoints(addresses, port);
  if (!endpoints) return endpoints.error();
  const auto deadline = Clock::now() + options.timeout;
  asio::io_context ioc(1);
  beast::tcp_stream stream(ioc);
  if (auto ec = Connect(ioc, stream, *endpoints, deadline, options)) return NetError("connect", ec);
  return Exchange(ioc, stream, deadline, host_header, target, headers, body, options);
}

Result<HttpResponse> HttpsPostTo(const TlsClientContext& tls, std::string_view server_name,
                                 std::span<const std::string> addresses, std::uint16_t port,
                                 std::string_view host_header, std::string_view target,
                                 const Headers& headers, std::string_view body,
                                 const HttpOptions& options) {
  auto endpoints = Endpoints(addresses, port);
  if (!endpoints) return endpoints.error();
  const auto deadline = Clock::now() + options.timeout;
  asio::io_context ioc(1);
  detail::TlsStream stream(ioc, tls.impl().context);
  if (auto bound = detail::BindServerName(stream, server_name); !bound) return bound.error();
  if (auto ec = Connect(ioc, stream.next_layer(), *endpoints, deadline, options))
    return NetError("connect", ec);
  stream.next_layer().expires_after(Remaining(deadline));
  if (auto ec = RunOne(ioc, [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
      }))
    return detail::HandshakeError(stream, server_name, ec);
  return Exchange(ioc, stream, deadline, host_header, target, headers, body, options);
}

Result<HttpResponse> HttpPost(std::string_view url, const Headers& headers, std::string_view body,
                              const HttpOptions& options) {
  auto t = ParseWebhookUrl(url);
  if (!t) return t.error();
  auto addrs = SystemResolver()(t->host);
  if (!addrs) return addrs.error();
  const std::string host = HostHeader(t->host, t->port, t->scheme);
  if (t->scheme == "http")
    return HttpPostTo(*addrs, t->port, host, t->target, headers, body, options);
  auto tls = TlsClientContext::Open(options.ca_file);
  if (!tls) return tls.error();
  return HttpsPostTo(**tls, t->host, *addrs, t->port, host, t->target, headers, body, options);
}

HttpWebhookTransport::HttpWebhookTransport(HttpOptions options,
                                           Result<std::shared_ptr<const TlsClientContext>> tls)
    : options_(std::move(options)), tls_(std::move(tls)) {}

HttpWebhookTransport::HttpWebhookTransport(HttpOptions options)
    : HttpWebhookTransport(options, TlsClientContext::Open(options.ca_file)) {}

HttpWebhookTransport::~HttpWebhookTransport() = default;

Result<std::unique_ptr<HttpWebhookTransport>> HttpWebhookTransport::Open(HttpOptions options) {
  auto tls = TlsClientContext::Open(options.ca_file);
  if (!tls) return tls.error();
  return std::unique_ptr<HttpWebhookTransport>(
      new HttpWebhookTransport(std::move(options), std::move(tls)));
}

Result<WebhookResponse> HttpWebhookTransport::Post(const WebhookRequest& request) {
  if (request.target == nullptr) return Fail(Errc::kInvalidArgument, "webhook request has no target");
  const WebhookTarget& t = *request.target;
  if (t.scheme != "http" && t.scheme != "https")
    return Fail(Errc::kUnimplemented, "this transport speaks http and https only");
  const std::string host = HostHeader(t.host, t.port, t.scheme);
  HttpOptions options = options_;
  options.timeout = std::min(options.timeout, request.timeout);
  if (t.scheme == "https" && !tls_)
    return Fail(Errc::kUnavailable, "https is not available: " + tls_.error().message);
  auto res = t.scheme == "http"
                 ? HttpPostTo(t.addresses, t.port, host, t.target, request.headers, request.body,
                              options)
                 : HttpsPostTo(**tls_, t.host, t.addresses, t.port, host, t.target,
                               request.headers, request.body, options);
  if (!res) return res.error();
  constexpr std::size_t kExcerpt = 200;
  WebhookResponse out;
  out.status = res->status;
  out.body_excerpt = res->body.substr(0, std::min(kExcerpt, res->body.size()));
  return out;
}

}  // namespace tenancy::net

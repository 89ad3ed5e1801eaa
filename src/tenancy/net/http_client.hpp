// tenancy_net: a small blocking HTTP/1.1 client over Boost.Beast, and the
// webhook transport built on it.
//
// The library core (`tenancy`) speaks no network; this target compiles Asio
// and Beast once (asio_impl.cpp, separate compilation) and exposes only
// this header, which names neither. Plain http only: no TLS (see
// HttpWebhookTransport).
//
// Every call has a connect timeout, an overall deadline and limits on the
// response's header and body sizes, so a slow or hostile server cannot hold
// a dispatcher thread or its memory.
//
// Thread safety: the functions are reentrant (each call owns its own I/O
// context); HttpWebhookTransport is stateless and may be shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tenancy/result.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancy::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{5}};
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};  // the whole exchange
  std::size_t max_header_bytes = 16 * 1024;
  // Larger bodies are cut here (`truncated`), not treated as a failure:
  // the status line already says what happened.
  std::size_t max_body_bytes = 64 * 1024;
};

struct HttpResponse {
  int status = 0;
  Headers headers{};
  std::string body{};
  bool truncated = false;
};

// POSTs `body` to one of `addresses` (numeric IPv4/IPv6, tried in order) on
// `port`, with `Host: host_header` and request target `target`. Errors:
// kInvalidArgument (no or non-numeric addresses), kUnavailable (connect
// failure, timeout, reset, malformed or oversized header).
Result<HttpResponse> HttpPostTo(std::span<const std::string> addresses, std::uint16_t port,
                                std::string_view host_header, std::string_view target,
                                const Headers& headers, std::string_view body,
                                const HttpOptions& options = {});

// POSTs to an absolute http:// URL, resolving its host with the system
// resolver. No SSRF policy here: for webhooks use HttpWebhookTransport,
// which is given addresses already checked.
Result<HttpResponse> HttpPost(std::string_view url, const Headers& headers, std::string_view body,
                              const HttpOptions& options = {});

// The WebhookTransport for tenancy::Webhooks: http only. It connects only to
// the target's checked addresses (never re-resolves), so a DNS answer that
// changes between the check and the connection is never used.
class HttpWebhookTransport final : public WebhookTransport {
 public:
  explicit HttpWebhookTransport(HttpOptions options = {}) : options_(options) {}
  bool Supports(std::string_view scheme) const noexcept override { return scheme == "http"; }
  Result<WebhookResponse> Post(const WebhookRequest& request) override;

 private:
  HttpOptions options_;
};

}  // namespace tenancy::net

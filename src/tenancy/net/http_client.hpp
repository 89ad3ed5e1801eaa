// tenancy_net: a small blocking HTTP/1.1 client over Boost.Beast, and the
// webhook transport built on it.
//
// The library core (`tenancy`) speaks no network; this target compiles Asio,
// Asio's OpenSSL layer and Beast once (asio_impl.cpp, separate compilation)
// and exposes only this header, which names none of them.
//
// http and https. https is TLS 1.2 or newer through OpenSSL; the server's
// certificate chain must verify against the system trust store (or a CA
// file of the caller's choosing) and name the URL's host, which is also sent
// as SNI. A TLS failure — an untrusted, expired or misnamed certificate, a
// server that does not speak TLS or stalls the handshake — is kUnavailable
// with a message that names the cause.
//
// Every call has a connect timeout, an overall deadline (TLS handshake
// included) and limits on the response's header and body sizes, so a slow
// or hostile server cannot hold a dispatcher thread or its memory.
//
// Thread safety: the functions are reentrant (each call owns its own I/O
// context and TLS session); a TlsClientContext is immutable once open and
// serves concurrent calls; HttpWebhookTransport holds only its options and
// that context, and may be shared.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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
  // https: a PEM file of the CA certificates to trust, instead of the
  // system trust store (OpenSSL's default paths, Debian's
  // ca-certificates). Empty: the system store.
  std::string ca_file{};
};

struct HttpResponse {
  int status = 0;
  Headers headers{};
  std::string body{};
  // The body went over max_body_bytes, or a TLS server closed the
  // connection without close_notify after the headers: the status stands,
  // the body may be partial.
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

// The client side of TLS, loaded once and shared: protocol floor (TLS 1.2),
// peer verification and the trusted CA certificates. Loading a trust store
// parses every certificate in it, so it is done once, not per request.
class TlsClientContext {
 public:
  // Trusts the certificates of `ca_file` (PEM), or the system trust store
  // when it is empty. kInvalidArgument when the file cannot be read or holds
  // no certificate (the message names the file, which holds no secret);
  // kUnavailable when OpenSSL cannot set up a context.
  static Result<std::shared_ptr<const TlsClientContext>> Open(const std::string& ca_file = {});
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // The OpenSSL context, for tenancy_net's own files (net/tls_client.hpp).
  struct Impl;
  Impl& impl() const noexcept { return *impl_; }

 private:
  explicit TlsClientContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// HttpPostTo over TLS through `tls`: the handshake sends `server_name` (the
// URL's host, without brackets or port) as SNI unless it is an IP address,
// and requires a certificate chain that verifies and names `server_name`.
// Errors as HttpPostTo; kUnavailable also for every TLS failure.
Result<HttpResponse> HttpsPostTo(const TlsClientContext& tls, std::string_view server_name,
                                 std::span<const std::string> addresses, std::uint16_t port,
                                 std::string_view host_header, std::string_view target,
                                 const Headers& headers, std::string_view body,
                                 const HttpOptions& options = {});

// POSTs to an absolute http:// or https:// URL, resolving its host with the
// system resolver (https trusts options.ca_file or the system store, loaded
// for this call). No SSRF policy here: for webhooks use
// HttpWebhookTransport, which is given addresses already checked.
Result<HttpResponse> HttpPost(std::string_view url, const Headers& headers, std::string_view body,
                              const HttpOptions& options = {});

// The WebhookTransport for tenancy::Webhooks: http and https. It connects
// only to the target's checked addresses (never re-resolves), so a DNS
// answer that changes between the check and the connection is never used;
// for https the URL's host is still the name the certificate must carry.
class HttpWebhookTransport final : public WebhookTransport {
 public:
  // Loads the trust store now (options.ca_file or the system's); errors as
  // TlsClientContext::Open. What a server uses, so a bad CA file stops it
  // at startup.
  static Result<std::unique_ptr<HttpWebhookTransport>> Open(HttpOptions options = {});
  // As Open for callers that cannot handle an error: a trust store that
  // does not load makes every https delivery fail (kUnavailable, naming
  // the cause) while http goes on.
  explicit HttpWebhookTransport(HttpOptions options = {});
  ~HttpWebhookTransport() override;

  bool Supports(std::string_view scheme) const noexcept override {
    return scheme == "http" || scheme == "https";
  }
  Result<WebhookResponse> Post(const WebhookRequest& request) override;

 private:
  HttpWebhookTransport(HttpOptions options, Result<std::shared_ptr<const TlsClientContext>> tls);
  HttpOptions options_;
  Result<std::shared_ptr<const TlsClientContext>> tls_;
};

}  // namespace tenancy::net

// tenancy_net's private TLS pieces (http_client.hpp stays free of Asio and
// OpenSSL): the OpenSSL context behind a TlsClientContext, and how one
// client stream is bound to the name it must verify.
//
// Thread safety: an ssl::context is only read once set up (SSL_new takes a
// reference, the X509 store locks itself), so one serves concurrent
// streams; a TlsStream belongs to one request.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <string_view>

#include "net/http_client.hpp"

namespace tenancy::net {

struct TlsClientContext::Impl {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
};

namespace detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Sets SNI (not for an IP address, which RFC 6066 forbids there) and the
// verification of the peer's certificate against `server_name`.
// kUnavailable when OpenSSL refuses the name.
Result<void> BindServerName(TlsStream& stream, std::string_view server_name);

// The error of a failed handshake: the certificate check's own reason when
// verification failed ("certificate has expired", "hostname mismatch"...),
// else the TLS or transport error. Never key material: OpenSSL's reason
// strings and the host name only.
Error HandshakeError(TlsStream& stream, std::string_view server_name,
                     const boost::system::error_code& ec);

}  // namespace detail
}  // namespace tenancy::net

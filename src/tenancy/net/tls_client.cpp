// The TLS client settings of tenancy_net: TlsClientContext (protocol floor,
// trust store) and the per-stream server name (SNI, host name check).
#include "net/tls_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>

#include <string>

namespace tenancy::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Asio's host_name_verification rejects a certificate for another name
// without recording why, and OpenSSL then fails the handshake with the
// verify result still "ok". Recording the mismatch lets the error say so.
class NameCheck {
 public:
  NameCheck(const std::string& host, bool ip)
      : check_(host),
        mismatch_(ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH) {}
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (check_(preverified, ctx)) return true;
    // Not preverified: the chain already failed and carries its own reason.
    if (preverified) X509_STORE_CTX_set_error(ctx.native_handle(), mismatch_);
    return false;
  }

 private:
  ssl::host_name_verification check_;
  int mismatch_;
};

}  // namespace

TlsClientContext::TlsClientContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClientContext::~TlsClientContext() = default;

Result<std::shared_ptr<const TlsClientContext>> TlsClientContext::Open(const std::string& ca_file) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>();
  } catch (const boost::system::system_error& e) {  // SSL_CTX_new failed: out of memory
    return Fail(Errc::kUnavailable, "cannot create a TLS context: " + e.code().message());
  }
  ssl::context& ctx = impl->context;
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); no receiver worth trusting
  // needs them.
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1)
    return Fail(Errc::kUnavailable, "cannot require TLS 1.2 or newer");
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  if (!ec) ctx.set_verify_mode(ssl::verify_peer, ec);
  if (ec) return Fail(Errc::kUnavailable, "cannot set up TLS verification: " + ec.message());
  if (ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) return Fail(Errc::kUnavailable, "cannot load the system trust store: " + ec.message());
  } else {
    // Fails for a missing or unreadable file and for one without a
    // certificate ("no certificate or crl found").
    ctx.load_verify_file(ca_file, ec);
    if (ec)
      return Fail(Errc::kInvalidArgument,
                  "cannot load CA certificates from '" + ca_file + "': " + ec.message());
  }
  return std::shared_ptr<const TlsClientContext>(new TlsClientContext(std::move(impl)));
}

namespace detail {

Result<void> BindServerName(TlsStream& stream, std::string_view server_name) {
  const std::string name(server_name);
  const bool ip = IsIpAddress(name);
  if (!ip && SSL_set_tlsext_host_name(stream.native_handle(), name.c_str()) != 1)
    return Fail(Errc::kUnavailable, "TLS: cannot send '" + name + "' as the server name");
  boost::system::error_code ec;
  stream.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) stream.set_verify_callback(NameCheck(name, ip), ec);
  if (ec) return Fail(Errc::kUnavailable, "TLS: cannot set up verification: " + ec.message());
  return {};
}

Error HandshakeError(TlsStream& stream, std::string_view server_name,
                     const boost::system::error_code& ec) {
  const std::string who = "TLS handshake with '" + std::string(server_name) + "'";
  if (ec == boost::beast::error::timeout) return Error(Errc::kUnavailable, who + ": timed out");
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK)
    return Error(Errc::kUnavailable,
                 who + ": certificate rejected: " + X509_verify_cert_error_string(verify));
  if (ec == ssl::error::stream_truncated || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    return Error(Errc::kUnavailable,
                 who + ": the server closed the connection (not TLS on this port?)");
  return Error(Errc::kUnavailable, who + " failed: " + ec.message());
}

}  // namespace detail
}  // namespace tenancy::net

// https webhook delivery over real sockets: a private CA and its
// certificates made at test time with OpenSSL's C API (a valid leaf for
// localhost and 127.0.0.1, one for another name, an expired one, one from
// an untrusted CA), a Beast TLS receiver on 127.0.0.1 that records what it
// gets, and the servers that fail a handshake (plain http, a stall, TLS 1.1
// only). Every failure must be kUnavailable naming its cause, with nothing
// delivered; the SSRF policy and the retry path are the http ones.
#include "support/catch_tenancy.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "ops/webhook_receiver.hpp"
#include "ops/webhook_world.hpp"

namespace tenancy::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------
// Test PKI (OpenSSL C API)

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

struct Identity {
  KeyPtr key{nullptr, EVP_PKEY_free};
  CertPtr cert{nullptr, X509_free};
  std::string cert_pem, key_pem;
};

std::string ToPem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(bio);
  REQUIRE(write(bio.get()) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(cert, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  std::string common_name;
  std::string subject_alt_names{};  // "DNS:localhost,IP:127.0.0.1"; empty for a CA
  long not_before_s = -3600;        // relative to now
  long not_after_s = 86'400;
  bool ca = false;
};

// A P-256 key and a certificate for it, signed by `issuer` (self-signed
// when null).
Identity Issue(const CertSpec& spec, const Identity* issuer) {
  static std::atomic<long> serial{1};
  Identity id;
  id.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", const_cast<char*>("P-256")));
  REQUIRE(id.key);
  id.cert.reset(X509_new());
  X509* c = id.cert.get();
  REQUIRE(X509_set_version(c, 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(c), serial++) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(c), spec.not_before_s) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(c), spec.not_after_s) != nullptr);
  REQUIRE(X509_set_pubkey(c, id.key.get()) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                     -1, -1, 0) == 1);
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  REQUIRE(X509_set_issuer_name(c, X509_get_subject_name(issuer_cert)) == 1);
  AddExtension(c, issuer_cert, NID_subject_key_identifier, "hash");
  if (spec.ca) {
    AddExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(c, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(c, issuer_cert, NID_key_usage, "critical,digitalSignature");
    AddExtension(c, issuer_cert, NID_ext_key_usage, "serverAuth");
    AddExtension(c, issuer_cert, NID_subject_alt_name, spec.subject_alt_names.c_str());
    AddExtension(c, issuer_cert, NID_authority_key_identifier, "keyid");
  }
  REQUIRE(X509_sign(c, issuer ? issuer->key.get() : id.key.get(), EVP_sha256()) > 0);
  id.cert_pem = ToPem([c](BIO* b) { return PEM_write_bio_X509(b, c); });
  EVP_PKEY* k = id.key.get();
  id.key_pem = ToPem([k](BIO* b) {
    return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
  return id;
}

// The certificates of the tests, and the CA file that trusts `ca` only.
struct Pki {
  TempDir dir;
  Identity ca = Issue({.common_name = "tenancy test CA", .not_after_s = 86'400 * 30, .ca = true},
                      nullptr);
  Identity rogue_ca = Issue({.common_name = "tenancy rogue CA", .ca = true}, nullptr);
  Identity localhost = Issue({"localhost", "DNS:localhost,IP:127.0.0.1"}, &ca);
  Identity name_only = Issue({"localhost", "DNS:localhost"}, &ca);  // no IP SAN
  Identity elsewhere = Issue({"hooks.elsewhere.test", "DNS:hooks.elsewhere.test"}, &ca);
  Identity expired = Issue({"localhost", "DNS:localhost,IP:127.0.0.1", -86'400 * 10, -86'400}, &ca);
  Identity untrusted = Issue({"localhost", "DNS:localhost,IP:127.0.0.1"}, &rogue_ca);
  std::string ca_file = Write("ca.pem", ca.cert_pem);

  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = (dir.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
};

const Pki& TestPki() {
  static const Pki pki;  // key generation is the slow part: once per run
  return pki;
}

// ---------------------------------------------------------------------------
// Servers

struct TlsServerOptions {
  int status = 200;
  std::size_t response_bytes = 2;
  bool tls11_only = false;  // an outdated server: the client must refuse it
};

// A Beast TLS server on 127.0.0.1 answering every request with
// `options.status` and recording what it received. Serves the identity
// given last (Serve), so a test can renew a certificate mid-way.
class TlsReceiver {
 public:
  struct Request {
    std::string target, host, id, timestamp, signature, content_type, body;
    std::string sni;       // the server name the client sent; empty: none
    std::string protocol;  // "TLSv1.3", ...
  };

  explicit TlsReceiver(const Identity& identity, TlsServerOptions options = {})
      : options_(options), acceptor_(ioc_) {
    Serve(identity);
    port_ = ListenOnLoopback(acceptor_);
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TlsReceiver() {
    ioc_.stop();
    thread_.join();
  }
  TlsReceiver(const TlsReceiver&) = delete;
  TlsReceiver& operator=(const TlsReceiver&) = delete;

  void Serve(const Identity& identity) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->use_certificate_chain(asio::buffer(identity.cert_pem));
    ctx->use_private_key(asio::buffer(identity.key_pem), ssl::context::pem);
    if (options_.tls11_only) {
      SSL_CTX_set_security_level(ctx->native_handle(), 0);  // OpenSSL 3 refuses 1.1 above level 0
      SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_1_VERSION);
    }
    std::lock_guard lock(mu_);
    context_ = std::move(ctx);
  }

  std::string Url(const std::string& host = "localhost", const std::string& path = "/hook") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  std::uint16_t port() const { return port_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int failed_handshakes() const { return failed_handshakes_.load(); }
  int connections() const { return connections_.load(); }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(TlsReceiver& owner, tcp::socket socket, std::shared_ptr<ssl::context> ctx)
        : owner_(owner), context_(std::move(ctx)), stream_(std::move(socket), *context_) {}

    void Start() {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{10});
      stream_.async_handshake(ssl::stream_base::server, [self = shared_from_this()](auto ec) {
        if (ec) {
          ++self->owner_.failed_handshakes_;
          return;
        }
        self->Read();
      });
    }
    void Read() {
      http::async_read(stream_, buffer_, request_, [self = shared_from_this()](auto ec, std::size_t) {
        if (!ec) self->Answer();
      });
    }
    void Answer() {
      const char* sni = SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
      owner_.Record(Request{std::string(request_.target()), std::string(request_[http::field::host]),
                            std::string(request_["webhook-id"]),
                            std::string(request_["webhook-timestamp"]),
                            std::string(request_["webhook-signature"]),
                            std::string(request_[http::field::content_type]), request_.body(),
                            sni ? sni : "", SSL_get_version(stream_.native_handle())});
      response_.result(static_cast<http::status>(owner_.options_.status));
      response_.version(11);
      response_.body() = std::string(owner_.options_.response_bytes, 'k');
      response_.keep_alive(false);
      response_.prepare_payload();
      http::async_write(stream_, response_, [self = shared_from_this()](auto, std::size_t) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    }

    TlsReceiver& owner_;
    std::shared_ptr<ssl::context> context_;  // outlives the stream made from it
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
  };

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      std::shared_ptr<ssl::context> ctx;
      {
        std::lock_guard lock(mu_);
        ctx = context_;
      }
      std::make_shared<Session>(*this, std::move(socket), std::move(ctx))->Start();
      Accept();
    });
  }
  void Record(Request r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }

  TlsServerOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<ssl::context> context_;
  std::vector<Request> requests_;
  std::atomic<int> failed_handshakes_{0};
  std::atomic<int> connections_{0};
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Accepts connections and never says a word: a handshake that stalls.
class SilentServer {
 public:
  SilentServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~SilentServer() {
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      held_.push_back(std::move(socket));  // only the I/O thread touches it
      Accept();
    });
  }
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket> held_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// Helpers

// "localhost" and the test's other names are 127.0.0.1; nothing else resolves.
HostResolver LoopbackResolver() {
  return [](std::string_view host) -> Result<std::vector<std::string>> {
    if (host == "localhost" || host == "hooks.elsewhere.test")
      return std::vector<std::string>{"127.0.0.1"};
    return Fail(Errc::kUnavailable, "no such host");
  };
}

WebhookTarget Target(const std::string& url) {
  auto t = CheckWebhookTarget(url, TargetPolicy{.allow_loopback = true}, LoopbackResolver());
  REQUIRE(t);
  return *t;
}

Result<WebhookResponse> PostTo(WebhookTransport& transport, const std::string& url,
                               std::string_view body = R"({"n":1})",
                               std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  const WebhookTarget target = Target(url);
  WebhookRequest request;
  request.target = &target;
  request.headers = {{"content-type", "application/json"}};
  request.body = body;
  request.timeout = timeout;
  return transport.Post(request);
}

std::unique_ptr<net::HttpWebhookTransport> TrustingTestCa(net::HttpOptions options = {}) {
  options.ca_file = TestPki().ca_file;
  auto t = net::HttpWebhookTransport::Open(options);
  REQUIRE(t);
  return std::move(*t);
}

// An error message must never carry key material.
void CheckNoKeyMaterial(const std::string& message) {
  CHECK(message.find("PRIVATE KEY") == std::string::npos);
  CHECK(message.find("BEGIN") == std::string::npos);
  for (const Identity* id : {&TestPki().localhost, &TestPki().expired, &TestPki().untrusted})
    CHECK(message.find(id->key_pem.substr(28, 40)) == std::string::npos);  // past the PEM header
}

WebhookOptions LoopbackOptions() {
  WebhookOptions o;
  o.policy.allow_loopback = true;
  o.resolver = LoopbackResolver();
  o.initial_backoff = std::chrono::seconds{10};
  o.max_backoff = std::chrono::minutes{10};
  return o;
}

// ---------------------------------------------------------------------------
// Cases

TEST_CASE("https webhooks: a valid certificate delivers, signed and intact", "[webhooks][https]") {
  TlsReceiver receiver(TestPki().localhost);
  auto transport = TrustingTestCa();
  CHECK(transport->Supports("https"));
  CHECK(transport->Supports("http"));
  CHECK_FALSE(transport->Supports("ftp"));
  OpsWorld w(transport.get(), LoopbackOptions());
  Tenant t = w.Provision("tls", IsolationModel::kShared);
  auto ctx = w.Context(t);
  // By name (SNI sent) and by IP address (no SNI; the certificate's IP SAN).
  auto by_name = w.webhooks().Subscribe(ctx, {.url = receiver.Url("localhost", "/in?k=v"),
                                             .event_types = {"ride.*"}});
  REQUIRE(by_name);
  auto by_ip = w.webhooks().Subscribe(ctx, {.url = receiver.Url("127.0.0.1", "/ip"),
                                           .event_types = {"ride.*"}});
  REQUIRE(by_ip);
  w.Emit(ctx, "ride.completed", {{"ride", "r-7"}, {"fare", 31.25}, {"note", "caf\xc3\xa9 \"quoted\""}});
  auto report = w.webhooks().Dispatch(ctx);
  REQUIRE(report);
  CHECK(report->delivered == 2);
  CHECK(report->failed == 0);
  CHECK(receiver.failed_handshakes() == 0);

  auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 2);
  std::sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.target < b.target; });
  const auto& named = reqs[0];  // "/in?k=v" < "/ip"
  const auto& ip = reqs[1];
  CHECK(ip.target == "/ip");
  CHECK(named.target == "/in?k=v");
  CHECK(named.sni == "localhost");
  CHECK(ip.sni.empty());  // RFC 6066: no IP address in SNI
  CHECK(named.host == "localhost:" + std::to_string(receiver.port()));
  CHECK(ip.host == "127.0.0.1:" + std::to_string(receiver.port()));
  for (const auto& [req, sub] : {std::pair{named, *by_name}, std::pair{ip, *by_ip}}) {
    CHECK((req.protocol == "TLSv1.3" || req.protocol == "TLSv1.2"));
    CHECK(req.content_type == "application/json");
    CHECK(req.id.starts_with("msg_"));
    auto secret = WebhookSecret::Parse(sub.secret);
    REQUIRE(secret);
    const TimePoint sent{std::chrono::seconds{std::stoll(req.timestamp)}};
    CHECK(VerifyWebhook(*secret, {req.id, req.timestamp, req.signature}, req.body, sent));
    const auto body = boost::json::parse(req.body);
    CHECK(body.at("type") == "ride.completed");
    CHECK(body.at("data") == boost::json::parse(R"({"ride":"r-7","fare":31.25,"note":"café \"quoted\""})"));
  }
  for (const auto& d : w.webhooks().ListDeliveries(ctx, {}).value().items) {
    CHECK(d.state == DeliveryState::kDelivered);
    CHECK(d.last_status == 200);
  }
}

TEST_CASE("https webhooks: a bad certificate is kUnavailable naming why, and nothing arrives",
          "[webhooks][https]") {
  const Pki& pki = TestPki();
  struct Case {
    const char* what;
    const Identity* identity;
    std::string host;
    const char* cause;
  };
  const Case cases[] = {
      {"another host's certificate", &pki.elsewhere, "localhost", "hostname mismatch"},
      {"a certificate without the IP", &pki.name_only, "127.0.0.1", "IP address mismatch"},
      {"a name the certificate lacks", &pki.localhost, "hooks.elsewhere.test", "hostname mismatch"},
      {"an expired certificate", &pki.expired, "localhost", "certificate has expired"},
      {"an untrusted CA", &pki.untrusted, "localhost", "unable to get local issuer certificate"},
  };
  auto transport = TrustingTestCa();
  for (const auto& c : cases) {
    INFO(c.what);
    TlsReceiver receiver(*c.identity);
    auto r = PostTo(*transport, receiver.Url(c.host));
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnavailable);
    CHECK(r.error().message.find("TLS handshake with '" + c.host + "'") != std::string::npos);
    CHECK(r.error().message.find(c.cause) != std::string::npos);
    CheckNoKeyMaterial(r.error().message);
    CHECK(receiver.requests().empty());
  }
  // The default trust store is the system's, which does not know the test CA.
  net::HttpWebhookTransport system_store;
  TlsReceiver receiver(pki.localhost);
  auto r = PostTo(system_store, receiver.Url());
  REQUIRE_FALSE(r);
  CHECK(r.error() == Errc::kUnavailable);
  CHECK(r.error().message.find("unable to get local issuer certificate") != std::string::npos);
  CHECK(receiver.requests().empty());
  // The same receiver, trusted through the CA file: delivered.
  auto ok = PostTo(*TrustingTestCa(), receiver.Url());
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(receiver.requests().size() == 1);
}

TEST_CASE("https webhooks: servers that fail the handshake fail within the timeout",
          "[webhooks][https]") {
  auto transport = TrustingTestCa({.connect_timeout = std::chrono::seconds{2},
                                   .timeout = std::chrono::seconds{2}});
  SECTION("a plain http server on an https URL") {
    WebhookReceiver plain;
    std::string url = plain.Url();  // http://127.0.0.1:PORT/hook
    url.replace(0, 4, "https");
    auto r = PostTo(*transport, url);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnavailable);
    CHECK(r.error().message.find("TLS handshake with '127.0.0.1'") != std::string::npos);
    CHECK(r.error().message.find("not TLS") != std::string::npos);
    CHECK(plain.requests().empty());
  }
  SECTION("a server that never answers the handshake") {
    SilentServer silent;
    auto r = PostTo(*transport, "https://localhost:" + std::to_string(silent.port()) + "/x", "{}",
                    std::chrono::milliseconds{800});
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnavailable);
    CHECK(r.error().message == "TLS handshake with 'localhost': timed out");  // connected, then silence
  }
  SECTION("a server that offers only TLS 1.1") {
    TlsReceiver old(TestPki().localhost, {.tls11_only = true});
    auto r = PostTo(*transport, old.Url());
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnavailable);
    CHECK(r.error().message.find("TLS handshake with 'localhost'") != std::string::npos);
    CHECK(r.error().message.find("protocol version") != std::string::npos);
    CHECK(old.requests().empty());
  }
  SECTION("nothing listening") {
    auto r = PostTo(*transport, "https://127.0.0.1:1/");
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kUnavailable);
    CHECK(r.error().message.starts_with("connect: "));
  }
}

TEST_CASE("https webhooks: a TLS failure is retried like any failed delivery", "[webhooks][https]") {
  TlsReceiver receiver(TestPki().expired);
  auto transport = TrustingTestCa();
  OpsWorld w(transport.get(), LoopbackOptions());
  Tenant t = w.Provision("renewal", IsolationModel::kDatabase);
  auto ctx = w.Context(t);
  auto sub = w.webhooks().Subscribe(ctx, {.url = receiver.Url(), .event_types = {"*"}});
  REQUIRE(sub);
  w.Emit(ctx, "invoice.paid", {{"amount", 12}});
  auto first = w.webhooks().Dispatch(ctx);
  REQUIRE(first);
  CHECK(first->failed == 1);
  CHECK(first->delivered == 0);
  auto pending = w.webhooks().ListDeliveries(ctx, {}).value().items;
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].state == DeliveryState::kPending);
  CHECK(pending[0].last_status == 0);
  CHECK(pending[0].last_error.find("certificate has expired") != std::string::npos);
  CHECK(receiver.requests().empty());

  receiver.Serve(TestPki().localhost);  // the receiver renews its certificate
  w.clock().Advance(std::chrono::seconds{10});
  auto second = w.webhooks().Dispatch(ctx);
  REQUIRE(second);
  CHECK(second->delivered == 1);
  const auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].id == pending[0].id);  // the same message, retried
  auto log = w.webhooks().ListAttempts(ctx, pending[0].id).value();
  REQUIRE(log.size() == 2);
  CHECK(log[0].outcome == "failed");
  CHECK(log[0].error.find("TLS handshake") != std::string::npos);
  CHECK(log[1].outcome == "delivered");
  CHECK(log[1].status == 200);
}

TEST_CASE("https webhooks: the SSRF policy applies to https targets", "[webhooks][https][ssrf]") {
  TlsReceiver receiver(TestPki().localhost);
  auto transport = TrustingTestCa();
  std::string answer = "127.0.0.1";
  WebhookOptions o;  // loopback not allowed
  o.resolver = [&answer](std::string_view) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{answer};
  };
  OpsWorld w(transport.get(), o);
  Tenant t = w.Provision("ssrf", IsolationModel::kShared);
  auto ctx = w.Context(t);
  for (const std::string& url : {receiver.Url("localhost"), receiver.Url("127.0.0.1"),
                                 receiver.Url("[::1]"), std::string("https://10.0.0.1/")}) {
    INFO(url);
    auto r = w.webhooks().Subscribe(ctx, {.url = url, .event_types = {"*"}});
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kPermissionDenied);
  }
  // A public answer at subscription, loopback at delivery (DNS rebinding):
  // refused at the attempt, no connection made.
  answer = "93.184.216.34";
  REQUIRE(w.webhooks().Subscribe(ctx, {.url = receiver.Url("hooks.rebind.test"), .event_types = {"*"}}));
  answer = "127.0.0.1";
  w.Emit(ctx, "ride.completed", {});
  auto report = w.webhooks().Dispatch(ctx);
  REQUIRE(report);
  CHECK(report->delivered == 0);
  CHECK(report->dead_lettered == 1);
  const auto deliveries = w.webhooks().ListDeliveries(ctx, {}).value().items;
  REQUIRE(deliveries.size() == 1);
  const auto log = w.webhooks().ListAttempts(ctx, deliveries[0].id).value();
  REQUIRE(log.size() == 1);
  CHECK(log[0].outcome == "refused");
  CHECK(log[0].error.find("loopback") != std::string::npos);
  CHECK(receiver.requests().empty());
  CHECK(receiver.connections() == 0);  // not even a TCP connection
}

TEST_CASE("https webhooks: one transport serves concurrent deliveries", "[webhooks][https][concurrency]") {
  TlsReceiver receiver(TestPki().localhost);
  auto transport = TrustingTestCa();
  constexpr int kThreads = 4;
  constexpr int kEach = 5;
  // Targets checked here: Catch's assertions are for the main thread only.
  const WebhookTarget by_name = Target(receiver.Url("localhost"));
  const WebhookTarget by_ip = Target(receiver.Url("127.0.0.1"));
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        const std::string body = R"({"thread":)" + std::to_string(i) + R"(,"n":)" + std::to_string(j) + "}";
        WebhookRequest request;
        request.target = i % 2 ? &by_name : &by_ip;
        request.body = body;
        auto r = transport->Post(request);
        if (r && r->status == 200)
          ++ok;
        else if (!r)
          errors[static_cast<std::size_t>(i)] = r.error().message;
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(ok == kThreads * kEach);
  std::set<std::string> bodies;
  for (const auto& r : receiver.requests()) bodies.insert(r.body);
  CHECK(bodies.size() == static_cast<std::size_t>(kThreads * kEach));
  CHECK(bodies.count(R"({"thread":3,"n":4})") == 1);
}

TEST_CASE("https webhooks: response limits hold over TLS, and HttpPost speaks https",
          "[webhooks][https]") {
  TlsReceiver receiver(TestPki().localhost, {.status = 202, .response_bytes = 50'000});
  auto tls = net::TlsClientContext::Open(TestPki().ca_file);
  REQUIRE(tls);
  const std::vector<std::string> addresses{"127.0.0.1"};
  auto r = net::HttpsPostTo(**tls, "localhost", addresses, receiver.port(), "localhost", "/big", {},
                            "{}", {.max_body_bytes = 1024});
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(r->truncated);  // the declared length is over the limit: the body is not read
  CHECK(r->body.size() <= 1024);

  auto whole = net::HttpPost("https://127.0.0.1:" + std::to_string(receiver.port()) + "/url",
                             {{"x-test", "1"}}, "{}", {.ca_file = TestPki().ca_file});
  REQUIRE(whole);
  CHECK(whole->status == 202);
  CHECK_FALSE(whole->truncated);
  CHECK(whole->body == std::string(50'000, 'k'));
  // Without the CA file, the system store decides: refused.
  auto refused = net::HttpPost("https://127.0.0.1:" + std::to_string(receiver.port()) + "/url", {}, "{}");
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == Errc::kUnavailable);
  CHECK(receiver.requests().size() == 2);
}

TEST_CASE("https webhooks: a CA file that does not load", "[webhooks][https]") {
  const Pki& pki = TestPki();
  const std::string missing = (pki.dir.path() / "no-such.pem").string();
  auto absent = net::HttpWebhookTransport::Open({.ca_file = missing});
  REQUIRE_FALSE(absent);
  CHECK(absent.error() == Errc::kInvalidArgument);
  CHECK(absent.error().message.find(missing) != std::string::npos);
  // A key is not a certificate; the message must not echo it.
  const std::string key_only = pki.Write("key-only.pem", pki.localhost.key_pem);
  auto wrong = net::TlsClientContext::Open(key_only);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error() == Errc::kInvalidArgument);
  CheckNoKeyMaterial(wrong.error().message);
  CHECK(net::TlsClientContext::Open(pki.Write("empty.pem", "")).error() == Errc::kInvalidArgument);

  // The constructor cannot fail: https deliveries do, http ones go on.
  net::HttpWebhookTransport transport({.ca_file = missing});
  CHECK(transport.Supports("https"));
  TlsReceiver tls_receiver(pki.localhost);
  auto https = PostTo(transport, tls_receiver.Url());
  REQUIRE_FALSE(https);
  CHECK(https.error() == Errc::kUnavailable);
  CHECK(https.error().message.find("https is not available") != std::string::npos);
  CHECK(tls_receiver.requests().empty());
  WebhookReceiver plain;
  auto http_ok = PostTo(transport, plain.Url());
  REQUIRE(http_ok);
  CHECK(http_ok->status == 200);
  CHECK(plain.requests().size() == 1);
}

}  // namespace
}  // namespace tenancy::testing

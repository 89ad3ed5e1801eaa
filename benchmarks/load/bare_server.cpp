// bare_server: the baseline of the load benchmarks (run_load.sh). A bare
// Boost.Beast HTTP/1.1 keep-alive server, built from the same tree and the
// same way as tenancyd, that answers the two reads the benchmarks compare
// with fixed bytes:
//
//   GET /v1/ping         200, the --ping-body file (tenancyd's own ping answer)
//   GET /v1/rides/{id}   200, the --ride-body file (tenancyd's own ride answer)
//   anything else        404, a short problem document
//
// What it shares with tenancyd, so the ratio measures tenancyd's own work:
//   - Asio and Beast compiled once by tenancy::net (separate compilation),
//     the same compiler flags and build type;
//   - one io_context run by --threads I/O threads (default 2, tenancyd's
//     default), an acceptor on its own strand, one strand per connection,
//     TCP_NODELAY on every accepted socket;
//   - request_parser<string_body> per request with tenancyd's default limits
//     (8 KiB of headers, 1 MiB of body), keep-alive, an idle and a read
//     deadline on the stream;
//   - the same response headers, of the same sizes: Content-Type,
//     Content-Length, X-Request-Id ("r" + 24 hex digits) and traceparent
//     (55 characters).
// What it does not do (that is tenancyd's work being measured): route
// matching, request ids and trace contexts made per request (the values
// here are constants), tenant resolution, authentication, authorization,
// admission (rate limits), JSON serialization, a database read, accounting
// and metering; and neither pipelining queues, 408 answers, connection caps
// nor graceful draining (SIGTERM/SIGINT stop it at once).
//
//   bare_server [--listen HOST:PORT] [--threads N] [--ping-body FILE] [--ride-body FILE]
//
// Prints "listening on HOST:PORT" (the bound port when PORT is 0) on stdout
// once it accepts, like tenancyd. Exit 2 for a usage error, 1 when it
// cannot start.
//
// Thread safety: each connection's handlers run on its strand; the bodies
// are immutable after start-up and shared read-only.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// tenancyd's defaults (server_options.hpp), restated: this program links no
// tenancyd code.
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 20;
constexpr std::chrono::seconds kIdleTimeout{60};
constexpr std::chrono::seconds kReadTimeout{30};
constexpr unsigned kDefaultThreads = 2;

// Header values of the sizes tenancyd sends (a request id and a W3C
// traceparent), fixed: making them per request is tenancyd's work.
constexpr std::string_view kRequestId = "r000000000000000000000001";
constexpr std::string_view kTraceparent =
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr std::string_view kNotFoundBody =
    R"({"type":"urn:tenancy:problem:not_found","title":"Not Found","status":404,"code":"not_found"})";

// Bodies of tenancyd's size when no file is given (run_load.sh always
// passes tenancyd's own answers).
constexpr std::string_view kDefaultPing = R"({"tenant":"t-000000","principal":"api_key"})";
constexpr std::string_view kDefaultRide =
    R"({"id":"rd_018f3a2b4c5d9e8f7a6b5c4d","state":"assigned","pickup":{"lon":1.34E1,"lat":5.25E1,)"
    R"("zone":"load"},"dropoff":{"lon":1.342E1,"lat":5.252E1},"driver_id":"dr_018f3a2b4c5d9e8f7a6b5c4e",)"
    R"("rider":{"name":"Load Rider","phone":"+49 30 1234567"},"quote":{"total":1234,"currency":"EUR",)"
    R"("distance_m":3300,)"
    R"("duration_s":396},"fare":null,"distance_m":null,"duration_s":null,"cancel_reason":null,)"
    R"("created_at":"2024-01-01T00:00:00.000Z","updated_at":"2024-01-01T00:00:00.000Z",)"
    R"("started_at":null,"ended_at":null})";

struct Answers {
  std::string ping;
  std::string ride;
};

http::response<http::string_body> Answer(const http::request<http::string_body>& req,
                                         const Answers& answers) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view kRides = "/v1/rides/";
  http::response<http::string_body> res;
  res.version(req.version() == 10 ? 10 : 11);
  if (req.method() == http::verb::get && path == "/v1/ping") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = answers.ping;
  } else if (req.method() == http::verb::get && path.size() > kRides.size() &&
             path.substr(0, kRides.size()) == kRides) {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = answers.ride;
  } else {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "application/problem+json");
    res.body() = std::string(kNotFoundBody);
  }
  res.set("X-Request-Id", kRequestId);
  res.set("traceparent", kTraceparent);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Answers& answers)
      : stream_(std::move(socket)), answers_(answers) {}

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(static_cast<std::uint64_t>(kMaxBodyBytes));
    // One deadline for the wait and the read: tenancyd splits the two, a
    // bare server need not (no 408 is owed here).
    stream_.expires_after(buffer_.size() > 0 ? kReadTimeout : kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return Close();  // end of stream, timeout, limit or garbage
    response_ = Answer(parser_->get(), answers_);
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec || !response_.keep_alive()) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const Answers& answers_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor, const Answers& answers)
      : ioc_(ioc), acceptor_(std::move(acceptor)), answers_(answers) {}

  void Start() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      beast::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);
      std::make_shared<Session>(std::move(socket), answers_)->Start();
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  const Answers& answers_;
};

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  unsigned threads = kDefaultThreads;
  std::string ping_file, ride_file;
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// kUsage on a bad command line.
constexpr std::string_view kUsage =
    "usage: bare_server [--listen HOST:PORT] [--threads N] [--ping-body FILE] [--ride-body FILE]\n";

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view value = argv[++i];
    if (flag == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string_view::npos || !ParseNumber(value.substr(colon + 1), o.port))
        return std::nullopt;
      o.host = std::string(value.substr(0, colon));
    } else if (flag == "--threads") {
      if (!ParseNumber(value, o.threads) || o.threads < 1 || o.threads > 256) return std::nullopt;
    } else if (flag == "--ping-body") {
      o.ping_file = std::string(value);
    } else if (flag == "--ride-body") {
      o.ride_file = std::string(value);
    } else {
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = ParseArgs(argc, argv);
  if (!options) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return 2;
  }
  Answers answers{std::string(kDefaultPing), std::string(kDefaultRide)};
  for (auto [file, body] : {std::pair{&options->ping_file, &answers.ping},
                            std::pair{&options->ride_file, &answers.ride}}) {
    if (file->empty()) continue;
    auto text = ReadFile(*file);
    if (!text) {
      std::fprintf(stderr, "bare_server: cannot read %s\n", file->c_str());
      return 2;
    }
    *body = std::move(*text);
  }

  net::io_context ioc(static_cast<int>(options->threads));
  beast::error_code ec;
  const auto address = net::ip::make_address(options->host, ec);
  if (ec) {
    std::fprintf(stderr, "bare_server: --listen needs an IP address\n");
    return 2;
  }
  tcp::acceptor acceptor(net::make_strand(ioc));
  const tcp::endpoint endpoint(address, options->port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "bare_server: cannot listen: %s\n", ec.message().c_str());
    return 1;
  }
  const unsigned short port = acceptor.local_endpoint().port();
  std::make_shared<Listener>(ioc, std::move(acceptor), answers)->Start();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });

  std::printf("listening on %s:%u\n", options->host.c_str(), port);
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < options->threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}

// A small blocking HTTP/1.1 client over a real socket, built on Beast, for
// the e2e tests: raw writes (garbage, pipelined requests), response reads
// with a deadline, and a check that the server closed the connection. Each
// wait has a generous deadline that only turns a hang into a failure.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "http.hpp"

namespace tenancyd::testing {

class TestClient {
 public:
  static constexpr std::chrono::seconds kDeadline{20};

  explicit TestClient(unsigned short port) : stream_(ioc_) {
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    stream_.socket().connect(ep, error);
  }
  bool connected() const { return !error; }

  void Write(std::string_view raw) {
    boost::asio::write(stream_.socket(), boost::asio::buffer(raw.data(), raw.size()), error);
  }

  void Send(Request req) {
    req.prepare_payload();
    http::write(stream_.socket(), req, error);
  }

  // The next response, or nullopt when the connection ended or the deadline
  // passed (see `error`).
  std::optional<Response> Read(std::chrono::seconds deadline = kDeadline) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} << 20);
    parser.header_limit(64 * 1024);
    bool done = false;
    stream_.expires_after(deadline);
    http::async_read(stream_, buffer_, parser, [&](boost::beast::error_code ec, std::size_t) {
      error = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run();
    if (!done || error) return std::nullopt;
    return parser.release();
  }

  std::optional<Response> Roundtrip(Request req) {
    Send(std::move(req));
    if (error) return std::nullopt;
    return Read();
  }

  // True when the server closes the connection (EOF or reset) before the
  // deadline; bytes it sends meanwhile are discarded.
  bool WaitClosed(std::chrono::seconds deadline = kDeadline) {
    char scratch[4096];
    stream_.expires_after(deadline);
    for (;;) {
      bool done = false;
      std::size_t got = 0;
      stream_.async_read_some(boost::asio::buffer(scratch), [&](boost::beast::error_code ec, std::size_t n) {
        error = ec;
        got = n;
        done = true;
      });
      ioc_.restart();
      ioc_.run();
      if (!done) return false;
      if (error == boost::beast::error::timeout) return false;
      if (error) return true;
      (void)got;
    }
  }

  boost::beast::error_code error;

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace tenancyd::testing

#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace tenancyd::testing {

struct TestClient::Io {
  boost::asio::io_context ioc;
  boost::beast::tcp_stream stream{ioc};
  boost::beast::flat_buffer buffer;
};

TestClient::TestClient(unsigned short port) : io_(std::make_unique<Io>()) {
  boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
  io_->stream.socket().connect(ep, error);
}

TestClient::~TestClient() = default;

void TestClient::Write(std::string_view raw) {
  boost::asio::write(io_->stream.socket(), boost::asio::buffer(raw.data(), raw.size()), error);
}

void TestClient::Send(Request req) {
  req.prepare_payload();
  http::write(io_->stream.socket(), req, error);
}

std::optional<Response> TestClient::Read(std::chrono::seconds deadline) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{256} << 20);
  parser.header_limit(64 * 1024);
  bool done = false;
  io_->stream.expires_after(deadline);
  http::async_read(io_->stream, io_->buffer, parser,
                   [&](boost::beast::error_code ec, std::size_t) {
                     error = ec;
                     done = true;
                   });
  io_->ioc.restart();
  io_->ioc.run();
  if (!done || error) return std::nullopt;
  return parser.release();
}

std::optional<Response> TestClient::Roundtrip(Request req) {
  Send(std::move(req));
  if (error) return std::nullopt;
  return Read();
}

bool TestClient::WaitClosed(std::chrono::seconds deadline) {
  char scratch[4096];
  io_->stream.expires_after(deadline);
  for (;;) {
    bool done = false;
    io_->stream.async_read_some(boost::asio::buffer(scratch),
                                [&](boost::beast::error_code ec, std::size_t) {
                                  error = ec;
                                  done = true;
                                });
    io_->ioc.restart();
    io_->ioc.run();
    if (!done) return false;
    if (error == boost::beast::error::timeout) return false;
    if (error) return true;
  }
}

}  // namespace tenancyd::testing

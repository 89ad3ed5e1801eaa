// A webhook receiver on 127.0.0.1 over real sockets (Beast, compiled once in
// tenancy_net), for the delivery tests: it answers each request with the
// next scripted status (then `fallback`) and records what it received.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tenancy::testing {

// Opens, binds and listens `acceptor` on 127.0.0.1 at a port the system
// picks; returns the port.
inline unsigned short ListenOnLoopback(boost::asio::ip::tcp::acceptor& acceptor) {
  namespace asio = boost::asio;
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
  return acceptor.local_endpoint().port();
}

class WebhookReceiver {
 public:
  struct Request {
    std::string target, id, timestamp, signature, content_type, host, body;
  };

  explicit WebhookReceiver(std::deque<int> script = {}, int fallback = 200)
      : script_(std::move(script)), fallback_(fallback), acceptor_(ioc_) {
    port_ = ListenOnLoopback(acceptor_);
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~WebhookReceiver() {
    ioc_.stop();
    thread_.join();
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void Script(std::deque<int> statuses) {
    std::lock_guard lock(mu_);
    script_ = std::move(statuses);
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      Serve(std::move(s));
      Accept();
    });
  }

  // One request per connection (the client sends Connection: close).
  void Serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    int status = fallback_;
    {
      std::lock_guard lock(mu_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      requests_.push_back(Request{std::string(req.target()), std::string(req["webhook-id"]),
                                  std::string(req["webhook-timestamp"]),
                                  std::string(req["webhook-signature"]),
                                  std::string(req[http::field::content_type]),
                                  std::string(req[http::field::host]), req.body()});
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.body() = status < 300 ? "ok" : "try again";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(socket, res, ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  mutable std::mutex mu_;
  std::deque<int> script_;
  int fallback_;
  std::vector<Request> requests_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace tenancy::testing

// Accepts connections and starts a Session for each, on its own strand.
// Private to server.cpp.
//
// Thread safety: Start() once; Stop() from any thread (posts to the
// acceptor's strand).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "session.hpp"

namespace tenancyd {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `acceptor` is open and listening; its executor must be a strand.
  Listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::acceptor acceptor,
           SessionShared& shared);

  void Start();
  void Stop();

 private:
  void Accept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  SessionShared& shared_;
  bool stopped_ = false;
};

}  // namespace tenancyd

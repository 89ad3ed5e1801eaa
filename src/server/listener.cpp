#include "listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace tenancyd {
namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, tcp::acceptor acceptor, SessionShared& shared)
    : ioc_(ioc), acceptor_(std::move(acceptor)), backoff_(acceptor_.get_executor()), shared_(shared) {}

void Listener::Start() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
}

void Listener::Stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    boost::beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void Listener::Accept() {
  if (stopped_) return;
  // Each connection gets its own strand: its handlers never run at once.
  acceptor_.async_accept(net::make_strand(ioc_),
                         boost::beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(boost::beast::error_code ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or memory: back off briefly instead of spinning.
    backoff_.expires_after(std::chrono::milliseconds(50));
    backoff_.async_wait([self = shared_from_this()](boost::beast::error_code wait_ec) {
      if (!wait_ec) self->Accept();
    });
    return;
  }
  shared_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  boost::beast::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  // Past the cap the connection is still accepted, so the client reads a
  // 503 rather than waiting in the backlog; that session only writes it.
  const bool over_capacity = shared_.registry.size() >= shared_.options.max_connections;
  std::make_shared<Session>(std::move(socket), shared_, over_capacity)->Start();
  Accept();
}

}  // namespace tenancyd

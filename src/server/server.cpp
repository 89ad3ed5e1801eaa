#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "listener.hpp"
#include "session.hpp"

namespace tenancyd {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using tenancy::Errc;
using tenancy::Fail;

struct Server::Impl {
  // Declared first, destroyed last: sessions destroyed with the io_context
  // still reach it.
  SessionShared shared;
  ServerHooks hooks;
  net::io_context ioc;
  net::strand<net::io_context::executor_type> strand;
  std::shared_ptr<Listener> listener;
  std::optional<net::signal_set> signals;
  net::steady_timer deadline;
  unsigned short port = 0;
  std::vector<std::thread> threads;
  std::mutex wait_mu;
  bool joined = false;

  explicit Impl(unsigned threads_hint)
      : ioc(static_cast<int>(threads_hint)), strand(net::make_strand(ioc)), deadline(strand) {}

  // On `strand`.
  void BeginDrain() {
    if (shared.draining.exchange(true)) return;
    for (auto& hook : hooks.on_drain) hook();
    listener->Stop();
    if (signals) {
      boost::system::error_code ec;
      signals->cancel(ec);
    }
    for (auto& s : shared.registry.Snapshot()) s->Drain();
    if (shared.registry.size() == 0) return;
    deadline.expires_after(shared.options.drain_timeout);
    deadline.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // every session finished in time
      for (auto& s : shared.registry.Snapshot()) s->Abort();
    });
  }

  void RunThread() {
    // Handlers catch their own exceptions; this is the last line.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "tenancyd: unexpected exception in I/O thread: %s\n", e.what());
      }
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Shutdown();
  Wait();
}

tenancy::Result<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                                       RequestHandler handler, ServerHooks hooks) {
  if (auto valid = Validate(options); !valid) return valid.error();
  if (!handler) return Fail(Errc::kInvalidArgument, "no request handler");
  auto impl = std::make_unique<Impl>(options.threads);
  impl->shared.options = options;
  impl->shared.handler = std::move(handler);
  impl->hooks = std::move(hooks);
  Impl* raw = impl.get();
  impl->shared.on_last_session_gone = [raw] {
    net::post(raw->strand, [raw] { raw->deadline.cancel(); });
  };

  boost::system::error_code ec;
  tcp::resolver resolver(impl->ioc);
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty())
    return Fail(Errc::kInvalidArgument, "cannot resolve listen host '" + options.host + "'");
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor(net::make_strand(impl->ioc));
  const auto where = [&] { return options.host + ":" + std::to_string(options.port); };
  if (acceptor.open(endpoint.protocol(), ec); ec)
    return Fail(Errc::kUnavailable, "cannot open a socket: " + ec.message());
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec)
    return Fail(Errc::kUnavailable, "cannot listen on " + where() + ": " + ec.message());
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec)
    return Fail(Errc::kUnavailable, "cannot listen on " + where() + ": " + ec.message());
  impl->port = acceptor.local_endpoint(ec).port();

  impl->listener = std::make_shared<Listener>(impl->ioc, std::move(acceptor), impl->shared);
  impl->listener->Start();
  if (options.handle_signals) {
    impl->signals.emplace(impl->strand, SIGINT, SIGTERM);
    impl->signals->async_wait([raw](boost::system::error_code wait_ec, int) {
      if (!wait_ec) raw->BeginDrain();
    });
  }
  for (unsigned i = 0; i < options.threads; ++i)
    impl->threads.emplace_back([raw] { raw->RunThread(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

unsigned short Server::port() const noexcept { return impl_->port; }

void Server::Shutdown() {
  net::post(impl_->strand, [raw = impl_.get()] { raw->BeginDrain(); });
}

void Server::Wait() {
  std::lock_guard lock(impl_->wait_mu);
  if (impl_->joined) return;
  for (auto& t : impl_->threads) t.join();
  impl_->joined = true;
  // Sessions left behind (a forced stop) die with the io_context; they must
  // not post to it then.
  impl_->shared.on_last_session_gone = nullptr;
  for (auto& hook : impl_->hooks.on_shutdown) hook();
}

bool Server::draining() const noexcept { return impl_->shared.draining.load(); }

ServerStats Server::stats() const noexcept {
  ServerStats s;
  s.connections_accepted = impl_->shared.connections_accepted.load();
  s.requests_handled = impl_->shared.requests_handled.load();
  s.open_connections = impl_->shared.registry.size();
  s.max_queued_responses = impl_->shared.max_queued.load();
  return s;
}

}  // namespace tenancyd

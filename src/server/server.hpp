// The HTTP/1.1 server: a listener, one session per connection, N I/O
// threads, and a graceful shutdown. It knows sockets and HTTP framing and
// nothing of tenants: every complete request goes to one RequestHandler
// (the pipeline, app.hpp), whose response it writes back.
//
//   auto server = tenancyd::Server::Start(options, handler).value();
//   std::printf("listening on %s:%u\n", options.host.c_str(), server->port());
//   server->Wait();  // returns after Shutdown() (or SIGTERM/SIGINT) drained
//
// Hardening, all from ServerOptions: read, idle and write timeouts (Beast's
// tcp_stream expiry), a header limit (431) and a body limit (413) enforced
// by the parser, malformed requests answered 400 and the connection closed,
// a cap on pipelined responses per connection (reading pauses while the
// queue is full), and a handler that throws answers 500 instead of taking
// the process down.
//
// Shutdown: stop accepting, run the drain hooks, close connections that are
// idle, let in-flight requests finish (their responses say
// `Connection: close`) until `drain_timeout`, then close whatever is left.
// `Wait()` returns once the I/O threads have stopped and the shutdown hooks
// (e.g. flushing meters) have run.
//
// Thread safety: Shutdown(), port(), draining() and stats() may be called
// from any thread; the handler is called concurrently from the I/O threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "http.hpp"
#include "server_options.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

// Turns a complete request (and what is known of its connection) into its
// response, and may ask the server to hold the connection's next read
// (Connection::hold_reading). Called on an I/O thread; must not block for
// long (it holds that thread). Exceptions answer 500.
using RequestHandler = std::function<Response(Request&&, Connection&)>;

struct ServerHooks {
  // Run once when the drain begins (e.g. readiness turns false).
  std::vector<std::function<void()>> on_drain{};
  // Run once after the I/O threads stopped, from the thread in Wait().
  std::vector<std::function<void()>> on_shutdown{};
};

// Counters for tests and, later, metrics.
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t requests_handled = 0;  // passed to the handler
  std::uint64_t open_connections = 0;
  std::uint64_t max_queued_responses = 0;  // the deepest pipeline queue seen
};

class Server {
 public:
  // Binds, listens and starts the I/O threads. kInvalidArgument for bad
  // options, kUnavailable when the address cannot be bound.
  static tenancy::Result<std::unique_ptr<Server>> Start(ServerOptions options,
                                                        RequestHandler handler,
                                                        ServerHooks hooks = {});
  // Shuts down (if not yet) and waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the ephemeral one when options.port was 0).
  unsigned short port() const noexcept;
  // Starts the graceful shutdown; returns at once. Idempotent.
  void Shutdown();
  // Blocks until the I/O threads have stopped and the shutdown hooks ran.
  void Wait();
  bool draining() const noexcept;
  ServerStats stats() const noexcept;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancyd

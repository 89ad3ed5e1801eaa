// tenancyd's transport settings: where to listen, how many threads, and the
// limits that protect the server from slow, large or hostile clients. Every
// field states its meaning and default; server_options.cpp checks them.
//
// Thread safety: a value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "tenancy/result.hpp"

namespace tenancyd {

struct ServerOptions {
  // Address to listen on (an IP literal or "localhost"). Default 127.0.0.1.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (Server::port() tells which). Default 8080.
  unsigned short port = 8080;
  // I/O threads running sessions and handlers. Default 2; 1..256.
  unsigned threads = 2;

  // A request, from its first byte to its last, must arrive within this
  // time; otherwise it is answered 408 `request_timeout` and the connection
  // closes. Default 30 s.
  std::chrono::milliseconds read_timeout{30'000};
  // A keep-alive connection waiting for its next request is closed after
  // this time. Default 60 s.
  std::chrono::milliseconds idle_timeout{60'000};
  // Writing one response may take this long (a client that stops reading
  // is dropped). Default 30 s.
  std::chrono::milliseconds write_timeout{30'000};
  // Graceful shutdown: in-flight requests get this long to finish before
  // their connections are closed. Default 10 s.
  std::chrono::milliseconds drain_timeout{10'000};
  // After a final response, unread input is drained (and discarded) for at
  // most this long before the socket closes, so the client reads the
  // response instead of a reset. Default 1 s.
  std::chrono::milliseconds linger_timeout{1'000};

  // Request line plus headers, in bytes; more answers 431. Default 8 KiB.
  std::size_t max_header_bytes = 8 * 1024;
  // Request body, in bytes; more answers 413. Default 1 MiB.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Responses queued per connection (HTTP/1.1 pipelining). When the queue
  // is full the server stops reading that connection until a response has
  // been written. Default 8; 1..1024.
  std::size_t pipeline_limit = 8;
  // Open connections at most. A connection accepted beyond it is answered
  // 503 `server_busy` (with `Retry-After: 1`) at once, without reading a
  // request, and closed; so a flood of idle or slow connections cannot
  // take every descriptor. Default 10000; 1..1000000.
  std::size_t max_connections = 10'000;

  // Whether SIGTERM and SIGINT start a graceful shutdown. The daemon sets
  // it; in-process servers (tests) leave signals alone. Default false.
  bool handle_signals = false;
};

// kInvalidArgument naming the first field out of range.
tenancy::Result<void> Validate(const ServerOptions& options);

}  // namespace tenancyd

// One client connection: reads requests, hands each to the server's
// handler, writes the responses back in order. Private to server.cpp and
// listener.cpp.
//
// Reading is split in two so the two timeouts mean what they say: with no
// buffered input the session waits for the first byte under the idle
// timeout, then reads the whole request under the read timeout. Responses
// queue up to the pipeline limit; while the queue is full, reading pauses.
// A final response (error, `Connection: close`, shutdown) is followed by a
// lingering close: the send side is shut and unread input is discarded for
// a bounded time, so the client sees the response rather than a reset.
//
// A handler may ask for the connection's next read to be held
// (Connection::hold_reading: a rate-limited caller): its response goes out
// at once, and the next request is read when the hold timer fires, bytes
// already buffered included.
//
// The read timeout is a timer of the session's own, not the stream's
// expiry (which closes the socket): a request that has not fully arrived in
// time is answered 408 `request_timeout` before the connection closes. A
// session started `over_capacity` answers 503 `server_busy` at once and
// closes, without reading a request.
//
// Thread safety: every member runs on the connection's strand; Drain() and
// Abort() may be called from any thread (they post to it).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "error_status.hpp"
#include "http.hpp"
#include "server.hpp"

namespace tenancyd {

class Session;

// The live sessions, so a shutdown can reach them.
class SessionRegistry {
 public:
  void Add(const std::shared_ptr<Session>& s);
  // Returns how many remain.
  std::size_t Remove(const Session* s);
  std::vector<std::shared_ptr<Session>> Snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

// What sessions share; owned by the server, outlives every session.
struct SessionShared {
  ServerOptions options;
  RequestHandler handler;
  SessionRegistry registry;
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> requests_handled{0};
  std::atomic<std::uint64_t> max_queued{0};
  // Called (from any thread) when the last session is gone during a drain.
  std::function<void()> on_last_session_gone{};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, SessionShared& shared, bool over_capacity = false);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  // Finish the request in flight, then close; close at once if idle.
  void Drain();
  // Close now (drain deadline passed).
  void Abort();

 private:
  void ReadNext();
  void HoldReading(std::chrono::nanoseconds hold);
  void OnFirstBytes(boost::beast::error_code ec, std::size_t n);
  bool ParseBuffered();
  void ReadRequest();
  void ArmReadTimer(std::uint64_t generation, std::chrono::milliseconds after);
  void OnRead(boost::beast::error_code ec, std::size_t n);
  Response Handle(Request&& request);
  void Reject(HttpFailure failure, std::string_view detail);
  void Enqueue(Response&& response);
  void WriteFront();
  void OnWrite(boost::beast::error_code ec, std::size_t n);
  void CloseGracefully();
  void Linger();
  void CloseNow();

  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer hold_timer_;
  Connection connection_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Response> queue_;  // front: being written
  std::string head_;            // the front response's header, rendered
  SessionShared& shared_;
  std::array<char, 4096> scratch_{};
  std::size_t lingered_bytes_ = 0;
  bool reading_ = false;       // a read is outstanding
  bool holding_ = false;       // the next read waits for the hold timer
  bool read_after_write_ = false;  // the next read starts when the write completes
  bool idle_wait_ = false;     // ... and it waits for a request's first byte
  bool stop_reading_ = false;  // no further requests on this connection
  bool draining_ = false;
  bool lingering_ = false;
  bool closed_ = false;
  bool over_capacity_ = false;
  bool read_timed_out_ = false;      // the read timer cancelled the read
  std::uint64_t read_generation_ = 0;  // which read the timer belongs to
};

}  // namespace tenancyd

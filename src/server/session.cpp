#include "session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <utility>

#include "ids.hpp"
#include "problem.hpp"
#include "response_head.hpp"

namespace tenancyd {
namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
// Bytes asked of the socket while waiting for a request's first byte.
constexpr std::size_t kFirstRead = 4096;
// A client may send this much more after its final response before the
// lingering close gives up on it.
constexpr std::size_t kMaxLingerBytes = std::size_t{1} << 20;
}  // namespace

// -- registry --

void SessionRegistry::Add(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu_);
  sessions_.emplace(s.get(), s);
}

std::size_t SessionRegistry::Remove(const Session* s) {
  std::lock_guard lock(mu_);
  sessions_.erase(s);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [key, weak] : sessions_)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

// -- session --

namespace {
// The peer's address; an IPv4 client on a dual-stack socket as IPv4.
net::ip::address PeerOf(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  const net::ip::address a = endpoint.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
  return a;
}
}  // namespace

Session::Session(tcp::socket socket, SessionShared& shared, bool over_capacity)
    : stream_(std::move(socket)),
      read_timer_(stream_.get_executor()),
      hold_timer_(stream_.get_executor()),
      connection_{.peer = PeerOf(stream_.socket())},
      shared_(shared),
      over_capacity_(over_capacity) {}

Session::~Session() {
  if (shared_.registry.Remove(this) == 0 && shared_.draining.load() && shared_.on_last_session_gone)
    shared_.on_last_session_gone();
}

void Session::Start() {
  shared_.registry.Add(shared_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    // A drain that began before registration did not reach this session.
    if (self->shared_.draining.load()) self->draining_ = true;
    if (self->over_capacity_)
      return self->Reject(HttpFailure::kServerBusy, "the server is at its connection limit");
    self->ReadNext();
  });
}

void Session::Drain() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->closed_ || self->draining_) return;
    self->draining_ = true;
    if (self->idle_wait_) {
      // Ends the wait for a next request (it completes as end of stream)
      // without touching a response still being written.
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_receive, ec);
    } else if (!self->reading_) {
      self->stop_reading_ = true;
      if (self->queue_.empty()) self->CloseGracefully();
    }
    // A request being read finishes; its response closes the connection.
  });
}

void Session::Abort() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
}

void Session::ReadNext() {
  if (closed_ || stop_reading_ || reading_ || holding_) return;
  if (draining_) {
    stop_reading_ = true;
    if (queue_.empty()) CloseGracefully();
    return;
  }
  if (connection_.hold_reading.count() > 0)
    return HoldReading(std::exchange(connection_.hold_reading, std::chrono::nanoseconds{0}));
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
  parser_->body_limit(static_cast<std::uint64_t>(shared_.options.max_body_bytes));
  reading_ = true;
  if (buffer_.size() > 0) return ReadRequest();
  idle_wait_ = true;
  stream_.expires_after(shared_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
}

void Session::HoldReading(std::chrono::nanoseconds hold) {
  holding_ = true;
  hold_timer_.expires_after(hold);
  hold_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    self->holding_ = false;
    if (ec) return;  // cancelled: the session closed
    self->ReadNext();
  });
}

void Session::OnFirstBytes(beast::error_code ec, std::size_t n) {
  idle_wait_ = false;
  if (closed_) return;
  if (ec) {
    // Idle timeout, the client went away, or a drain: nothing to answer.
    reading_ = false;
    stop_reading_ = true;
    if (queue_.empty()) CloseNow();
    return;
  }
  buffer_.commit(n);
  if (ParseBuffered()) return;
  ReadRequest();
}

// The common case: the whole request came with its first bytes. Parsed here,
// it needs no read timer and no asynchronous read. True when the buffered
// bytes settled the request (complete, or refused by the parser) and OnRead
// has run; false when more are needed, for ReadRequest to wait for (the
// parser keeps its progress; a partial header is not consumed).
bool Session::ParseBuffered() {
  beast::error_code ec;
  while (!parser_->is_done() && buffer_.size() > 0) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) return false;
    if (ec || used == 0) break;
  }
  if (!ec && !parser_->is_done()) return false;
  read_timed_out_ = false;
  OnRead(ec, 0);
  return true;
}

void Session::ReadRequest() {
  // The stream's own expiry only backs the timer up (and bounds a write
  // still in progress): it closes the socket, and a late client is owed
  // its 408.
  stream_.expires_after(shared_.options.read_timeout + shared_.options.write_timeout);
  read_timed_out_ = false;
  ArmReadTimer(++read_generation_, shared_.options.read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::ArmReadTimer(std::uint64_t generation, std::chrono::milliseconds after) {
  read_timer_.expires_after(after);
  read_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || self->closed_ || !self->reading_ || self->read_generation_ != generation) return;
    // Cancelling aborts every operation on the socket: while an earlier
    // response is still being written, look again shortly (the write has
    // its own deadline).
    if (!self->queue_.empty()) return self->ArmReadTimer(generation, std::chrono::milliseconds(50));
    self->read_timed_out_ = true;
    beast::error_code cancel_ec;
    self->stream_.socket().cancel(cancel_ec);
  });
}

void Session::OnRead(beast::error_code ec, std::size_t) {
  reading_ = false;
  read_timer_.cancel();
  if (closed_) return;
  if (read_timed_out_ && ec == net::error::operation_aborted)
    return Reject(HttpFailure::kRequestTimeout,
                  "the request did not arrive within " +
                      std::to_string(shared_.options.read_timeout.count()) + " ms");
  if (ec == http::error::header_limit)
    return Reject(HttpFailure::kHeaderTooLarge,
                  "the request line and headers exceed " +
                      std::to_string(shared_.options.max_header_bytes) + " bytes");
  if (ec == http::error::body_limit)
    return Reject(HttpFailure::kBodyTooLarge,
                  "the request body exceeds " + std::to_string(shared_.options.max_body_bytes) +
                      " bytes");
  // Any other parser error: the bytes are not HTTP/1.1 we can frame.
  const bool parse_error = ec && ec != http::error::end_of_stream &&
                           ec.category() == http::make_error_code(http::error::bad_method).category();
  if (parse_error) return Reject(HttpFailure::kMalformedRequest, "the request is not valid HTTP/1.1");
  if (ec) {
    // End of stream, timeout (the stream closed the socket), reset: the
    // client is gone or too slow; responses already queued still go out.
    stop_reading_ = true;
    if (ec == beast::error::timeout || queue_.empty()) CloseNow();
    return;
  }
  Request request = parser_->release();
  const unsigned version = request.version();
  const bool wants_keep_alive = request.keep_alive();
  Response response = Handle(std::move(request));
  // Read after the handler: a drain that began while it ran closes too.
  const bool keep_alive = wants_keep_alive && !draining_ && !shared_.draining.load();
  response.version(version == 10 ? 10 : 11);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  if (!keep_alive) stop_reading_ = true;
  Enqueue(std::move(response));
  if (queue_.size() >= shared_.options.pipeline_limit) return;  // OnWrite reads on
  // With no bytes of a next request buffered, a client that waits for each
  // answer has not sent one yet: a read started now would find the socket
  // empty (a failed recv, then a wait in epoll). Started when the response
  // is written, as a plain request/response server does, it usually finds
  // the next request there. Pipelined bytes already read go on at once.
  if (buffer_.size() == 0) {
    read_after_write_ = true;
    return;
  }
  ReadNext();
}

Response Session::Handle(Request&& request) {
  shared_.requests_handled.fetch_add(1, std::memory_order_relaxed);
  try {
    return shared_.handler(std::move(request), connection_);
  } catch (...) {
    // A bug in a handler costs one request, never the process.
    const std::string id = NewRequestId();
    return ProblemResponse(tenancy::Error(tenancy::Errc::kInternal, "handler failed"),
                           ProblemInfo{.request_id = id});
  }
}

void Session::Reject(HttpFailure failure, std::string_view detail) {
  stop_reading_ = true;
  const std::string id = NewRequestId();
  Response response = ProblemResponse(failure, detail, ProblemInfo{.request_id = id});
  response.set("X-Request-Id", id);
  response.keep_alive(false);
  response.prepare_payload();
  Enqueue(std::move(response));
}

void Session::Enqueue(Response&& response) {
  queue_.push_back(std::move(response));
  const std::uint64_t depth = queue_.size();
  std::uint64_t seen = shared_.max_queued.load(std::memory_order_relaxed);
  while (depth > seen && !shared_.max_queued.compare_exchange_weak(seen, depth)) {
  }
  if (queue_.size() == 1) WriteFront();
}

void Session::WriteFront() {
  stream_.expires_after(shared_.options.write_timeout);
  // The head is rendered into one buffer of the session's (as Beast's
  // serializer would write it, response_head.hpp); head and body then go
  // out in one gathered write. Handing the message to http::async_write
  // instead walks the serializer's composite buffer sequence on every
  // partial write, which cost about a third of a small request's
  // instructions (docs/load-benchmarks.md).
  Response& response = queue_.front();
  head_.clear();
  AppendResponseHead(head_, response);
  const std::array<net::const_buffer, 2> out{net::buffer(head_), net::buffer(response.body())};
  net::async_write(stream_, out, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, std::size_t) {
  if (closed_) return;
  if (ec) return CloseNow();
  const bool last = !queue_.front().keep_alive();
  const bool was_full = queue_.size() >= shared_.options.pipeline_limit;
  queue_.pop_front();
  if (last) return CloseGracefully();
  if (!queue_.empty()) WriteFront();
  // Reading paused on a full queue, or deferred until this write, resumes.
  if (std::exchange(read_after_write_, false) || was_full) ReadNext();
  if (queue_.empty() && stop_reading_ && !reading_) CloseGracefully();
}

void Session::CloseGracefully() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  // Lingering reads the socket; one read at a time, so with a read still
  // outstanding there is nothing to wait for.
  if (reading_) return CloseNow();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || shared_.options.linger_timeout.count() == 0) return CloseNow();
  // One deadline for the whole linger: later reads keep the expiry.
  stream_.expires_after(shared_.options.linger_timeout);
  Linger();
}

void Session::Linger() {
  stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec,
                                                                             std::size_t n) {
    if (self->closed_) return;
    self->lingered_bytes_ += n;
    if (ec || self->lingered_bytes_ > kMaxLingerBytes) return self->CloseNow();
    self->Linger();
  });
}

void Session::CloseNow() {
  if (closed_) return;
  closed_ = true;
  read_timer_.cancel();
  hold_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace tenancyd

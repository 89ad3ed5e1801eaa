// A small blocking HTTP/1.1 client over a real socket, built on Beast, for
// the e2e tests: raw writes (garbage, pipelined requests), response reads
// with a deadline, and a check that the server closed the connection. Each
// wait has a generous deadline that only turns a hang into a failure.
//
// Compiled once (http_client.cpp, the tenancyd_test_http library): the
// Beast stream and parser templates stay out of every test that uses it.
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "http.hpp"

namespace tenancyd::testing {

class TestClient {
 public:
  static constexpr std::chrono::seconds kDeadline{20};

  // Connects to 127.0.0.1:`port`; `error` says whether it worked.
  explicit TestClient(unsigned short port);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return !error; }

  // Writes raw bytes, as they are.
  void Write(std::string_view raw);
  // Writes `req` after prepare_payload().
  void Send(Request req);
  // The next response, or nullopt when the connection ended or the deadline
  // passed (see `error`).
  std::optional<Response> Read(std::chrono::seconds deadline = kDeadline);
  std::optional<Response> Roundtrip(Request req);
  // True when the server closes the connection (EOF or reset) before the
  // deadline; bytes it sends meanwhile are discarded.
  bool WaitClosed(std::chrono::seconds deadline = kDeadline);

  boost::system::error_code error;

 private:
  struct Io;
  std::unique_ptr<Io> io_;
};

}  // namespace tenancyd::testing

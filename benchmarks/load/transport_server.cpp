// transport_server: a diagnostic point between the bare server and tenancyd
// for the load benchmarks (run_load.sh, entry BM_Load_Ping_Transport).
// tenancyd's own transport -- tenancyd::Server: listener, sessions with
// their idle and read timers, the pipelining queue, graceful shutdown --
// with a handler that answers every request with the same fixed bytes the
// bare server sends (no router, no pipeline, no tenant, no accounting).
//
// Ping through tenancyd, this and bare_server side by side split tenancyd's
// cost into its transport and its request pipeline.
//
//   transport_server [--listen HOST:PORT] [--threads N] [--body FILE]
//
// Prints "listening on HOST:PORT" like tenancyd; SIGTERM/SIGINT drain and
// exit 0. Exit 2 for a usage error, 1 when it cannot start.
//
// Thread safety: the handler only reads the immutable body.
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "server.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: transport_server [--listen HOST:PORT] [--threads N] [--body FILE]\n";
// The header values bare_server sends, of tenancyd's sizes.
constexpr std::string_view kRequestId = "r000000000000000000000001";
constexpr std::string_view kTraceparent =
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  tenancyd::ServerOptions options;
  options.port = 0;
  std::string body = R"({"tenant":"t-000000","principal":"api_key"})";
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
      return 2;
    }
    const std::string_view value = argv[i + 1];
    bool ok = true;
    if (flag == "--listen") {
      const auto colon = value.rfind(':');
      ok = colon != std::string_view::npos && ParseNumber(value.substr(colon + 1), options.port);
      if (ok) options.host = std::string(value.substr(0, colon));
    } else if (flag == "--threads") {
      ok = ParseNumber(value, options.threads);
    } else if (flag == "--body") {
      std::ifstream in{std::string(value), std::ios::binary};
      std::ostringstream text;
      ok = static_cast<bool>(in);
      if (ok) text << in.rdbuf();
      body = text.str();
    } else {
      ok = false;
    }
    if (!ok) {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
      return 2;
    }
  }
  options.handle_signals = true;
  auto server = tenancyd::Server::Start(
      options, [&body](tenancyd::Request&&, const tenancyd::Connection&) {
        tenancyd::Response res{tenancyd::http::status::ok, 11};
        res.set(tenancyd::http::field::content_type, tenancyd::kJsonType);
        res.set("X-Request-Id", kRequestId);
        res.set("traceparent", kTraceparent);
        res.body() = body;
        return res;
      });
  if (!server) {
    std::fprintf(stderr, "transport_server: cannot start: %s\n", server.error().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", options.host.c_str(), (*server)->port());
  std::fflush(stdout);
  (*server)->Wait();
  return 0;
}

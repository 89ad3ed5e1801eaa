// An in-process tenancyd on an ephemeral port with 2+ I/O threads, over
// an AppWorld, for tests over real sockets.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "http_client.hpp"
#include "server.hpp"
#include "server_fixture.hpp"

namespace tenancyd::testing {

// Serves `world` on 127.0.0.1 at an ephemeral port with `o`'s other options
// (at least 2 I/O threads) and `hooks` (the world's own by default).
inline std::unique_ptr<Server> ServeOnLoopback(AppWorld& world, ServerOptions o = {},
                                               std::optional<ServerHooks> hooks = std::nullopt) {
  o.host = "127.0.0.1";
  o.port = 0;
  if (o.threads < 2) o.threads = 2;
  auto s = Server::Start(o, world.app().handler(), hooks ? std::move(*hooks) : world.app().hooks());
  REQUIRE(s);
  return std::move(*s);
}

class LiveServer {
 public:
  LiveServer() = default;
  ~LiveServer() { server_.reset(); }

  // Add routes to world().app().router() before Start.
  void Start(ServerOptions o = {}) {
    ServerHooks hooks = world_.app().hooks();
    hooks.on_shutdown.push_back([this] { shutdown_hook_ran_.store(true); });
    server_ = ServeOnLoopback(world_, std::move(o), std::move(hooks));
  }

  AppWorld& world() { return world_; }
  Server& server() { return *server_; }
  unsigned short port() const { return server_->port(); }
  bool shutdown_hook_ran() const { return shutdown_hook_ran_.load(); }
  TestClient Connect() { return TestClient(port()); }

 private:
  AppWorld world_;
  std::atomic<bool> shutdown_hook_ran_{false};
  std::unique_ptr<Server> server_;
};

}  // namespace tenancyd::testing

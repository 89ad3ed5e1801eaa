// The application: the platform (platform.hpp), the bootstrap operator
// credential (bootstrap.hpp), the route table of every service and the
// pipeline that serves it. `main` composes App and Server; tests drive
// App::Handle without a socket or hand App's handler to an in-process
// Server.
//
//   auto app = tenancyd::App::Open(platform_options, app_options).value();
//   auto server = tenancyd::Server::Start(server_options, app->handler(), app->hooks()).value();
//
// Thread safety: Handle() is safe to call concurrently. router() and the
// Add* methods are for set-up, before the first request.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "bootstrap.hpp"
#include "middleware/governance.hpp"
#include "services/data_plane.hpp"
#include "services/signup/signup.hpp"
#include "pipeline.hpp"
#include "platform.hpp"
#include "router.hpp"
#include "server.hpp"

namespace tenancyd {

struct AppOptions {
  AuthSettings auth{};
  // Lifetime of tokens from /oauth/token. Default 15 min; at most 1 h.
  std::chrono::seconds token_ttl{900};
  // The bootstrap operator key file; empty: <data>/bootstrap-operator.key.
  std::string bootstrap_key_file{};
  // The public sign-up (POST /v1/signup) and its per-address limit; the
  // limiter's clock is the platform's.
  SignupOptions signup{};
  // A caller refused by its request rate has its connection's next read
  // held until the tenant's next free slot (middleware/governance.hpp, D59).
  // Turn off when one connection carries several tenants' requests (a
  // proxy that pools upstream connections).
  bool hold_throttled_connections = true;
};

class App {
 public:
  static tenancy::Result<std::unique_ptr<App>> Open(PlatformOptions platform, AppOptions options);
  ~App();

  Response Handle(Request&& request, Connection& connection) const {
    return pipeline_->Handle(std::move(request), connection);
  }
  Response Handle(Request&& request) const { return pipeline_->Handle(std::move(request)); }
  // The server's handler and hooks (readiness drops when the drain begins).
  RequestHandler handler() const;
  ServerHooks hooks();

  Platform& platform() noexcept { return *platform_; }
  // Rate limits, read-only quarantine, metering and per-tenant counters.
  Governance& governance() noexcept { return *governance_; }
  const BootstrapResult& bootstrap() const noexcept { return bootstrap_; }
  const AppOptions& options() const noexcept { return options_; }
  // Set-up only: extra routes, and the admission and accounting seams.
  Router& router() noexcept { return router_; }
  void AddAdmission(Admission* step);
  void AddAccounting(Accounting* sink);

 private:
  App() = default;
  void Rebuild();

  AppOptions options_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<Governance> governance_;
  std::unique_ptr<DataPlane> data_plane_;
  BootstrapResult bootstrap_;
  std::atomic<bool> ready_{true};
  Router router_;
  PipelineParts parts_;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace tenancyd

// tenancyd: the reference server. Composes the platform, the app and the
// HTTP server, prints the bound address, serves until SIGTERM/SIGINT, drains,
// exits 0. Exit 2 for a usage error, 1 when it cannot start.
#include <unistd.h>

#include <cstdio>

#include "app.hpp"
#include "command_line.hpp"
#include "demo.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  std::size_t env_count = 0;
  while (environ[env_count]) ++env_count;
  auto options = tenancyd::ParseDaemonOptions(
      std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)),
      std::span<const char* const>(environ, env_count));
  if (!options) {
    std::fprintf(stderr, "tenancyd: %s\n\n%.*s", options.error().message.c_str(),
                 static_cast<int>(tenancyd::Usage().size()), tenancyd::Usage().data());
    return 2;
  }
  if (options->help) {
    std::fwrite(tenancyd::Usage().data(), 1, tenancyd::Usage().size(), stdout);
    return 0;
  }
  auto app = tenancyd::App::Open(options->platform, options->app);
  if (!app) {
    std::fprintf(stderr, "tenancyd: cannot start: %s\n", app.error().ToString().c_str());
    return 1;
  }
  if ((*app)->bootstrap().created)
    std::fprintf(stderr, "tenancyd: bootstrap operator key written to %s (mode 0600)\n",
                 (*app)->bootstrap().path.c_str());
  std::vector<tenancyd::DemoTenant> demo;
  if (options->demo) {
    auto provisioned = tenancyd::ProvisionDemo(**app);
    if (!provisioned) {
      std::fprintf(stderr, "tenancyd: --demo failed: %s\n", provisioned.error().ToString().c_str());
      return 1;
    }
    demo = std::move(*provisioned);
  }
  options->server.handle_signals = true;
  auto server = tenancyd::Server::Start(options->server, (*app)->handler(), (*app)->hooks());
  if (!server) {
    std::fprintf(stderr, "tenancyd: cannot start: %s\n", server.error().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", options->server.host.c_str(), (*server)->port());
  if (options->demo) {
    // Curl lines must reach the server: a wildcard address is not one.
    std::string host = options->server.host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string text = tenancyd::DemoInstructions(
        demo, "http://" + host + ":" + std::to_string((*server)->port()));
    std::fwrite(text.data(), 1, text.size(), stdout);
    for (auto& d : demo) std::fill(d.key.begin(), d.key.end(), '\0');
  }
  std::fflush(stdout);
  (*server)->Wait();
  std::fprintf(stderr, "tenancyd: stopped\n");
  return 0;
}

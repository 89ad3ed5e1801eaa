// The observability tests' world: an AppWorld on a ManualClock whose
// observability runs no background thread (tests evaluate SLOs, flush
// activity and measure storage themselves) and whose JSON log lines are
// captured in memory, served over real sockets on an ephemeral port.
#pragma once

#include "data_plane_fixture.hpp"

#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "live_server.hpp"
#include "ops/telemetry_prom_parser.hpp"
#include "server.hpp"

namespace tenancyd::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

class ObserveServer {
 public:
  explicit ObserveServer(std::function<void(PlatformOptions&)> extra = {},
                         std::function<void(App&)> before_start = {})
      : world_({}, {}, [this, extra](PlatformOptions& p) {
          p.webhook_dispatch_interval = std::chrono::milliseconds{0};
          ObservabilityOptions& o = p.observability;
          o.log_stream = &log_;
          o.log_flush_interval = std::chrono::milliseconds{0};  // LogLines reads the stream live
          o.slo_evaluate_interval = std::chrono::milliseconds{0};
          o.activity_flush_interval = std::chrono::milliseconds{0};
          o.storage_refresh_interval = std::chrono::milliseconds{0};
          if (extra) extra(p);
        }) {
    if (before_start) before_start(world_.app());
    Start();
  }
  ~ObserveServer() { server_.reset(); }

  // A restart on the same data directory (the server stops first).
  void Restart(std::function<void(App&)> before_start = {}) {
    server_.reset();
    world_.Reopen();
    if (before_start) before_start(world_.app());
    Start();
  }

  AppWorld& world() { return world_; }
  Platform& platform() { return world_.app().platform(); }
  Observability& obs() { return platform().observability(); }
  tenancy::ManualClock& clock() { return world_.clock(); }
  unsigned short port() const { return server_->port(); }
  std::string OperatorKey() const { return world_.OperatorKey(); }

  // One request on a fresh connection; an empty credential sends none.
  Response Call(http::verb method, const std::string& target, const std::string& credential,
                std::string body = {}, const Headers& headers = {}) {
    Request req = MakeRequest(method, target, std::move(body));
    if (!credential.empty()) req = WithBearer(std::move(req), credential);
    for (const auto& [k, v] : headers) req.set(k, v);
    TestClient c(server_->port());
    REQUIRE(c.connected());
    auto res = c.Roundtrip(std::move(req));
    REQUIRE(res);
    return std::move(*res);
  }
  // As tenant `t` (its admin key unless `key`), under /t/{slug}.
  Response As(const Onboarded& t, http::verb method, const std::string& path, std::string body = {},
              const std::string& key = {}, const Headers& headers = {}) {
    return Call(method, "/t/" + t.slug + path, key.empty() ? t.key : key, std::move(body), headers);
  }
  // As the bootstrap operator.
  Response Op(http::verb method, const std::string& target, std::string body = {}) {
    return Call(method, target, OperatorKey(), std::move(body));
  }

  // /metrics, parsed strictly (the format's grammar).
  tenancy::testing::PromText Scrape() {
    const Response res = Op(http::verb::get, "/metrics");
    INFO(res.body());
    REQUIRE(res.result() == http::status::ok);
    REQUIRE(res[http::field::content_type] == tenancy::kPrometheusContentType);
    try {
      return tenancy::testing::ParsePrometheus(res.body());
    } catch (const tenancy::testing::PromParseError& e) {
      FAIL("not Prometheus 0.0.4: " << e.what());
    }
    return {};
  }

  // The stream's lines so far, access lines of answered requests included
  // (their thread is flushed first, and writes nothing more until the next
  // request).
  std::vector<std::string> LogLines() {
    obs().access_log().Flush();
    std::vector<std::string> out;
    std::istringstream in(log_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  void Start() {
    server_ = ServeOnLoopback(world_);
  }

  std::ostringstream log_;  // before the world: it outlives the platform
  AppWorld world_;
  std::unique_ptr<Server> server_;
};

// The value of the one sample of `name` whose labels include `labels`; 0
// when there is none (a counter never incremented is not exposed).
inline double Sample(const tenancy::testing::PromText& text, const std::string& family,
                     const std::string& name, const std::map<std::string, std::string>& labels) {
  auto it = text.families.find(family);
  if (it == text.families.end()) return 0;
  double found = 0;
  int matches = 0;
  for (const auto& s : it->second.samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      auto l = s.labels.find(k);
      all = all && l != s.labels.end() && l->second == v;
    }
    if (all) {
      found = s.value;
      ++matches;
    }
  }
  REQUIRE(matches <= 1);
  return found;
}

}  // namespace tenancyd::testing

// Helpers of the contracts tests: a recording client over a real socket
// (each response kept with the route that served it, for the OpenAPI
// validation), and running a command while reading its output.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data_plane_fixture.hpp"
#include "live_server.hpp"

namespace tenancyd::testing {

struct Recorded {
  std::string method;
  std::string route;  // the router's pattern
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// Sends requests over one keep-alive connection (a new one after the server
// closed it) and records every response that a route answered.
class RecordingClient {
 public:
  explicit RecordingClient(LiveServer& s) : server_(s) {}

  Response Call(http::verb method, const std::string& target, const std::string& body = {},
                const std::string& key = {},
                std::vector<std::pair<std::string, std::string>> headers = {},
                std::string content_type = "application/json") {
    const auto build = [&] {
      Request req = MakeRequest(method, target, body, content_type);
      if (!key.empty()) req = WithBearer(std::move(req), key);
      for (auto& [k, v] : headers) req.set(k, v);
      req.prepare_payload();
      return req;
    };
    if (!client_ || !client_->connected()) client_.emplace(server_.port());
    auto res = client_->Roundtrip(build());
    if (!res) {
      // The server may have closed an idle keep-alive connection: once more.
      client_.emplace(server_.port());
      res = client_->Roundtrip(build());
    }
    REQUIRE(res);
    if (!res->keep_alive()) client_.reset();
    Record(method, target, *res);
    return std::move(*res);
  }

  // Expects `status`; returns the JSON body (null when empty).
  json::value Ok(http::verb method, const std::string& target, const std::string& body,
                 const std::string& key, http::status status = http::status::ok,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response res = Call(method, target, body, key, std::move(headers));
    INFO(http::to_string(method) << " " << target << " → " << res.result_int() << " " << res.body());
    REQUIRE(res.result() == status);
    return res.body().empty() ? json::value() : BodyJson(res);
  }

  void Record(http::verb method, const std::string& target, const Response& res) {
    const Target t = SplitTarget(target);
    const RouteMatch m = server_.world().app().router().Find(method, t.path);
    if (!m.route) return;  // no route: nothing in the document to hold it to
    recorded_.push_back(Recorded{std::string(http::to_string(method)), m.route->pattern,
                                 static_cast<unsigned>(res.result_int()),
                                 std::string(res[http::field::content_type]), res.body()});
  }

  const std::vector<Recorded>& recorded() const { return recorded_; }

 private:
  LiveServer& server_;
  std::optional<TestClient> client_;
  std::vector<Recorded> recorded_;
};

// The recordings as the validator reads them (validate_responses.py).
inline std::string RecordedJson(const std::vector<Recorded>& all) {
  json::array out;
  for (const Recorded& r : all) {
    boost::system::error_code ec;
    json::value body = r.body.empty() ? json::value(nullptr) : json::parse(r.body, ec);
    if (ec) body = json::value(r.body);  // not JSON: a string the schema will refuse
    out.push_back(json::object{{"method", r.method},
                               {"route", r.route},
                               {"status", r.status},
                               {"content_type", r.content_type},
                               {"body", std::move(body)}});
  }
  return json::serialize(out);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` under /bin/sh, returns its exit code and output.
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

}  // namespace tenancyd::testing

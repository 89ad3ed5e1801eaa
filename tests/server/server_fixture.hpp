// The server's test world: an App on a fresh data directory (real SQLite
// files, a real master key, the bootstrap operator key written by the app)
// on a ManualClock, plus helpers to build requests and read responses.
// Reopen() simulates a restart on the same directory.
#pragma once

#include "support/catch_tenancy.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "app.hpp"
#include "support/temp_dir.hpp"

namespace tenancyd::testing {

namespace json = boost::json;

inline Request MakeRequest(http::verb method, std::string target, std::string body = {},
                           std::string content_type = "application/json") {
  Request req{method, target, 11};
  req.set(http::field::host, "localhost");
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
  }
  req.prepare_payload();
  return req;
}

inline Request WithBearer(Request req, const std::string& credential) {
  req.set(http::field::authorization, "Bearer " + credential);
  return req;
}

inline json::value BodyJson(const Response& res) {
  boost::system::error_code ec;
  json::value v = json::parse(res.body(), ec);
  if (ec) FAIL("response body is not JSON: " << res.body());
  return v;
}

inline std::string Str(const json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  if (!o) return "<not an object>";
  const auto* f = o->if_contains(key);
  if (!f || !f->is_string()) return "<missing " + std::string(key) + ">";
  return std::string(f->as_string());
}

// Asserts a problem+json response with `status` and `code`.
inline void RequireProblem(const Response& res, http::status status, std::string_view code) {
  INFO("body: " << res.body());
  REQUIRE(res.result() == status);
  REQUIRE(res[http::field::content_type] == "application/problem+json");
  const json::value v = BodyJson(res);
  REQUIRE(Str(v, "code") == code);
  REQUIRE(v.as_object().at("status").to_number<unsigned>() == static_cast<unsigned>(status));
  REQUIRE(Str(v, "type") == "urn:tenancy:problem:" + std::string(code));
  REQUIRE(!Str(v, "request_id").empty());
}

struct Onboarded {
  std::string id;
  std::string slug;
  std::string client_id;
  std::string key;  // the admin's API key
};

class AppWorld {
 public:
  explicit AppWorld(AppOptions options = {}, std::string base_domain = {},
                    std::function<void(PlatformOptions&)> tune = {})
      : options_(std::move(options)), base_domain_(std::move(base_domain)), tune_(std::move(tune)) {
    Reopen();
  }

  void Reopen() {
    app_.reset();
    PlatformOptions p;
    p.data_dir = data_dir().string();
    p.clock = &clock_;
    p.base_domain = base_domain_;
    // Governance on the same manual clock, flushing and evaluating only
    // when a test says so: deterministic.
    p.governance_clock = &clock_;
    p.governance_flush_interval = std::chrono::milliseconds{0};
    p.quarantine.evaluate_every = std::chrono::milliseconds{0};
    // Every request reads its thread's CPU clock: exact and deterministic.
    p.observability.cpu_read_interval = std::chrono::microseconds{0};
    if (tune_) tune_(p);
    auto app = App::Open(p, options_);
    REQUIRE(app);
    app_ = std::move(*app);
  }

  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::filesystem::path bootstrap_file() const { return data_dir() / "bootstrap-operator.key"; }

  std::string OperatorKey() const {
    std::ifstream in(bootstrap_file());
    std::string key;
    std::getline(in, key);
    return key;
  }

  Response Call(Request req) { return app_->Handle(std::move(req)); }

  // Onboards through the API as the bootstrap operator; REQUIREs 201.
  Onboarded Onboard(const std::string& slug, const std::string& extra_fields = "") {
    const std::string body = R"({"slug":")" + slug + R"(","admin":{"email":"admin@)" + slug +
                             R"(.example"})" + extra_fields + "}";
    Response res = Call(WithBearer(MakeRequest(http::verb::post, "/v1/tenants", body), OperatorKey()));
    INFO(res.body());
    REQUIRE(res.result() == http::status::created);
    const json::value v = BodyJson(res);
    Onboarded out;
    out.id = Str(v.at("tenant"), "id");
    out.slug = Str(v.at("tenant"), "slug");
    out.client_id = Str(v.at("admin").at("api_key"), "client_id");
    out.key = Str(v.at("admin").at("api_key"), "key");
    return out;
  }

  App& app() { return *app_; }
  tenancy::ManualClock& clock() { return clock_; }
  const tenancy::testing::TempDir& dir() const { return dir_; }

 private:
  tenancy::testing::TempDir dir_;
  tenancy::ManualClock clock_;
  AppOptions options_;
  std::string base_domain_;
  std::function<void(PlatformOptions&)> tune_;
  std::unique_ptr<App> app_;
};

}  // namespace tenancyd::testing

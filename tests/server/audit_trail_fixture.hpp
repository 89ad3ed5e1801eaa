// The audit trail's test world: tenancyd over real sockets on an AppWorld
// (loopback webhook targets allowed, the dispatcher left to the test), with
// calls that return the X-Request-Id the server echoed, and readers of the
// audit chains straight from the library (the ground truth the routes are
// checked against).
#pragma once

#include "data_plane_fixture.hpp"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "live_server.hpp"
#include "server.hpp"
#include "tenancy/audit.hpp"

namespace tenancyd::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One answered request: the response and the request id it echoed.
struct Answer {
  Response res;
  std::string request_id;
  unsigned status() const { return static_cast<unsigned>(res.result_int()); }
  json::value json() const { return res.body().empty() ? json::value() : BodyJson(res); }
};

class AuditServer {
 public:
  AuditServer()
      : world_({}, {}, [](PlatformOptions& p) {
          p.webhook_policy.allow_loopback = true;
          p.webhook_dispatch_interval = std::chrono::milliseconds{0};
        }) {
    server_ = ServeOnLoopback(world_);
  }
  ~AuditServer() { server_.reset(); }

  AppWorld& world() { return world_; }
  Platform& platform() { return world_.app().platform(); }
  const tenancy::AuditLog& log() { return platform().audit(); }
  unsigned short port() const { return server_->port(); }
  std::string op() const { return world_.OperatorKey(); }
  // The id part of an API key ("tk.<tenant>.<id>.<secret>"): the principal id.
  static std::string KeyId(const std::string& key) {
    const auto a = key.find('.');
    const auto b = key.find('.', a + 1);
    const auto c = key.find('.', b + 1);
    return key.substr(b + 1, c - b - 1);
  }

  // One request on a fresh connection; `credential` empty: none.
  Answer Call(http::verb method, const std::string& target, const std::string& credential,
              std::string body = {}, const Headers& headers = {},
              std::string content_type = "application/json") {
    Request req = MakeRequest(method, target, std::move(body), std::move(content_type));
    if (!credential.empty()) req = WithBearer(std::move(req), credential);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.prepare_payload();
    TestClient c(port());
    REQUIRE(c.connected());
    auto res = c.Roundtrip(std::move(req));
    REQUIRE(res);
    Answer a{std::move(*res), {}};
    a.request_id = std::string((a.res)["X-Request-Id"]);
    REQUIRE(!a.request_id.empty());
    return a;
  }
  // As Call, without Catch2 assertions (which are not thread-safe): for
  // worker threads. nullopt when the exchange failed.
  std::optional<Answer> TryCall(http::verb method, const std::string& target,
                                const std::string& credential, std::string body = {}) {
    Request req = WithBearer(MakeRequest(method, target, std::move(body)), credential);
    TestClient c(port());
    if (!c.connected()) return std::nullopt;
    auto res = c.Roundtrip(std::move(req));
    if (!res) return std::nullopt;
    Answer a{std::move(*res), {}};
    a.request_id = std::string((a.res)["X-Request-Id"]);
    return a;
  }
  // As tenant `t` under /t/{slug} (its admin key unless `key`).
  Answer As(const Onboarded& t, http::verb method, const std::string& path, std::string body = {},
            const std::string& key = {}, const Headers& headers = {}) {
    return Call(method, "/t/" + t.slug + path, key.empty() ? t.key : key, std::move(body), headers);
  }
  // As the bootstrap operator (platform routes).
  Answer Op(http::verb method, const std::string& target, std::string body = {},
            const Headers& headers = {}) {
    return Call(method, target, op(), std::move(body), headers);
  }

  // Every entry of a chain ("platform" or a tenant id), oldest first.
  std::vector<tenancy::AuditRecord> Chain(const std::string& name) {
    auto chain = tenancy::AuditChain::Parse(name);
    REQUIRE(chain);
    std::vector<tenancy::AuditRecord> out;
    tenancy::AuditQuery q;
    q.chain = *chain;
    q.limit = 1000;
    for (;;) {
      auto page = log().Read(tenancy::AuditScope::Operator(), q);
      REQUIRE(page);
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (page->next_cursor.empty()) break;
      q.after = page->next_cursor;
    }
    return out;
  }
  // Every entry of every chain.
  std::vector<tenancy::AuditRecord> All() {
    std::vector<tenancy::AuditRecord> out;
    tenancy::AuditQuery q;
    q.limit = 1000;
    for (;;) {
      auto page = log().Read(tenancy::AuditScope::Operator(), q);
      REQUIRE(page);
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (page->next_cursor.empty()) break;
      q.after = page->next_cursor;
    }
    return out;
  }
  // The entries of `chain` made by request `request_id`.
  std::vector<tenancy::AuditRecord> Of(const std::string& chain, const std::string& request_id) {
    std::vector<tenancy::AuditRecord> out;
    for (auto& r : Chain(chain))
      if (r.request_id == request_id) out.push_back(std::move(r));
    return out;
  }
  // Every entry, any chain, made by request `request_id`.
  std::vector<tenancy::AuditRecord> AnyOf(const std::string& request_id) {
    std::vector<tenancy::AuditRecord> out;
    for (auto& r : All())
      if (r.request_id == request_id) out.push_back(std::move(r));
    return out;
  }
  // The one entry of `chain` for the request (REQUIREs exactly one).
  tenancy::AuditRecord One(const std::string& chain, const Answer& a) {
    auto found = Of(chain, a.request_id);
    INFO("chain " << chain << ", request " << a.request_id << " → " << a.status() << " "
                  << a.res.body());
    REQUIRE(found.size() == 1);
    return found.front();
  }

  std::filesystem::path audit_db() { return world_.data_dir() / "audit.db"; }

 private:
  AppWorld world_;
  std::unique_ptr<Server> server_;
};

// The details of an entry as JSON (an empty object when none).
inline json::object DetailsOf(const tenancy::AuditRecord& r) {
  if (r.details.empty()) return {};
  boost::system::error_code ec;
  json::value v = json::parse(r.details, ec);
  REQUIRE(!ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

// Every byte of the audit database and its WAL.
inline std::string AuditFileBytes(const std::filesystem::path& db) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::ifstream in(db.string() + suffix, std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

// The attacker's tool: the sqlite3 API on the audit file, beside the
// running server (WAL: both see each other's commits).
class RawAuditDb {
 public:
  explicit RawAuditDb(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawAuditDb() { sqlite3_close_v2(db_); }
  RawAuditDb(const RawAuditDb&) = delete;
  RawAuditDb& operator=(const RawAuditDb&) = delete;
  void Exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace tenancyd::testing

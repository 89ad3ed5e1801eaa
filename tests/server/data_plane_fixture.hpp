// Helpers for the data-plane tests: JSON calls as a tenant, the tenant's id,
// keys with other roles.
#pragma once

#include "server_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "plans.hpp"

namespace tenancyd::testing {

inline tenancy::TenantId IdOf(const Onboarded& t) { return tenancy::TenantId::Parse(t.id).value(); }

// Overrides `t`'s request rate (kApiRequests): `amount` per `per`, `burst`
// at once (0: the library's default).
inline void SetRate(AppWorld& w, const Onboarded& t, std::int64_t amount,
                    std::chrono::nanoseconds per, std::int64_t burst = 0) {
  REQUIRE(w.app().platform().quotas().SetOverride(IdOf(t), kApiRequests,
                                                  tenancy::Limit::Rate(amount, per, burst)));
}

// A call as `t` (its admin key unless `key` is given), under /t/{slug}.
inline Response As(AppWorld& w, const Onboarded& t, http::verb method, const std::string& path,
                   const std::string& body = {}, const std::string& key = {},
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request req = MakeRequest(method, "/t/" + t.slug + path, body);
  req = WithBearer(std::move(req), key.empty() ? t.key : key);
  for (auto& [k, v] : headers) req.set(k, v);
  req.prepare_payload();
  return w.Call(std::move(req));
}

// REQUIREs `status` and returns the JSON body.
inline json::value Expect(const Response& res, http::status status) {
  INFO("body: " << res.body());
  REQUIRE(res.result() == status);
  return res.body().empty() ? json::value() : BodyJson(res);
}

// A tenant API key with `roles`.
inline std::string KeyWithRoles(AppWorld& w, const Onboarded& t, std::vector<std::string> roles) {
  auto k = w.app().platform().auth().CreateApiKey(IdOf(t), "test", std::move(roles));
  REQUIRE(k);
  return k->key;
}

// Every byte under `dir`, for checks that plaintext never reaches disk.
inline std::string AllBytesUnder(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return all;
}

}  // namespace tenancyd::testing

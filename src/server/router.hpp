// The route table: which handler serves a method and path, in which scope,
// under which permission. Routes declare their permission; the table
// refuses (at start-up, by throwing std::logic_error) a route that needs a
// caller but names no permission, so no route is accidentally open.
//
// Scopes:
//   kPublic        no tenant, no caller (health, the token endpoint)
//   kTenantPublic  a resolved tenant, no caller (JWKS)
//   kTenant        a resolved tenant and a caller of that tenant, or an
//                  operator impersonating (the data plane)
//   kPlatform      a platform operator (the control plane)
// Tenant-scoped routes are reachable at their path and under the
// "/t/{tenant}" prefix; the prefix form only when the path prefix is what
// resolved the tenant.
//
// Patterns are literal segments and `{name}` parameters:
// "/v1/tenants/{id}/suspend". Matching allocates nothing.
//
// Thread safety: build once, then share for reading.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "exchange.hpp"
#include "http.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

enum class Scope { kPublic, kTenantPublic, kTenant, kPlatform };

using Handler = std::function<tenancy::Result<Response>(Exchange&)>;

struct Route {
  http::verb method = http::verb::get;
  std::string pattern{};
  Scope scope = Scope::kPublic;
  // REQUIRED for kTenant and kPlatform; must be a platform permission for
  // kPlatform and a tenant one for kTenant.
  std::optional<tenancy::Permission> permission{};
  Handler handler{};
  // At the root path (not under /t/{tenant}), only a tenant named by the
  // Host header counts (e.g. /.well-known/jwks.json).
  bool root_requires_host = false;
  // A POST that changes nothing (a fare quote, a flag evaluation): served
  // to a tenant in read-only quarantine like a GET.
  bool reads_only = false;
};

struct RouteMatch {
  const Route* route = nullptr;
  RouteParams params{};
  bool via_prefix = false;
  // No route matched, but the path exists for other methods (405).
  std::string allow{};
};

class Router {
 public:
  void Add(Route route);
  // The route for `method` and `path` (the target without its query).
  RouteMatch Find(http::verb method, std::string_view path) const;
  const std::vector<Route>& routes() const noexcept { return routes_; }

  // The longest pattern Add accepts: access-log lines copy it whole
  // (observability/access_log.hpp).
  static constexpr std::size_t kMaxPatternBytes = 128;
  // The "/t/" prefix that tenant-scoped routes are also reachable under.
  static constexpr std::string_view kTenantPrefix = "/t/";

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{name}" for parameters
  };
  bool Matches(const Compiled& c, std::string_view path, RouteParams& params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

// Adds the routes of one service. Its handlers are plain functions,
// `tenancy::Result<Response> Fn(deps, Exchange&)`, testable without a
// router; each route's handler holds `deps` and passes it in. `Deps` is
// either a struct of references (Ops, Billing, ...), copied into every
// handler so a temporary may be passed, or a pointer to a long-lived
// service (DataPlane*), passed dereferenced; REQUIRES: that service
// outlives the router.
//
//   ServiceRoutes routes(router, ops);
//   routes.Add(http::verb::get, "/v1/events", Scope::kTenant, P::kTenantRead, ListEvents);
template <typename Deps>
class ServiceRoutes {
 public:
  ServiceRoutes(Router& router, Deps deps) : router_(router), deps_(std::move(deps)) {}

  // `reads_only`: see Route::reads_only.
  template <typename Fn>
  void Add(http::verb method, std::string pattern, Scope scope, tenancy::Permission permission,
           Fn fn, bool reads_only = false) {
    router_.Add(Route{.method = method,
                      .pattern = std::move(pattern),
                      .scope = scope,
                      .permission = permission,
                      .handler = [deps = deps_, fn = std::move(fn)](Exchange& x) {
                        if constexpr (std::is_pointer_v<Deps>)
                          return fn(*deps, x);
                        else
                          return fn(deps, x);
                      },
                      .reads_only = reads_only});
  }

 private:
  Router& router_;
  Deps deps_;
};

}  // namespace tenancyd

#include "router.hpp"

#include <algorithm>
#include <stdexcept>

namespace tenancyd {
namespace {

bool IsPlatformPermission(tenancy::Permission p) {
  return p == tenancy::Permission::kPlatformTenantsRead ||
         p == tenancy::Permission::kPlatformTenantsAdmin ||
         p == tenancy::Permission::kPlatformImpersonate;
}

bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern.front() != '/')
    throw std::logic_error("route pattern must start with '/': " + route.pattern);
  if (!route.handler) throw std::logic_error("route without handler: " + route.pattern);
  if (route.pattern.size() > kMaxPatternBytes)
    throw std::logic_error("route pattern longer than 128 bytes: " + route.pattern);
  const bool needs_caller = route.scope == Scope::kTenant || route.scope == Scope::kPlatform;
  if (needs_caller && !route.permission)
    throw std::logic_error("route needs a permission: " + route.pattern);
  if (route.permission && needs_caller &&
      IsPlatformPermission(*route.permission) != (route.scope == Scope::kPlatform))
    throw std::logic_error("permission does not fit the route's scope: " + route.pattern);
  Compiled c;
  std::string_view rest = std::string_view(route.pattern).substr(1);
  for (;;) {
    const auto slash = rest.find('/');
    c.segments.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (const auto& seg : c.segments)
    if (seg.find_first_of("{}") != std::string::npos && !IsParam(seg))
      throw std::logic_error("malformed route parameter: " + route.pattern);
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
}

bool Router::Matches(const Compiled& c, std::string_view path, RouteParams& params) const {
  params.Clear();
  if (path.empty() || path.front() != '/') return false;
  std::string_view rest = path.substr(1);
  bool done = false;  // the path has no segment left
  for (const std::string& want : c.segments) {
    if (done) return false;
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (slash == std::string_view::npos) {
      done = true;
    } else {
      rest.remove_prefix(slash + 1);
    }
    if (IsParam(want)) {
      if (seg.empty()) return false;
      params.Add(std::string_view(want).substr(1, want.size() - 2), seg);
    } else if (seg != want) {
      return false;
    }
  }
  return done;
}

RouteMatch Router::Find(http::verb method, std::string_view path) const {
  RouteMatch out;
  RouteParams params;
  const auto scan = [&](std::string_view p, bool tenant_only) -> bool {
    // A pattern matches only a path of as many segments (one per '/'):
    // counting once skips most patterns without splitting the path.
    const auto segments = static_cast<std::size_t>(std::count(p.begin(), p.end(), '/'));
    const auto candidate = [&](std::size_t i) {
      const Route& r = routes_[i];
      return compiled_[i].segments.size() == segments &&
             (!tenant_only || r.scope == Scope::kTenant || r.scope == Scope::kTenantPublic);
    };
    // The request's method first: only its routes are matched against the
    // path (a request that finds one, the usual case, splits no other).
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (routes_[i].method != method || !candidate(i)) continue;
      if (!Matches(compiled_[i], p, params)) continue;
      out.route = &routes_[i];
      out.params = params;
      return true;
    }
    // None: the methods the path has (for 405's Allow).
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (routes_[i].method == method || !candidate(i)) continue;
      if (!Matches(compiled_[i], p, params)) continue;
      const std::string_view verb = http::to_string(routes_[i].method);
      if (out.allow.find(verb) == std::string::npos) {
        if (!out.allow.empty()) out.allow += ", ";
        out.allow += verb;
      }
    }
    return false;
  };
  if (scan(path, false)) return out;
  // "/t/{tenant}/rest": the tenant-scoped routes, matched on "/rest".
  if (path.starts_with(kTenantPrefix)) {
    const std::string_view after = path.substr(kTenantPrefix.size());
    const auto slash = after.find('/');
    if (slash != std::string_view::npos && slash > 0) {
      const std::string allow_at_root = std::move(out.allow);
      out.allow.clear();
      if (scan(after.substr(slash), true)) {
        out.via_prefix = true;
        return out;
      }
      if (out.allow.empty()) out.allow = allow_at_root;
    }
  }
  return out;
}

}  // namespace tenancyd

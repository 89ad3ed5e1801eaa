#include "pipeline.hpp"

#include "problem.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

Pipeline::Pipeline(PipelineParts parts) : parts_(std::move(parts)) {}

tenancy::Result<Response> Pipeline::Run(Exchange& x) const {
  const Route& route = *x.route;
  const bool tenant_scoped = route.scope == Scope::kTenant || route.scope == Scope::kTenantPublic;
  const bool needs_caller = route.scope == Scope::kTenant || route.scope == Scope::kPlatform;
  if (tenant_scoped)
    if (auto r = ResolveTenant(*parts_.resolver, x); !r) return r.error();
  if (needs_caller) {
    if (auto r = Authenticate(*parts_.auth, *parts_.resolver, parts_.auth_settings, x); !r)
      return r.error();
    if (auto r = Authorize(parts_.catalog, x); !r) return r.error();
  }
  if (route.scope == Scope::kTenant)
    if (auto r = Admit(parts_.admission, x); !r) return r.error();
  return route.handler(x);
}

Response Pipeline::Handle(Request&& request, Connection& connection) const {
  Exchange x(request);
  x.connection = connection;
  x.started = std::chrono::steady_clock::now();
  const Target target = SplitTarget(request.target());
  x.path = target.path;
  x.query = target.query;
  TakeRequestIdAndTrace(x);

  Response res;
  const RouteMatch match = parts_.router->Find(request.method(), x.path);
  const ProblemInfo info_base{.request_id = x.request_id, .instance = x.path};
  if (x.path.empty() || x.path.front() != '/') {
    res = ProblemResponse(HttpFailure::kMalformedRequest, "the request target must be a path",
                          info_base);
  } else if (!match.route && !match.allow.empty()) {
    res = ProblemResponse(HttpFailure::kMethodNotAllowed,
                          "this resource allows " + match.allow, info_base);
    res.set(http::field::allow, match.allow);
  } else if (!match.route) {
    res = ProblemResponse(HttpFailure::kRouteNotFound, "", info_base);
  } else {
    x.route = match.route;
    x.params = match.params;
    x.via_prefix = match.via_prefix;
    tenancy::Result<Response> out = [&]() -> tenancy::Result<Response> {
      try {
        return Run(x);
      } catch (const std::exception&) {
        return Fail(Errc::kInternal, "handler failed");
      }
    }();
    if (out) {
      res = std::move(*out);
    } else {
      ProblemInfo info = info_base;
      info.retry_after = x.retry_after;
      info.credential_presented = x.credential_presented;
      info.code = x.problem_code;
      info.status = x.problem_status;
      res = ProblemResponse(out.error(), info);
    }
  }
  res.set("X-Request-Id", x.request_id);
  res.set("traceparent", Traceparent(x.trace).view());
  Account(parts_.accounting, x, static_cast<unsigned>(res.result_int()), parts_.cpu_read_interval);
  connection.hold_reading = x.hold_reading;
  return res;
}

}  // namespace tenancyd

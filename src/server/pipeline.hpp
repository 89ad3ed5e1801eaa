// The pipeline: one request in, one response out, through the steps of
// middleware/steps.hpp in the order of design.md §2. It is the server's
// RequestHandler (server.hpp) and knows nothing of sockets, so tests drive
// it directly.
//
// Every response leaves with `X-Request-Id` and `traceparent`; every error
// is an RFC 9457 problem (problem.hpp) from the one table
// (error_status.hpp); every request is accounted, refusals included.
//
// Thread safety: Handle() is called concurrently; the pipeline and what it
// refers to are immutable or thread-safe.
#pragma once

#include <vector>

#include "http.hpp"
#include "middleware/accounting.hpp"
#include "middleware/admission.hpp"
#include "middleware/steps.hpp"
#include "router.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/authz.hpp"
#include "tenancy/resolve.hpp"

namespace tenancyd {

struct PipelineParts {
  const Router* router = nullptr;                     // REQUIRED
  tenancy::Authenticator* auth = nullptr;             // REQUIRED
  const tenancy::TenantResolver* resolver = nullptr;  // REQUIRED
  const tenancy::RoleCatalog* catalog = nullptr;      // custom roles; may be null
  AuthSettings auth_settings{};
  std::vector<Admission*> admission{};    // the quota/quarantine seam
  std::vector<Accounting*> accounting{};  // the metering seam
  // How often a thread reads its CPU clock (ObservabilityOptions).
  std::chrono::nanoseconds cpu_read_interval{0};
};

class Pipeline {
 public:
  // REQUIRES: the parts outlive the pipeline.
  explicit Pipeline(PipelineParts parts);

  // `connection`: what the transport knows of the request's connection
  // (the sign-up limiter keys on its peer address); its hold_reading is
  // set (zero unless the rate limit refused the request).
  Response Handle(Request&& request, Connection& connection) const;
  // The same for a request that came over no socket (tests).
  Response Handle(Request&& request) const {
    Connection none;
    return Handle(std::move(request), none);
  }

 private:
  tenancy::Result<Response> Run(Exchange& x) const;
  PipelineParts parts_;
};

}  // namespace tenancyd

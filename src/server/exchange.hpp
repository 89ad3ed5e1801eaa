// Exchange: one request on its way through the pipeline, and what each step
// found out about it (request id, trace, route, tenant, caller, context).
// Steps read what earlier steps wrote; handlers read it all.
//
// Views point into the request, which outlives the exchange.
//
// Thread safety: confined to the thread handling the request.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "http.hpp"
#include "tenancy/audit.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/context.hpp"
#include "tenancy/resolve.hpp"

namespace tenancyd {

struct Route;

// W3C trace context of the request (https://www.w3.org/TR/trace-context/).
struct Trace {
  std::array<unsigned char, 16> trace_id{};
  std::array<unsigned char, 8> parent_id{};  // the caller's span; zero if none
  std::array<unsigned char, 8> span_id{};    // this server's span
  std::uint8_t flags = 0;
  bool continued = false;  // taken from a valid incoming traceparent
};

// Path parameters of the matched route, e.g. {"id", "tn_..."}.
class RouteParams {
 public:
  static constexpr std::size_t kMax = 4;
  void Add(std::string_view name, std::string_view value) noexcept {
    if (size_ < kMax) items_[size_++] = {name, value};
  }
  // The value, or empty when the route has no such parameter.
  std::string_view Get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (items_[i].first == name) return items_[i].second;
    return {};
  }
  std::size_t size() const noexcept { return size_; }
  void Clear() noexcept { size_ = 0; }

 private:
  std::array<std::pair<std::string_view, std::string_view>, kMax> items_{};
  std::size_t size_ = 0;
};

// What a handler knows of its action beyond what the route table of the
// audit trail (middleware/audit_trail.hpp) derives from the route: the
// tenant an action created or named by slug, a more precise action
// ("tenant.release" rather than "tenant.resume") or target ("api_key:<new
// id>"), and details. On public routes (no caller) a noted action is the
// only thing the trail records, with the noted actor. Every field is
// optional; empty means "the route's". Never put a secret here.
struct AuditNote {
  std::string tenant{};  // a tenant id
  std::string action{};
  std::string target{};
  std::optional<tenancy::AuditActor> actor{};
  std::optional<tenancy::AuditOutcome> outcome{};
  std::string code{};                // why a refusal was refused
  boost::json::object details{};     // no secrets
  bool empty() const noexcept {
    return tenant.empty() && action.empty() && target.empty() && !actor && !outcome &&
           code.empty() && details.empty();
  }
};

struct Exchange {
  explicit Exchange(Request& r) : request(r) {}

  Request& request;
  // The connection's peer, from the transport (never from a header).
  Connection connection{};
  std::string_view path{};   // the target's path, as sent
  std::string_view query{};  // after '?', as sent
  std::chrono::steady_clock::time_point started{};

  // -- request id and trace (first step) --
  std::string request_id{};
  Trace trace{};

  // -- routing --
  const Route* route = nullptr;
  RouteParams params{};
  // The route was matched under the "/t/{tenant}" prefix.
  bool via_prefix = false;

  // -- tenant resolution --
  std::optional<tenancy::Resolution> resolution{};
  // No host, header or path named a tenant: the credential's tenant decides
  // (resolved again after authentication).
  bool resolution_deferred = false;

  // -- authentication and context --
  bool credential_presented = false;
  std::shared_ptr<const tenancy::Authenticated> who{};
  std::optional<tenancy::TenantContext> context{};

  // -- admission --
  std::chrono::seconds retry_after{0};  // set with a 429/503 refusal
  // How long the connection's next request waits (Connection::hold_reading).
  std::chrono::nanoseconds hold_reading{0};

  // -- errors --
  // A problem code more precise than the error's Errc row (e.g.
  // "rate_limited", "illegal_transition"); empty: the row's. A static
  // string: the view must outlive the response.
  std::string_view problem_code{};
  // A status other than the Errc row's, for the few problems HTTP names
  // more precisely (422); 0: the row's.
  unsigned problem_status = 0;

  // Records `code` for the problem document and returns the error, for
  // `return x.Refuse("illegal_transition", Errc::kFailedPrecondition, "...")`.
  tenancy::Error Refuse(std::string_view code, tenancy::Errc errc, std::string message) {
    problem_code = code;
    return tenancy::Error(errc, std::move(message));
  }
  // A well-formed request whose content cannot be processed: 422 with
  // `code` (e.g. a configuration value a validator refused, the field named
  // in `message`, or an Idempotency-Key reused with another request).
  tenancy::Error Unprocessable(std::string_view code, std::string message) {
    problem_code = code;
    problem_status = 422;
    return tenancy::Error(tenancy::Errc::kInvalidArgument, std::move(message));
  }

  // -- audit (the one field the audit trail adds; see AuditNote) --
  AuditNote audit{};

  std::string_view Param(std::string_view name) const noexcept { return params.Get(name); }
  std::string TraceIdHex() const;
};

}  // namespace tenancyd

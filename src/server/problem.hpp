// RFC 9457 problem details: every error tenancyd answers with, rendered as
// `application/problem+json`:
//
//   {"type":"urn:tenancy:problem:tenant_suspended","title":"Tenant Suspended",
//    "status":403,"detail":"tenant is suspended","instance":"/v1/ping",
//    "code":"tenant_suspended","request_id":"r3f9..."}
//
// `code` is stable and snake_case (error_status.hpp); `type` is a URN built
// from it; `instance` is the request path. The detail never carries secrets:
// library messages are written without them, and server-side failures show a
// generic text instead (see error_status.hpp).
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "error_status.hpp"
#include "http.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

// What a problem needs from its request beyond the error.
struct ProblemInfo {
  std::string_view request_id{};
  std::string_view instance{};  // the request path
  // 429/503: how long to wait; zero means one second.
  std::chrono::seconds retry_after{0};
  // 401: whether a credential was presented (then RFC 6750's
  // `error="invalid_token"` is added to the challenge).
  bool credential_presented = false;
  // Replaces the table's code (and the type URN built from it) when set.
  std::string_view code{};
  // Replaces the table's status when non-zero (only 422 is used).
  unsigned status = 0;
};

Response ProblemResponse(const tenancy::Error& error, const ProblemInfo& info);
Response ProblemResponse(HttpFailure failure, std::string_view detail, const ProblemInfo& info);

// `text` with invalid UTF-8 and control characters replaced, cut to at most
// `max_bytes` on a character boundary: safe to put in a JSON document and a
// log line whatever bytes a client sent.
std::string SafeText(std::string_view text, std::size_t max_bytes);

}  // namespace tenancyd

// The one table from errors to HTTP: every tenancy::Errc, and the few
// failures that only exist at the HTTP layer (a malformed request, a header
// or body over its limit, no such route), each with its status, a stable
// snake_case `code` for the problem document, and a title.
//
// Rules the table encodes:
//  - a cross-tenant access (kTenantMismatch) answers exactly like a missing
//    object (404 `not_found`), so a resource's existence never leaks;
//  - server-side failures (storage, corruption, bugs) answer 500 and their
//    detail is replaced by a generic text, since library messages may name
//    files or internal state;
//  - 401 carries `WWW-Authenticate`, 429 and 503 carry `Retry-After`
//    (problem.cpp adds them).
//
// Thread safety: immutable data.
#pragma once

#include <boost/beast/http/status.hpp>

#include <string_view>

#include "tenancy/result.hpp"

namespace tenancyd {

// Failures that have no tenancy::Errc: they happen before a request exists.
enum class HttpFailure {
  kMalformedRequest,  // unparsable bytes, bad framing
  kHeaderTooLarge,    // the request line and headers exceed the limit
  kBodyTooLarge,      // the body exceeds the limit
  kRouteNotFound,     // no route has this path
  kMethodNotAllowed,  // a route has this path, not this method
  kRequestTimeout,    // the request did not arrive within the read timeout
  kServerBusy,        // the connection cap is reached
};

struct ErrorStatus {
  boost::beast::http::status status;
  std::string_view code;   // stable, snake_case; the problem's `code`
  std::string_view title;  // short, human, never varies with the occurrence
  // When set, the error's own message is not shown (it may reveal internal
  // state or another tenant's object); `generic_detail` is shown instead.
  bool hide_detail = false;
  std::string_view generic_detail{};
};

// The row of a library error code. Codes outside the enum answer 500.
const ErrorStatus& StatusOf(tenancy::Errc code) noexcept;
// The row of an HTTP-layer failure.
const ErrorStatus& StatusOf(HttpFailure failure) noexcept;

}  // namespace tenancyd

// tenancy/result.hpp — error values and Result<T>.
//
// Every expected failure in tenancy (not found, cross-tenant access, invalid
// input, suspended tenant, storage trouble) is returned as a value, never
// thrown. `Result<T>` is `boost::system::result<T, Error>`: test it with
// `if (!r)`, read `r.error()`, or call `r.value()` which throws
// `tenancy::Exception` on error (only for callers that want exceptions).
//
// `Errc` is registered as a `std::error_code` category ("tenancy"), so code
// that mixes tenancy with Asio/Beast errors can compare and log them alike.
//
// Thread safety: all types here are values; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "tenancy/export.hpp"

namespace tenancy {

// Stable error codes. The numeric values are part of the C ABI and the
// server's problem+json `code`; never renumber, only append.
enum class Errc : int {
  kOk = 0,
  kInvalidArgument = 1,     // bad input: malformed slug, oversized field, ...
  kNotFound = 2,            // no such object in the caller's tenant
  kAlreadyExists = 3,       // unique key taken
  kFailedPrecondition = 4,  // e.g. illegal lifecycle transition
  kPermissionDenied = 5,    // authenticated but not allowed
  kUnauthenticated = 6,     // no or bad credential
  kTenantUnknown = 7,       // the tenant does not exist (or is deleted)
  kTenantSuspended = 8,     // the tenant exists but may not act now
  kTenantMismatch = 9,      // object or credential belongs to another tenant
  kResourceExhausted = 10,  // quota or rate limit hit
  kConflict = 11,           // concurrent modification, constraint violation
  kStorage = 12,            // the storage engine failed (I/O, corruption)
  kUnavailable = 13,        // busy or temporarily unreachable; retry
  kMigrationFailed = 14,    // a schema migration failed for a tenant
  kDataCorrupted = 15,      // stored data fails an integrity check
  kUnimplemented = 16,      // the backend does not support this operation
  kInternal = 17,           // a bug: an invariant did not hold
};

// The `std::error_category` of `Errc` (name "tenancy").
TENANCY_EXPORT const std::error_category& ErrorCategory() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), ErrorCategory()};
}

// Short stable name of a code, e.g. "not_found". Never empty.
TENANCY_EXPORT std::string_view ErrcName(Errc e) noexcept;

// An error: a code for programs and a message for people. The message never
// contains secrets (keys, tokens, passwords); callers that build messages
// from input must keep to that rule.
struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string msg) : code(c), message(std::move(msg)) {}

  std::error_code ToErrorCode() const noexcept { return make_error_code(code); }
  // "not_found: tenant 'acme' has no vehicle 'v1'".
  TENANCY_EXPORT std::string ToString() const;

  friend bool operator==(const Error& a, Errc c) noexcept { return a.code == c; }
};

// Thrown only by `Result<T>::value()` on an error, for callers who chose
// exceptions. The library itself never throws across its API for expected
// failures.
class TENANCY_EXPORT Exception : public std::runtime_error {
 public:
  explicit Exception(Error e);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Found by ADL from boost::system::result<T, Error>::value().
[[noreturn]] TENANCY_EXPORT void throw_exception_from_error(
    const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

// Shorthand for building a failed result: `return Fail(Errc::kNotFound, "...")`.
inline Error Fail(Errc code, std::string message) {
  return Error(code, std::move(message));
}

}  // namespace tenancy

template <>
struct std::is_error_code_enum<tenancy::Errc> : std::true_type {};

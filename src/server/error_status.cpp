#include "error_status.hpp"

namespace tenancyd {
namespace {

using boost::beast::http::status;
using tenancy::Errc;

constexpr std::string_view kInternalDetail = "the server could not complete the request";

// Indexed by the numeric value of Errc, which result.hpp promises never to
// renumber; the static_asserts below keep the two in step.
constexpr ErrorStatus kByErrc[] = {
    /* kOk */ {status::internal_server_error, "internal", "Internal Server Error", true,
               kInternalDetail},
    /* kInvalidArgument */ {status::bad_request, "invalid_argument", "Invalid Argument"},
    /* kNotFound */ {status::not_found, "not_found", "Not Found"},
    /* kAlreadyExists */ {status::conflict, "already_exists", "Already Exists"},
    /* kFailedPrecondition */ {status::conflict, "failed_precondition", "Failed Precondition"},
    /* kPermissionDenied */ {status::forbidden, "permission_denied", "Permission Denied"},
    /* kUnauthenticated */ {status::unauthorized, "unauthenticated", "Unauthenticated"},
    /* kTenantUnknown */ {status::not_found, "tenant_unknown", "Unknown Tenant"},
    /* kTenantSuspended */ {status::forbidden, "tenant_suspended", "Tenant Suspended"},
    // Indistinguishable from a missing object: same status, code, title, detail.
    /* kTenantMismatch */ {status::not_found, "not_found", "Not Found", true, "no such resource"},
    /* kResourceExhausted */ {status::too_many_requests, "resource_exhausted",
                             "Too Many Requests"},
    /* kConflict */ {status::conflict, "conflict", "Conflict"},
    /* kStorage */ {status::internal_server_error, "storage_error", "Storage Error", true,
                    kInternalDetail},
    /* kUnavailable */ {status::service_unavailable, "unavailable", "Service Unavailable"},
    /* kMigrationFailed */ {status::internal_server_error, "migration_failed",
                            "Migration Failed", true, kInternalDetail},
    /* kDataCorrupted */ {status::internal_server_error, "data_corrupted", "Data Corrupted",
                          true, kInternalDetail},
    /* kUnimplemented */ {status::not_implemented, "unimplemented", "Not Implemented"},
    /* kInternal */ {status::internal_server_error, "internal", "Internal Server Error", true,
                     kInternalDetail},
};
static_assert(std::size(kByErrc) == static_cast<std::size_t>(Errc::kInternal) + 1,
              "every tenancy::Errc needs a row");

constexpr ErrorStatus kByFailure[] = {
    /* kMalformedRequest */ {status::bad_request, "malformed_request", "Malformed Request"},
    /* kHeaderTooLarge */ {status::request_header_fields_too_large, "header_too_large",
                           "Request Header Fields Too Large"},
    /* kBodyTooLarge */ {status::payload_too_large, "body_too_large", "Payload Too Large"},
    /* kRouteNotFound */ {status::not_found, "not_found", "Not Found", true, "no such resource"},
    /* kMethodNotAllowed */ {status::method_not_allowed, "method_not_allowed",
                             "Method Not Allowed"},
    /* kRequestTimeout */ {status::request_timeout, "request_timeout", "Request Timeout"},
    /* kServerBusy */ {status::service_unavailable, "server_busy", "Server Busy"},
};
static_assert(std::size(kByFailure) == static_cast<std::size_t>(HttpFailure::kServerBusy) + 1);

}  // namespace

const ErrorStatus& StatusOf(Errc code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < std::size(kByErrc) ? kByErrc[i] : kByErrc[static_cast<std::size_t>(Errc::kInternal)];
}

const ErrorStatus& StatusOf(HttpFailure failure) noexcept {
  return kByFailure[static_cast<std::size_t>(failure)];
}

}  // namespace tenancyd

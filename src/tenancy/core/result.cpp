#include "tenancy/result.hpp"

namespace tenancy {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tenancy"; }
  std::string message(int ev) const override {
    return std::string(ErrcName(static_cast<Errc>(ev)));
  }
};

}  // namespace

const std::error_category& ErrorCategory() noexcept {
  static const Category category;
  return category;
}

std::string_view ErrcName(Errc e) noexcept {
  switch (e) {
    case Errc::kOk: return "ok";
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kNotFound: return "not_found";
    case Errc::kAlreadyExists: return "already_exists";
    case Errc::kFailedPrecondition: return "failed_precondition";
    case Errc::kPermissionDenied: return "permission_denied";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kTenantUnknown: return "tenant_unknown";
    case Errc::kTenantSuspended: return "tenant_suspended";
    case Errc::kTenantMismatch: return "tenant_mismatch";
    case Errc::kResourceExhausted: return "resource_exhausted";
    case Errc::kConflict: return "conflict";
    case Errc::kStorage: return "storage";
    case Errc::kUnavailable: return "unavailable";
    case Errc::kMigrationFailed: return "migration_failed";
    case Errc::kDataCorrupted: return "data_corrupted";
    case Errc::kUnimplemented: return "unimplemented";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out(ErrcName(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

Exception::Exception(Error e)
    : std::runtime_error(e.ToString()), error_(std::move(e)) {}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw Exception(e);
}

}  // namespace tenancy

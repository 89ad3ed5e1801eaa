// Errors as values: the "tenancy" error category, stable code names,
// Error::ToString and the exception thrown by Result<T>::value().
#include "tenancy/result.hpp"

#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "support/catch_tenancy.hpp"

using namespace tenancy;

namespace {

// Every code with its documented wire name. The names are part of the
// server's problem+json and the C ABI, so they are spelled out here rather
// than derived: a rename must break this test.
const std::vector<std::pair<Errc, std::string>>& AllCodes() {
  static const std::vector<std::pair<Errc, std::string>> codes = {
      {Errc::kOk, "ok"},
      {Errc::kInvalidArgument, "invalid_argument"},
      {Errc::kNotFound, "not_found"},
      {Errc::kAlreadyExists, "already_exists"},
      {Errc::kFailedPrecondition, "failed_precondition"},
      {Errc::kPermissionDenied, "permission_denied"},
      {Errc::kUnauthenticated, "unauthenticated"},
      {Errc::kTenantUnknown, "tenant_unknown"},
      {Errc::kTenantSuspended, "tenant_suspended"},
      {Errc::kTenantMismatch, "tenant_mismatch"},
      {Errc::kResourceExhausted, "resource_exhausted"},
      {Errc::kConflict, "conflict"},
      {Errc::kStorage, "storage"},
      {Errc::kUnavailable, "unavailable"},
      {Errc::kMigrationFailed, "migration_failed"},
      {Errc::kDataCorrupted, "data_corrupted"},
      {Errc::kUnimplemented, "unimplemented"},
      {Errc::kInternal, "internal"},
  };
  return codes;
}

Result<int> Divide(int a, int b) {
  if (b == 0) return Fail(Errc::kInvalidArgument, "division by zero");
  return a / b;
}

}  // namespace

TEST_CASE("codes are numbered densely and never renumbered", "[result]") {
  const auto& codes = AllCodes();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    CAPTURE(codes[i].second);
    CHECK(static_cast<int>(codes[i].first) == static_cast<int>(i));
  }
  // The ABI-visible numbers the header promises.
  CHECK(static_cast<int>(Errc::kNotFound) == 2);
  CHECK(static_cast<int>(Errc::kTenantMismatch) == 9);
  CHECK(static_cast<int>(Errc::kInternal) == 17);
}

TEST_CASE("ErrcName gives every code its stable, distinct name", "[result]") {
  std::set<std::string> seen;
  for (const auto& [code, name] : AllCodes()) {
    CAPTURE(name);
    CHECK(ErrcName(code) == name);
    CHECK(seen.insert(std::string(ErrcName(code))).second);
  }
  CHECK(seen.size() == AllCodes().size());
  // A value outside the enum (e.g. from a newer peer) still has a name.
  const auto stray = static_cast<Errc>(4242);
  CHECK_FALSE(ErrcName(stray).empty());
  CHECK(seen.count(std::string(ErrcName(stray))) == 0);
}

TEST_CASE("Errc is a std::error_code in the \"tenancy\" category", "[result]") {
  CHECK(std::string(ErrorCategory().name()) == "tenancy");
  CHECK(&ErrorCategory() == &ErrorCategory());  // one category object

  for (const auto& [code, name] : AllCodes()) {
    CAPTURE(name);
    const std::error_code ec = code;  // implicit through is_error_code_enum
    CHECK(ec.value() == static_cast<int>(code));
    CHECK(&ec.category() == &ErrorCategory());
    CHECK(ec.message() == name);
    CHECK(ec == code);
    CHECK(ec == make_error_code(code));
    CHECK(Error(code, "x").ToErrorCode() == ec);
    // Only kOk is falsy; all errors convert to true.
    CHECK(static_cast<bool>(ec) == (code != Errc::kOk));
  }

  SECTION("codes of other categories with the same value are not equal") {
    const std::error_code not_found = Errc::kNotFound;
    const std::error_code generic = std::make_error_code(std::errc::no_such_file_or_directory);
    const std::error_code same_number(static_cast<int>(Errc::kNotFound), std::generic_category());
    CHECK(not_found != generic);
    CHECK(not_found != same_number);
    CHECK_FALSE(same_number == Errc::kNotFound);
    CHECK(not_found != std::error_code(Errc::kAlreadyExists));
  }
}

TEST_CASE("Error::ToString is name, colon, message", "[result]") {
  CHECK(Error(Errc::kNotFound, "tenant 'acme' has no vehicle 'v1'").ToString() ==
        "not_found: tenant 'acme' has no vehicle 'v1'");
  CHECK(Error(Errc::kTenantMismatch, "row names another tenant").ToString() ==
        "tenant_mismatch: row names another tenant");
  // No dangling separator without a message.
  CHECK(Error(Errc::kConflict, "").ToString() == "conflict");
  // The default error is an internal error, never a silent success.
  const Error def;
  CHECK(def.code == Errc::kInternal);
  CHECK(def.ToString() == "internal");
  CHECK(def == Errc::kInternal);
  CHECK_FALSE(def == Errc::kOk);
  // Messages are carried verbatim, even when they contain separators.
  CHECK(Error(Errc::kStorage, "a: b: c").ToString() == "storage: a: b: c");
}

TEST_CASE("Result carries a value or an error; value() throws tenancy::Exception", "[result]") {
  auto ok = Divide(12, 4);
  REQUIRE(ok);
  CHECK(*ok == 3);
  CHECK(ok.value() == 3);
  CHECK_NOTHROW(ok.value());

  auto bad = Divide(1, 0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
  CHECK(bad.error().message == "division by zero");

  try {
    (void)bad.value();
    FAIL("value() of an error did not throw");
  } catch (const Exception& e) {
    CHECK(e.error().code == Errc::kInvalidArgument);
    CHECK(e.error().message == "division by zero");
    CHECK(std::string(e.what()) == "invalid_argument: division by zero");
  }
  // It is a std::runtime_error, so generic handlers catch it too.
  CHECK_THROWS_AS(bad.value(), std::runtime_error);
  CHECK_THROWS_WITH(bad.value(), "invalid_argument: division by zero");

  SECTION("Result<void> works the same way") {
    Result<void> fine;
    CHECK(fine);
    CHECK_NOTHROW(fine.value());
    Result<void> failed = Fail(Errc::kTenantSuspended, "tenant is suspended");
    REQUIRE_FALSE(failed);
    CHECK(failed.error() == Errc::kTenantSuspended);
    CHECK_THROWS_AS(failed.value(), Exception);
  }
  SECTION("an Exception keeps its own copy of the error") {
    Error e(Errc::kStorage, "disk full");
    Exception ex(e);
    e.message = "changed";
    CHECK(ex.error().message == "disk full");
    CHECK(std::string(ex.what()) == "storage: disk full");
  }
}

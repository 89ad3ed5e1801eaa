// The one table from errors to HTTP, and the problem documents it renders.
#include "server_fixture.hpp"

#include <map>
#include <set>

#include "error_status.hpp"
#include "problem.hpp"

namespace tenancyd::testing {
namespace {

using tenancy::Errc;
using S = http::status;

// Written out independently of error_status.cpp: the contract, code by code.
const std::map<Errc, std::pair<S, std::string_view>>& Expected() {
  static const std::map<Errc, std::pair<S, std::string_view>> m = {
      {Errc::kOk, {S::internal_server_error, "internal"}},
      {Errc::kInvalidArgument, {S::bad_request, "invalid_argument"}},
      {Errc::kNotFound, {S::not_found, "not_found"}},
      {Errc::kAlreadyExists, {S::conflict, "already_exists"}},
      {Errc::kFailedPrecondition, {S::conflict, "failed_precondition"}},
      {Errc::kPermissionDenied, {S::forbidden, "permission_denied"}},
      {Errc::kUnauthenticated, {S::unauthorized, "unauthenticated"}},
      {Errc::kTenantUnknown, {S::not_found, "tenant_unknown"}},
      {Errc::kTenantSuspended, {S::forbidden, "tenant_suspended"}},
      {Errc::kTenantMismatch, {S::not_found, "not_found"}},
      {Errc::kResourceExhausted, {S::too_many_requests, "resource_exhausted"}},
      {Errc::kConflict, {S::conflict, "conflict"}},
      {Errc::kStorage, {S::internal_server_error, "storage_error"}},
      {Errc::kUnavailable, {S::service_unavailable, "unavailable"}},
      {Errc::kMigrationFailed, {S::internal_server_error, "migration_failed"}},
      {Errc::kDataCorrupted, {S::internal_server_error, "data_corrupted"}},
      {Errc::kUnimplemented, {S::not_implemented, "unimplemented"}},
      {Errc::kInternal, {S::internal_server_error, "internal"}},
  };
  return m;
}

bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

TEST_CASE("every Errc maps to its status and stable code, rendered as RFC 9457", "[server][problem]") {
  REQUIRE(Expected().size() == static_cast<std::size_t>(Errc::kInternal) + 1);
  for (const auto& [code, want] : Expected()) {
    const std::string message = "detail for " + std::string(tenancy::ErrcName(code));
    const ProblemInfo info{.request_id = "req-42", .instance = "/v1/things/7"};
    const Response res = ProblemResponse(tenancy::Error(code, message), info);
    INFO("errc " << tenancy::ErrcName(code) << " body " << res.body());
    CHECK(res.result() == want.first);
    CHECK(res[http::field::content_type] == "application/problem+json");
    const json::value v = BodyJson(res);
    const json::object& o = v.as_object();
    CHECK(o.size() == 7);
    CHECK(Str(v, "code") == want.second);
    CHECK(IsSnakeCase(Str(v, "code")));
    CHECK(Str(v, "type") == "urn:tenancy:problem:" + std::string(want.second));
    CHECK(o.at("status").as_int64() == static_cast<int>(want.first));
    CHECK(!Str(v, "title").empty());
    CHECK(Str(v, "instance") == "/v1/things/7");
    CHECK(Str(v, "request_id") == "req-42");
    const bool server_fault = static_cast<int>(want.first) >= 500 && want.first != S::not_implemented &&
                              want.first != S::service_unavailable;
    // Server-side failures and cross-tenant hits never show the library's text.
    if (server_fault || code == Errc::kTenantMismatch) {
      CHECK(Str(v, "detail").find(message) == std::string::npos);
    } else {
      CHECK(Str(v, "detail") == message);
    }
    CHECK(res.count(http::field::www_authenticate) == (want.first == S::unauthorized ? 1u : 0u));
    const bool retry = want.first == S::too_many_requests || want.first == S::service_unavailable;
    CHECK(res.count(http::field::retry_after) == (retry ? 1u : 0u));
  }
}

TEST_CASE("codes outside the enum answer 500 internal", "[server][problem]") {
  const Response res =
      ProblemResponse(tenancy::Error(static_cast<Errc>(999), "x"), ProblemInfo{.request_id = "r"});
  RequireProblem(res, S::internal_server_error, "internal");
}

TEST_CASE("a cross-tenant hit is indistinguishable from a missing route", "[server][problem]") {
  const ProblemInfo info{.request_id = "r1", .instance = "/v1/tenant"};
  const json::value mismatch =
      BodyJson(ProblemResponse(tenancy::Error(Errc::kTenantMismatch, "belongs to tenant tn_x"), info));
  const json::value missing = BodyJson(ProblemResponse(HttpFailure::kRouteNotFound, "nope", info));
  CHECK(mismatch == missing);
  CHECK(json::serialize(mismatch).find("tn_x") == std::string::npos);
}

TEST_CASE("retry-after and the bearer challenge", "[server][problem]") {
  ProblemInfo info{.request_id = "r"};
  info.retry_after = std::chrono::seconds(17);
  CHECK(ProblemResponse(tenancy::Error(Errc::kResourceExhausted, "slow down"), info)[http::field::retry_after] == "17");
  info.retry_after = std::chrono::seconds(0);
  CHECK(ProblemResponse(tenancy::Error(Errc::kUnavailable, "busy"), info)[http::field::retry_after] == "1");
  const Response none = ProblemResponse(tenancy::Error(Errc::kUnauthenticated, "x"), info);
  CHECK(none[http::field::www_authenticate] == R"(Bearer realm="tenancyd")");
  info.credential_presented = true;
  const Response bad = ProblemResponse(tenancy::Error(Errc::kUnauthenticated, "x"), info);
  CHECK(bad[http::field::www_authenticate].find(R"(error="invalid_token")") != std::string_view::npos);
}

TEST_CASE("HTTP-layer failures have their own rows", "[server][problem]") {
  CHECK(StatusOf(HttpFailure::kMalformedRequest).status == S::bad_request);
  CHECK(StatusOf(HttpFailure::kHeaderTooLarge).status == S::request_header_fields_too_large);
  CHECK(StatusOf(HttpFailure::kBodyTooLarge).status == S::payload_too_large);
  CHECK(StatusOf(HttpFailure::kRouteNotFound).status == S::not_found);
  CHECK(StatusOf(HttpFailure::kMethodNotAllowed).status == S::method_not_allowed);
  std::set<std::string_view> codes;
  for (auto f : {HttpFailure::kMalformedRequest, HttpFailure::kHeaderTooLarge, HttpFailure::kBodyTooLarge,
                 HttpFailure::kMethodNotAllowed})
    codes.insert(StatusOf(f).code);
  CHECK(codes.size() == 4);
  for (auto c : codes) CHECK(IsSnakeCase(c));
}

TEST_CASE("SafeText keeps valid UTF-8 and neutralises hostile bytes", "[server][problem]") {
  CHECK(SafeText("plain", 100) == "plain");
  CHECK(SafeText("Zürich — ok", 100) == "Zürich — ok");
  CHECK(SafeText("a\r\nb\x01", 100) == "a??b?");
  CHECK(SafeText("\xff\xfe", 100) == "??");
  CHECK(SafeText("\xc0\xaf", 100) == "??");        // overlong '/'
  CHECK(SafeText("\xed\xa0\x80", 100) == "???");   // a surrogate
  CHECK(SafeText("\xe2\x82", 100) == "??");        // truncated sequence
  CHECK(SafeText("ab\xe2\x82\xac", 3) == "ab");    // never cuts a character
  CHECK(SafeText(std::string(1000, 'x'), 10).size() == 10);
  // Whatever goes in, the problem document stays valid JSON.
  const Response res =
      ProblemResponse(tenancy::Error(Errc::kInvalidArgument, "bad \xff\"\\ input"),
                      ProblemInfo{.request_id = "r", .instance = "/\xc3"});
  boost::system::error_code ec;
  (void)json::parse(res.body(), ec);
  CHECK(!ec);
}

}  // namespace
}  // namespace tenancyd::testing

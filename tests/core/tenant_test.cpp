// Tenant values: ids, slugs, domains, tiers and the lifecycle table.
#include "tenancy/tenant.hpp"

#include <array>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>

#include "support/catch_tenancy.hpp"

using namespace tenancy;
using namespace std::string_literals;

namespace {

constexpr std::array<TenantState, 6> kAllStates = {
    TenantState::kProvisioning, TenantState::kActive,      TenantState::kSuspended,
    TenantState::kQuarantined,  TenantState::kOffboarding, TenantState::kDeleted};

bool IsCanonicalId(std::string_view s) {
  if (s.size() != 19 || s.substr(0, 3) != "tn_") return false;
  for (char c : s.substr(3))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// The lifecycle drawn in tenant.hpp, written out edge by edge:
//   provisioning → active, offboarding
//   active       → suspended, quarantined, offboarding
//   suspended    → active, offboarding
//   quarantined  → active, suspended, offboarding
//   offboarding  → deleted
//   deleted      → (nothing)
// No state moves to itself, nothing returns to provisioning, nothing skips
// offboarding on its way to deleted, and suspended never jumps to
// quarantined.
bool Expected(TenantState from, TenantState to) {
  using S = TenantState;
  switch (from) {
    case S::kProvisioning:
      return to == S::kActive || to == S::kOffboarding;
    case S::kActive:
      return to == S::kSuspended || to == S::kQuarantined || to == S::kOffboarding;
    case S::kSuspended:
      return to == S::kActive || to == S::kOffboarding;
    case S::kQuarantined:
      return to == S::kActive || to == S::kSuspended || to == S::kOffboarding;
    case S::kOffboarding:
      return to == S::kDeleted;
    case S::kDeleted:
      return false;
  }
  return false;
}

}  // namespace

TEST_CASE("TenantId::Parse accepts only the canonical form", "[tenant]") {
  SECTION("canonical ids round-trip") {
    for (const char* text : {"tn_0000000000000000", "tn_ffffffffffffffff", "tn_0123456789abcdef",
                             "tn_a1b2c3d4e5f60789"}) {
      CAPTURE(text);
      auto id = TenantId::Parse(text);
      REQUIRE(id);
      CHECK(id->str() == text);
      CHECK_FALSE(id->empty());
    }
  }
  SECTION("everything else is kInvalidArgument") {
    const std::string bad[] = {
        "",
        "tn_",
        "tn_000000000000000",    // 15 digits
        "tn_00000000000000000",  // 17 digits
        "TN_0123456789abcdef",   // upper-case prefix
        "tn_0123456789ABCDEF",   // upper-case hex
        "tn_0123456789abcdeF",
        "tn-0123456789abcdef",  // wrong separator
        "tn0123456789abcdef0",
        "xx_0123456789abcdef",
        "tn_0123456789abcdeg",   // not hex
        " tn_0123456789abcdef",  // surrounding space
        "tn_0123456789abcdef ",
        "tn_0123456789abcdef\n",
        "tn_01234567 9abcdef",
        "tn_0123456789abcde\0"s,  // embedded NUL
        "tn_0123456789abcdef\0"s,
        "tn_0123456789abcd\xc3\xa9",
        "tn_0x23456789abcdef",
        "tn_-123456789abcdef",
        "tn_0123456789abcdef/../x",
        "tn_0123456789abcdef0123456789abcdef",
    };
    for (const auto& text : bad) {
      CAPTURE(text, text.size());
      auto id = TenantId::Parse(text);
      REQUIRE_FALSE(id);
      CHECK(id.error().code == Errc::kInvalidArgument);
    }
  }
  SECTION("the default id is empty and parses from nothing") {
    TenantId none;
    CHECK(none.empty());
    CHECK(none.str().empty());
    CHECK_FALSE(TenantId::Parse(none.str()));
  }
}

TEST_CASE("TenantId::Generate makes fresh canonical ids", "[tenant]") {
  std::unordered_set<TenantId> seen;
  std::array<std::size_t, 16> digit_counts{};
  for (int i = 0; i < 2000; ++i) {
    TenantId id = TenantId::Generate();
    CAPTURE(id.str());
    REQUIRE(IsCanonicalId(id.str()));
    auto parsed = TenantId::Parse(id.str());
    REQUIRE(parsed);
    CHECK(*parsed == id);
    CHECK(seen.insert(id).second);
    for (char c : id.str().substr(3))
      ++digit_counts[static_cast<std::size_t>(c <= '9' ? c - '0' : c - 'a' + 10)];
  }
  CHECK(seen.size() == 2000);
  // 32,000 random hex digits: each of the 16 values is expected 2,000 times.
  // A generator that never emits some digit (e.g. decimal-only) fails here.
  for (std::size_t d = 0; d < digit_counts.size(); ++d) {
    CAPTURE(d);
    CHECK(digit_counts[d] > 1500);
    CHECK(digit_counts[d] < 2500);
  }
}

TEST_CASE("TenantId compares and hashes by value", "[tenant]") {
  auto a = TenantId::Parse("tn_0000000000000001").value();
  auto a2 = TenantId::Parse("tn_0000000000000001").value();
  auto b = TenantId::Parse("tn_0000000000000002").value();
  CHECK(a == a2);
  CHECK(a != b);
  CHECK(a < b);
  CHECK(std::hash<TenantId>{}(a) == std::hash<TenantId>{}(a2));
  std::set<TenantId> ordered{b, a, a2};
  CHECK(ordered.size() == 2);
  CHECK(ordered.begin()->str() == "tn_0000000000000001");
}

TEST_CASE("IsValidSlug follows DNS label rules", "[tenant]") {
  const std::string max63(63, 'a');
  const std::string too_long(64, 'a');
  for (const std::string& ok : {"a"s, "z"s, "0"s, "9"s, "acme"s, "acme-cabs"s, "a-b-c"s, "a--b"s,
                                "123"s, "0-0"s, "x1"s, max63, "a" + std::string(61, '-') + "z"}) {
    CAPTURE(ok);
    CHECK(IsValidSlug(ok));
  }
  for (const std::string& bad :
       {""s,       "-"s,         "--"s,        "-acme"s,       "acme-"s,  "Acme"s,
        "ACME"s,   "acme_cabs"s, "acme.cabs"s, "acme cabs"s,   " acme"s,  "acme "s,
        "acme\n"s, "ac\0me"s,    "acme\0"s,    "caf\xc3\xa9"s, "acme/x"s, "../x"s,
        "acme;"s,  "a'b"s,       "a\"b"s,      "a*"s,          too_long,  too_long + "a"}) {
    CAPTURE(bad, bad.size());
    CHECK_FALSE(IsValidSlug(bad));
  }
}

TEST_CASE("IsValidTier accepts short lower-case names", "[tenant]") {
  for (const std::string& ok : {"free"s, "standard"s, "premium"s, "enterprise"s, "x"s, "gold_2"s,
                                "pay-as-you-go"s, "_"s, "-"s, std::string(32, 'a')}) {
    CAPTURE(ok);
    CHECK(IsValidTier(ok));
  }
  for (const std::string& bad : {""s, "Free"s, "free tier"s, "free.tier"s, "free\n"s, "fr\0ee"s,
                                 "gr\xc3\xbcn"s, std::string(33, 'a')}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidTier(bad));
  }
}

TEST_CASE("IsValidDomain accepts lower-case host names of two or more labels", "[tenant]") {
  const std::string label63(63, 'a');
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, the longest host name.
  const std::string max253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  REQUIRE(max253.size() == 253);
  for (const std::string& ok : {"acme.example"s, "rides.acme.example"s, "a.b"s, "1.2"s,
                                "xn--bcher-kva.example"s, "a-b.c-d.e"s, label63 + ".com", max253}) {
    CAPTURE(ok);
    CHECK(IsValidDomain(ok));
  }
  for (const std::string& bad : {""s,
                                 "."s,
                                 ".."s,
                                 "acme"s,
                                 "localhost"s,
                                 "acme."s,
                                 ".acme.example"s,
                                 "acme..example"s,
                                 "acme.example."s,
                                 "Acme.example"s,
                                 "acme.EXAMPLE"s,
                                 "-acme.example"s,
                                 "acme-.example"s,
                                 "acme.-example"s,
                                 "acme_cabs.example"s,
                                 "acme .example"s,
                                 "acme.example:443"s,
                                 "acme.example/x"s,
                                 "http://acme.example"s,
                                 "*.acme.example"s,
                                 "acme.exa\0mple"s,
                                 "b\xc3\xbc"
                                 "cher.example"s,
                                 std::string(64, 'a') + ".com",
                                 max253 + "b",
                                 "a." + max253}) {
    CAPTURE(bad, bad.size());
    CHECK_FALSE(IsValidDomain(bad));
  }
}

TEST_CASE("the lifecycle table matches tenant.hpp for every pair of states", "[tenant]") {
  std::size_t allowed = 0;
  for (TenantState from : kAllStates) {
    for (TenantState to : kAllStates) {
      CAPTURE(ToString(from), ToString(to));
      const bool expect = Expected(from, to);
      CHECK(IsTransitionAllowed(from, to) == expect);
      auto check = CheckTransition(from, to);
      CHECK(static_cast<bool>(check) == expect);
      if (!check) {
        CHECK(check.error().code == Errc::kFailedPrecondition);
        // The message names both states, so an operator can tell what failed.
        CHECK_THAT(check.error().message, Catch::Contains(std::string(ToString(from))));
        CHECK_THAT(check.error().message, Catch::Contains(std::string(ToString(to))));
      }
      allowed += expect ? 1 : 0;
    }
  }
  CHECK(allowed == 11);
  // Out-of-range states never transition.
  const auto stray = static_cast<TenantState>(200);
  for (TenantState s : kAllStates) {
    CHECK_FALSE(IsTransitionAllowed(stray, s));
    CHECK_FALSE(IsTransitionAllowed(s, stray));
  }
}

TEST_CASE("IsLive holds only for active and quarantined tenants", "[tenant]") {
  for (TenantState s : kAllStates) {
    CAPTURE(ToString(s));
    Tenant t;
    t.state = s;
    CHECK(t.IsLive() == (s == TenantState::kActive || s == TenantState::kQuarantined));
  }
}

TEST_CASE("states and models round-trip through their names", "[tenant]") {
  std::set<std::string_view> names;
  for (TenantState s : kAllStates) {
    CAPTURE(ToString(s));
    auto parsed = ParseTenantState(ToString(s));
    REQUIRE(parsed);
    CHECK(*parsed == s);
    CHECK(names.insert(ToString(s)).second);
  }
  CHECK(ToString(TenantState::kProvisioning) == "provisioning");
  CHECK(ToString(TenantState::kActive) == "active");
  CHECK(ToString(TenantState::kSuspended) == "suspended");
  CHECK(ToString(TenantState::kQuarantined) == "quarantined");
  CHECK(ToString(TenantState::kOffboarding) == "offboarding");
  CHECK(ToString(TenantState::kDeleted) == "deleted");

  for (IsolationModel m :
       {IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated}) {
    CAPTURE(ToString(m));
    auto parsed = ParseIsolationModel(ToString(m));
    REQUIRE(parsed);
    CHECK(*parsed == m);
  }
  CHECK(ToString(IsolationModel::kShared) == "shared");
  CHECK(ToString(IsolationModel::kDatabase) == "database");
  CHECK(ToString(IsolationModel::kDedicated) == "dedicated");

  // The "unknown" fallback of out-of-range values must not parse back.
  CHECK_FALSE(ParseTenantState(ToString(static_cast<TenantState>(99))));
  CHECK_FALSE(ParseIsolationModel(ToString(static_cast<IsolationModel>(99))));

  for (const std::string& bad : {""s, "Active"s, "ACTIVE"s, " active"s, "active "s, "activ"s,
                                 "actives"s, "active\0"s, "1"s, "unknown"s}) {
    CAPTURE(bad);
    auto s = ParseTenantState(bad);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::kInvalidArgument);
  }
  for (const std::string& bad :
       {""s, "Shared"s, "shared "s, "share"s, "db"s, "dedicated\0"s, "0"s, "unknown"s}) {
    CAPTURE(bad);
    auto m = ParseIsolationModel(bad);
    REQUIRE_FALSE(m);
    CHECK(m.error().code == Errc::kInvalidArgument);
  }
}

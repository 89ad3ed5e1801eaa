// The audit trail: the accounting sink (step 7) that appends every
// control-plane and admin action to the audit log (tenancy/audit.hpp).
//
// One table (AuditedRoutes) names the routes that are actions: method +
// pattern → action name, a target built from the route's parameters
// ("tenant:{tenant}" → "tenant:tn_…") and the chains the entry goes to.
// Because the sink sees every request once it is answered, refusals are
// recorded the same way as successes, with no code in the handlers:
//   success   a 2xx/3xx answer
//   denied    403, 404 or 429 after the caller was authenticated (no
//             permission, another tenant's object, a suspended or
//             read-only tenant, a quota)
//   failed    any other 4xx (validation) or 5xx, with its code
// Handlers that know more attach it to the exchange (Exchange::audit,
// exchange.hpp): the tenant an onboarding created, the id of a key just
// made, a reason. Read-only GETs and the data plane (fleet, rides,
// locations) are not in the table: an append is a synchronous SQLite
// write (~30-50 µs), fine for admin actions, not for every ride.
//
// Who: the caller's context (AuditActorOf) or, for a caller refused before
// a context existed, its principal. Requests without an authenticated
// caller are not recorded (anyone could fill the chain), except on the two
// public routes whose handler notes what happened: a sign-up that created
// a tenant, and a token refused to a client that proved its key.
//
// Chains:
//   operator actions (platform routes)  the platform chain, and the target
//                                       tenant's when it exists
//   tenant admin actions                the tenant's chain
//   impersonation (an operator inside   the tenant's chain and the
//   a tenant, any route, GETs too)      platform's
//   a tenant credential refused on      the platform chain only (the other
//   another tenant's address            tenant must not learn the caller)
// Entries of one request share its request id.
//
// Secrets: route parameters reach a target only when they look like ids
// or slugs (lowercase), anything else reads "[redacted]"; free text a
// handler notes goes through ScrubCredentials; handlers never note key
// material, webhook secrets or URLs (which may carry credentials).
//
// Failures: an append that fails (storage) cannot fail a request already
// answered: it is counted (failures()) and the request goes on.
//
// Thread safety: Record() is called concurrently; the table is immutable
// and the log and directory are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http.hpp"
#include "middleware/accounting.hpp"
#include "tenancy/audit.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {

// Which chains an audited route's entries go to.
enum class AuditChains : std::uint8_t {
  // Operator actions: the platform's chain, and the tenant's when the
  // action names or created one that exists.
  kPlatformAndTenant,
  // Tenant actions: the tenant's chain (see the header comment for
  // impersonation and refusals before a context).
  kTenant,
};

struct AuditedRoute {
  http::verb method = http::verb::unknown;
  std::string_view pattern{};  // exactly the router's pattern
  std::string_view action{};   // tenancy::IsValidAuditAction
  // What was acted on; "{name}" is replaced by the route's parameter
  // (through SafeTargetPart; {tenant} by the tenant's id when it exists).
  std::string_view target{};
  AuditChains chains = AuditChains::kTenant;
  // A public route: recorded only when its handler noted the action.
  bool only_noted = false;
};

// Every audited route (see the header comment). Immutable.
std::span<const AuditedRoute> AuditedRoutes() noexcept;

// The action of an impersonated request on a route the table does not
// name (reads, the data plane): the operator's presence is the action.
inline constexpr std::string_view kImpersonateAction = "tenant.impersonate";

class AuditTrail final : public Accounting {
 public:
  // REQUIRES: `log` and `directory` outlive the trail.
  AuditTrail(tenancy::AuditLog& log, const tenancy::Directory& directory);

  void Record(const AccountingRecord& record) noexcept override;

  // The entries `record` leads to (what Record appends), in append order:
  // none for a request that is not an action.
  std::vector<tenancy::AuditEntry> EntriesOf(const AccountingRecord& record) const;

  // Entries appended, and appends that failed, since the trail was made.
  std::uint64_t appended() const noexcept { return appended_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  const AuditedRoute* Find(http::verb method, std::string_view pattern) const noexcept;

  tenancy::AuditLog& log_;
  const tenancy::Directory& directory_;
  // Keys view the table's static patterns.
  std::unordered_map<std::string_view, std::vector<const AuditedRoute*>> by_pattern_;
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> failures_{0};
};

// `value` (a route parameter) as it may stand in a target: kept when it is
// 1-64 of [a-z0-9_-] (every id and slug is), else "[redacted]" — a
// credential pasted into a path (an API key, a token, a webhook secret)
// never reaches the chain.
std::string SafeTargetPart(std::string_view value);

// Free text (an operator's reason) for an entry's details: words that look
// like credentials — an API key ("tk."), a webhook secret ("whsec_"), a
// JWT, the word after "Bearer"/"Basic", `name=value` or `name:value` whose
// name is a credential's (tenancy::IsCredentialFieldName), and long
// random-looking words — become "[redacted]"; control characters become
// spaces; the result is cut to `max_bytes` (at a UTF-8 boundary).
std::string ScrubCredentials(std::string_view text, std::size_t max_bytes = 500);

}  // namespace tenancyd

// tenancy/tenant.hpp — the tenant: identity, tier, isolation model, lifecycle.
//
// A `Tenant` is a value: a snapshot of the directory's record at one moment.
// The directory (directory.hpp) owns the authoritative copy; contexts carry a
// snapshot. Lifecycle:
//
//   provisioning ─→ active ⇄ suspended
//        │            ⇅   ↖     │
//        │        quarantined ──┘ (→ suspended)
//        └──────────→ offboarding ─→ deleted     (from any live state)
//
// Thread safety: values; share freely once built.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"

namespace tenancy {

// A tenant's identifier: "tn_" followed by 16 lowercase hex digits. Opaque,
// random, never reused, safe in file names and SQL identifiers.
class TENANCY_EXPORT TenantId {
 public:
  TenantId() = default;  // the empty id; never names a tenant

  // Accepts only the canonical form; kInvalidArgument otherwise.
  static Result<TenantId> Parse(std::string_view text);
  // A fresh random id (libsodium's CSPRNG).
  static TenantId Generate();

  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const TenantId&, const TenantId&) = default;
  friend auto operator<=>(const TenantId&, const TenantId&) = default;

 private:
  explicit TenantId(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

enum class IsolationModel : std::uint8_t {
  kShared = 0,     // shared tables; tenant_id enforced by the library
  kDatabase = 1,   // one database (SQLite file / PostgreSQL schema) per tenant
  kDedicated = 2,  // the tenant's own data directory or server (placement)
};

enum class TenantState : std::uint8_t {
  kProvisioning = 0,
  kActive = 1,
  kSuspended = 2,
  kQuarantined = 3,
  kOffboarding = 4,
  kDeleted = 5,
};

TENANCY_EXPORT std::string_view ToString(IsolationModel m) noexcept;
TENANCY_EXPORT std::string_view ToString(TenantState s) noexcept;
TENANCY_EXPORT Result<IsolationModel> ParseIsolationModel(std::string_view text);
TENANCY_EXPORT Result<TenantState> ParseTenantState(std::string_view text);

// True when the lifecycle permits `from → to` (see the diagram above).
TENANCY_EXPORT bool IsTransitionAllowed(TenantState from, TenantState to) noexcept;
// kFailedPrecondition naming both states when the transition is illegal.
TENANCY_EXPORT Result<void> CheckTransition(TenantState from, TenantState to);

// True for a DNS label: 1–63 of [a-z0-9-], not starting or ending with '-'.
TENANCY_EXPORT bool IsValidSlug(std::string_view slug) noexcept;
// True for a tier name: 1–32 of [a-z0-9_-].
TENANCY_EXPORT bool IsValidTier(std::string_view tier) noexcept;
// True for a host name: dot-separated DNS labels, 1–253 chars, ≥ 2 labels.
TENANCY_EXPORT bool IsValidDomain(std::string_view domain) noexcept;

inline constexpr std::size_t kMaxDisplayNameBytes = 200;

struct Tenant {
  TenantId id{};
  std::string slug{};          // unique among live tenants; a DNS label
  std::string display_name{};  // UTF-8, at most kMaxDisplayNameBytes
  std::string tier{};          // plan tier, e.g. "free", "standard", "enterprise"
  IsolationModel model = IsolationModel::kShared;
  TenantState state = TenantState::kProvisioning;
  // Where the tenant's data lives. Empty for the shared and database models
  // (the store decides); for `kDedicated`, the data directory (SQLite) or
  // connection string (PostgreSQL) the tenant is pinned to.
  std::string placement{};
  std::optional<std::string> custom_domain{};  // e.g. "rides.acme.example"
  TimePoint created_at{};
  TimePoint updated_at{};
  std::int64_t revision = 0;  // bumped by every change; for optimistic checks

  // Whether the tenant may serve data-plane requests at all.
  bool IsLive() const noexcept {
    return state == TenantState::kActive || state == TenantState::kQuarantined;
  }
};

}  // namespace tenancy

template <>
struct std::hash<tenancy::TenantId> {
  std::size_t operator()(const tenancy::TenantId& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};

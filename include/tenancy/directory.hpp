// tenancy/directory.hpp — the control plane's tenant directory.
//
// The directory is the authority on which tenants exist, their tier,
// isolation model, placement and lifecycle state. It persists to its own
// control-plane database (a SQLite file), keeps an in-memory index for
// lookups on the request path, and drives the Store to create and remove
// each tenant's data namespace.
//
//   auto store = tenancy::Store::Open("sqlite:./data", schema).value();
//   auto dir = tenancy::Directory::Open({.path = "./data/control.db"}, *store).value();
//   auto acme = dir->Provision({.slug = "acme", .display_name = "ACME Cabs",
//                               .tier = "standard"});
//
// Models follow tiers (TierPolicy) unless a request names one: the hybrid
// of the design, where free and standard tenants share tables, premium
// tenants get a database each, and enterprise tenants a dedicated placement.
//
// Thread safety: all methods are safe to call concurrently. Lookups read the
// in-memory index under a shared lock; changes are serialized.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/result.hpp"
#include "tenancy/store.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

// Which isolation model a tier gets by default.
struct TierPolicy {
  std::map<std::string, IsolationModel, std::less<>> models = {
      {"free", IsolationModel::kShared},
      {"standard", IsolationModel::kShared},
      {"premium", IsolationModel::kDatabase},
      {"enterprise", IsolationModel::kDedicated},
  };
  std::string default_tier = "standard";  // used when a request names none
};

struct DirectoryOptions {
  // The control-plane database file; created on first use.
  std::string path{};
  TierPolicy tiers{};
  // Parent directory of default dedicated placements; empty: a "dedicated"
  // directory beside `path`.
  std::string dedicated_root{};
  // Source of timestamps. Never null; must outlive the directory.
  Clock* clock = &SystemClock();
  // When set, provisioning creates the tenant's data key and offboarding
  // destroys every version of it (crypto-shredding). Must outlive the
  // directory.
  Keyring* keyring = nullptr;
};

struct ProvisionRequest {
  std::string slug{};          // REQUIRES a DNS label; the idempotency key
  std::string display_name{};  // empty: the slug
  std::string tier{};          // empty: TierPolicy::default_tier
  std::optional<IsolationModel> model{};  // empty: by tier
  std::string placement{};     // dedicated only; empty: <dedicated_root>/<id>
  std::optional<std::string> custom_domain{};
};

struct ProvisionResult {
  Tenant tenant{};
  bool created = false;  // false when the slug already named this tenant
};

struct TenantUpdate {
  std::optional<std::string> display_name{};
  std::optional<std::string> tier{};  // does not move data between models
  // Set to std::optional<std::string>{} to clear the domain.
  std::optional<std::optional<std::string>> custom_domain{};
};

struct TenantFilter {
  std::optional<TenantState> state{};
  std::optional<std::string> tier{};
  std::optional<IsolationModel> model{};
  bool include_deleted = false;
  std::size_t limit = 100;  // 1..1000
  std::string after{};        // next_cursor of the previous page
};

struct TenantPage {
  std::vector<Tenant> items{};  // ordered by id
  std::string next_cursor{};    // empty at the end
};

class TENANCY_EXPORT Directory {
 public:
  // Opens (creating if needed) the control-plane database and loads the
  // index. REQUIRES: `store` outlives the directory.
  static Result<std::unique_ptr<Directory>> Open(DirectoryOptions options, Store& store);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Creates a tenant and its namespace, then activates it. Idempotent by
  // slug: the same request again returns the existing tenant (created =
  // false), and resumes a provisioning that failed half-way. Errors:
  // kInvalidArgument (slug, tier, domain, name, placement), kAlreadyExists
  // (slug taken with other settings, domain taken), kStorage.
  Result<ProvisionResult> Provision(const ProvisionRequest& request);

  // Lookups from the in-memory index. By id also finds deleted tenants
  // (tombstones); by slug and domain only live ones. kTenantUnknown if none.
  Result<std::shared_ptr<const Tenant>> Get(const TenantId& id) const;
  Result<std::shared_ptr<const Tenant>> GetBySlug(std::string_view slug) const;
  Result<std::shared_ptr<const Tenant>> GetByDomain(std::string_view domain) const;

  Result<TenantPage> List(const TenantFilter& filter) const;

  // Calls `fn` for every tenant matching `filter`, in id order, reading the
  // directory one List page at a time (`filter.limit` tenants a page, so a
  // walk over everything usually sets it to the maximum, 1000), starting
  // after `filter.after` when that is set. Stops, successfully, at the first
  // `fn` that returns false. On success returns once the last page is done;
  // on failure returns the failing page's List error (kInvalidArgument for a
  // bad limit or cursor, kStorage), and the tenants of earlier pages have
  // already been visited. An error inside `fn` is the caller's to carry out:
  // capture it and return false.
  //
  // Changes during the walk: `fn` runs with no lock held and may call any
  // method, changes included. This is a cursor walk, not a snapshot: each
  // page holds its tenants as they were when it was read, the next page
  // starts after the last id of the one before, and the walk ends after the
  // first page with nothing beyond it. So each tenant is visited at most
  // once, and one that exists and matches throughout exactly once. A tenant
  // added (or changed to match) during the walk is visited when its id is
  // after the last id read so far and that page was not the final one, and
  // not otherwise; one removed (or changed not to match) before its page is
  // read is not visited.
  Result<void> ForEachTenant(const TenantFilter& filter,
                             const std::function<bool(const Tenant&)>& fn) const;

  // Number of tenants that are not deleted.
  std::size_t live_count() const;

  Result<Tenant> Update(const TenantId& id, const TenantUpdate& update);

  // Moves a tenant along its lifecycle (see tenant.hpp) and records why.
  // Offboarding and deletion go through Offboard. kFailedPrecondition for an
  // illegal transition, kTenantUnknown for an unknown tenant.
  Result<Tenant> ChangeState(const TenantId& id, TenantState to, std::string_view reason);

  // Removes the tenant's data per its model, destroys its data keys (when a
  // keyring is configured) and marks it deleted; its slug and domain become
  // free. Resumes an offboarding that failed half-way.
  Result<Tenant> Offboard(const TenantId& id, std::string_view reason);

  // Mints the context of an authenticated principal acting in a tenant.
  // kTenantUnknown for unknown or deleted tenants; kTenantSuspended when the
  // tenant is suspended, provisioning or offboarding (platform operators may
  // still act in a suspended tenant).
  Result<TenantContext> MintContext(const TenantId& id, Principal principal,
                                    std::vector<std::string> roles, std::string request_id,
                                    std::string trace_id = {}) const;

  // The lifecycle history of a tenant, oldest first.
  struct Transition {
    TenantState from, to;
    std::string reason{};
    TimePoint at{};
  };
  Result<std::vector<Transition>> History(const TenantId& id) const;

  Store& store() const noexcept { return store_; }

 private:
  struct Impl;
  Directory(std::unique_ptr<Impl> impl, Store& store);
  std::unique_ptr<Impl> impl_;
  Store& store_;
};

}  // namespace tenancy

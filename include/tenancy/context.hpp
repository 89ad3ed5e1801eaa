// tenancy/context.hpp — TenantContext: who acts, for which tenant, in which request.
//
// Every operation on tenant data takes a `const TenantContext&`; there is no
// overload without one, so code that forgets the tenant does not compile.
// A context is immutable and cheap to copy (it shares one frozen block).
// Pass it explicitly: coroutines hop threads, so thread-locals would lie.
//
// Contexts cannot be built by hand. They are minted by the directory
// (`Directory::MintContext`) after the caller has been authenticated, and by
// the platform operator's audited impersonation path. A request handler
// receives a context; it never makes one.
//
// Thread safety: immutable; share freely.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/export.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

enum class PrincipalKind : std::uint8_t {
  kUser = 0,              // a person signed in to a tenant
  kApiKey = 1,            // a tenant's API key
  kService = 2,           // a workload acting for the tenant
  kPlatformOperator = 3,  // platform staff, acting inside a tenant by impersonation
  kSystem = 4,            // the platform itself (migrations, background jobs)
};

struct Principal {
  std::string id{};  // stable id within its kind, e.g. a user id or key id
  PrincipalKind kind = PrincipalKind::kUser;
};

class Directory;

namespace detail {
// The passkey that only the context's minters can make.
class ContextKey {
  friend class ::tenancy::Directory;
  ContextKey() = default;
};
}  // namespace detail

class TENANCY_EXPORT TenantContext {
 public:
  struct Parts {
    std::shared_ptr<const Tenant> tenant{};  // REQUIRES: non-null
    Principal principal{};
    std::vector<std::string> roles{};
    std::string request_id{};
    std::string trace_id{};  // W3C trace id (32 hex) or empty
  };
  TenantContext(detail::ContextKey, Parts parts);

  // The tenant snapshot taken when the context was minted.
  const Tenant& tenant() const noexcept { return *data_->tenant; }
  const TenantId& tenant_id() const noexcept { return data_->tenant->id; }
  const std::shared_ptr<const Tenant>& tenant_snapshot() const noexcept { return data_->tenant; }
  const Principal& principal() const noexcept { return data_->principal; }
  std::span<const std::string> roles() const noexcept { return data_->roles; }
  bool HasRole(std::string_view role) const noexcept;
  const std::string& request_id() const noexcept { return data_->request_id; }
  const std::string& trace_id() const noexcept { return data_->trace_id; }

 private:
  std::shared_ptr<const Parts> data_;
};

}  // namespace tenancy

#include "tenancy/context.hpp"

#include <algorithm>
#include <cstdlib>

namespace tenancy {

TenantContext::TenantContext(detail::ContextKey, Parts parts) {
  if (!parts.tenant) std::abort();  // a context without a tenant is a bug
  data_ = std::make_shared<const Parts>(std::move(parts));
}

bool TenantContext::HasRole(std::string_view role) const noexcept {
  return std::any_of(data_->roles.begin(), data_->roles.end(),
                     [&](const std::string& r) { return r == role; });
}

}  // namespace tenancy

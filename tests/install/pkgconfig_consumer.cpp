// Built with nothing but `pkg-config --cflags --libs tenancy`.
#include <cstdio>

#include "tenancy/tenant.hpp"

int main() {
  const bool ok = tenancy::IsValidSlug("city-cabs") && !tenancy::IsValidSlug("-bad");
  if (!ok) return 1;
  std::printf("%s\n", std::string(tenancy::ErrcName(tenancy::Errc::kTenantUnknown)).c_str());
  return 0;
}

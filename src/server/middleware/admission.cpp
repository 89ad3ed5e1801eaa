// Step 5: admission (tenant state, then the plugged-in checks).
#include "middleware/admission.hpp"

#include "router.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;
using tenancy::TenantState;

tenancy::Result<void> Admit(std::span<Admission* const> plugins, Exchange& x) {
  if (!x.context) return Fail(Errc::kInternal, "admission without a context");
  // The snapshot in the context: an operator's impersonation may reach a
  // tenant the resolver would have refused, so the state is checked here
  // as well.
  switch (x.context->tenant().state) {
    case TenantState::kActive:
    case TenantState::kQuarantined:  // reduced budgets are the plugins' business
      break;
    case TenantState::kDeleted:
      return Fail(Errc::kTenantUnknown, "no such tenant");
    case TenantState::kSuspended:
    case TenantState::kProvisioning:
    case TenantState::kOffboarding:
      return Fail(Errc::kTenantSuspended,
                  "tenant is " + std::string(tenancy::ToString(x.context->tenant().state)));
  }
  for (Admission* plugin : plugins) {
    AdmissionVerdict v = plugin->Admit(*x.context, *x.route);
    if (v.refusal) {
      x.retry_after = v.retry_after;
      x.hold_reading = v.hold_reading;
      x.problem_code = v.problem_code;
      return std::move(*v.refusal);
    }
  }
  return {};
}

}  // namespace tenancyd

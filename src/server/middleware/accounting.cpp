// Step 7: accounting (the seam).
#include "middleware/accounting.hpp"

#include "router.hpp"

namespace tenancyd {

void Account(std::span<Accounting* const> sinks, const Exchange& x, unsigned status) {
  if (sinks.empty()) return;
  AccountingRecord r;
  r.method = x.request.method();
  r.route = x.route ? std::string_view(x.route->pattern) : std::string_view{};
  r.path = x.path;
  if (x.route) r.params = &x.params;
  r.status = status;
  if (x.resolution && x.resolution->tenant) r.tenant = &x.resolution->tenant->id;
  if (x.context) {
    r.principal = &x.context->principal();
    r.context = &*x.context;
  } else if (x.who) {
    r.principal = &x.who->principal;
  }
  r.request_id = x.request_id;
  r.latency = std::chrono::steady_clock::now() - x.started;
  for (Accounting* sink : sinks) sink->Record(r);
}

}  // namespace tenancyd

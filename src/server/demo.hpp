// `tenancyd --demo`: three demo tenants, ready to book rides.
//
//   city-cabs            a city fleet on the shared model (tier standard)
//   partner-rides        a partner on its own database (tier premium)
//   enterprise-mobility  an enterprise on a dedicated placement (tier enterprise)
//
// Each gets zones and pricing, and on its first run three vehicles and
// three available drivers inside its zone. Everything goes through the
// app's own API (App::Handle with the tenant's admin key), so the demo
// exercises the pipeline a client will. Re-runs reuse the tenants and their
// fleets and issue a fresh admin key each time (earlier demo keys are
// revoked): keys are shown once and cannot be printed again.
//
// Thread safety: ProvisionDemo() before the server starts, from one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"

namespace tenancyd {

struct DemoTenant {
  std::string slug;
  std::string display_name;
  std::string description;  // "a city fleet on the shared model"
  std::string tier;
  std::string model;
  std::string client_id;  // the admin API key's id
  std::string key;        // the admin API key (secret)
  std::string trip;       // a quote/ride body inside the tenant's zone
};

// Provisions or finds the demo tenants, configures them and issues fresh
// keys. Errors from the directory, the authenticator or a refused API call
// (its problem detail).
tenancy::Result<std::vector<DemoTenant>> ProvisionDemo(App& app);

// The text printed after start: per tenant its credentials and
// ready-to-paste curl lines (token, quote, book a ride, read it) against
// `base_url` ("http://127.0.0.1:8080").
std::string DemoInstructions(const std::vector<DemoTenant>& tenants, std::string_view base_url);

}  // namespace tenancyd

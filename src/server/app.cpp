#include "app.hpp"

#include "services/auth/auth_service.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/billing/billing.hpp"
#include "services/booking/booking.hpp"
#include "services/fleet/fleet.hpp"
#include "services/flags/ofrep.hpp"
#include "services/tenant_admin/tenant_admin.hpp"
#include "services/health/health.hpp"
#include "services/tenant_admin/tenant_self.hpp"
#include "portal/portal.hpp"
#include "services/contracts/contracts.hpp"
#include "services/ops/audit_routes.hpp"
#include "services/ops/ops.hpp"
#include "services/ops/observe.hpp"
#include "middleware/observe.hpp"
#include "services/signup/signup.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

// The library's default AuthOptions::max_token_ttl, which the platform uses.
constexpr std::chrono::seconds kMaxTokenTtl{3600};

App::~App() = default;

tenancy::Result<std::unique_ptr<App>> App::Open(PlatformOptions platform, AppOptions options) {
  if (options.token_ttl <= std::chrono::seconds::zero() || options.token_ttl > kMaxTokenTtl)
    return Fail(Errc::kInvalidArgument, "token lifetime must be 1 s - 1 h");
  if (options.auth.audience.empty() || options.auth.audience.size() > 256)
    return Fail(Errc::kInvalidArgument, "token audience must be 1-256 bytes");
  std::unique_ptr<App> app(new App());
  app->options_ = std::move(options);
  auto opened = Platform::Open(std::move(platform));
  if (!opened) return opened.error();
  app->platform_ = std::move(*opened);
  Platform& p = *app->platform_;

  const std::string key_file = app->options_.bootstrap_key_file.empty()
                                   ? p.options().data_dir + "/bootstrap-operator.key"
                                   : app->options_.bootstrap_key_file;
  auto boot = EnsureBootstrapOperator(p.auth(), key_file);
  if (!boot) return boot.error();
  app->bootstrap_ = std::move(*boot);

  AddHealthRoutes(app->router_, app->ready_);
  AddAuthRoutes(app->router_, TokenService{p.auth(), app->options_.auth.audience,
                                           app->options_.token_ttl});
  AddControlPlaneRoutes(app->router_,
                        ControlPlane{p.directory(), p.auth(), p.keyring(), &p.quarantine()});
  AddTenantSelfRoutes(app->router_);
  app->data_plane_ =
      std::make_unique<DataPlane>(p.store(), p.quotas(), p.config(), p.metering(),
                                  p.governance_clock());
  AddFleetRoutes(app->router_, *app->data_plane_);
  AddBookingRoutes(app->router_, *app->data_plane_);
  AddBillingRoutes(app->router_, Billing{*app->data_plane_, p.directory()});
  AddTenantAdminRoutes(app->router_, TenantAdmin{*app->data_plane_, p.auth(), p.roles(), p.flags(),
                                                 p.flag_files(), *p.options().clock});
  AddOfrepRoutes(app->router_, p.flags());
  AddPortalRoutes(app->router_);
  AddContractRoutes(app->router_);
  {
    SignupOptions signup = app->options_.signup;
    signup.limiter.clock = p.options().clock;
    AddSignupRoutes(app->router_, p.directory(), p.auth(), signup);
  }
  AddOpsRoutes(app->router_, Ops{p.directory(), p.events(), p.webhooks(), p.backup(), p.options().data_dir});

  app->parts_.router = &app->router_;
  app->parts_.auth = &p.auth();
  app->parts_.resolver = &p.resolver();
  app->parts_.catalog = &p.roles();
  app->parts_.auth_settings = app->options_.auth;
  app->parts_.cpu_read_interval = p.options().observability.cpu_read_interval;
  app->governance_ = std::make_unique<Governance>(
      GovernanceParts{.quotas = &p.quotas(),
                      .quarantine = &p.quarantine(),
                      .metering = &p.metering(),
                      .quarantine_read_only = p.options().quarantine.read_only,
                      .hold_throttled_connections = app->options_.hold_throttled_connections});
  app->parts_.admission.push_back(app->governance_.get());
  app->parts_.accounting.push_back(app->governance_.get());
  // (observability: routes and accounting sink)
  AddObserveRoutes(app->router_, Observe{p.observability(), p.directory(), p.quotas(), p.metering(),
                                         p.store(), p.events()});
  app->parts_.accounting.push_back(
      &p.observability().Adopt(std::make_unique<ObserveSink>(p.observability(), app->router_)));
  // (audit: routes and accounting sink)
  AddAuditRoutes(app->router_, AuditApi{p.audit(), p.directory()});
  app->parts_.accounting.push_back(&p.audit_trail());
  app->Rebuild();
  return app;
}

void App::Rebuild() { pipeline_ = std::make_unique<Pipeline>(parts_); }

void App::AddAdmission(Admission* step) {
  parts_.admission.push_back(step);
  Rebuild();
}

void App::AddAccounting(Accounting* sink) {
  parts_.accounting.push_back(sink);
  Rebuild();
}

RequestHandler App::handler() const {
  return [this](Request&& request, Connection& connection) {
    return Handle(std::move(request), connection);
  };
}

ServerHooks App::hooks() {
  ServerHooks h;
  h.on_drain.push_back([this] { ready_.store(false, std::memory_order_release); });
  // Every request has been answered and accounted: write meters and quota
  // usage before the process exits (a failure is retried by the
  // destructors' own flush).
  h.on_shutdown.push_back([this] { (void)platform_->FlushGovernance(); });
  h.on_shutdown.push_back([this] { platform_->StopDispatcher(); });  // webhook dispatcher
  return h;
}

}  // namespace tenancyd

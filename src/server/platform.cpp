#include "platform.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "config_schema.hpp"
#include "data_schema.hpp"
#include "plans.hpp"

namespace tenancyd {
namespace fs = std::filesystem;
using tenancy::Errc;
using tenancy::Fail;

namespace {

tenancy::Result<void> EnsureDataDir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  fs::create_directories(dir, ec);
  if (ec) return Fail(Errc::kStorage, "cannot create the data directory '" + dir + "': " + ec.message());
  // Keys and databases live here: nobody else's business.
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return {};
}

// The master key: an explicit file must exist (a typo must not mint a new
// key that cannot open existing data); the default one is created once.
tenancy::Result<std::unique_ptr<tenancy::KeyProvider>> OpenMasterKey(const PlatformOptions& o) {
  const bool by_default = o.master_key_file.empty();
  const std::string path = by_default ? o.data_dir + "/master.key" : o.master_key_file;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !by_default)
      return Fail(Errc::kNotFound, "master key file '" + path + "' is missing");
    if (auto w = tenancy::WriteNewMasterKey(path, "m1"); !w) return w.error();
  }
  return tenancy::OpenKeyFile(path);
}

}  // namespace

Platform::~Platform() { StopDispatcher(); }

tenancy::Result<std::unique_ptr<Platform>> Platform::Open(PlatformOptions options) {
  if (options.data_dir.empty()) return Fail(Errc::kInvalidArgument, "the data directory is empty");
  if (!options.clock) return Fail(Errc::kInvalidArgument, "clock is null");
  if (auto d = EnsureDataDir(options.data_dir); !d) return d.error();
  std::unique_ptr<Platform> p(new Platform());
  p->options_ = std::move(options);
  const PlatformOptions& o = p->options_;
  const std::string control_db = o.data_dir + "/control.db";

  auto keys = OpenMasterKey(o);
  if (!keys) return keys.error();
  p->keys_ = std::move(*keys);
  auto keyring = tenancy::Keyring::Open(control_db, *p->keys_, *o.clock);
  if (!keyring) return keyring.error();
  p->keyring_ = std::move(*keyring);
  p->cipher_ = std::make_unique<tenancy::FieldCipher>(*p->keyring_);

  tenancy::StoreOptions so;
  so.cipher = p->cipher_.get();
  so.admin_url = o.store_admin_url;
  auto store = tenancy::Store::Open(o.store_url.empty() ? "sqlite://" + o.data_dir : o.store_url,
                                    ServerSchema(), so);
  if (!store) return store.error();
  p->store_ = std::move(*store);

  tenancy::DirectoryOptions dopt;
  dopt.path = control_db;
  dopt.clock = o.clock;
  dopt.keyring = p->keyring_.get();
  auto directory = tenancy::Directory::Open(dopt, *p->store_);
  if (!directory) return directory.error();
  p->directory_ = std::move(*directory);

  tenancy::AuthOptions aopt;
  aopt.control_db_path = control_db;
  aopt.issuer = o.issuer;
  aopt.clock = o.clock;
  auto auth = tenancy::Authenticator::Open(aopt, *p->directory_, *p->keys_);
  if (!auth) return auth.error();
  p->auth_ = std::move(*auth);

  auto roles = tenancy::RoleCatalog::Open(control_db);
  if (!roles) return roles.error();
  p->roles_ = std::move(*roles);

  tenancy::ResolverOptions ropt;
  ropt.base_domain = o.base_domain;
  p->resolver_ = std::make_unique<tenancy::TenantResolver>(*p->directory_, ropt);

  if (auto g = p->OpenGovernance(); !g) return g.error();
  if (auto ops = p->OpenOperations(); !ops) return ops.error();
  return p;
}

tenancy::Result<void> Platform::OpenOperations() {
  const PlatformOptions& o = options_;
  events_ = std::make_unique<tenancy::Events>(*store_, tenancy::EventOptions{.clock = o.clock});
  auto transport = tenancy::net::HttpWebhookTransport::Open({.ca_file = o.webhook_ca_file});
  if (!transport) return transport.error();
  webhook_transport_ = std::move(*transport);
  tenancy::WebhookOptions wopt;
  wopt.clock = o.clock;
  wopt.policy = o.webhook_policy;
  webhooks_ = std::make_unique<tenancy::Webhooks>(*store_, *events_, *cipher_, *webhook_transport_,
                                                  std::move(wopt));
  backup_ = std::make_unique<tenancy::Backup>(
      tenancy::BackupSources{.directory = directory_.get(),
                             .keyring = keyring_.get(),
                             .keyring_path = o.data_dir + "/control.db",
                             .master_keys = keys_.get(),
                             .config = config_.get(),
                             .clock = o.clock});
  // (observability: open)
  auto observability = Observability::Open(ObservabilityParts{.options = o.observability,
                                                              .data_dir = o.data_dir,
                                                              .clock = o.clock,
                                                              .hot_clock = governance_clock_,
                                                              .directory = directory_.get(),
                                                              .store = store_.get(),
                                                              .events = events_.get(),
                                                              .backup = backup_.get()});
  if (!observability) return observability.error();
  observability_ = std::move(*observability);
  // (audit: open)
  tenancy::AuditOptions aopt;
  aopt.path = o.data_dir + "/audit.db";
  aopt.clock = o.clock;
  auto audit = tenancy::AuditLog::Open(std::move(aopt));
  if (!audit) return audit.error();
  audit_ = std::move(*audit);
  audit_trail_ = std::make_unique<AuditTrail>(*audit_, *directory_);
  if (o.webhook_dispatch_interval > std::chrono::milliseconds::zero())
    dispatcher_ = std::thread([this] { RunDispatcher(); });
  return {};
}

tenancy::Result<tenancy::DispatchReport> Platform::DispatchWebhooks() {
  return webhooks_->DispatchAll(*directory_);
}

void Platform::RunDispatcher() {
  std::unique_lock lock(dispatcher_mu_);
  while (!dispatcher_stop_) {
    lock.unlock();
    // Per-tenant failures are recorded in the report and retried on the
    // next pass; a failed pass (storage) is retried the same way.
    (void)webhooks_->DispatchAll(*directory_, &dispatcher_stopping_);
    lock.lock();
    dispatcher_cv_.wait_for(lock, options_.webhook_dispatch_interval,
                            [this] { return dispatcher_stop_; });
  }
}

void Platform::StopDispatcher() {
  {
    std::lock_guard lock(dispatcher_mu_);
    dispatcher_stop_ = true;
  }
  dispatcher_stopping_.store(true, std::memory_order_relaxed);
  dispatcher_cv_.notify_all();
  // The shutdown hook and the destructor may both get here.
  std::lock_guard join_lock(dispatcher_join_mu_);
  if (dispatcher_.joinable()) dispatcher_.join();
}

tenancy::Result<void> Platform::OpenGovernance() {
  const PlatformOptions& o = options_;
  if (o.governance_clock) {
    governance_clock_ = o.governance_clock;
  } else {
    ticking_clock_ = std::make_unique<tenancy::TickingClock>();
    governance_clock_ = ticking_clock_.get();
  }

  tenancy::QuotaOptions qopt;
  qopt.path = o.data_dir + "/quotas.db";
  qopt.clock = governance_clock_;
  qopt.flush_interval = o.governance_flush_interval;
  auto quotas = tenancy::Quotas::Open(std::move(qopt), *directory_);
  if (!quotas) return quotas.error();
  quotas_ = std::move(*quotas);
  if (auto plans = EnsureDefaultPlans(*quotas_); !plans) return plans;

  tenancy::QuarantineOptions qq = o.quarantine;
  qq.quotas = quotas_.get();
  qq.clock = governance_clock_;
  auto quarantine = tenancy::QuarantinePolicy::Open(std::move(qq), *directory_);
  if (!quarantine) return quarantine.error();
  quarantine_ = std::move(*quarantine);

  tenancy::MeteringOptions mopt;
  mopt.path = o.data_dir + "/usage.db";
  mopt.clock = governance_clock_;
  mopt.flush_interval = o.governance_flush_interval;
  auto metering = tenancy::Metering::Open(std::move(mopt));
  if (!metering) return metering.error();
  metering_ = std::move(*metering);

  tenancy::ConfigOptions copt;
  copt.path = o.data_dir + "/config.db";
  copt.clock = o.clock;
  auto config = tenancy::Config::Open(std::move(copt), ServerConfigSchema());
  if (!config) return config.error();
  config_ = std::move(*config);

  flag_files_ = std::make_unique<FlagFiles>(o.data_dir + "/flags");
  tenancy::FlagSetOptions fopt;
  fopt.clock = o.clock;
  // A document that stopped loading (a newer server wrote it) leaves that
  // tenant on the platform's flags; it is not a reason to refuse to start.
  (void)flag_files_->LoadInto(flags_, fopt);
  return {};
}

tenancy::Result<void> Platform::FlushGovernance() {
  auto meters = metering_->Flush();
  auto quotas = quotas_->Flush();
  if (!meters) return meters;
  return quotas;
}

}  // namespace tenancyd

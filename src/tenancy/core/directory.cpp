#include "tenancy/directory.hpp"

#include <filesystem>
#include <mutex>

#include "core/control_db.hpp"
#include "core/tenant_index.hpp"

namespace tenancy {

struct Directory::Impl {
  DirectoryOptions options;
  std::unique_ptr<ControlDb> db;
  TenantIndex index;
  std::mutex write_mu;  // serializes changes and every use of `db`
};

namespace {

Result<void> ValidateDisplayName(std::string_view name) {
  if (name.size() > kMaxDisplayNameBytes)
    return Fail(Errc::kInvalidArgument,
                "display_name exceeds " + std::to_string(kMaxDisplayNameBytes) + " bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return Fail(Errc::kInvalidArgument, "display_name has control characters");
  return {};
}

Result<void> ValidateTier(const TierPolicy& policy, std::string_view tier) {
  if (!IsValidTier(tier) || !policy.models.contains(tier))
    return Fail(Errc::kInvalidArgument, "unknown tier '" + std::string(tier.substr(0, 32)) + "'");
  return {};
}

Result<void> ValidateDomain(const std::optional<std::string>& domain) {
  if (domain && !IsValidDomain(*domain))
    return Fail(Errc::kInvalidArgument, "custom_domain is not a valid lower-case host name");
  return {};
}

Error Unknown() { return Error(Errc::kTenantUnknown, "no such tenant"); }

// The control database keeps milliseconds; the in-memory copy keeps the
// same, so a tenant reads the same from the index, from List and after a
// restart.
TimePoint Now(const Clock& clock) { return FromUnixMillis(ToUnixMillis(clock.Now())); }

}  // namespace

Directory::Directory(std::unique_ptr<Impl> impl, Store& store) : impl_(std::move(impl)), store_(store) {}
Directory::~Directory() = default;

Result<std::unique_ptr<Directory>> Directory::Open(DirectoryOptions options, Store& store) {
  if (options.path.empty()) return Fail(Errc::kInvalidArgument, "directory path is empty");
  if (!options.clock) return Fail(Errc::kInvalidArgument, "directory clock is null");
  if (auto r = ValidateTier(options.tiers, options.tiers.default_tier); !r) return r.error();
  if (options.dedicated_root.empty())
    options.dedicated_root =
        (std::filesystem::path(options.path).parent_path() / "dedicated").string();
  if (auto parent = std::filesystem::path(options.path).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Fail(Errc::kStorage, "cannot create the directory's folder: " + ec.message());
  }
  auto db = ControlDb::Open(options.path);
  if (!db) return db.error();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->db = std::move(*db);
  auto all = impl->db->LoadAll();
  if (!all) return all.error();
  for (auto& t : *all) impl->index.Put(std::make_shared<const Tenant>(std::move(t)));
  return std::unique_ptr<Directory>(new Directory(std::move(impl), store));
}

Result<ProvisionResult> Directory::Provision(const ProvisionRequest& req) {
  const auto& opt = impl_->options;
  if (!IsValidSlug(req.slug))
    return Fail(Errc::kInvalidArgument,
                "slug must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
  const std::string tier = req.tier.empty() ? opt.tiers.default_tier : req.tier;
  if (auto r = ValidateTier(opt.tiers, tier); !r) return r.error();
  if (auto r = ValidateDisplayName(req.display_name); !r) return r.error();
  if (auto r = ValidateDomain(req.custom_domain); !r) return r.error();
  const IsolationModel model = req.model ? *req.model : opt.tiers.models.find(tier)->second;
  if (!req.placement.empty() && model != IsolationModel::kDedicated)
    return Fail(Errc::kInvalidArgument, "placement applies only to the dedicated model");
  if (req.placement.size() > 4096) return Fail(Errc::kInvalidArgument, "placement is too long");
  const std::string display = req.display_name.empty() ? req.slug : req.display_name;

  std::lock_guard lock(impl_->write_mu);
  Tenant t;
  if (auto existing = impl_->index.BySlug(req.slug)) {
    const bool same = existing->tier == tier && existing->model == model &&
                      existing->display_name == display &&
                      existing->custom_domain == req.custom_domain &&
                      (req.placement.empty() || existing->placement == req.placement);
    if (!same) return Fail(Errc::kAlreadyExists, "slug '" + req.slug + "' is taken");
    if (existing->state != TenantState::kProvisioning) return ProvisionResult{*existing, false};
    t = *existing;  // resume a provisioning that failed half-way
  } else {
    if (req.custom_domain && impl_->index.ByDomain(*req.custom_domain))
      return Fail(Errc::kAlreadyExists, "custom_domain is taken");
    t.id = TenantId::Generate();
    t.slug = req.slug;
    t.display_name = display;
    t.tier = tier;
    t.model = model;
    t.state = TenantState::kProvisioning;
    if (model == IsolationModel::kDedicated)
      t.placement = req.placement.empty()
                        ? (std::filesystem::path(opt.dedicated_root) / t.id.str()).string()
                        : req.placement;
    t.custom_domain = req.custom_domain;
    t.created_at = t.updated_at = Now(*opt.clock);
    t.revision = 1;
    if (model == IsolationModel::kShared) {
      // Nothing to create in the store: key first (an orphan key is
      // harmless), then the tenant row, active, in one commit.
      if (opt.keyring)
        if (auto r = opt.keyring->Create(t.id); !r) return r.error();
      t.state = TenantState::kActive;
      if (auto r = impl_->db->SaveTransition(t, TenantState::kProvisioning, "provisioned",
                                             /*insert=*/true);
          !r)
        return r.error();
      impl_->index.Put(std::make_shared<const Tenant>(t));
      return ProvisionResult{std::move(t), true};
    }
    // The row goes in first, as provisioning, so a crash before the
    // namespace exists is resumed by the next Provision of this slug.
    if (auto r = impl_->db->Insert(t); !r) return r.error();
    impl_->index.Put(std::make_shared<const Tenant>(t));
  }
  if (auto r = store_.CreateNamespace(t); !r) return r.error();  // stays provisioning; retry resumes
  if (opt.keyring) {
    if (auto r = opt.keyring->Create(t.id); !r) return r.error();
  }

  const TenantState from = t.state;
  t.state = TenantState::kActive;
  t.updated_at = Now(*opt.clock);
  ++t.revision;
  if (auto r = impl_->db->SaveTransition(t, from, "provisioned"); !r) return r.error();
  impl_->index.Put(std::make_shared<const Tenant>(t));
  return ProvisionResult{std::move(t), true};
}

Result<std::shared_ptr<const Tenant>> Directory::Get(const TenantId& id) const {
  if (auto t = impl_->index.ById(id.str())) return t;
  return Unknown();
}

Result<std::shared_ptr<const Tenant>> Directory::GetBySlug(std::string_view slug) const {
  if (auto t = impl_->index.BySlug(slug)) return t;
  return Unknown();
}

Result<std::shared_ptr<const Tenant>> Directory::GetByDomain(std::string_view domain) const {
  if (auto t = impl_->index.ByDomain(domain)) return t;
  return Unknown();
}

Result<TenantPage> Directory::List(const TenantFilter& filter) const {
  std::lock_guard lock(impl_->write_mu);
  return impl_->db->List(filter);
}

Result<void> Directory::ForEachTenant(const TenantFilter& filter,
                                      const std::function<bool(const Tenant&)>& fn) const {
  TenantFilter page_filter = filter;
  do {
    // Each page is its own List, so the lock is not held while `fn` runs:
    // it may call back into the directory.
    auto page = List(page_filter);
    if (!page) return page.error();
    for (const Tenant& t : page->items)
      if (!fn(t)) return {};
    page_filter.after = std::move(page->next_cursor);
  } while (!page_filter.after.empty());
  return {};
}

std::size_t Directory::live_count() const { return impl_->index.live(); }

Result<Tenant> Directory::Update(const TenantId& id, const TenantUpdate& update) {
  if (update.display_name) {
    if (auto r = ValidateDisplayName(*update.display_name); !r) return r.error();
    if (update.display_name->empty()) return Fail(Errc::kInvalidArgument, "display_name is empty");
  }
  if (update.tier)
    if (auto r = ValidateTier(impl_->options.tiers, *update.tier); !r) return r.error();
  if (update.custom_domain)
    if (auto r = ValidateDomain(*update.custom_domain); !r) return r.error();

  std::lock_guard lock(impl_->write_mu);
  auto current = impl_->index.ById(id.str());
  if (!current || current->state == TenantState::kDeleted) return Unknown();
  Tenant t = *current;
  if (update.custom_domain && *update.custom_domain) {
    auto owner = impl_->index.ByDomain(**update.custom_domain);
    if (owner && owner->id != id) return Fail(Errc::kAlreadyExists, "custom_domain is taken");
  }
  if (update.display_name) t.display_name = *update.display_name;
  if (update.tier) t.tier = *update.tier;
  if (update.custom_domain) t.custom_domain = *update.custom_domain;
  t.updated_at = Now(*impl_->options.clock);
  ++t.revision;
  if (auto r = impl_->db->Save(t); !r) return r.error();
  impl_->index.Put(std::make_shared<const Tenant>(t));
  return t;
}

Result<Tenant> Directory::ChangeState(const TenantId& id, TenantState to, std::string_view reason) {
  if (to == TenantState::kOffboarding || to == TenantState::kDeleted)
    return Fail(Errc::kFailedPrecondition, "use Offboard to offboard a tenant");
  if (reason.size() > 1024) return Fail(Errc::kInvalidArgument, "reason exceeds 1024 bytes");
  std::lock_guard lock(impl_->write_mu);
  auto current = impl_->index.ById(id.str());
  if (!current || current->state == TenantState::kDeleted) return Unknown();
  if (auto r = CheckTransition(current->state, to); !r) return r.error();
  Tenant t = *current;
  t.state = to;
  t.updated_at = Now(*impl_->options.clock);
  ++t.revision;
  if (auto r = impl_->db->SaveTransition(t, current->state, reason); !r) return r.error();
  impl_->index.Put(std::make_shared<const Tenant>(t));
  return t;
}

Result<Tenant> Directory::Offboard(const TenantId& id, std::string_view reason) {
  if (reason.size() > 1024) return Fail(Errc::kInvalidArgument, "reason exceeds 1024 bytes");
  std::lock_guard lock(impl_->write_mu);
  auto current = impl_->index.ById(id.str());
  if (!current || current->state == TenantState::kDeleted) return Unknown();
  Tenant t = *current;
  auto advance = [&](TenantState to) -> Result<void> {
    const TenantState from = t.state;
    if (auto r = CheckTransition(from, to); !r) return r;
    t.state = to;
    t.updated_at = Now(*impl_->options.clock);
    ++t.revision;
    if (auto r = impl_->db->SaveTransition(t, from, reason); !r) return r;
    impl_->index.Put(std::make_shared<const Tenant>(t));
    return {};
  };
  if (t.state != TenantState::kOffboarding)
    if (auto r = advance(TenantState::kOffboarding); !r) return r.error();
  if (auto r = store_.DropNamespace(t); !r) return r.error();  // stays offboarding; retry resumes
  if (impl_->options.keyring) {
    if (auto r = impl_->options.keyring->Destroy(t.id); !r) return r.error();
  }
  if (auto r = advance(TenantState::kDeleted); !r) return r.error();
  return t;
}

Result<TenantContext> Directory::MintContext(const TenantId& id, Principal principal,
                                             std::vector<std::string> roles, std::string request_id,
                                             std::string trace_id) const {
  auto t = impl_->index.ById(id.str());
  if (!t || t->state == TenantState::kDeleted) return Unknown();
  const bool operator_override =
      principal.kind == PrincipalKind::kPlatformOperator && t->state == TenantState::kSuspended;
  if (!t->IsLive() && !operator_override)
    return Fail(Errc::kTenantSuspended, "tenant is " + std::string(ToString(t->state)));
  return TenantContext(detail::ContextKey{},
                       TenantContext::Parts{std::move(t), std::move(principal), std::move(roles),
                                            std::move(request_id), std::move(trace_id)});
}

Result<std::vector<Directory::Transition>> Directory::History(const TenantId& id) const {
  std::lock_guard lock(impl_->write_mu);
  return impl_->db->History(id);
}

}  // namespace tenancy

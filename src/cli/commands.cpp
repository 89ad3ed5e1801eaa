#include "commands.hpp"

#include <boost/json.hpp>

#include <cstdio>

#include "fleet_schema.hpp"

namespace tenancyctl {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Tenant;

namespace {

std::string Iso8601(tenancy::TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json::object ToJson(const Tenant& t) {
  json::object o;
  o["id"] = t.id.str();
  o["slug"] = t.slug;
  o["display_name"] = t.display_name;
  o["tier"] = t.tier;
  o["model"] = tenancy::ToString(t.model);
  o["state"] = tenancy::ToString(t.state);
  o["placement"] = t.placement;
  o["custom_domain"] = t.custom_domain ? json::value(*t.custom_domain) : json::value(nullptr);
  o["created_at"] = Iso8601(t.created_at);
  o["updated_at"] = Iso8601(t.updated_at);
  o["revision"] = t.revision;
  return o;
}

void PrintTable(const std::vector<Tenant>& tenants) {
  std::printf("%-19s  %-20s  %-10s  %-9s  %-12s  %s\n", "ID", "SLUG", "TIER", "MODEL", "STATE",
              "DISPLAY NAME");
  for (const auto& t : tenants)
    std::printf("%-19s  %-20s  %-10s  %-9s  %-12s  %s\n", t.id.str().c_str(), t.slug.c_str(),
                t.tier.c_str(), std::string(tenancy::ToString(t.model)).c_str(),
                std::string(tenancy::ToString(t.state)).c_str(), t.display_name.c_str());
}

void Print(const Tenant& t, bool as_json) {
  if (as_json) {
    std::printf("%s\n", json::serialize(ToJson(t)).c_str());
  } else {
    PrintTable({t});
  }
}

// Every tenant matching `filter`, page after page.
tenancy::Result<std::vector<Tenant>> AllTenants(const tenancy::Directory& directory,
                                                const tenancy::TenantFilter& filter) {
  std::vector<Tenant> all;
  auto walked = directory.ForEachTenant(filter, [&](const Tenant& t) {
    all.push_back(t);
    return true;
  });
  if (!walked) return walked.error();
  return all;
}

// A tenant named by slug or id (the only positional argument).
tenancy::Result<std::shared_ptr<const Tenant>> Target(Platform& p, const Args& args) {
  if (args.positional.size() != 1)
    return tenancy::Fail(Errc::kInvalidArgument, "expected exactly one tenant (slug or id)");
  const std::string& name = args.positional[0];
  if (auto id = tenancy::TenantId::Parse(name)) return p.directory->Get(*id);
  return p.directory->GetBySlug(name);
}

}  // namespace

int Fail(const tenancy::Error& e) {
  std::fprintf(stderr, "tenancyctl: %s\n", e.ToString().c_str());
  return e.code == Errc::kInvalidArgument ? 2 : 1;
}

tenancy::Result<Platform> OpenPlatform(const std::string& data_dir, const std::string& store_url,
                                       const std::string& admin_url,
                                       const std::optional<std::string>& key_file) {
  Platform p;
  auto keys = OpenKeys(key_file, data_dir);
  if (!keys) return keys.error();
  p.keys = std::move(*keys);
  tenancy::StoreOptions options;
  options.admin_url = admin_url;
  auto store = tenancy::Store::Open(store_url.empty() ? "sqlite://" + data_dir : store_url,
                                    FleetSchema(), options);
  if (!store) return store.error();
  p.store = std::move(*store);
  auto directory = tenancy::Directory::Open(
      {.path = data_dir + "/control.db", .keyring = p.keys.keyring.get()}, *p.store);
  if (!directory) return directory.error();
  p.directory = std::move(*directory);
  return p;
}

int CmdProvision(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {"tier", "model", "name", "domain", "placement"}); !r)
    return Fail(r.error());
  if (args.positional.size() != 1)
    return Fail({Errc::kInvalidArgument, "usage: tenancyctl provision SLUG [--tier T] [--model M]"});
  tenancy::ProvisionRequest req;
  req.slug = args.positional[0];
  req.tier = args.Option("tier").value_or("");
  req.display_name = args.Option("name").value_or("");
  req.placement = args.Option("placement").value_or("");
  req.custom_domain = args.Option("domain");
  if (auto m = args.Option("model")) {
    auto model = tenancy::ParseIsolationModel(*m);
    if (!model) return Fail(model.error());
    req.model = *model;
  }
  auto r = p.directory->Provision(req);
  if (!r) return Fail(r.error());
  if (!args.Flag("json")) std::printf("%s\n", r->created ? "provisioned" : "already provisioned");
  Print(r->tenant, args.Flag("json"));
  return 0;
}

int CmdList(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {"state", "tier", "model", "all"}); !r)
    return Fail(r.error());
  tenancy::TenantFilter f;
  f.include_deleted = args.Flag("all");
  f.tier = args.Option("tier");
  if (auto s = args.Option("state")) {
    auto state = tenancy::ParseTenantState(*s);
    if (!state) return Fail(state.error());
    f.state = *state;
  }
  if (auto m = args.Option("model")) {
    auto model = tenancy::ParseIsolationModel(*m);
    if (!model) return Fail(model.error());
    f.model = *model;
  }
  auto listed = AllTenants(*p.directory, f);
  if (!listed) return Fail(listed.error());
  const std::vector<Tenant>& all = *listed;
  if (args.Flag("json")) {
    json::array out;
    for (const auto& t : all) out.push_back(ToJson(t));
    std::printf("%s\n", json::serialize(out).c_str());
  } else {
    PrintTable(all);
  }
  return 0;
}

int CmdShow(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {}); !r) return Fail(r.error());
  auto t = Target(p, args);
  if (!t) return Fail(t.error());
  if (args.Flag("json")) {
    json::object o = ToJson(**t);
    auto version = p.store->SchemaVersion(**t);
    o["schema_version"] = version ? json::value(*version) : json::value(nullptr);
    std::printf("%s\n", json::serialize(o).c_str());
    return 0;
  }
  Print(**t, false);
  if (!(*t)->placement.empty()) std::printf("placement: %s\n", (*t)->placement.c_str());
  if ((*t)->custom_domain) std::printf("domain:    %s\n", (*t)->custom_domain->c_str());
  if (auto version = p.store->SchemaVersion(**t)) std::printf("schema:    v%d\n", *version);
  return 0;
}

int CmdSetState(Platform& p, const Args& args, tenancy::TenantState to) {
  if (auto r = OnlyOptions(args, {"reason"}); !r) return Fail(r.error());
  auto t = Target(p, args);
  if (!t) return Fail(t.error());
  auto r = p.directory->ChangeState((*t)->id, to, args.Option("reason").value_or("by tenancyctl"));
  if (!r) return Fail(r.error());
  Print(*r, args.Flag("json"));
  return 0;
}

int CmdOffboard(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {"reason"}); !r) return Fail(r.error());
  auto t = Target(p, args);
  if (!t) return Fail(t.error());
  auto r = p.directory->Offboard((*t)->id, args.Option("reason").value_or("by tenancyctl"));
  if (!r) return Fail(r.error());
  Print(*r, args.Flag("json"));
  return 0;
}

int CmdHistory(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {}); !r) return Fail(r.error());
  auto t = Target(p, args);
  if (!t) return Fail(t.error());
  auto h = p.directory->History((*t)->id);
  if (!h) return Fail(h.error());
  json::array out;
  for (const auto& step : *h) {
    if (args.Flag("json")) {
      out.push_back(json::object{{"from", tenancy::ToString(step.from)},
                                 {"to", tenancy::ToString(step.to)},
                                 {"reason", step.reason},
                                 {"at", Iso8601(step.at)}});
    } else {
      std::printf("%s  %-12s -> %-12s  %s\n", Iso8601(step.at).c_str(),
                  std::string(tenancy::ToString(step.from)).c_str(),
                  std::string(tenancy::ToString(step.to)).c_str(), step.reason.c_str());
    }
  }
  if (args.Flag("json")) std::printf("%s\n", json::serialize(out).c_str());
  return 0;
}

int CmdMigrate(Platform& p, const Args& args) {
  if (auto r = OnlyOptions(args, {}); !r) return Fail(r.error());
  auto tenants = AllTenants(*p.directory, tenancy::TenantFilter{});
  if (!tenants) return Fail(tenants.error());
  auto report = p.store->MigrateTenants(*tenants);
  for (const auto& e : report.entries) {
    std::printf("%-19s  v%d -> v%d  %s\n", e.tenant.empty() ? "(shared)" : e.tenant.str().c_str(),
                e.from_version, e.to_version, e.error ? e.error->ToString().c_str() : "ok");
  }
  return report.ok() ? 0 : 1;
}

}  // namespace tenancyctl

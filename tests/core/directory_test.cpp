// The tenant directory: provisioning, lookups, paging and walks, updates, lifecycle,
// offboarding, context minting, persistence and concurrent use.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/fleet_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::array<TenantState, 6> kAllStates = {
    TenantState::kProvisioning, TenantState::kActive,      TenantState::kSuspended,
    TenantState::kQuarantined,  TenantState::kOffboarding, TenantState::kDeleted};

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

ProvisionRequest Request(std::string slug, std::string tier = {},
                         std::optional<IsolationModel> model = std::nullopt) {
  ProvisionRequest r;
  r.slug = std::move(slug);
  r.tier = std::move(tier);
  r.model = model;
  return r;
}

Tenant MustProvision(Directory& dir, const ProvisionRequest& req) {
  auto r = dir.Provision(req);
  INFO("provisioning " << req.slug);
  REQUIRE(r);
  return r->tenant;
}

// `n` tenants "t0".."t<n-1>" over the four tiers in turn, every fifth
// suspended and some others quarantined, by id.
std::map<std::string, Tenant> ProvisionMixed(Directory& dir, int n) {
  const char* tiers[] = {"free", "premium", "standard", "enterprise"};
  std::map<std::string, Tenant> all;
  for (int i = 0; i < n; ++i) {
    Tenant t = MustProvision(dir, Request("t" + std::to_string(i), tiers[i % 4]));
    if (i % 5 == 0)
      t = *dir.ChangeState(t.id, TenantState::kSuspended, "test");
    else if (i % 7 == 3)
      t = *dir.ChangeState(t.id, TenantState::kQuarantined, "test");
    all[t.id.str()] = t;
  }
  return all;
}

// Every tenant the directory lists, paged, deleted ones included.
std::vector<Tenant> ListAll(const Directory& dir, TenantFilter filter = {}) {
  std::vector<Tenant> out;
  for (int guard = 0; guard < 10'000; ++guard) {
    auto page = dir.List(filter);
    REQUIRE(page);
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (page->next_cursor.empty()) return out;
    filter.after = page->next_cursor;
  }
  FAIL("List never reached its end");
  return out;
}

std::vector<std::string> Ids(const std::vector<Tenant>& ts) {
  std::vector<std::string> ids;
  for (const auto& t : ts) ids.push_back(t.id.str());
  return ids;
}

void CheckSameTenant(const Tenant& a, const Tenant& b) {
  CHECK(a.id == b.id);
  CHECK(a.slug == b.slug);
  CHECK(a.display_name == b.display_name);
  CHECK(a.tier == b.tier);
  CHECK(a.model == b.model);
  CHECK(a.state == b.state);
  CHECK(a.placement == b.placement);
  CHECK(a.custom_domain == b.custom_domain);
  CHECK(a.revision == b.revision);
  CHECK(ToUnixMillis(a.created_at) == ToUnixMillis(b.created_at));
  CHECK(ToUnixMillis(a.updated_at) == ToUnixMillis(b.updated_at));
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

// Rows of `tenant` in a table of the shared database, read behind the
// library's back.
std::int64_t SharedRows(const fs::path& data_dir, const std::string& table,
                        const TenantId& tenant) {
  sqlite3* db = nullptr;
  const std::string path = (data_dir / "shared.db").string();
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT count(*) FROM " + table + " WHERE tenant_id = ?";
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, tenant.str().c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const std::int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

fs::path DataDir(const FleetWorld& world) { return world.dir().path() / "data"; }

}  // namespace

TEST_CASE("Provision creates an active tenant, idempotently by slug", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  ProvisionRequest req = Request("acme", "standard");
  req.display_name = "ACME Cabs";
  req.custom_domain = "rides.acme.example";

  auto first = dir.Provision(req);
  REQUIRE(first);
  CHECK(first->created);
  const Tenant acme = first->tenant;
  CHECK(TenantId::Parse(acme.id.str()));
  CHECK(acme.slug == "acme");
  CHECK(acme.display_name == "ACME Cabs");
  CHECK(acme.tier == "standard");
  CHECK(acme.model == IsolationModel::kShared);
  CHECK(acme.state == TenantState::kActive);
  CHECK(acme.placement.empty());
  CHECK(acme.custom_domain == std::optional<std::string>("rides.acme.example"));
  CHECK(acme.revision >= 1);
  CHECK(acme.updated_at >= acme.created_at);
  CHECK(dir.live_count() == 1);

  SECTION("the same request again returns the same tenant, unchanged") {
    for (int i = 0; i < 3; ++i) {
      auto again = dir.Provision(req);
      REQUIRE(again);
      CHECK_FALSE(again->created);
      CheckSameTenant(again->tenant, acme);
    }
    // Naming the model the tier implies is still the same request.
    ProvisionRequest explicit_model = req;
    explicit_model.model = IsolationModel::kShared;
    auto same = dir.Provision(explicit_model);
    REQUIRE(same);
    CHECK_FALSE(same->created);
    CHECK(same->tenant.id == acme.id);
    CHECK(dir.live_count() == 1);
    CHECK(ListAll(dir).size() == 1);
  }
  SECTION("an empty display name means the slug, also for idempotency") {
    auto plain = dir.Provision(Request("plain"));
    REQUIRE(plain);
    CHECK(plain->tenant.display_name == "plain");
    CHECK(plain->tenant.tier == "standard");  // TierPolicy::default_tier
    ProvisionRequest named = Request("plain");
    named.display_name = "plain";
    auto again = dir.Provision(named);
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(again->tenant.id == plain->tenant.id);
  }
  SECTION("the same slug with other settings is kAlreadyExists and changes nothing") {
    std::vector<ProvisionRequest> others;
    others.push_back(req);
    others.back().tier = "premium";
    others.push_back(req);
    others.back().display_name = "ACME Taxis";
    others.push_back(req);
    others.back().display_name.clear();  // would mean "acme"
    others.push_back(req);
    others.back().custom_domain = "other.acme.example";
    others.push_back(req);
    others.back().custom_domain.reset();
    others.push_back(req);
    others.back().model = IsolationModel::kDatabase;
    others.push_back(req);
    others.back().tier = "free";  // same model (shared), other tier
    for (const auto& other : others) {
      auto r = dir.Provision(other);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kAlreadyExists);
    }
    auto now = dir.GetBySlug("acme");
    REQUIRE(now);
    CheckSameTenant(**now, acme);
    CHECK(dir.live_count() == 1);
    CHECK(ListAll(dir).size() == 1);
  }
  SECTION("a custom domain belongs to one tenant") {
    ProvisionRequest thief = Request("thief");
    thief.custom_domain = "rides.acme.example";
    auto r = dir.Provision(thief);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kAlreadyExists);
    CHECK(dir.GetBySlug("thief").error().code == Errc::kTenantUnknown);
    CHECK(dir.live_count() == 1);
    CHECK((*dir.GetByDomain("rides.acme.example"))->id == acme.id);
  }
}

TEST_CASE("invalid Provision requests are refused and change nothing", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const Tenant existing = MustProvision(dir, Request("existing"));
  const auto before_ids = Ids(ListAll(dir));

  struct Case {
    const char* what;
    ProvisionRequest req;
  };
  std::vector<Case> cases;
  auto add = [&](const char* what, ProvisionRequest r) { cases.push_back({what, std::move(r)}); };
  add("empty slug", Request(""));
  add("leading dash", Request("-acme"));
  add("trailing dash", Request("acme-"));
  add("upper case", Request("Acme"));
  add("underscore", Request("ac_me"));
  add("dot", Request("ac.me"));
  add("slash", Request("../acme"));
  add("sql", Request("a'; DROP TABLE tenancy_tenants; --"));
  add("64 chars", Request(std::string(64, 'a')));
  add("unknown tier", Request("acme", "gold"));
  add("malformed tier", Request("acme", "Free"));
  add("tier with space", Request("acme", "free "));
  {
    ProvisionRequest r = Request("acme");
    r.custom_domain = "localhost";
    add("single-label domain", r);
    r.custom_domain = "Rides.Acme.Example";
    add("upper-case domain", r);
    r.custom_domain = "rides..acme.example";
    add("empty label", r);
    r.custom_domain = "";
    add("empty domain", r);
    r.custom_domain = "rides.acme.example.";
    add("trailing dot", r);
  }
  {
    ProvisionRequest r = Request("acme");
    r.display_name = std::string(kMaxDisplayNameBytes + 1, 'x');
    add("display name too long", r);
    r.display_name = "ACME\nCabs";
    add("newline", r);
    r.display_name = "ACME\tCabs";
    add("tab", r);
    r.display_name = std::string("ACME\0Cabs", 9);
    add("NUL", r);
    r.display_name = "ACME\x7f";
    add("DEL", r);
    r.display_name = "\x1b[31mACME";
    add("escape", r);
  }
  {
    ProvisionRequest r = Request("acme", "standard");
    r.placement = (world.dir().path() / "elsewhere").string();
    add("placement for a shared tier", r);
    r.tier = "premium";
    add("placement for a database tier", r);
    r.tier = "enterprise";
    r.model = IsolationModel::kShared;
    add("placement for an explicit shared model", r);
    r.model = IsolationModel::kDatabase;
    add("placement for an explicit database model", r);
    r.model = IsolationModel::kDedicated;
    r.placement = std::string(5000, 'p');
    add("placement too long", r);
  }

  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = dir.Provision(c.req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(dir.live_count() == 1);
    CHECK(Ids(ListAll(dir)) == before_ids);
    if (IsValidSlug(c.req.slug))
      CHECK(dir.GetBySlug(c.req.slug).error().code == Errc::kTenantUnknown);
  }
  // Nothing was reserved on the way: the slug is still free for a good request.
  CHECK(fs::is_empty(DataDir(world) / "tenants"));
  auto good = dir.Provision(Request("acme"));
  REQUIRE(good);
  CHECK(good->created);
  CHECK(dir.live_count() == 2);
  CHECK((*dir.Get(existing.id))->revision == existing.revision);

  SECTION("limits are inclusive") {
    ProvisionRequest r = Request(std::string(63, 'z'));
    r.display_name = std::string(kMaxDisplayNameBytes, 'n');
    auto ok = dir.Provision(r);
    REQUIRE(ok);
    CHECK(ok->tenant.display_name.size() == kMaxDisplayNameBytes);
    ProvisionRequest utf8 = Request("cafe");
    utf8.display_name = "Caf\xc3\xa9 Z\xc3\xbcrich \xe2\x80\x94 Taxi";
    auto u = dir.Provision(utf8);
    REQUIRE(u);
    CHECK(u->tenant.display_name == utf8.display_name);
  }
}

TEST_CASE("tiers pick the isolation model unless the request names one", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const fs::path data = DataDir(world);

  const Tenant free_t = MustProvision(dir, Request("f", "free"));
  const Tenant standard = MustProvision(dir, Request("s", "standard"));
  const Tenant by_default = MustProvision(dir, Request("d"));
  const Tenant premium = MustProvision(dir, Request("p", "premium"));
  const Tenant enterprise = MustProvision(dir, Request("e", "enterprise"));
  CHECK(free_t.model == IsolationModel::kShared);
  CHECK(standard.model == IsolationModel::kShared);
  CHECK(by_default.model == IsolationModel::kShared);
  CHECK(by_default.tier == "standard");
  CHECK(premium.model == IsolationModel::kDatabase);
  CHECK(enterprise.model == IsolationModel::kDedicated);

  CHECK(free_t.placement.empty());
  CHECK(premium.placement.empty());
  CHECK(fs::exists(data / "tenants" / (premium.id.str() + ".db")));
  // A default placement lives under <dir of control db>/dedicated/<id>.
  CHECK(fs::path(enterprise.placement) == data / "dedicated" / enterprise.id.str());
  CHECK(fs::exists(fs::path(enterprise.placement) / "tenant.db"));
  // Shared and dedicated tenants get no per-tenant database file.
  CHECK_FALSE(fs::exists(data / "tenants" / (free_t.id.str() + ".db")));
  CHECK_FALSE(fs::exists(data / "tenants" / (enterprise.id.str() + ".db")));

  SECTION("an explicit model overrides the tier") {
    const Tenant up = MustProvision(dir, Request("up", "free", IsolationModel::kDedicated));
    CHECK(up.tier == "free");
    CHECK(up.model == IsolationModel::kDedicated);
    CHECK(fs::exists(fs::path(up.placement) / "tenant.db"));
    const Tenant down = MustProvision(dir, Request("down", "enterprise", IsolationModel::kShared));
    CHECK(down.model == IsolationModel::kShared);
    CHECK(down.placement.empty());
    const Tenant mid = MustProvision(dir, Request("mid", "free", IsolationModel::kDatabase));
    CHECK(mid.model == IsolationModel::kDatabase);
    CHECK(fs::exists(data / "tenants" / (mid.id.str() + ".db")));
  }
  SECTION("a requested placement is honoured") {
    const fs::path where = world.dir().path() / "pinned" / "acme";
    ProvisionRequest r = Request("pinned", "enterprise");
    r.placement = where.string();
    const Tenant pinned = MustProvision(dir, r);
    CHECK(pinned.placement == where.string());
    CHECK(fs::exists(where / "tenant.db"));
    // Its data really lives there.
    Repository<Vehicle> vehicles(world.store(), Vehicles());
    auto ctx = world.Context(pinned);
    REQUIRE(vehicles.Insert(ctx, Vehicle{"v1", "P-1", 4, {}, ""}));
    CHECK(fs::file_size(where / "tenant.db") > 0);
  }
}

TEST_CASE("tenants are found by id, slug and custom domain", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  ProvisionRequest ra = Request("acme");
  ra.custom_domain = "rides.acme.example";
  const Tenant a = MustProvision(dir, ra);
  ProvisionRequest rb = Request("bolt", "premium");
  rb.custom_domain = "bolt.example";
  const Tenant b = MustProvision(dir, rb);

  CHECK((*dir.Get(a.id))->slug == "acme");
  CHECK((*dir.Get(b.id))->slug == "bolt");
  CHECK((*dir.GetBySlug("acme"))->id == a.id);
  CHECK((*dir.GetBySlug("bolt"))->id == b.id);
  CHECK((*dir.GetByDomain("rides.acme.example"))->id == a.id);
  CHECK((*dir.GetByDomain("bolt.example"))->id == b.id);

  for (const std::string slug : {"ACME", "acm", "acme ", "", "rides.acme.example"}) {
    CAPTURE(slug);
    CHECK(dir.GetBySlug(slug).error().code == Errc::kTenantUnknown);
  }
  for (const std::string domain : {"RIDES.ACME.EXAMPLE", "acme.example", "acme", "", "bolt"}) {
    CAPTURE(domain);
    CHECK(dir.GetByDomain(domain).error().code == Errc::kTenantUnknown);
  }
  CHECK(dir.Get(TenantId{}).error().code == Errc::kTenantUnknown);
  TenantId other = TenantId::Generate();
  while (other == a.id || other == b.id) other = TenantId::Generate();
  CHECK(dir.Get(other).error().code == Errc::kTenantUnknown);
}

TEST_CASE("List filters and pages by id, each tenant once", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  std::map<std::string, Tenant> all = ProvisionMixed(dir, 25);  // by id
  REQUIRE(all.size() == 25);

  SECTION("pages of 7 visit all 25 in id order") {
    TenantFilter f;
    f.limit = 7;
    std::vector<std::string> seen;
    std::vector<std::size_t> sizes;
    for (;;) {
      auto page = dir.List(f);
      REQUIRE(page);
      sizes.push_back(page->items.size());
      for (const auto& t : page->items) {
        seen.push_back(t.id.str());
        REQUIRE(all.count(t.id.str()) == 1);
        CheckSameTenant(t, all.at(t.id.str()));
      }
      if (page->next_cursor.empty()) break;
      f.after = page->next_cursor;
    }
    CHECK(sizes == std::vector<std::size_t>{7, 7, 7, 4});
    CHECK(seen.size() == 25);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 25);
  }
  SECTION("a page that ends exactly at the last tenant has no cursor") {
    TenantFilter f;
    f.limit = 25;
    auto page = dir.List(f);
    REQUIRE(page);
    CHECK(page->items.size() == 25);
    CHECK(page->next_cursor.empty());
    f.limit = 24;
    auto shorter = dir.List(f);
    REQUIRE(shorter);
    CHECK(shorter->items.size() == 24);
    CHECK_FALSE(shorter->next_cursor.empty());
  }
  SECTION("filters by state, tier and model, also while paging") {
    auto expect = [&](auto pred) {
      std::vector<std::string> ids;
      for (const auto& [id, t] : all)
        if (pred(t)) ids.push_back(id);
      return ids;
    };
    TenantFilter f;
    f.limit = 2;
    f.state = TenantState::kSuspended;
    CHECK(Ids(ListAll(dir, f)) ==
          expect([](const Tenant& t) { return t.state == TenantState::kSuspended; }));
    f.state = TenantState::kQuarantined;
    CHECK(Ids(ListAll(dir, f)) ==
          expect([](const Tenant& t) { return t.state == TenantState::kQuarantined; }));
    f.state.reset();
    f.tier = "premium";
    const auto premium = Ids(ListAll(dir, f));
    CHECK(premium == expect([](const Tenant& t) { return t.tier == "premium"; }));
    CHECK(premium.size() == 6);
    f.tier.reset();
    f.model = IsolationModel::kShared;
    CHECK(Ids(ListAll(dir, f)) ==
          expect([](const Tenant& t) { return t.model == IsolationModel::kShared; }));
    f.model = IsolationModel::kDedicated;
    f.state = TenantState::kActive;
    CHECK(Ids(ListAll(dir, f)) == expect([](const Tenant& t) {
            return t.model == IsolationModel::kDedicated && t.state == TenantState::kActive;
          }));
    f = TenantFilter{};
    f.tier = "nonexistent";
    CHECK(ListAll(dir, f).empty());
  }
  SECTION("deleted tenants are listed only when asked for") {
    auto it = all.begin();
    const Tenant gone1 = it->second;
    const Tenant gone2 = (++it)->second;
    REQUIRE(dir.Offboard(gone1.id, "test"));
    REQUIRE(dir.Offboard(gone2.id, "test"));
    CHECK(ListAll(dir).size() == 23);
    CHECK(dir.live_count() == 23);
    TenantFilter f;
    f.include_deleted = true;
    CHECK(ListAll(dir, f).size() == 25);
    TenantFilter deleted;
    deleted.state = TenantState::kDeleted;
    auto d = ListAll(dir, deleted);
    std::vector<std::string> want{gone1.id.str(), gone2.id.str()};
    std::sort(want.begin(), want.end());
    CHECK(Ids(d) == want);
  }
  SECTION("bad paging input is refused") {
    for (const std::string cursor :
         {"garbage", "TN_0000000000000000", "tn_0000", "' OR 1=1 --", "tn_zzzzzzzzzzzzzzzz"}) {
      CAPTURE(cursor);
      TenantFilter f;
      f.after = cursor;
      auto r = dir.List(f);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kInvalidArgument);
    }
    TenantFilter f;
    f.limit = 0;
    CHECK(dir.List(f).error().code == Errc::kInvalidArgument);
    f.limit = 1001;
    CHECK(dir.List(f).error().code == Errc::kInvalidArgument);
    f.limit = 1000;
    CHECK(dir.List(f));
  }
  SECTION("a well-formed cursor resumes after that id, even if no tenant has it") {
    TenantFilter f;
    f.after = "tn_8000000000000000";
    f.limit = 1000;
    auto r = dir.List(f);
    REQUIRE(r);
    std::vector<std::string> want;
    for (const auto& [id, t] : all)
      if (id > f.after) want.push_back(id);
    CHECK(Ids(r->items) == want);
  }
}

// ForEachTenant walks what List pages through; these compare the two and
// pin the contract for changes made during a walk.

namespace {

// Every id `fn` was called with, in call order.
std::vector<std::string> Walk(const Directory& dir, const TenantFilter& filter) {
  std::vector<std::string> seen;
  auto r = dir.ForEachTenant(filter, [&](const Tenant& t) {
    seen.push_back(t.id.str());
    return true;
  });
  REQUIRE(r);
  return seen;
}

}  // namespace

TEST_CASE("ForEachTenant visits 2,503 tenants in pages of 1000, each once, in id order",
          "[directory][walk]") {
  FleetWorld world;
  Directory& dir = world.directory();
  std::map<std::string, Tenant> all;  // by id
  for (int i = 0; i < 2503; ++i) {
    Tenant t = MustProvision(dir, Request("w" + std::to_string(i), i % 3 == 0 ? "free" : "standard"));
    if (i % 10 == 0) t = *dir.ChangeState(t.id, TenantState::kSuspended, "test");
    all[t.id.str()] = t;
  }
  REQUIRE(all.size() == 2503);

  TenantFilter filter;
  filter.limit = 1000;
  std::vector<std::string> seen;
  std::size_t differing = 0;
  auto r = dir.ForEachTenant(filter, [&](const Tenant& t) {
    seen.push_back(t.id.str());
    const auto it = all.find(t.id.str());
    if (it == all.end() || it->second.slug != t.slug || it->second.state != t.state ||
        it->second.tier != t.tier || it->second.revision != t.revision)
      ++differing;
    return true;
  });
  REQUIRE(r);
  std::vector<std::string> want;
  for (const auto& [id, t] : all) want.push_back(id);  // std::map: id order
  CHECK(seen.size() == 2503);
  CHECK(seen == want);
  CHECK(differing == 0);

  // The filter holds on every page, not only the first.
  filter.state = TenantState::kSuspended;
  filter.tier = "free";
  std::vector<std::string> want_filtered;
  for (const auto& [id, t] : all)
    if (t.state == TenantState::kSuspended && t.tier == "free") want_filtered.push_back(id);
  REQUIRE(want_filtered.size() == 84);  // i % 30 == 0 for i < 2503
  CHECK(Walk(dir, filter) == want_filtered);
  CHECK(Ids(ListAll(dir, filter)) == want_filtered);

  // Stopping at the 1000th tenant, the end of the first page, reads no more.
  filter = TenantFilter{};
  filter.limit = 1000;
  std::size_t calls = 0;
  REQUIRE(dir.ForEachTenant(filter, [&](const Tenant&) { return ++calls < 1000; }));
  CHECK(calls == 1000);
}

TEST_CASE("ForEachTenant filters, stops early, resumes and reports errors", "[directory][walk]") {
  FleetWorld world;
  Directory& dir = world.directory();
  std::map<std::string, Tenant> all = ProvisionMixed(dir, 30);  // by id
  const TenantId gone = all.begin()->second.id;
  REQUIRE(dir.Offboard(gone, "test"));
  all[gone.str()] = **dir.Get(gone);

  SECTION("every filter gives what List pages through, on small pages") {
    std::vector<TenantFilter> filters(7);
    filters[1].state = TenantState::kSuspended;
    filters[2].state = TenantState::kQuarantined;
    filters[3].tier = "premium";
    filters[4].model = IsolationModel::kDedicated;
    filters[4].state = TenantState::kActive;
    filters[5].include_deleted = true;
    filters[6].state = TenantState::kDeleted;
    for (std::size_t i = 0; i < filters.size(); ++i) {
      CAPTURE(i);
      filters[i].limit = 4;
      const auto listed = Ids(ListAll(dir, filters[i]));
      CHECK_FALSE(listed.empty());
      CHECK(Walk(dir, filters[i]) == listed);
    }
    CHECK(Walk(dir, filters[0]).size() == 29);  // the deleted one is left out
    CHECK(Walk(dir, filters[5]).size() == 30);
    CHECK(Walk(dir, filters[6]) == std::vector<std::string>{gone.str()});
    TenantFilter none;
    none.tier = "nonexistent";
    CHECK(Walk(dir, none).empty());
  }
  SECTION("fn returning false stops the walk at that tenant") {
    TenantFilter f;
    f.limit = 7;
    f.include_deleted = true;
    std::vector<std::string> want;
    for (const auto& [id, t] : all) want.push_back(id);
    for (std::size_t stop_at : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{30}}) {
      CAPTURE(stop_at);
      std::vector<std::string> seen;
      auto r = dir.ForEachTenant(f, [&](const Tenant& t) {
        seen.push_back(t.id.str());
        return seen.size() < stop_at;
      });
      CHECK(r);  // stopping is success
      CHECK(seen == std::vector<std::string>(want.begin(), want.begin() + stop_at));
    }
  }
  SECTION("the walk starts after filter.after") {
    TenantFilter f;
    f.limit = 3;
    f.include_deleted = true;
    f.after = std::next(all.begin(), 11)->first;
    std::vector<std::string> want;
    for (auto it = std::next(all.begin(), 12); it != all.end(); ++it) want.push_back(it->first);
    CHECK(Walk(dir, f) == want);
  }
  SECTION("a bad limit or cursor is the List error, before any tenant") {
    std::size_t calls = 0;
    auto count = [&](const Tenant&) { return ++calls > 0; };
    TenantFilter f;
    f.limit = 0;
    auto r = dir.ForEachTenant(f, count);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    f.limit = 1001;
    r = dir.ForEachTenant(f, count);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    f.limit = 10;
    f.after = "' OR 1=1 --";
    r = dir.ForEachTenant(f, count);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK(calls == 0);
  }
  SECTION("a page that fails mid-walk ends it with the storage error") {
    // The control table goes away behind the directory's back while the
    // first page is being visited: the second page cannot be read.
    TenantFilter f;
    f.limit = 10;
    std::size_t calls = 0;
    auto r = dir.ForEachTenant(f, [&](const Tenant&) {
      if (++calls == 1) {
        sqlite3* db = nullptr;
        const std::string path = (DataDir(world) / "control.db").string();
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        CHECK(sqlite3_exec(db, "ALTER TABLE tenancy_tenants RENAME TO moved_away", nullptr, nullptr,
                           nullptr) == SQLITE_OK);
        sqlite3_close(db);
      }
      return true;
    });
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kStorage);
    CHECK(calls == 10);  // the first page, and nothing after it
  }
}

TEST_CASE("ForEachTenant over an empty directory calls nothing", "[directory][walk]") {
  FleetWorld world;
  Directory& dir = world.directory();
  std::size_t calls = 0;
  TenantFilter f;
  f.limit = 1000;
  REQUIRE(dir.ForEachTenant(f, [&](const Tenant&) { return ++calls > 0; }));
  f.include_deleted = true;
  f.limit = 1;
  REQUIRE(dir.ForEachTenant(f, [&](const Tenant&) { return ++calls > 0; }));
  CHECK(calls == 0);
}

TEST_CASE("ForEachTenant is a cursor walk: changes after the cursor are seen, before it not",
          "[directory][walk]") {
  FleetWorld world;
  Directory& dir = world.directory();

  SECTION("tenants provisioned, offboarded and suspended from inside fn") {
    std::map<std::string, Tenant> all;
    for (int i = 0; i < 20; ++i) {
      Tenant t = MustProvision(dir, Request("c" + std::to_string(i)));
      all[t.id.str()] = t;
    }
    const std::string cursor = std::next(all.begin(), 4)->first;  // end of the first page
    const std::string to_offboard = std::next(all.begin(), 9)->first;
    const std::string to_suspend = std::next(all.begin(), 14)->first;
    TenantFilter f;
    f.limit = 5;
    f.state = TenantState::kActive;
    std::vector<std::string> seen;
    std::string added_after, added_before;
    auto r = dir.ForEachTenant(f, [&](const Tenant& t) {
      seen.push_back(t.id.str());
      if (seen.size() == 1) {
        // Ids are random: provision until one lands on each side of the cursor.
        for (int i = 0; i < 200 && (added_after.empty() || added_before.empty()); ++i) {
          const std::string id = MustProvision(dir, Request("new" + std::to_string(i))).id.str();
          (id > cursor ? added_after : added_before) = id;
        }
        REQUIRE(dir.Offboard(*TenantId::Parse(to_offboard), "test"));
        REQUIRE(dir.ChangeState(*TenantId::Parse(to_suspend), TenantState::kSuspended, "test"));
      }
      return true;
    });
    REQUIRE(r);
    REQUIRE_FALSE(added_after.empty());
    REQUIRE_FALSE(added_before.empty());
    const std::set<std::string> seen_set(seen.begin(), seen.end());
    CHECK(seen_set.size() == seen.size());  // at most once
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(seen_set.count(added_after) == 1);
    CHECK(seen_set.count(added_before) == 0);
    CHECK(seen_set.count(to_offboard) == 0);
    CHECK(seen_set.count(to_suspend) == 0);
    for (const auto& [id, t] : all)
      if (id != to_offboard && id != to_suspend) CHECK(seen_set.count(id) == 1);
  }
  SECTION("a tenant added while the final page is visited is not") {
    const Tenant only = MustProvision(dir, Request("only"));
    TenantFilter f;
    f.limit = 10;
    std::string added_after;
    std::size_t calls = 0;
    auto r = dir.ForEachTenant(f, [&](const Tenant& t) {
      ++calls;
      CHECK(t.id == only.id);
      for (int i = 0; i < 200 && added_after.empty(); ++i) {
        const std::string id = MustProvision(dir, Request("late" + std::to_string(i))).id.str();
        if (id > only.id.str()) added_after = id;
      }
      return true;
    });
    REQUIRE(r);
    REQUIRE_FALSE(added_after.empty());
    CHECK(calls == 1);
  }
  SECTION("walks race provisioning and offboarding on other threads") {
    std::vector<Tenant> stable;
    for (int i = 0; i < 60; ++i) stable.push_back(MustProvision(dir, Request("s" + std::to_string(i))));
    std::vector<Tenant> doomed;
    for (int i = 0; i < 30; ++i) doomed.push_back(MustProvision(dir, Request("d" + std::to_string(i))));

    std::atomic<bool> go{false};
    std::atomic<int> change_failures{0};
    std::thread changer([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < 30; ++i) {
        if (!dir.Provision(Request("n" + std::to_string(i)))) ++change_failures;
        if (!dir.Offboard(doomed[static_cast<std::size_t>(i)].id, "race")) ++change_failures;
      }
    });
    // Each walk must be strictly increasing (so each tenant at most once)
    // and hold every tenant that existed and stayed active throughout.
    std::set<std::string> stable_ids;
    for (const auto& t : stable) stable_ids.insert(t.id.str());
    constexpr int kWalkers = 2;
    constexpr int kRounds = 5;
    std::atomic<int> walks{0}, bad_walks{0}, failed_walks{0};
    std::vector<std::thread> walkers;
    for (int w = 0; w < kWalkers; ++w)
      walkers.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        TenantFilter f;
        f.limit = 7;
        for (int round = 0; round < kRounds; ++round) {
          std::vector<std::string> ids;
          auto r = dir.ForEachTenant(f, [&](const Tenant& t) {
            ids.push_back(t.id.str());
            return true;
          });
          ++walks;
          if (!r) {
            ++failed_walks;
            continue;
          }
          const bool increasing =
              std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) == ids.end();
          const bool complete = std::all_of(stable_ids.begin(), stable_ids.end(), [&](const auto& id) {
            return std::binary_search(ids.begin(), ids.end(), id);
          });
          if (!increasing || !complete) ++bad_walks;
        }
      });
    go = true;
    changer.join();
    for (auto& th : walkers) th.join();
    CHECK(change_failures == 0);
    CHECK(walks == kWalkers * kRounds);
    CHECK(failed_walks == 0);
    CHECK(bad_walks == 0);
    std::size_t live = 0;
    REQUIRE(dir.ForEachTenant(TenantFilter{}, [&](const Tenant&) { return ++live > 0; }));
    CHECK(live == 90);  // 60 stable + 30 new; the 30 doomed are gone
  }
}

TEST_CASE("Update changes name, tier and domain, each checked", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  ProvisionRequest ra = Request("acme", "free");
  ra.custom_domain = "rides.acme.example";
  const Tenant a = MustProvision(dir, ra);
  ProvisionRequest rb = Request("bolt");
  rb.custom_domain = "bolt.example";
  const Tenant b = MustProvision(dir, rb);

  SECTION("display name and tier; the model stays") {
    TenantUpdate u;
    u.display_name = "ACME Cabs GmbH";
    u.tier = "enterprise";
    auto r = dir.Update(a.id, u);
    REQUIRE(r);
    CHECK(r->display_name == "ACME Cabs GmbH");
    CHECK(r->tier == "enterprise");
    CHECK(r->model == IsolationModel::kShared);  // tiers do not move data
    CHECK(r->revision == a.revision + 1);
    CHECK(r->updated_at >= a.updated_at);
    CHECK(r->created_at == a.created_at);
    CheckSameTenant(**dir.Get(a.id), *r);
    CheckSameTenant(**dir.GetBySlug("acme"), *r);
    // Other tenants are untouched.
    CheckSameTenant(**dir.Get(b.id), b);
  }
  SECTION("moving and clearing the custom domain") {
    TenantUpdate move;
    move.custom_domain = std::optional<std::string>("acme.example");
    REQUIRE(dir.Update(a.id, move));
    CHECK(dir.GetByDomain("rides.acme.example").error().code == Errc::kTenantUnknown);
    CHECK((*dir.GetByDomain("acme.example"))->id == a.id);
    // Setting the domain it already has is fine.
    REQUIRE(dir.Update(a.id, move));
    TenantUpdate clear;
    clear.custom_domain = std::optional<std::string>{};
    auto cleared = dir.Update(a.id, clear);
    REQUIRE(cleared);
    CHECK_FALSE(cleared->custom_domain.has_value());
    CHECK(dir.GetByDomain("acme.example").error().code == Errc::kTenantUnknown);
    // The freed domain can be taken by another tenant.
    TenantUpdate take;
    take.custom_domain = std::optional<std::string>("rides.acme.example");
    REQUIRE(dir.Update(b.id, take));
    CHECK((*dir.GetByDomain("rides.acme.example"))->id == b.id);
    CHECK(dir.GetByDomain("bolt.example").error().code == Errc::kTenantUnknown);
  }
  SECTION("a domain held by another tenant is kAlreadyExists; nothing changes") {
    TenantUpdate steal;
    steal.display_name = "Bolt renamed";
    steal.custom_domain = std::optional<std::string>("rides.acme.example");
    auto r = dir.Update(b.id, steal);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kAlreadyExists);
    CheckSameTenant(**dir.Get(b.id), b);
    CheckSameTenant(**dir.Get(a.id), a);
    CHECK((*dir.GetByDomain("rides.acme.example"))->id == a.id);
    CHECK((*dir.GetByDomain("bolt.example"))->id == b.id);
  }
  SECTION("invalid updates are kInvalidArgument; nothing changes") {
    std::vector<TenantUpdate> bad(7);
    bad[0].display_name = "";
    bad[1].display_name = std::string(kMaxDisplayNameBytes + 1, 'x');
    bad[2].display_name = "two\nlines";
    bad[3].tier = "gold";
    bad[4].tier = "";
    bad[5].custom_domain = std::optional<std::string>("not a domain");
    bad[6].custom_domain = std::optional<std::string>("single");
    for (std::size_t i = 0; i < bad.size(); ++i) {
      CAPTURE(i);
      // A valid change riding along with the invalid one must not be applied.
      if (!bad[i].display_name) bad[i].display_name = "x";
      auto r = dir.Update(a.id, bad[i]);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kInvalidArgument);
      CheckSameTenant(**dir.Get(a.id), a);
    }
  }
  SECTION("unknown and deleted tenants are kTenantUnknown") {
    TenantUpdate u;
    u.display_name = "ghost";
    CHECK(dir.Update(TenantId::Generate(), u).error().code == Errc::kTenantUnknown);
    REQUIRE(dir.Offboard(b.id, "gone"));
    CHECK(dir.Update(b.id, u).error().code == Errc::kTenantUnknown);
    CHECK((*dir.Get(b.id))->display_name == "bolt");
  }
}

TEST_CASE("ChangeState follows the lifecycle for every pair of states", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  // How to bring a fresh (active) tenant into each state ChangeState can reach.
  const std::map<TenantState, std::vector<TenantState>> path = {
      {TenantState::kActive, {}},
      {TenantState::kSuspended, {TenantState::kSuspended}},
      {TenantState::kQuarantined, {TenantState::kQuarantined}},
  };
  int n = 0;
  for (const auto& [from, steps] : path) {
    for (TenantState to : kAllStates) {
      CAPTURE(ToString(from), ToString(to));
      Tenant t = MustProvision(dir, Request("s" + std::to_string(n++)));
      for (TenantState s : steps) t = *dir.ChangeState(t.id, s, "setup");
      REQUIRE(t.state == from);
      const auto history_before = dir.History(t.id)->size();
      // Offboarding and deletion only go through Offboard.
      const bool legal = IsTransitionAllowed(from, to) && to != TenantState::kOffboarding &&
                         to != TenantState::kDeleted;
      auto r = dir.ChangeState(t.id, to, "because");
      CHECK(static_cast<bool>(r) == legal);
      auto now = dir.Get(t.id);
      REQUIRE(now);
      if (legal) {
        REQUIRE(r);
        CHECK(r->state == to);
        CHECK((*now)->state == to);
        CHECK((*now)->revision == t.revision + 1);
        CHECK(dir.History(t.id)->size() == history_before + 1);
      } else {
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::kFailedPrecondition);
        CheckSameTenant(**now, t);
        CHECK(dir.History(t.id)->size() == history_before);
      }
    }
  }
  SECTION("unknown tenants and oversized reasons") {
    CHECK(dir.ChangeState(TenantId::Generate(), TenantState::kSuspended, "x").error().code ==
          Errc::kTenantUnknown);
    const Tenant t = MustProvision(dir, Request("reasons"));
    auto r = dir.ChangeState(t.id, TenantState::kSuspended, std::string(1025, 'r'));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK((*dir.Get(t.id))->state == TenantState::kActive);
    CHECK(dir.ChangeState(t.id, TenantState::kSuspended, std::string(1024, 'r')));
    REQUIRE(dir.Offboard(t.id, "done"));
    for (TenantState to : kAllStates) {
      auto after = dir.ChangeState(t.id, to, "zombie");
      REQUIRE_FALSE(after);
      CHECK((after.error().code == Errc::kTenantUnknown ||
             after.error().code == Errc::kFailedPrecondition));
      CHECK((*dir.Get(t.id))->state == TenantState::kDeleted);
    }
  }
}

TEST_CASE("History records every transition with its reason, oldest first", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const Tenant t = MustProvision(dir, Request("acme"));
  const Tenant other = MustProvision(dir, Request("other"));
  REQUIRE(dir.ChangeState(t.id, TenantState::kSuspended, "unpaid invoice #42"));
  REQUIRE_FALSE(dir.ChangeState(t.id, TenantState::kQuarantined, "illegal: not recorded"));
  REQUIRE(dir.ChangeState(t.id, TenantState::kActive, "paid"));
  REQUIRE(dir.ChangeState(t.id, TenantState::kQuarantined, "abuse report 'x'; DROP"));
  REQUIRE(dir.ChangeState(other.id, TenantState::kSuspended, "other tenant"));
  REQUIRE(dir.Offboard(t.id, "contract ended"));

  auto h = dir.History(t.id);
  REQUIRE(h);
  using S = TenantState;
  struct Want {
    S from, to;
    std::string reason;
  };
  const std::vector<Want> want = {
      {S::kActive, S::kSuspended, "unpaid invoice #42"},
      {S::kSuspended, S::kActive, "paid"},
      {S::kActive, S::kQuarantined, "abuse report 'x'; DROP"},
      {S::kQuarantined, S::kOffboarding, "contract ended"},
      {S::kOffboarding, S::kDeleted, "contract ended"},
  };
  // The first entry is the activation at provisioning time.
  REQUIRE(h->size() == want.size() + 1);
  CHECK((*h)[0].from == S::kProvisioning);
  CHECK((*h)[0].to == S::kActive);
  for (std::size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK((*h)[i + 1].from == want[i].from);
    CHECK((*h)[i + 1].to == want[i].to);
    CHECK((*h)[i + 1].reason == want[i].reason);
  }
  for (std::size_t i = 1; i < h->size(); ++i) CHECK((*h)[i - 1].at <= (*h)[i].at);
  CHECK(ToUnixMillis(h->back().at) == ToUnixMillis((*dir.Get(t.id))->updated_at));

  auto ho = dir.History(other.id);
  REQUIRE(ho);
  REQUIRE(ho->size() == 2);
  CHECK(ho->back().reason == "other tenant");
  CHECK(dir.History(TenantId::Generate())->empty());
}

TEST_CASE("Offboard removes the tenant's data per model and frees its slug", "[directory]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  Directory& dir = world.directory();
  const fs::path data = DataDir(world);
  ProvisionRequest ra = Request("acme", "", model);
  ra.custom_domain = "rides.acme.example";
  const Tenant a = MustProvision(dir, ra);
  const Tenant keeper = MustProvision(dir, Request("keeper", "", model));
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  Repository<Trip> trips(world.store(), Trips());
  auto actx = world.Context(a);
  auto kctx = world.Context(keeper);
  for (int i = 0; i < 5; ++i) {
    const std::string id = "v" + std::to_string(i);
    REQUIRE(vehicles.Insert(actx, Vehicle{id, "A-" + id, 4, {}, ""}));
    REQUIRE(vehicles.Insert(kctx, Vehicle{id, "K-" + id, 2, {}, ""}));
    REQUIRE(trips.Insert(actx, Trip{"d", i, 1.5, Blob{1, 2}}));
    REQUIRE(trips.Insert(kctx, Trip{"d", i, 2.5, Blob{3}}));
  }

  const fs::path a_db = model == IsolationModel::kDatabase ? data / "tenants" / (a.id.str() + ".db")
                        : model == IsolationModel::kDedicated ? fs::path(a.placement) / "tenant.db"
                                                              : data / "shared.db";
  REQUIRE(fs::exists(a_db));
  if (model == IsolationModel::kShared) {
    REQUIRE(SharedRows(data, "vehicles", a.id) == 5);
    REQUIRE(SharedRows(data, "trips", a.id) == 5);
  }

  auto off = dir.Offboard(a.id, "contract ended");
  REQUIRE(off);
  CHECK(off->state == TenantState::kDeleted);
  CHECK(off->revision > a.revision);

  switch (model) {
    case IsolationModel::kShared:
      CHECK(fs::exists(a_db));
      CHECK(SharedRows(data, "vehicles", a.id) == 0);
      CHECK(SharedRows(data, "trips", a.id) == 0);
      CHECK(SharedRows(data, "vehicles", keeper.id) == 5);
      CHECK(SharedRows(data, "trips", keeper.id) == 5);
      break;
    case IsolationModel::kDatabase:
      CHECK_FALSE(fs::exists(a_db));
      CHECK_FALSE(fs::exists(a_db.string() + "-wal"));
      CHECK_FALSE(fs::exists(a_db.string() + "-shm"));
      CHECK(fs::exists(data / "tenants" / (keeper.id.str() + ".db")));
      break;
    case IsolationModel::kDedicated:
      CHECK_FALSE(fs::exists(a_db));
      CHECK_FALSE(fs::exists(fs::path(a.placement) / "tenant.json"));
      CHECK(fs::exists(fs::path(keeper.placement) / "tenant.db"));
      break;
  }
  // The keeper's data is intact in every model.
  CHECK(*vehicles.Count(kctx) == 5);
  CHECK(*trips.Count(kctx) == 5);
  CHECK(vehicles.Get(kctx, "v3")->plate == "K-v3");

  // The tombstone: found by id, not by slug or domain; no contexts.
  auto tomb = dir.Get(a.id);
  REQUIRE(tomb);
  CHECK((*tomb)->state == TenantState::kDeleted);
  CHECK((*tomb)->slug == "acme");
  CHECK(dir.GetBySlug("acme").error().code == Errc::kTenantUnknown);
  CHECK(dir.GetByDomain("rides.acme.example").error().code == Errc::kTenantUnknown);
  for (PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kService,
                             PrincipalKind::kPlatformOperator, PrincipalKind::kSystem}) {
    auto ctx = dir.MintContext(a.id, Principal{"p", kind}, {}, "r");
    REQUIRE_FALSE(ctx);
    CHECK(ctx.error().code == Errc::kTenantUnknown);
  }
  CHECK(dir.live_count() == 1);
  CHECK(dir.Offboard(a.id, "again").error().code == Errc::kTenantUnknown);

  SECTION("a context minted before offboarding reaches nothing afterwards") {
    auto got = vehicles.Get(actx, "v1");
    REQUIRE_FALSE(got);
    CHECK(got.error().code == Errc::kTenantUnknown);
    auto wrote = vehicles.Insert(actx, Vehicle{"late", "L-1", 1, {}, ""});
    REQUIRE_FALSE(wrote);
    CHECK(wrote.error().code == Errc::kTenantUnknown);
    auto tx = world.store().Transact(actx, [&](Transaction& t) -> Result<void> {
      return trips.Insert(t, Trip{"late", 1, 1.0, Blob{}});
    });
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == Errc::kTenantUnknown);
    if (model == IsolationModel::kShared) {
      CHECK(SharedRows(data, "vehicles", a.id) == 0);
      CHECK(SharedRows(data, "trips", a.id) == 0);
    } else {
      CHECK_FALSE(fs::exists(a_db));
    }
  }
  SECTION("the slug and domain are free again, for a brand-new tenant") {
    auto again = dir.Provision(ra);
    REQUIRE(again);
    CHECK(again->created);
    CHECK(again->tenant.id != a.id);
    CHECK((*dir.GetBySlug("acme"))->id == again->tenant.id);
    CHECK((*dir.GetByDomain("rides.acme.example"))->id == again->tenant.id);
    auto nctx = world.Context(again->tenant);
    CHECK(*vehicles.Count(nctx) == 0);
    CHECK(*trips.Count(nctx) == 0);
    CHECK(vehicles.Get(nctx, "v1").error().code == Errc::kNotFound);
    CHECK(dir.live_count() == 2);
    CHECK((*dir.Get(a.id))->state == TenantState::kDeleted);
  }
}

TEST_CASE("Offboard never removes data of another tenant's placement", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const fs::path where = world.dir().path() / "pinned";
  ProvisionRequest r1 = Request("owner", "enterprise");
  r1.placement = where.string();
  const Tenant owner = MustProvision(dir, r1);
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  auto octx = world.Context(owner);
  REQUIRE(vehicles.Insert(octx, Vehicle{"v1", "OWNER", 4, {}, ""}));

  // A second tenant pinned to the same directory must not get it.
  ProvisionRequest r2 = Request("squatter", "enterprise");
  r2.placement = where.string();
  auto squat = dir.Provision(r2);
  REQUIRE_FALSE(squat);
  CHECK(squat.error().code == Errc::kAlreadyExists);

  // Whatever is left of the failed attempt, cleaning it up must leave the
  // owner's data alone.
  if (auto left = dir.GetBySlug("squatter")) {
    CHECK((*left)->state == TenantState::kProvisioning);
    CHECK(
        dir.MintContext((*left)->id, Principal{"u", PrincipalKind::kUser}, {}, "r").error().code ==
        Errc::kTenantSuspended);
    REQUIRE(dir.Offboard((*left)->id, "failed provisioning"));
  }
  CHECK(fs::exists(where / "tenant.db"));
  CHECK(fs::exists(where / "tenant.json"));
  auto still = vehicles.Get(octx, "v1");
  REQUIRE(still);
  CHECK(still->plate == "OWNER");
  // A placement holding a database nobody registered is not taken either,
  // nor removed when the failed attempt is cleaned up.
  const fs::path foreign = world.dir().path() / "foreign";
  fs::create_directories(foreign);
  { std::ofstream(foreign / "tenant.db") << "precious"; }
  ProvisionRequest r3 = Request("intruder", "enterprise");
  r3.placement = foreign.string();
  auto intrude = dir.Provision(r3);
  REQUIRE_FALSE(intrude);
  CHECK(intrude.error().code == Errc::kAlreadyExists);
  if (auto left = dir.GetBySlug("intruder"))
    REQUIRE(dir.Offboard((*left)->id, "failed provisioning"));
  REQUIRE(fs::exists(foreign / "tenant.db"));
  std::ifstream in(foreign / "tenant.db");
  std::string content;
  in >> content;
  CHECK(content == "precious");
  // Also after a restart (nothing cached).
  world.Reopen();
  Repository<Vehicle> reopened(world.store(), Vehicles());
  auto fresh = world.Context(**world.directory().Get(owner.id));
  auto after = reopened.Get(fresh, "v1");
  REQUIRE(after);
  CHECK(after->plate == "OWNER");
}

TEST_CASE("MintContext checks the tenant's state and the principal", "[directory]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const Tenant t = MustProvision(dir, Request("acme"));
  const std::string trace(32, 'a');

  auto ctx = dir.MintContext(t.id, Principal{"u-1", PrincipalKind::kUser}, {"admin", "dispatcher"},
                             "req-1", trace);
  REQUIRE(ctx);
  CHECK(ctx->tenant_id() == t.id);
  CHECK(ctx->tenant().slug == "acme");
  CHECK(ctx->principal().id == "u-1");
  CHECK(ctx->principal().kind == PrincipalKind::kUser);
  CHECK(ctx->request_id() == "req-1");
  CHECK(ctx->trace_id() == trace);
  CHECK(ctx->roles().size() == 2);
  CHECK(ctx->HasRole("admin"));
  CHECK(ctx->HasRole("dispatcher"));
  CHECK_FALSE(ctx->HasRole("Admin"));
  CHECK_FALSE(ctx->HasRole("adm"));
  CHECK_FALSE(ctx->HasRole(""));

  CHECK(dir.MintContext(TenantId::Generate(), Principal{"u", PrincipalKind::kUser}, {}, "r")
            .error()
            .code == Errc::kTenantUnknown);
  CHECK(dir.MintContext(TenantId{}, Principal{"u", PrincipalKind::kPlatformOperator}, {}, "r")
            .error()
            .code == Errc::kTenantUnknown);

  const PrincipalKind tenant_kinds[] = {PrincipalKind::kUser, PrincipalKind::kApiKey,
                                        PrincipalKind::kService, PrincipalKind::kSystem};
  SECTION("suspended: only platform operators may act") {
    REQUIRE(dir.ChangeState(t.id, TenantState::kSuspended, "unpaid"));
    for (PrincipalKind kind : tenant_kinds) {
      CAPTURE(static_cast<int>(kind));
      auto c = dir.MintContext(t.id, Principal{"p", kind}, {}, "r");
      REQUIRE_FALSE(c);
      CHECK(c.error().code == Errc::kTenantSuspended);
    }
    auto op = dir.MintContext(t.id, Principal{"ops-1", PrincipalKind::kPlatformOperator}, {}, "r");
    REQUIRE(op);
    CHECK(op->tenant().state == TenantState::kSuspended);
    // Back to active: everyone again.
    REQUIRE(dir.ChangeState(t.id, TenantState::kActive, "paid"));
    for (PrincipalKind kind : tenant_kinds)
      CHECK(dir.MintContext(t.id, Principal{"p", kind}, {}, "r"));
  }
  SECTION("quarantined tenants still act") {
    REQUIRE(dir.ChangeState(t.id, TenantState::kQuarantined, "abuse"));
    for (PrincipalKind kind : tenant_kinds) {
      auto c = dir.MintContext(t.id, Principal{"p", kind}, {}, "r");
      REQUIRE(c);
      CHECK(c->tenant().state == TenantState::kQuarantined);
    }
  }
  SECTION("a context keeps the snapshot it was minted with") {
    REQUIRE(dir.ChangeState(t.id, TenantState::kSuspended, "unpaid"));
    CHECK(ctx->tenant().state == TenantState::kActive);
    CHECK(ctx->tenant().revision == t.revision);
  }
}

TEST_CASE("the directory survives a restart", "[directory]") {
  FleetWorld world;
  std::vector<TenantId> ids;
  {
    Directory& dir = world.directory();
    ProvisionRequest ra = Request("acme", "free");
    ra.custom_domain = "rides.acme.example";
    ra.display_name = "ACME Cabs";
    ids.push_back(MustProvision(dir, ra).id);
    ids.push_back(MustProvision(dir, Request("prem", "premium")).id);
    ids.push_back(MustProvision(dir, Request("ent", "enterprise")).id);
    ids.push_back(MustProvision(dir, Request("sus", "standard")).id);
    ids.push_back(MustProvision(dir, Request("quar", "premium")).id);
    ids.push_back(MustProvision(dir, Request("gone", "enterprise")).id);
    REQUIRE(dir.ChangeState(ids[3], TenantState::kSuspended, "unpaid"));
    REQUIRE(dir.ChangeState(ids[4], TenantState::kQuarantined, "abuse"));
    TenantUpdate u;
    u.display_name = "Premium Rides";
    u.tier = "enterprise";
    u.custom_domain = std::optional<std::string>("prem.example");
    REQUIRE(dir.Update(ids[1], u));
    REQUIRE(dir.Update(ids[1], TenantUpdate{.display_name = "Premium Rides 2"}));
    REQUIRE(dir.Offboard(ids[5], "left"));
  }
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  for (std::size_t i = 0; i < 5; ++i) {
    auto t = world.directory().Get(ids[i]);
    if ((*t)->state == TenantState::kSuspended) continue;
    REQUIRE(vehicles.Insert(world.Context(**t), Vehicle{"v", "P" + std::to_string(i), 1, {}, ""}));
  }

  std::vector<Tenant> before;
  for (const auto& id : ids) before.push_back(**world.directory().Get(id));
  std::map<std::string, std::vector<Directory::Transition>> history_before;
  for (const auto& id : ids) history_before[id.str()] = *world.directory().History(id);
  const auto live_before = world.directory().live_count();
  const auto list_before = Ids(ListAll(world.directory(), TenantFilter{.include_deleted = true}));

  world.Reopen();
  Directory& dir = world.directory();

  CHECK(dir.live_count() == live_before);
  CHECK(live_before == 5);
  CHECK(Ids(ListAll(dir, TenantFilter{.include_deleted = true})) == list_before);
  for (const auto& t : before) {
    CAPTURE(t.slug);
    auto now = dir.Get(t.id);
    REQUIRE(now);
    CheckSameTenant(**now, t);
    auto h = dir.History(t.id);
    REQUIRE(h);
    const auto& hb = history_before[t.id.str()];
    REQUIRE(h->size() == hb.size());
    for (std::size_t i = 0; i < hb.size(); ++i) {
      CHECK((*h)[i].from == hb[i].from);
      CHECK((*h)[i].to == hb[i].to);
      CHECK((*h)[i].reason == hb[i].reason);
      CHECK((*h)[i].at == hb[i].at);
    }
    if (t.state != TenantState::kDeleted) {
      CHECK((*dir.GetBySlug(t.slug))->id == t.id);
      if (t.custom_domain) CHECK((*dir.GetByDomain(*t.custom_domain))->id == t.id);
    } else {
      CHECK(dir.GetBySlug(t.slug).error().code == Errc::kTenantUnknown);
    }
  }
  CHECK((*dir.GetByDomain("prem.example"))->id == ids[1]);
  CHECK((*dir.GetBySlug("sus"))->state == TenantState::kSuspended);
  CHECK(dir.MintContext(ids[3], Principal{"u", PrincipalKind::kUser}, {}, "r").error().code ==
        Errc::kTenantSuspended);
  CHECK(dir.MintContext(ids[5], Principal{"u", PrincipalKind::kUser}, {}, "r").error().code ==
        Errc::kTenantUnknown);

  // Data and idempotency survive too.
  Repository<Vehicle> reopened(world.store(), Vehicles());
  CHECK(reopened.Get(world.Context(**dir.Get(ids[0])), "v")->plate == "P0");
  CHECK(reopened.Get(world.Context(**dir.Get(ids[1])), "v")->plate == "P1");
  CHECK(reopened.Get(world.Context(**dir.Get(ids[2])), "v")->plate == "P2");
  ProvisionRequest ra = Request("acme", "free");
  ra.custom_domain = "rides.acme.example";
  ra.display_name = "ACME Cabs";
  auto again = dir.Provision(ra);
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(again->tenant.id == ids[0]);
  // The deleted tenant's slug is free after the restart as well.
  auto reuse = dir.Provision(Request("gone", "enterprise"));
  REQUIRE(reuse);
  CHECK(reuse->created);
  CHECK(reuse->tenant.id != ids[5]);
  // Changes after the restart continue the revision sequence.
  auto sus = dir.ChangeState(ids[3], TenantState::kActive, "paid");
  REQUIRE(sus);
  CHECK(sus->revision == before[3].revision + 1);
}

TEST_CASE("concurrent provisioning of one slug yields one tenant", "[directory][concurrency]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  FleetWorld world;
  Directory& dir = world.directory();
  std::vector<Result<ProvisionResult>> results(4, Fail(Errc::kInternal, "not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = dir.Provision(Request("race", "", model));
    });
  go = true;
  for (auto& th : threads) th.join();

  int created = 0;
  for (const auto& r : results) {
    REQUIRE(r);
    created += r->created ? 1 : 0;
    CHECK(r->tenant.id == results[0]->tenant.id);
    CHECK(r->tenant.state == TenantState::kActive);
  }
  CHECK(created == 1);
  CHECK(dir.live_count() == 1);
  CHECK(ListAll(dir).size() == 1);
  if (model == IsolationModel::kDatabase) {
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(DataDir(world) / "tenants"))
      files += e.path().extension() == ".db" ? 1 : 0;
    CHECK(files == 1);
  }
}

TEST_CASE("concurrent provisioning of 50 slugs yields 50 tenants", "[directory][concurrency]") {
  FleetWorld world;
  Directory& dir = world.directory();
  const char* tiers[] = {"free", "standard", "premium", "enterprise"};
  constexpr int kThreads = 4;
  constexpr int kSlugs = 50;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = next++; i < kSlugs; i = next++) {
        auto r = dir.Provision(Request("slug-" + std::to_string(i), tiers[i % 4]));
        if (!r) {
          ++failures;
          continue;
        }
        if (r->created) ++created;
        // Every thread also re-provisions a slug someone else may be creating.
        auto again = dir.Provision(Request("slug-" + std::to_string(i / 2), tiers[(i / 2) % 4]));
        if (!again) {
          ++failures;
        } else if (again->created) {
          ++created;
        }
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(created == kSlugs);
  CHECK(dir.live_count() == kSlugs);
  auto all = ListAll(dir);
  REQUIRE(all.size() == kSlugs);
  std::set<std::string> slugs;
  for (const auto& t : all) {
    slugs.insert(t.slug);
    CHECK(t.state == TenantState::kActive);
    CHECK(t.tier == tiers[std::stoi(t.slug.substr(5)) % 4]);
  }
  CHECK(slugs.size() == kSlugs);
  // Every tenant is usable.
  Repository<Vehicle> vehicles(world.store(), Vehicles());
  for (const auto& t : all)
    REQUIRE(vehicles.Insert(world.Context(t), Vehicle{"v", t.slug, 1, {}, ""}));
  for (const auto& t : all) CHECK(vehicles.Get(world.Context(t), "v")->plate == t.slug);
}

TEST_CASE("Directory::Open checks its options and the control database", "[directory]") {
  FleetWorld world;
  const std::string control = (DataDir(world) / "control.db").string();

  SECTION("bad options are kInvalidArgument") {
    DirectoryOptions no_path;
    CHECK(Directory::Open(no_path, world.store()).error().code == Errc::kInvalidArgument);
    DirectoryOptions no_clock;
    no_clock.path = control;
    no_clock.clock = nullptr;
    CHECK(Directory::Open(no_clock, world.store()).error().code == Errc::kInvalidArgument);
    DirectoryOptions bad_default;
    bad_default.path = control;
    bad_default.tiers.default_tier = "gold";  // not in the policy
    CHECK(Directory::Open(bad_default, world.store()).error().code == Errc::kInvalidArgument);
  }
  SECTION("a custom tier policy and clock are honoured") {
    ManualClock clock(FromUnixMillis(1'800'000'000'123));
    DirectoryOptions o;
    o.path = (world.dir().path() / "other-control.db").string();
    o.tiers.models = {{"gold", IsolationModel::kDatabase}, {"tin", IsolationModel::kShared}};
    o.tiers.default_tier = "tin";
    o.clock = &clock;
    auto dir = Directory::Open(o, world.store());
    REQUIRE(dir);
    auto gold = (*dir)->Provision(Request("g", "gold"));
    REQUIRE(gold);
    CHECK(gold->tenant.model == IsolationModel::kDatabase);
    CHECK(gold->tenant.created_at == FromUnixMillis(1'800'000'000'123));
    auto tin = (*dir)->Provision(Request("t"));
    REQUIRE(tin);
    CHECK(tin->tenant.tier == "tin");
    CHECK(tin->tenant.model == IsolationModel::kShared);
    // The default policy's tiers are unknown here.
    CHECK((*dir)->Provision(Request("p", "premium")).error().code == Errc::kInvalidArgument);
    clock.Advance(std::chrono::seconds(5));
    auto changed = (*dir)->ChangeState(gold->tenant.id, TenantState::kSuspended, "x");
    REQUIRE(changed);
    CHECK(changed->updated_at == FromUnixMillis(1'800'000'005'123));
    CHECK(changed->created_at == gold->tenant.created_at);
    CHECK((*dir)->History(gold->tenant.id)->back().at == changed->updated_at);
  }
  SECTION("a tampered control database is refused, not half-loaded") {
    MustProvision(world.directory(), Request("acme"));
    const Tenant victim = MustProvision(world.directory(), Request("victim"));
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(control.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    const std::string sql =
        "UPDATE tenancy_tenants SET state = 'zombie' WHERE id = '" + victim.id.str() + "'";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    DirectoryOptions o;
    o.path = control;
    auto reopened = Directory::Open(o, world.store());
    REQUIRE_FALSE(reopened);
    CHECK(reopened.error().code == Errc::kDataCorrupted);
  }
}

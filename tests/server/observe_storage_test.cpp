// The storage pass at scale: it ends between two tenants once Stop() is
// called (a shutdown does not wait for a walk over every tenant), measures
// every tenant with requests on every pass, and dormant tenants only when
// their figure is missing or a day old, a paced share per pass.
#include "observe_fixture.hpp"

#include <atomic>
#include <thread>

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

std::vector<tenancy::TenantId> ProvisionDormant(ObserveServer& s, const std::string& prefix, int n) {
  std::vector<tenancy::TenantId> out;
  for (int i = 0; i < n; ++i) {
    tenancy::ProvisionRequest req;
    req.slug = prefix + "-" + std::to_string(i);
    req.model = tenancy::IsolationModel::kShared;
    auto r = s.platform().directory().Provision(req);
    REQUIRE(r);
    out.push_back(r->tenant.id);
  }
  return out;
}

TEST_CASE("storage pass: Stop() ends a running pass between two tenants",
          "[server][observe][storage]") {
  ObserveServer s;
  constexpr int kTenants = 300;
  ProvisionDormant(s, "stop", kTenants);
  const std::size_t live = s.platform().directory().live_count();
  tenancy::TenantFilter first;
  first.limit = 1;
  const tenancy::TenantId first_id = s.platform().directory().List(first).value().items.at(0).id;

  std::atomic<bool> finished{false};
  tenancy::Result<StoragePass> pass = tenancy::Fail(tenancy::Errc::kInternal, "not run");
  std::thread runner([&] {
    pass = s.obs().RefreshStorage();
    finished = true;
  });
  // Once the first tenant (in id order) has its figure, the pass is under
  // way with hundreds of backups to go; then ask it to stop.
  while (!finished.load() && s.obs().ActivityOf(first_id).storage_bytes < 0) std::this_thread::yield();
  s.obs().Stop();
  runner.join();
  REQUIRE(pass);
  CHECK(pass->stopped);
  CHECK(pass->measured >= 1);
  CHECK(pass->measured < live);  // hundreds left unmeasured: it did not run to the end
  CHECK(pass->failed == 0);

  // Stopped for good: a later pass measures nothing.
  auto after = s.obs().RefreshStorage();
  REQUIRE(after);
  CHECK(after->stopped);
  CHECK(after->measured == 0);
}

TEST_CASE("storage pass: active tenants every pass, dormant ones a paced share until measured, "
          "then once a day",
          "[server][observe][storage]") {
  ObserveServer s([](PlatformOptions& p) {
    // A quarter of a day: each pass may measure a quarter of the tenants'
    // dormant figures. (The thread's first run is 6 real hours away.)
    p.observability.storage_refresh_interval = std::chrono::hours{6};
  });
  const Onboarded a = s.world().Onboard("active");
  Expect(s.As(a, V::get, "/v1/ping"), S::ok);  // a request: its data may change
  const auto dormant_ids = ProvisionDormant(s, "sleepy", 10);
  const std::size_t live = s.platform().directory().live_count();
  const std::size_t dormant = live - 1;
  const std::size_t share = (live + 3) / 4;  // ceil(live × 6 h / 24 h)
  REQUIRE(dormant > share);

  std::size_t measured_dormant = 0;
  int passes = 0;
  while (measured_dormant < dormant) {
    INFO("pass " << passes);
    auto p = s.obs().RefreshStorage();
    REQUIRE(p);
    CHECK_FALSE(p->stopped);
    CHECK(p->failed == 0);
    const std::size_t expected = std::min(share, dormant - measured_dormant);
    CHECK(p->measured == 1 + expected);  // the active tenant, and this pass's share
    CHECK(p->skipped == live - 1 - expected);
    measured_dormant += p->measured - 1;
    REQUIRE(++passes <= 10);
  }
  CHECK(passes == static_cast<int>((dormant + share - 1) / share));
  for (const auto& id : dormant_ids) CHECK(s.obs().ActivityOf(id).storage_bytes > 0);

  // Every figure is fresh: only the active tenant is read again, and its
  // figure follows its data.
  const std::int64_t before = s.obs().ActivityOf(tenancy::TenantId::Parse(a.id).value()).storage_bytes;
  Expect(s.As(a, V::post, "/v1/drivers", R"({"name":"Dana Driver"})"), S::created);
  auto fresh = s.obs().RefreshStorage();
  REQUIRE(fresh);
  CHECK(fresh->measured == 1);
  CHECK(fresh->skipped == live - 1);
  CHECK(s.obs().ActivityOf(tenancy::TenantId::Parse(a.id).value()).storage_bytes > before);

  // A day later the dormant figures are due again, a share per pass.
  s.clock().Advance(std::chrono::hours{24});
  auto stale = s.obs().RefreshStorage();
  REQUIRE(stale);
  CHECK(stale->measured == 1 + share);
}

}  // namespace
}  // namespace tenancyd::testing

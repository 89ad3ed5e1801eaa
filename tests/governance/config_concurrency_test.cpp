// Configuration under concurrency: readers (Snapshot and Reader) on several
// threads while writers publish tenant, tier and platform changes. A writer
// always changes two related settings together; a reader that ever sees
// them disagree has seen a torn or partially applied configuration.
#include <boost/json/object.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/config.hpp"

using namespace tenancy;
using tenancy::testing::TempDir;

namespace {

ConfigSchema PairSchema() {
  ConfigSchema s;
  REQUIRE(s.Add(SettingSpec::Integer("pair.a", 0, 0, 1'000'000, "Always equal to pair.b.")));
  REQUIRE(s.Add(SettingSpec::Integer("pair.b", 0, 0, 1'000'000, "Always equal to pair.a.")));
  REQUIRE(s.Add(SettingSpec::Integer("tier.a", 0, 0, 1'000'000, "Always equal to tier.b.")));
  REQUIRE(s.Add(SettingSpec::Integer("tier.b", 0, 0, 1'000'000, "Always equal to tier.a.")));
  return s;
}

boost::json::object Pair(std::string_view a, std::string_view b, std::int64_t v) {
  boost::json::object o;
  o[a] = v;
  o[b] = v;
  return o;
}

Tenant MakeTenant(std::string tier) {
  Tenant t;
  t.id = TenantId::Generate();
  t.tier = std::move(tier);
  t.revision = 1;
  return t;
}

struct World {
  TempDir dir;
  std::unique_ptr<Config> config;
  World() {
    ConfigOptions o;
    o.path = (dir.path() / "config.db").string();
    auto c = Config::Open(o, PairSchema());
    REQUIRE(c);
    config = std::move(*c);
  }
};

}  // namespace

TEST_CASE("readers never see a torn configuration while writers publish", "[config][concurrency]") {
  World w;
  Config& config = *w.config;
  const Tenant a = MakeTenant("gold"), b = MakeTenant("gold");
  constexpr int kWrites = 150;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0}, went_back{0};

  auto check = [&](const ConfigSnapshot& s) {
    const auto pa = s.GetInt("pair.a"), pb = s.GetInt("pair.b");
    const auto ta = s.GetInt("tier.a"), tb = s.GetInt("tier.b");
    if (!pa || !pb || !ta || !tb || *pa != *pb || *ta != *tb) torn.fetch_add(1);
    reads.fetch_add(1, std::memory_order_relaxed);
  };

  std::vector<std::thread> threads;
  // Hot-path readers: one ConfigReader per thread; values never go back.
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ConfigReader reader = config.Reader(r == 0 ? a : b);
      std::int64_t last_tier = 0, last_pair = 0;
      while (!done.load(std::memory_order_acquire)) {
        const ConfigSnapshot& s = reader.Get();
        check(s);
        const auto ta = s.GetInt("tier.a"), pa = s.GetInt("pair.a");
        if (ta && *ta < last_tier) went_back.fetch_add(1);
        if (ta) last_tier = *ta;
        if (r == 0 && pa) {
          if (*pa < last_pair) went_back.fetch_add(1);
          last_pair = *pa;
        }
      }
    });
  }
  // A reader through Config::Snapshot, holding each snapshot a while.
  threads.emplace_back([&] {
    while (!done.load(std::memory_order_acquire)) {
      auto s = config.Snapshot(a);
      check(*s);
      std::this_thread::yield();
      check(*s);
    }
  });
  // Writers: the tenant's pair and the tier's pair, concurrently.
  std::atomic<int> failures{0};
  std::thread tenant_writer([&] {
    for (int i = 1; i <= kWrites; ++i)
      if (!config.SetTenant(a, Pair("pair.a", "pair.b", i), "writer")) failures.fetch_add(1);
  });
  std::thread tier_writer([&] {
    for (int i = 1; i <= kWrites; ++i)
      if (!config.SetTier("gold", Pair("tier.a", "tier.b", i), "writer")) failures.fetch_add(1);
  });
  tenant_writer.join();
  tier_writer.join();
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  CHECK(failures.load() == 0);
  CHECK(torn.load() == 0);
  CHECK(went_back.load() == 0);
  CHECK(reads.load() > 0);
  // After the writers returned, every reader sees the last write.
  const auto last = config.Snapshot(a);
  CHECK(*last->GetInt("pair.a") == kWrites);
  CHECK(*last->GetInt("tier.b") == kWrites);
  CHECK(*config.Snapshot(b)->GetInt("tier.a") == kWrites);
  CHECK(*config.Snapshot(b)->GetInt("pair.a") == 0);
  CHECK(*config.CurrentVersion(ConfigScope::Tenant(a.id)) == kWrites);
  CHECK(*config.CurrentVersion(ConfigScope::Tier("gold")) == kWrites);
}

TEST_CASE("concurrent writers with expected versions: each version is won exactly once",
          "[config][concurrency][conflict]") {
  World w;
  Config& config = *w.config;
  const Tenant a = MakeTenant("gold");
  constexpr int kThreads = 3, kAttempts = 40;
  std::atomic<int> won{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttempts; ++i) {
        auto current = config.CurrentVersion(ConfigScope::Tenant(a.id));
        if (!current) {
          other.fetch_add(1);
          continue;
        }
        // Read-modify-write: both fields get the version this writer expects
        // to create, so a lost update would show as a skipped number.
        auto r = config.SetTenant(a, Pair("pair.a", "pair.b", *current + 1), "w" + std::to_string(t),
                                  *current);
        if (r) {
          won.fetch_add(1);
        } else if (r.error().code == Errc::kConflict) {
          conflicts.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(other.load() == 0);
  CHECK(won.load() + conflicts.load() == kThreads * kAttempts);
  const auto history = config.History(ConfigScope::Tenant(a.id));
  REQUIRE(history);
  REQUIRE(static_cast<int>(history->size()) == won.load());
  for (std::size_t i = 0; i < history->size(); ++i) {
    CHECK((*history)[i].version == static_cast<std::int64_t>(i + 1));
    // Each version's value is its own number: no write was based on a stale read.
    CHECK((*history)[i].document.at("pair.a") == static_cast<std::int64_t>(i + 1));
  }
  CHECK(*config.Snapshot(a)->GetInt("pair.b") == won.load());
}

TEST_CASE("many tenants' readers and a platform writer", "[config][concurrency]") {
  World w;
  Config& config = *w.config;
  std::vector<Tenant> tenants;
  for (int i = 0; i < 16; ++i) tenants.push_back(MakeTenant(i % 2 ? "gold" : "silver"));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      std::vector<ConfigReader> handles;
      for (const auto& t : tenants) handles.push_back(config.Reader(t));
      std::size_t i = static_cast<std::size_t>(r);
      while (!done.load(std::memory_order_acquire)) {
        const auto& s = handles[i++ % handles.size()].Get();
        if (*s.GetInt("pair.a") != *s.GetInt("pair.b")) torn.fetch_add(1);
      }
    });
  }
  for (int i = 1; i <= 60; ++i) REQUIRE(config.SetPlatform(Pair("pair.a", "pair.b", i), "ops"));
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  CHECK(torn.load() == 0);
  for (const auto& t : tenants) CHECK(*config.Snapshot(t)->GetInt("pair.a") == 60);
}

// The ground the quota and quarantine tests stand on: a store and a
// directory on one manual clock under a temp dir, and the options of a
// Quotas file beside them (manual flushes only).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "support/temp_dir.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/quota.hpp"
#include "tenancy/store.hpp"

namespace tenancy::testing {

inline TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return TimePoint{sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s)};
}

struct DirectoryOnManualClock {
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<Directory> directory;

  explicit DirectoryOnManualClock(TimePoint start) : clock(start) {
    auto s = Store::Open("sqlite://" + (dir.path() / "data").string(), Schema{});
    REQUIRE(s);
    store = std::move(*s);
    DirectoryOptions o;
    o.path = (dir.path() / "control.db").string();
    o.clock = &clock;
    auto d = Directory::Open(o, *store);
    REQUIRE(d);
    directory = std::move(*d);
  }

  std::string QuotaFile() const { return (dir.path() / "quotas.db").string(); }

  QuotaOptions QuotaOptionsHere() {
    QuotaOptions q;
    q.path = QuotaFile();
    q.clock = &clock;
    q.flush_interval = std::chrono::milliseconds(0);
    return q;
  }

  // An empty tier means the directory's default tier.
  Tenant Provision(const std::string& slug, const std::string& tier = {}) {
    ProvisionRequest r;
    r.slug = slug;
    r.tier = tier;
    auto t = directory->Provision(r);
    REQUIRE(t);
    return t->tenant;
  }
};

}  // namespace tenancy::testing

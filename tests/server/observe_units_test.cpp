// The observability pieces without sockets: quantiles, the per-minute
// rings (also under two threads), the activity file, the dashboard's
// per-minute traffic on a ManualClock.
#include "observe_fixture.hpp"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <thread>

#include "observability/activity.hpp"
#include "support/temp_dir.hpp"
#include "observability/tenant_stats.hpp"
#include "services/ops/observe.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

TEST_CASE("histogram quantiles interpolate inside buckets", "[server][observe][unit]") {
  const std::vector<double> bounds{0.1, 0.2, 0.4};
  // 10 in (0, 0.1], 10 in (0.1, 0.2], none in (0.2, 0.4], 0 above.
  CHECK(*HistogramQuantile(bounds, {10, 20, 20, 20}, 0.5) == Approx(0.1));
  CHECK(*HistogramQuantile(bounds, {10, 20, 20, 20}, 0.25) == Approx(0.05));
  CHECK(*HistogramQuantile(bounds, {10, 20, 20, 20}, 0.75) == Approx(0.15));
  CHECK(*HistogramQuantile(bounds, {10, 20, 20, 20}, 1.0) == Approx(0.2));
  // Above the last bound: the last bound, nothing more is known.
  CHECK(*HistogramQuantile(bounds, {0, 0, 0, 5}, 0.5) == Approx(0.4));
  CHECK(!HistogramQuantile(bounds, {0, 0, 0, 0}, 0.5));
  CHECK(!HistogramQuantile(bounds, {1, 2}, 0.5));  // malformed
  CHECK(*SampleQuantile({5, 1, 3, 2, 4}, 0.5) == 3);
  CHECK(*SampleQuantile({5, 1, 3, 2, 4}, 0.95) == 5);
  CHECK(*SampleQuantile({7}, 0.0) == 7);
  CHECK(!SampleQuantile({}, 0.5));
}

TEST_CASE("minute rings keep the last hour, forget older minutes, count exactly under threads",
          "[server][observe][unit]") {
  MinuteRing ring;
  const std::int64_t t0 = 28'000'000;  // minutes since the epoch (2023)
  ring.Add(t0);
  ring.Add(t0);
  ring.Add(t0 + 1);
  auto last = ring.Last(t0 + 1);
  CHECK(last[59] == 1);
  CHECK(last[58] == 2);
  CHECK(last[57] == 0);
  // An hour later the old minutes are gone, even where a slot is reused.
  ring.Add(t0 + 60);
  last = ring.Last(t0 + 60);
  CHECK(last[59] == 1);
  CHECK(last[0] == 1);    // t0 + 1
  CHECK(last[58] == 0);
  CHECK(ring.Last(t0 + 200)[59] == 0);
  ring.Add(-5);  // a broken clock is ignored
  CHECK(ring.Last(t0 + 60)[59] == 1);

  MinuteRing shared;
  constexpr int kAdds = 20000;
  const auto add = [&] {
    for (int i = 0; i < kAdds; ++i) shared.Add(t0 + (i % 3));
  };
  std::thread one(add), two(add);
  one.join();
  two.join();
  const auto counts = shared.Last(t0 + 2);
  CHECK(counts[57] + counts[58] + counts[59] == 2u * kAdds);
  CHECK(counts[57] == (2u * kAdds + 2) / 3);
}

TEST_CASE("the activity file round-trips and refuses what is not its format", "[server][observe][unit]") {
  tenancy::testing::TempDir dir;
  const std::string path = (dir.path() / "activity.json").string();
  ActivityFile file(path);
  auto empty = file.Load();
  REQUIRE(empty);
  CHECK(empty->tenants.empty());

  ActivityData d;
  const auto id = tenancy::TenantId::Generate();
  TenantActivity a;
  a.last_request_ms = 1'700'000'000'123;
  a.first_ride_ms = 1'700'000'000'999;
  a.storage_bytes = 4096;
  a.storage_measured_ms = 1'700'000'001'000;
  a.months["2023-11"] = {12, 3'456'789};
  a.months["2023-12"] = {1, 2};
  d.tenants[id] = a;
  d.onboarding_us = {1500, 2500};
  REQUIRE(file.Save(d));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = file.Load();
  REQUIRE(back);
  REQUIRE(back->tenants.count(id) == 1);
  const TenantActivity& b = back->tenants.at(id);
  CHECK(b.last_request_ms == a.last_request_ms);
  CHECK(b.first_ride_ms == a.first_ride_ms);
  CHECK(b.storage_bytes == 4096);
  CHECK(b.months.at("2023-11").requests == 12);
  CHECK(b.months.at("2023-11").cpu_ns == 3'456'789);
  CHECK(back->onboarding_us == std::deque<std::int64_t>{1500, 2500});

  const std::string good_id = id.str();
  const std::vector<std::string> corrupt{"not json", "[]", R"({"version":2})",
                                R"({"version":1,"tenants":{"nope":{}}})",
                                R"({"version":1,"tenants":{")" + good_id + R"(":{"last_request_ms":-1}}})",
                                R"({"version":1,"tenants":{")" + good_id + R"(":{"months":{"2023-13":{}}}}})",
                                R"({"version":1,"tenants":{")" + good_id + R"(":{"months":{"2023-11":{"requests":"x"}}}}})",
                                R"({"version":1,"onboarding_us":[1,-2]})", R"({"version":1,"tenants":[]})"};
  for (const std::string& bad : corrupt) {
    INFO(bad);
    {
      std::ofstream out(path, std::ios::trunc);
      out << bad;
    }
    auto loaded = file.Load();
    REQUIRE(!loaded);
    CHECK(loaded.error() == tenancy::Errc::kDataCorrupted);
  }
  CHECK(MonthLabel(0) == "1970-01");
  CHECK(MonthLabel(1'700'000'000'000) == "2023-11");
}

TEST_CASE("the dashboard shows requests per minute, latency and usage against quota", "[server][observe][dashboard]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha");
  for (int i = 0; i < 3; ++i) Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  s.clock().Advance(2min);
  for (int i = 0; i < 5; ++i) Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  Expect(s.As(a, V::post, "/v1/vehicles", R"({"plate":"B-1"})"), S::created);

  const json::value d = Expect(s.As(a, V::get, "/v1/tenant/dashboard"), S::ok);
  const json::array& rpm = d.at("traffic").at("requests_per_minute").as_array();
  REQUIRE(rpm.size() == 60);
  CHECK(rpm[59].as_int64() == 6);  // 5 pings and the vehicle, this minute
  CHECK(rpm[58].as_int64() == 0);
  CHECK(rpm[57].as_int64() == 3);
  CHECK(d.at("traffic").at("requests").as_int64() == 9);
  CHECK(d.at("traffic").at("errors").as_int64() == 0);
  CHECK(d.at("traffic").at("error_ratio").to_number<double>() == 0.0);
  CHECK(d.at("traffic").at("errors_per_minute").as_array().size() == 60);
  const json::value& lat = d.at("latency");
  CHECK(lat.at("count").as_int64() == 9);
  const double p50 = lat.at("p50_ms").to_number<double>();
  const double p95 = lat.at("p95_ms").to_number<double>();
  const double p99 = lat.at("p99_ms").to_number<double>();
  CHECK(p50 > 0);
  CHECK(p50 <= p95);
  CHECK(p95 <= p99);
  // Usage against the standard plan's limits.
  std::map<std::string, json::value> usage;
  for (const auto& u : d.at("usage").as_array()) usage[std::string(u.at("name").as_string())] = u;
  REQUIRE(usage.count("vehicles") == 1);
  CHECK(usage["vehicles"].at("used").as_int64() == 1);
  CHECK(usage["vehicles"].at("limit").as_int64() == 100);
  CHECK(usage["vehicles"].at("ratio").to_number<double>() == Approx(0.01));
  REQUIRE(usage.count("rides.booked") == 1);
  CHECK(usage["rides.booked"].at("kind").as_string() == "periodic");
  CHECK(usage["rides.booked"].as_object().contains("period_end"));
  CHECK(usage.count("api.requests") == 1);
  CHECK(d.at("health").at("status").as_string() == "healthy");
  CHECK(d.at("activity").at("requests_this_month").as_int64() == 9);
  CHECK(d.at("activity").at("month").as_string() == "2023-11");
  // An hour later the minutes have rolled out of the window.
  s.clock().Advance(61min);
  const json::value later = Expect(s.As(a, V::get, "/v1/tenant/dashboard"), S::ok);
  CHECK(later.at("traffic").at("requests").as_int64() == 0);
  CHECK(later.at("traffic").at("error_ratio").is_null());
  CHECK(later.at("traffic").at("since_start").at("requests").as_int64() == 10);
}

TEST_CASE("bad observability options are refused with a typed error, and the half-open parts close",
          "[server][observe]") {
  // Each fails at a different point of Observability::Open: before anything
  // is made, at the in-memory log, at the metrics. The platform must refuse
  // to open and tear down what it made without touching what it did not.
  const std::vector<std::pair<std::string, std::function<void(ObservabilityOptions&)>>> cases = {
      {"access_log_queue", [](ObservabilityOptions& o) { o.access_log_queue = AccessLog::kMaxCapacity + 1; }},
      {"log_retention", [](ObservabilityOptions& o) { o.log_retention.max_lines_per_tenant = 0; }},
      {"metrics_max_tenants", [](ObservabilityOptions& o) { o.metrics_max_tenants = 0; }},
  };
  for (const auto& [name, spoil] : cases) {
    INFO(name);
    tenancy::testing::TempDir dir;
    PlatformOptions p;
    p.data_dir = (dir.path() / "data").string();
    p.observability.log_stream = nullptr;
    spoil(p.observability);
    auto app = App::Open(p, {});
    REQUIRE_FALSE(app);
    CHECK(app.error().code == tenancy::Errc::kInvalidArgument);
  }
}

TEST_CASE("stderr's lines are batched: none lost at Stop, warnings at once", "[server][observe]") {
  // An interval far longer than the test: only a full batch, a warning or
  // Stop writes the stream.
  ObserveServer s([](PlatformOptions& p) { p.observability.log_flush_interval = std::chrono::hours(1); });
  const std::size_t at_start = s.LogLines().size();
  CHECK(s.Op(V::get, "/v1/tenants").result() == S::ok);
  CHECK(s.LogLines().size() == at_start);  // the access line waits in the batch
  // (LogLines flushed the access log's queue into the batch.)
  s.obs().logger().Warn(tenancy::LogScope::Platform(), "a warning");
  std::vector<std::string> lines = s.LogLines();
  REQUIRE(lines.size() == at_start + 2);  // the access line, then the warning, in order
  CHECK(json::parse(lines[at_start]).at("msg").as_string() == "request");
  CHECK(json::parse(lines[at_start + 1]).at("msg").as_string() == "a warning");

  CHECK(s.Op(V::get, "/v1/tenants").result() == S::ok);
  CHECK(s.LogLines().size() == at_start + 2);
  s.obs().Stop();
  lines = s.LogLines();
  REQUIRE(lines.size() == at_start + 3);
  CHECK(json::parse(lines.back()).at("msg").as_string() == "request");
}

}  // namespace
}  // namespace tenancyd::testing

// Success metrics (time to onboard and to the first ride, active tenants,
// cost against revenue, incidents) and the idle-tenant policy, on a
// ManualClock over real sockets; their persistence across a restart; and
// tenancyctl's commands against the running server.
#include "observe_fixture.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using namespace std::chrono_literals;

constexpr auto kDay = std::chrono::hours{24};

std::string NewDriver(ObserveServer& s, const Onboarded& t) {
  const std::string id = Str(Expect(s.As(t, V::post, "/v1/drivers", R"({"name":"Dana Driver"})"), S::created), "id");
  Expect(s.As(t, V::put, "/v1/drivers/" + id + "/location", R"({"lon":13.4,"lat":52.5})"), S::ok);
  Expect(s.As(t, V::put, "/v1/drivers/" + id + "/availability", R"({"availability":"available"})"), S::ok);
  return id;
}

const std::string kTrip = R"({"pickup":{"lon":13.401,"lat":52.501},"dropoff":{"lon":13.45,"lat":52.52}})";

const json::object& Row(const json::value& metrics, const std::string& slug) {
  for (const auto& r : metrics.at("per_tenant").as_array())
    if (r.at("slug").as_string() == slug) return r.as_object();
  FAIL("no row for " << slug);
  throw std::logic_error("unreachable");
}

std::set<std::string> Slugs(const json::value& idle) {
  std::set<std::string> out;
  for (const auto& t : idle.at("tenants").as_array()) out.emplace(t.at("slug").as_string());
  return out;
}

// Prices that make the arithmetic checkable: a cent per request, a cent per
// byte-month, nothing for CPU.
void CountingPrices(PlatformOptions& p) {
  p.observability.cost = CostModel{.cents_per_cpu_second = 0.0,
                                   .cents_per_gb_month = 1e9,
                                   .cents_per_million_requests = 1e6};
}

TEST_CASE("success metrics: onboarding, first ride, active tenants, cost against revenue",
          "[server][observe][success]") {
  ObserveServer s(CountingPrices);
  const Onboarded a = s.world().Onboard("alpha", R"(,"tier":"free")");
  const Onboarded b = s.world().Onboard("beta", R"(,"tier":"free")");
  const Onboarded c = s.world().Onboard("gamma", R"(,"tier":"standard")");
  s.clock().Advance(90s);
  NewDriver(s, a);
  Expect(s.As(a, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", "k-1"}}), S::created);
  // A replay is not a second first ride.
  Expect(s.As(a, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", "k-1"}}), S::ok);
  for (int i = 0; i < 2; ++i) Expect(s.As(c, V::get, "/v1/ping"), S::ok);
  auto storage = s.obs().RefreshStorage();
  REQUIRE(storage);
  CHECK(storage->measured == 3);
  CHECK(storage->failed == 0);

  const json::value m = Expect(s.Op(V::get, "/v1/platform/success-metrics"), S::ok);
  CHECK(m.at("month").as_string() == "2023-11");  // the ManualClock's
  CHECK(m.at("currency").as_string() == "USD");
  CHECK(m.at("onboarding").at("count").as_int64() == 3);
  const double median_ms = m.at("onboarding").at("median_ms").to_number<double>();
  CHECK(median_ms > 0);
  CHECK(m.at("onboarding").at("p95_ms").to_number<double>() >= median_ms);
  CHECK(m.at("time_to_first_ride").at("count").as_int64() == 1);
  CHECK(m.at("time_to_first_ride").at("median_s").to_number<double>() == Approx(90.0));
  const json::value& tenants = m.at("tenants");
  CHECK(tenants.at("total").as_int64() == 3);
  CHECK(tenants.at("by_state").at("active").as_int64() == 3);
  CHECK(tenants.at("by_model").at("shared").as_int64() == 3);
  CHECK(tenants.at("active_24h").as_int64() == 2);  // alpha and gamma made requests
  CHECK(tenants.at("active_30d").as_int64() == 2);
  CHECK(m.at("incidents").at("count").as_int64() == 0);

  const json::object& ra = Row(m, "alpha");
  const json::object& rb = Row(m, "beta");
  const json::object& rc = Row(m, "gamma");
  CHECK(ra.at("requests").as_int64() == 5);  // driver, location, availability, ride, replay
  CHECK(rb.at("requests").as_int64() == 0);
  CHECK(rc.at("requests").as_int64() == 2);
  CHECK(ra.at("cpu_seconds").to_number<double>() > 0);
  const std::int64_t bytes_a = ra.at("storage_bytes").as_int64();
  const std::int64_t bytes_b = rb.at("storage_bytes").as_int64();
  CHECK(bytes_b > 0);
  CHECK(bytes_a > bytes_b);  // alpha has a driver and a ride
  // Cost: a cent per request and per byte-month; revenue: the invoice.
  CHECK(ra.at("cost_cents").to_number<double>() == Approx(static_cast<double>(bytes_a + 5)));
  CHECK(ra.at("cost").at("requests_cents").to_number<double>() == Approx(5.0));
  CHECK(ra.at("revenue_cents").as_int64() == 0);        // free tier
  CHECK(rc.at("revenue_cents").as_int64() == 4900);     // standard's base price
  CHECK(rc.at("margin_cents").to_number<double>() ==
        Approx(4900.0 - rc.at("cost_cents").to_number<double>()));
  CHECK(m.at("totals").at("revenue_cents").as_int64() == 4900);
  const double cost_sum = ra.at("cost_cents").to_number<double>() + rb.at("cost_cents").to_number<double>() +
                          rc.at("cost_cents").to_number<double>();
  CHECK(m.at("totals").at("cost_cents").to_number<double>() == Approx(cost_sum));
  CHECK(!ra.at("last_request_at").is_null());
  CHECK(rb.at("last_request_at").is_null());

  // Paging the per-tenant rows; totals stay whole-platform.
  const json::value p1 = Expect(s.Op(V::get, "/v1/platform/success-metrics?limit=2"), S::ok);
  REQUIRE(p1.at("per_tenant").as_array().size() == 2);
  const std::string cursor(p1.at("next_cursor").as_string());
  REQUIRE(!cursor.empty());
  const json::value p2 = Expect(s.Op(V::get, "/v1/platform/success-metrics?limit=2&cursor=" + cursor), S::ok);
  CHECK(p2.at("per_tenant").as_array().size() == 1);
  CHECK(p2.at("next_cursor").as_string().empty());
  CHECK(p2.at("totals").at("revenue_cents").as_int64() == 4900);
  RequireProblem(s.Op(V::get, "/v1/platform/success-metrics?month=2023-1"), S::bad_request, "invalid_argument");
  RequireProblem(s.Op(V::get, "/v1/platform/success-metrics?limit=5000"), S::bad_request, "invalid_argument");
  const json::value older = Expect(s.Op(V::get, "/v1/platform/success-metrics?month=2023-10"), S::ok);
  CHECK(Row(older, "alpha").at("requests").as_int64() == 0);
}

TEST_CASE("idle tenants are found by last activity and the policy notifies, suspends, archives",
          "[server][observe][idle]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha", R"(,"tier":"free")");
  const Onboarded b = s.world().Onboard("beta", R"(,"tier":"free")");
  const Onboarded c = s.world().Onboard("gamma", R"(,"tier":"free")");
  Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  s.clock().Advance(31 * kDay);
  Expect(s.As(c, V::get, "/v1/ping"), S::ok);  // gamma is active
  // An operator looking into alpha (impersonating) does not make it active.
  Expect(s.Call(V::get, "/t/alpha/v1/ping", s.OperatorKey(), {}, {{"X-Impersonation-Reason", "ticket 9"}}), S::ok);

  const json::value idle = Expect(s.Op(V::get, "/v1/platform/idle-tenants?days=30"), S::ok);
  CHECK(idle.at("count").as_int64() == 2);
  CHECK(Slugs(idle) == std::set<std::string>{"alpha", "beta"});
  for (const auto& t : idle.at("tenants").as_array()) {
    CHECK(t.at("idle_days").as_int64() == 31);
    CHECK(t.at("last_request_at").is_null() == (t.at("slug").as_string() == "beta"));
  }
  CHECK(Expect(s.Op(V::get, "/v1/platform/idle-tenants?days=32"), S::ok).at("count").as_int64() == 0);
  CHECK(Expect(s.Op(V::get, "/v1/platform/idle-tenants?days=30&tier=standard"), S::ok).at("count").as_int64() == 0);
  RequireProblem(s.Op(V::get, "/v1/platform/idle-tenants?days=0"), S::bad_request, "invalid_argument");
  RequireProblem(s.Op(V::get, "/v1/platform/idle-tenants?tier=Not%20A%20Tier"), S::bad_request, "invalid_argument");

  // Bad policies change nothing.
  for (const char* body : {R"({"days":30,"tier":"free","action":"delete"})", R"({"days":30,"action":"notify"})",
                           R"({"days":0,"tier":"free","action":"notify"})", R"({"tier":"free","action":"notify"})",
                           R"({"days":30,"tier":"free","action":"notify","force":true})", "{not json"})
    RequireProblem(s.Op(V::post, "/v1/platform/idle-tenants/apply", body), S::bad_request, "invalid_argument");
  // Archiving is off unless the configuration allows it.
  RequireProblem(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"archive"})"),
                 S::conflict, "failed_precondition");
  RequireProblem(s.Call(V::post, "/v1/platform/idle-tenants/apply", a.key, R"({"days":30,"tier":"free","action":"suspend"})"),
                 S::forbidden, "permission_denied");
  CHECK(Expect(s.Op(V::get, "/v1/tenants/beta"), S::ok).at("state").as_string() == "active");

  // notify: a tenant.idle event in each idle tenant's outbox.
  const json::value notified =
      Expect(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"notify"})"), S::ok);
  CHECK(notified.at("matched").as_int64() == 2);
  CHECK(notified.at("changed").as_int64() == 2);
  for (const auto& r : notified.at("results").as_array()) CHECK(r.at("outcome").as_string() == "notified");
  // (Reading alpha's events now would make it active: gamma's instead.)
  CHECK(Expect(s.As(c, V::get, "/v1/events?type=tenant.idle"), S::ok).at("items").as_array().empty());

  // suspend: alpha and beta stop being served; gamma does not change.
  const json::value suspended =
      Expect(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"suspend"})"), S::ok);
  CHECK(suspended.at("changed").as_int64() == 2);
  for (const auto& r : suspended.at("results").as_array()) {
    CHECK(r.at("outcome").as_string() == "suspended");
    CHECK(r.at("state_before").as_string() == "active");
    CHECK(r.at("state").as_string() == "suspended");
  }
  RequireProblem(s.As(a, V::get, "/v1/ping"), S::forbidden, "tenant_suspended");
  CHECK(Expect(s.Op(V::get, "/v1/tenants/gamma"), S::ok).at("state").as_string() == "active");
  // Again: still idle, nothing left to suspend.
  const json::value again =
      Expect(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"suspend"})"), S::ok);
  CHECK(again.at("matched").as_int64() == 2);
  CHECK(again.at("changed").as_int64() == 0);
  // A notify reaches a suspended tenant's outbox too (it reads it on return).
  Expect(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"notify"})"), S::ok);
  Expect(s.Op(V::post, "/v1/tenants/alpha/resume", R"({"reason":"back"})"), S::ok);
  const json::value events = Expect(s.As(a, V::get, "/v1/events?type=tenant.idle"), S::ok);
  REQUIRE(events.at("items").as_array().size() == 2);
  for (const auto& e : events.at("items").as_array()) {
    CHECK(e.at("data").at("idle_days").as_int64() == 31);
    CHECK(e.at("data").at("tenant").as_string() == a.id);
  }

  // The operator's lines record every change.
  const json::value lines = Expect(s.Op(V::get, "/v1/platform/logs?limit=10000"), S::ok);
  int applied = 0;
  for (const auto& item : lines.at("items").as_array())
    if (item.at("line").at("msg").as_string() == "idle-tenant policy applied" &&
        !item.at("line").as_object().contains("tenant"))
      ++applied;
  CHECK(applied == 8);  // 2 notified + 2 suspended + 2 unchanged + 2 notified
}

TEST_CASE("archiving idle tenants, where allowed, offboards them", "[server][observe][idle]") {
  ObserveServer s([](PlatformOptions& p) { p.observability.idle_archive_allowed = true; });
  const Onboarded a = s.world().Onboard("alpha", R"(,"tier":"free")");
  const Onboarded keep = s.world().Onboard("keeper", R"(,"tier":"standard")");
  Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  Expect(s.As(keep, V::get, "/v1/ping"), S::ok);
  s.clock().Advance(45 * kDay);
  const json::value r =
      Expect(s.Op(V::post, "/v1/platform/idle-tenants/apply", R"({"days":30,"tier":"free","action":"archive"})"), S::ok);
  REQUIRE(r.at("results").as_array().size() == 1);
  CHECK(r.at("results").as_array()[0].at("outcome").as_string() == "archived");
  CHECK(r.at("results").as_array()[0].at("state").as_string() == "deleted");
  RequireProblem(s.Op(V::get, "/v1/tenants/alpha"), S::not_found, "tenant_unknown");
  CHECK(Expect(s.Op(V::get, "/v1/tenants/" + a.id), S::ok).at("state").as_string() == "deleted");
  CHECK(Expect(s.Op(V::get, "/v1/tenants/keeper"), S::ok).at("state").as_string() == "active");
  // Its activity leaves with it (and does not come back at the next flush).
  for (int i = 0; i < 2; ++i) {
    REQUIRE(s.obs().FlushActivity());
    std::ifstream in(s.world().data_dir() / "activity.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find(a.id) == std::string::npos);
    CHECK(text.find(keep.id) != std::string::npos);
  }
}

TEST_CASE("activity survives a restart, and a corrupt activity file does not stop the server",
          "[server][observe][persistence]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha", R"(,"tier":"free")");
  s.clock().Advance(10s);
  NewDriver(s, a);
  Expect(s.As(a, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", "k-1"}}), S::created);
  const json::value before = Expect(s.Op(V::get, "/v1/platform/idle-tenants?days=1"), S::ok);
  CHECK(before.at("count").as_int64() == 0);
  const json::value m1 = Expect(s.Op(V::get, "/v1/platform/success-metrics"), S::ok);
  const std::string last = std::string(Row(m1, "alpha").at("last_request_at").as_string());

  s.Restart();
  s.clock().Advance(3 * kDay);
  const json::value after = Expect(s.Op(V::get, "/v1/platform/idle-tenants?days=2"), S::ok);
  REQUIRE(after.at("count").as_int64() == 1);
  CHECK(after.at("tenants").as_array()[0].at("last_request_at").as_string() == last);
  const json::value m2 = Expect(s.Op(V::get, "/v1/platform/success-metrics?month=2023-11"), S::ok);
  CHECK(Row(m2, "alpha").at("requests").as_int64() == 4);
  CHECK(Row(m2, "alpha").at("cpu_seconds").to_number<double>() ==
        Approx(Row(m1, "alpha").at("cpu_seconds").to_number<double>()));
  CHECK(m2.at("onboarding").at("count").as_int64() == 1);
  CHECK(m2.at("time_to_first_ride").at("count").as_int64() == 1);
  CHECK(m2.at("time_to_first_ride").at("median_s").to_number<double>() == Approx(10.0));
  // After the restart a ride is not the first one again.
  Expect(s.As(a, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", "k-2"}}), S::created);
  CHECK(Expect(s.Op(V::get, "/v1/platform/success-metrics"), S::ok)
            .at("time_to_first_ride").at("median_s").to_number<double>() == Approx(10.0));

  // A file that is not ours: set aside, the server starts afresh. (The
  // figures are written first, so the stop has nothing new to write over
  // the damage.)
  const auto file = s.world().data_dir() / "activity.json";
  REQUIRE(s.obs().FlushActivity());
  {
    std::ofstream out(file, std::ios::trunc);
    out << R"({"version":1,"tenants":{"tn_zz":{}}})";
  }
  s.Restart();
  CHECK(std::filesystem::exists(file.string() + ".bad"));
  const json::value fresh = Expect(s.Op(V::get, "/v1/platform/success-metrics"), S::ok);
  CHECK(fresh.at("onboarding").at("count").as_int64() == 0);
  const json::value warn = Expect(s.Op(V::get, "/v1/platform/logs?limit=10000"), S::ok);
  bool told = false;
  for (const auto& item : warn.at("items").as_array())
    told |= item.at("line").at("msg").as_string() == "activity file unreadable; starting afresh";
  CHECK(told);
}

// -- tenancyctl against the running server --

struct Run {
  int exit_code = -1;
  std::string output;
};

Run Ctl(const std::string& args, const std::string& env = "env -u TENANCYCTL_OPERATOR_KEY") {
  Run r;
  FILE* p = ::popen((env + " " + TENANCYCTL_BINARY + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_CASE("tenancyctl success-metrics and idle-tenants call the running server", "[server][observe][cli]") {
  ObserveServer s;
  const Onboarded a = s.world().Onboard("alpha", R"(,"tier":"free")");
  const Onboarded other = s.world().Onboard("other", R"(,"tier":"standard")");
  Expect(s.As(a, V::get, "/v1/ping"), S::ok);
  const std::string server = "--server http://127.0.0.1:" + std::to_string(s.port());
  const std::string key = s.OperatorKey();
  const auto key_file = s.world().dir().path() / "operator.key";
  {
    std::ofstream out(key_file);
    out << key << "\n";
  }
  ::chmod(key_file.c_str(), 0600);
  const std::string with_file = server + " --key-file " + key_file.string();

  const Run json_run = Ctl("success-metrics " + with_file + " --json");
  INFO(json_run.output);
  REQUIRE(json_run.exit_code == 0);
  const json::value m = json::parse(json_run.output);
  CHECK(m.at("tenants").at("total").as_int64() == 2);
  CHECK(m.at("per_tenant").as_array().size() == 2);
  const Run table = Ctl("success-metrics " + with_file);
  REQUIRE(table.exit_code == 0);
  CHECK(table.output.find("alpha") != std::string::npos);
  CHECK(table.output.find("onboarding:") != std::string::npos);

  s.clock().Advance(3 * kDay);
  Expect(s.As(other, V::get, "/v1/ping"), S::ok);  // only alpha is idle
  // The key from the environment this time.
  const Run idle = Ctl("idle-tenants " + server + " --days 2", "TENANCYCTL_OPERATOR_KEY=" + key);
  INFO(idle.output);
  REQUIRE(idle.exit_code == 0);
  CHECK(idle.output.find("1 tenants idle for 2 days") != std::string::npos);
  CHECK(idle.output.find("alpha") != std::string::npos);
  const Run applied = Ctl("idle-tenants apply " + with_file + " --days 2 --tier free --action suspend");
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.output.find("suspended") != std::string::npos);
  CHECK(Expect(s.Op(V::get, "/v1/tenants/alpha"), S::ok).at("state").as_string() == "suspended");

  // Refusals: typed, with their exit codes, and the key never printed.
  std::vector<Run> refusals;
  refusals.push_back(Ctl("success-metrics " + server));  // no key
  CHECK(refusals.back().exit_code == 2);
  CHECK(refusals.back().output.find("TENANCYCTL_OPERATOR_KEY") != std::string::npos);
  refusals.push_back(Ctl("success-metrics --key-file " + key_file.string()));  // no server
  CHECK(refusals.back().exit_code == 2);
  refusals.push_back(Ctl("success-metrics --server https://127.0.0.1:1 --key-file " + key_file.string()));
  CHECK(refusals.back().exit_code == 2);
  refusals.push_back(Ctl("idle-tenants apply " + with_file + " --days 2 --tier free --action archive"));
  CHECK(refusals.back().exit_code == 1);
  CHECK(refusals.back().output.find("failed_precondition") != std::string::npos);
  // A tenant admin's key is no operator's.
  refusals.push_back(Ctl("idle-tenants " + server + " --days 2", "TENANCYCTL_OPERATOR_KEY=" + other.key));
  CHECK(refusals.back().exit_code == 1);
  CHECK(refusals.back().output.find("permission_denied") != std::string::npos);
  refusals.push_back(Ctl("idle-tenants " + with_file + " --days 2 --colour red"));
  CHECK(refusals.back().exit_code == 2);
  refusals.push_back(Ctl("idle-tenants apply " + with_file + " --days two --tier free --action notify"));
  CHECK(refusals.back().exit_code == 2);
  // Nothing listens on port 1.
  refusals.push_back(Ctl("success-metrics --server http://127.0.0.1:1 --key-file " + key_file.string()));
  CHECK(refusals.back().exit_code == 1);
  for (const Run& r : refusals) {
    INFO(r.output);
    CHECK(r.output.find(key) == std::string::npos);
    CHECK(r.output.find(other.key) == std::string::npos);
  }
}

}  // namespace
}  // namespace tenancyd::testing

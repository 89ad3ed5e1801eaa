// tenancyd's flags.
#include "server_fixture.hpp"

#include "command_line.hpp"

namespace tenancyd::testing {
namespace {

tenancy::Result<DaemonOptions> Parse(std::vector<const char*> args) {
  return ParseCommandLine(std::span<const char* const>(args.data(), args.size()));
}

TEST_CASE("defaults and every flag", "[server][flags]") {
  auto d = Parse({});
  REQUIRE(d);
  CHECK(d->server.host == "127.0.0.1");
  CHECK(d->server.port == 8080);
  CHECK(d->platform.data_dir == "./data");

  auto o = Parse({"--listen", "0.0.0.0:0", "--data=/tmp/x", "--store", "sqlite:///tmp/y",
                  "--threads", "4", "--read-timeout", "5s", "--idle-timeout=250ms",
                  "--write-timeout", "1m", "--drain-timeout", "3s", "--max-header-bytes", "16k",
                  "--max-body-bytes", "2m", "--pipeline-limit", "3", "--token-ttl", "10m",
                  "--base-domain", "example.com", "--master-key-file", "/tmp/k",
                  "--webhook-ca-file", "/etc/hooks-ca.pem"});
  REQUIRE(o);
  CHECK(o->server.host == "0.0.0.0");
  CHECK(o->server.port == 0);
  CHECK(o->platform.data_dir == "/tmp/x");
  CHECK(o->platform.store_url == "sqlite:///tmp/y");
  CHECK(o->server.threads == 4);
  CHECK(o->server.read_timeout == std::chrono::seconds(5));
  CHECK(o->server.idle_timeout == std::chrono::milliseconds(250));
  CHECK(o->server.write_timeout == std::chrono::minutes(1));
  CHECK(o->server.drain_timeout == std::chrono::seconds(3));
  CHECK(o->server.max_header_bytes == 16 * 1024);
  CHECK(o->server.max_body_bytes == 2 * 1024 * 1024);
  CHECK(o->server.pipeline_limit == 3);
  CHECK(o->app.token_ttl == std::chrono::minutes(10));
  CHECK(o->platform.base_domain == "example.com");
  CHECK(o->platform.master_key_file == "/tmp/k");
  CHECK(o->platform.webhook_ca_file == "/etc/hooks-ca.pem");
  CHECK(d->platform.webhook_ca_file.empty());  // the system trust store
  CHECK(Usage().find("--webhook-ca-file PATH") != std::string_view::npos);
  CHECK(d->app.hold_throttled_connections);
  CHECK(d->platform.observability.cpu_read_interval == std::chrono::milliseconds(1));
  auto every = Parse({"--cpu-read-interval", "0s"});
  REQUIRE(every);
  CHECK(every->platform.observability.cpu_read_interval.count() == 0);
  CHECK_FALSE(Parse({"--cpu-read-interval", "2s"}));
  auto unheld = Parse({"--hold-throttled=false"});
  REQUIRE(unheld);
  CHECK_FALSE(unheld->app.hold_throttled_connections);
  CHECK_FALSE(Parse({"--hold-throttled=sometimes"}));

  // Observability: defaults, then every flag.
  const ObservabilityOptions defaults;
  CHECK(d->platform.observability.log_level == defaults.log_level);
  CHECK(d->platform.observability.access_log);
  CHECK_FALSE(d->platform.observability.idle_archive_allowed);
  auto obs = Parse({"--log-level", "warn", "--access-log=false", "--log-lines-per-tenant", "50",
                    "--metrics-max-tenants=20", "--slo-evaluate-interval", "0s",
                    "--activity-flush-interval", "5s", "--storage-refresh-interval", "2m",
                    "--log-flush-interval", "250ms", "--idle-archive"});
  REQUIRE(obs);
  const ObservabilityOptions& oo = obs->platform.observability;
  CHECK(oo.log_level == tenancy::LogLevel::kWarn);
  CHECK_FALSE(oo.access_log);
  CHECK(oo.log_retention.max_lines_per_tenant == 50);
  CHECK(oo.metrics_max_tenants == 20);
  CHECK(oo.slo_evaluate_interval == std::chrono::milliseconds(0));
  CHECK(oo.activity_flush_interval == std::chrono::seconds(5));
  CHECK(oo.storage_refresh_interval == std::chrono::minutes(2));
  CHECK(oo.log_flush_interval == std::chrono::milliseconds(250));
  CHECK(defaults.log_flush_interval == std::chrono::milliseconds(100));
  CHECK(oo.idle_archive_allowed);
  // The same from the environment.
  const char* env[] = {"TENANCYD_LOG_LEVEL=error", "TENANCYD_METRICS_MAX_TENANTS=7"};
  auto from_env = ParseDaemonOptions({}, env);
  REQUIRE(from_env);
  CHECK(from_env->platform.observability.log_level == tenancy::LogLevel::kError);
  CHECK(from_env->platform.observability.metrics_max_tenants == 7);

  auto v6 = Parse({"--listen", "[::1]:9000"});
  REQUIRE(v6);
  CHECK(v6->server.host == "::1");
  CHECK(Parse({"--help"})->help);
}

TEST_CASE("bad flags are usage errors naming the flag", "[server][flags]") {
  const std::vector<std::vector<const char*>> bad = {
      {"--colour", "red"},          {"--listen"},
      {"--listen", "8080"},         {"--listen", "host:99999"},
      {"--listen", "host:-1"},      {"--threads", "0"},
      {"--threads", "many"},        {"--read-timeout", "5"},
      {"--read-timeout", "5h"},     {"--idle-timeout", "0s"},
      {"--max-header-bytes", "10"}, {"--max-body-bytes", "1x"},
      {"--pipeline-limit", "0"},    {"stray"},
      {"--data", ""},               {"--read-timeout", "99999999999999999999s"},
      {"--log-level", "loud"},      {"--metrics-max-tenants", "0"},
      {"--log-lines-per-tenant", "2000000"}, {"--access-log=maybe"},
      {"--slo-evaluate-interval", "5"},      {"--storage-refresh-interval", "25h"},
      {"--webhook-ca-file"},                 {"--webhook-ca-file", ""},
  };
  for (const auto& args : bad) {
    INFO(args.front() << " " << (args.size() > 1 ? args[1] : ""));
    auto r = Parse(args);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == tenancy::Errc::kInvalidArgument);
  }
  auto unknown = Parse({"--colour", "red"});
  CHECK(unknown.error().message.find("--colour") != std::string::npos);
}

TEST_CASE("a webhook CA file that does not load stops the platform at startup", "[server][flags]") {
  tenancy::testing::TempDir dir;
  tenancy::ManualClock clock;
  PlatformOptions p;
  p.data_dir = (dir.path() / "data").string();
  p.clock = &clock;
  p.governance_clock = &clock;
  p.webhook_ca_file = (dir.path() / "missing-ca.pem").string();
  auto app = App::Open(p, {});
  REQUIRE_FALSE(app);
  CHECK(app.error().code == tenancy::Errc::kInvalidArgument);
  CHECK(app.error().message.find("missing-ca.pem") != std::string::npos);
}

}  // namespace
}  // namespace tenancyd::testing

#include "command_line.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "config_file.hpp"
#include "problem.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kUsage = R"(usage: tenancyd [flags]

  --listen HOST:PORT        address to serve on (default 127.0.0.1:8080; port 0 picks one)
  --data DIR                data directory (default ./data)
  --store URL               tenant data store (default sqlite://<data>; postgres://... for PostgreSQL)
  --store-admin-url URL     PostgreSQL role that runs migrations (default: none)
  --master-key-file PATH    master key file (default <data>/master.key, created 0600 if missing)
  --base-domain DOMAIN      serve tenants at <slug>.DOMAIN (default: off)
  --threads N               I/O threads (default 2)
  --read-timeout DUR        time to receive one request; later answers 408 (default 30s)
  --idle-timeout DUR        keep-alive connection idle time (default 60s)
  --write-timeout DUR       time to send one response (default 30s)
  --drain-timeout DUR       graceful shutdown deadline (default 10s)
  --max-header-bytes SIZE   request line and headers (default 8k; more answers 431)
  --max-body-bytes SIZE     request body (default 1m; more answers 413)
  --pipeline-limit N        responses queued per connection (default 8)
  --max-connections N       open connections; beyond them 503 and close (default 10000)
  --token-ttl DUR           lifetime of /oauth/token tokens (default 15m, at most 1h)
  --signup-per-hour N       public sign-ups per client address and hour, 0 turns
                            POST /v1/signup off (default 5)
  --hold-throttled=BOOL     after a 429 for the tenant's request rate, read that
                            connection's next request only at the tenant's next free
                            slot (at most 1s); false behind a proxy that pools one
                            connection for several tenants (default true)
  --demo                    provision three demo tenants, print their credentials and
                            curl lines, then serve (re-runs reuse them with fresh keys)
  --log-level LEVEL         trace, debug, info, warn or error (default info)
  --access-log=BOOL         one log line per request (default true)
  --log-flush-interval DUR  stderr log lines written in batches this often (sooner per
                            64 KiB or at a warning); 0s: each line at once (default 100ms)
  --cpu-read-interval DUR   how often an I/O thread reads its CPU clock for per-tenant
                            CPU time (a system call); 0s: every request (default 1ms)
  --log-lines-per-tenant N  log lines kept in memory per tenant for the log routes
                            (default 1000, at most 1000000)
  --metrics-max-tenants N   tenant rows per metric family before tenants fold into
                            _overflow (default 1000, at most 1000000)
  --slo-evaluate-interval DUR   SLO evaluation and alerting period; 0s: never (default 1m)
  --activity-flush-interval DUR per-tenant activity written to <data>/activity.json;
                            0s: only at shutdown (default 1m)
  --storage-refresh-interval DUR per-tenant storage bytes measured; 0s: never (default 15m)
  --idle-archive            let the idle-tenant policy archive (offboard) tenants
                            (default off: the action is refused)
  --webhook-ca-file PATH    PEM file of the CAs https webhook receivers must chain to
                            (default: the system trust store)
  --config FILE             JSON settings file (default: none)
  --help                    this text

DUR: a number with ms, s or m (e.g. 500ms, 30s). SIZE: bytes, or with k or m.

Every setting but --config and --help can also come from the environment as
TENANCYD_<FLAG> (upper case, '-' as '_': TENANCYD_LISTEN, TENANCYD_READ_TIMEOUT,
TENANCYD_DEMO=1) and from the --config file (TENANCYD_CONFIG names it too) as
{"listen": "0.0.0.0:8080", "threads": 4, "demo": true}. Flags beat the
environment, which beats the file, which beats the defaults. Unknown flags,
TENANCYD_* variables and file keys are refused (exit 2).
SIGTERM or SIGINT drains in-flight requests and exits 0.
)";

tenancy::Result<std::uint64_t> Number(std::string_view flag, std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return Fail(Errc::kInvalidArgument, std::string(flag) + " needs a number");
  return v;
}

tenancy::Result<std::chrono::milliseconds> Duration(std::string_view flag, std::string_view text) {
  std::uint64_t scale = 0;
  if (text.ends_with("ms")) {
    scale = 1, text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    scale = 1000, text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60'000, text.remove_suffix(1);
  } else {
    return Fail(Errc::kInvalidArgument, std::string(flag) + " needs a unit: ms, s or m");
  }
  auto n = Number(flag, text);
  if (!n) return n.error();
  if (*n > 86'400'000 / scale) return Fail(Errc::kInvalidArgument, std::string(flag) + " is too long");
  return std::chrono::milliseconds(*n * scale);
}

tenancy::Result<std::size_t> Size(std::string_view flag, std::string_view text) {
  std::uint64_t scale = 1;
  if (text.ends_with("k")) {
    scale = 1024, text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 1024 * 1024, text.remove_suffix(1);
  }
  auto n = Number(flag, text);
  if (!n) return n.error();
  if (*n > (std::uint64_t{1} << 40) / scale) return Fail(Errc::kInvalidArgument, std::string(flag) + " is too large");
  return static_cast<std::size_t>(*n * scale);
}

tenancy::Result<void> Listen(std::string_view text, ServerOptions& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return Fail(Errc::kInvalidArgument, "--listen needs HOST:PORT");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = Number("--listen", text.substr(colon + 1));
  if (!port || *port > 65535) return Fail(Errc::kInvalidArgument, "--listen needs a port 0-65535");
  out.host = std::string(host);
  out.port = static_cast<unsigned short>(*port);
  return {};
}

// A flag or variable name as an error may show it.
std::string SafeFlag(std::string_view text) { return SafeText(text, 64); }

}  // namespace

std::string_view Usage() noexcept { return kUsage; }

namespace {

// Settings that take no value.
constexpr std::string_view kSwitches[] = {"demo", "access-log", "idle-archive", "hold-throttled"};
// Settings that take one (the flag names without "--").
constexpr std::string_view kValued[] = {
    "listen",         "data",           "store",          "store-admin-url", "master-key-file",
    "base-domain",    "threads",        "read-timeout",   "idle-timeout",    "write-timeout",
    "drain-timeout",  "max-header-bytes", "max-body-bytes", "pipeline-limit", "max-connections",
    "token-ttl",      "signup-per-hour", "log-level", "log-flush-interval", "log-lines-per-tenant",
    "metrics-max-tenants", "slo-evaluate-interval", "activity-flush-interval",
    "storage-refresh-interval", "webhook-ca-file", "cpu-read-interval"};

bool IsSwitch(std::string_view name) {
  for (auto s : kSwitches)
    if (s == name) return true;
  return false;
}
bool IsSetting(std::string_view name) {
  if (IsSwitch(name)) return true;
  for (auto v : kValued)
    if (v == name) return true;
  return false;
}

tenancy::Result<bool> SwitchValue(std::string_view where, std::string_view value) {
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off" || value.empty()) return false;
  return Fail(Errc::kInvalidArgument, std::string(where) + " must be true or false");
}

// Applies one setting (`name` without "--") to `o`.
tenancy::Result<void> Apply(DaemonOptions& o, std::string_view name, const std::string& value) {
  const std::string flag = "--" + std::string(name);
  const auto set = [&](auto result, auto& field) -> tenancy::Result<void> {
    if (!result) return result.error();
    field = *result;
    return {};
  };
  if (name == "listen") return Listen(value, o.server);
  if (name == "data") return o.platform.data_dir = value, tenancy::Result<void>{};
  if (name == "store") return o.platform.store_url = value, tenancy::Result<void>{};
  if (name == "store-admin-url") return o.platform.store_admin_url = value, tenancy::Result<void>{};
  if (name == "master-key-file") return o.platform.master_key_file = value, tenancy::Result<void>{};
  if (name == "base-domain") return o.platform.base_domain = value, tenancy::Result<void>{};
  if (name == "webhook-ca-file") {
    if (value.empty()) return Fail(Errc::kInvalidArgument, flag + " needs a file");
    o.platform.webhook_ca_file = value;
    return {};
  }
  if (name == "threads") {
    auto n = Number(flag, value);
    if (!n) return n.error();
    if (*n < 1 || *n > 256) return Fail(Errc::kInvalidArgument, "--threads must be 1-256");
    o.server.threads = static_cast<unsigned>(*n);
    return {};
  }
  if (name == "read-timeout") return set(Duration(flag, value), o.server.read_timeout);
  if (name == "idle-timeout") return set(Duration(flag, value), o.server.idle_timeout);
  if (name == "write-timeout") return set(Duration(flag, value), o.server.write_timeout);
  if (name == "drain-timeout") return set(Duration(flag, value), o.server.drain_timeout);
  if (name == "max-header-bytes") return set(Size(flag, value), o.server.max_header_bytes);
  if (name == "max-body-bytes") return set(Size(flag, value), o.server.max_body_bytes);
  if (name == "pipeline-limit") return set(Number(flag, value), o.server.pipeline_limit);
  if (name == "max-connections") return set(Number(flag, value), o.server.max_connections);
  if (name == "token-ttl") {
    auto d = Duration(flag, value);
    if (!d) return d.error();
    o.app.token_ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
    return {};
  }
  if (name == "signup-per-hour") {
    auto n = Number(flag, value);
    if (!n) return n.error();
    if (*n > 3600) return Fail(Errc::kInvalidArgument, "--signup-per-hour must be 0-3600");
    o.app.signup.enabled = *n > 0;
    if (*n > 0) {
      // n an hour, and a burst of n: a fresh address may sign up n times.
      o.app.signup.limiter.burst = static_cast<std::int64_t>(*n);
      o.app.signup.limiter.interval =
          std::chrono::nanoseconds(std::chrono::hours(1)) / static_cast<std::int64_t>(*n);
    }
    return {};
  }
  if (name == "demo") return set(SwitchValue(flag, value), o.demo);
  if (name == "hold-throttled") return set(SwitchValue(flag, value), o.app.hold_throttled_connections);
  // Observability (observability/options.hpp).
  ObservabilityOptions& obs = o.platform.observability;
  if (name == "access-log") return set(SwitchValue(flag, value), obs.access_log);
  if (name == "idle-archive") return set(SwitchValue(flag, value), obs.idle_archive_allowed);
  if (name == "log-level") {
    auto level = tenancy::ParseLogLevel(value);
    if (!level) return Fail(Errc::kInvalidArgument, flag + " must be trace, debug, info, warn or error");
    obs.log_level = *level;
    return {};
  }
  const auto count = [&](std::size_t& field) -> tenancy::Result<void> {
    auto n = Number(flag, value);
    if (!n) return n.error();
    if (*n < 1 || *n > 1'000'000) return Fail(Errc::kInvalidArgument, flag + " must be 1-1000000");
    field = static_cast<std::size_t>(*n);
    return {};
  };
  if (name == "log-lines-per-tenant") return count(obs.log_retention.max_lines_per_tenant);
  if (name == "metrics-max-tenants") return count(obs.metrics_max_tenants);
  if (name == "slo-evaluate-interval") return set(Duration(flag, value), obs.slo_evaluate_interval);
  if (name == "log-flush-interval") return set(Duration(flag, value), obs.log_flush_interval);
  if (name == "cpu-read-interval") {
    auto d = Duration(flag, value);
    if (!d) return d.error();
    if (*d > std::chrono::seconds{1}) return Fail(Errc::kInvalidArgument, flag + " must be at most 1s");
    obs.cpu_read_interval = std::chrono::duration_cast<std::chrono::microseconds>(*d);
    return {};
  }
  if (name == "activity-flush-interval") return set(Duration(flag, value), obs.activity_flush_interval);
  if (name == "storage-refresh-interval") return set(Duration(flag, value), obs.storage_refresh_interval);
  return Fail(Errc::kInvalidArgument, "unknown flag " + flag.substr(0, 64));
}

// "TENANCYD_READ_TIMEOUT" → "read-timeout"; empty when not ours.
std::string SettingOfVariable(std::string_view variable) {
  constexpr std::string_view kPrefix = "TENANCYD_";
  if (!variable.starts_with(kPrefix)) return {};
  std::string name;
  for (char c : variable.substr(kPrefix.size()))
    name += c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return name;
}

}  // namespace

tenancy::Result<DaemonOptions> ParseDaemonOptions(std::span<const char* const> args,
                                                  std::span<const char* const> environment) {
  // Flags first, collected: --config may name the file, and they win.
  std::vector<Setting> flags;
  std::string config_path;
  bool help = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i] ? args[i] : "";
    if (arg == "--help" || arg == "-h") {
      help = true;
      continue;
    }
    if (!arg.starts_with("--")) return Fail(Errc::kInvalidArgument, "unexpected argument '" + SafeFlag(arg) + "'");
    std::string flag(arg);
    std::optional<std::string> value;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    }
    const std::string name = flag.substr(2);
    if (name != "config" && !IsSetting(name))
      return Fail(Errc::kInvalidArgument, "unknown flag " + SafeFlag(flag));
    if (!value) {
      if (IsSwitch(name)) {
        value = "true";
      } else {
        if (i + 1 >= args.size() || !args[i + 1]) return Fail(Errc::kInvalidArgument, flag + " needs a value");
        value = args[++i];
      }
    }
    if (name == "config") {
      config_path = *value;
      if (config_path.empty()) return Fail(Errc::kInvalidArgument, "--config needs a file");
    } else {
      flags.emplace_back(name, std::move(*value));
    }
  }

  // The environment: every TENANCYD_* must name a setting.
  std::vector<Setting> env;
  std::string env_config;
  for (const char* entry : environment) {
    if (!entry) continue;
    const std::string_view e(entry);
    const auto eq = e.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view variable = e.substr(0, eq);
    const std::string name = SettingOfVariable(variable);
    if (name.empty()) continue;
    if (name == "config") {
      env_config = std::string(e.substr(eq + 1));
      continue;
    }
    if (!IsSetting(name))
      return Fail(Errc::kInvalidArgument, "unknown environment variable " + SafeFlag(variable));
    env.emplace_back(name, std::string(e.substr(eq + 1)));
  }
  if (config_path.empty()) config_path = env_config;

  DaemonOptions o;
  o.help = help;
  if (help) return o;
  if (!config_path.empty()) {
    auto text = ReadConfigFile(config_path);
    if (!text) return text.error();
    auto file = ParseConfigJson(*text, SettingNames{.is_known = IsSetting, .is_switch = IsSwitch});
    if (!file) return file.error();
    for (const auto& [name, value] : *file)
      if (auto r = Apply(o, name, value); !r)
        return Fail(Errc::kInvalidArgument, "config file key '" + name + "': " + r.error().message);
  }
  for (const auto& [name, value] : env)
    if (auto r = Apply(o, name, value); !r)
      return Fail(Errc::kInvalidArgument, "environment: " + r.error().message);
  for (const auto& [name, value] : flags)
    if (auto r = Apply(o, name, value); !r) return r.error();
  if (o.platform.data_dir.empty()) return Fail(Errc::kInvalidArgument, "--data is empty");
  if (auto v = Validate(o.server); !v) return v.error();
  return o;
}

tenancy::Result<DaemonOptions> ParseCommandLine(std::span<const char* const> args) {
  return ParseDaemonOptions(args, {});
}

}  // namespace tenancyd

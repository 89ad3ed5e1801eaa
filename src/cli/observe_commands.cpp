// tenancyctl success-metrics / idle-tenants, against a running tenancyd.
#include "observe_commands.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>

#include "server_client.hpp"

namespace tenancyctl {
namespace json = boost::json;

namespace {

constexpr const char* kUsage =
    "usage: tenancyctl success-metrics --server URL [--month YYYY-MM] [--limit N] [--json]\n"
    "       tenancyctl idle-tenants --server URL [--days N] [--tier T] [--json]\n"
    "       tenancyctl idle-tenants apply --server URL --days N --tier T\n"
    "                               --action notify|suspend|archive [--json]\n"
    "The operator key comes from --key-file FILE or TENANCYCTL_OPERATOR_KEY.\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "tenancyctl: %s\n\n%s", why.c_str(), kUsage);
  return 2;
}

std::string Text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  if (v.is_double()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v.as_double());
    return buf;
  }
  return json::serialize(v);
}

const json::value& At(const json::value& v, std::string_view key) {
  static const json::value kNull;
  const json::object* o = v.if_object();
  if (!o) return kNull;
  const json::value* f = o->if_contains(key);
  return f ? *f : kNull;
}

// Percent-encodes a query value (the few characters a value can hold).
std::string Encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Calls the server; prints a refusal and returns nullopt on any failure
// (`exit` set to the code to return).
std::optional<json::value> Fetch(const Args& args, std::string_view method, const std::string& target,
                                 const std::string& body, int& exit) {
  const auto server_text = args.Option("server");
  if (!server_text) {
    exit = Usage("--server URL is required (the running tenancyd)");
    return std::nullopt;
  }
  auto server = ParseServerUrl(*server_text);
  if (!server) {
    exit = Usage(server.error().message);
    return std::nullopt;
  }
  auto key = OperatorKey(args);
  if (!key) {
    exit = Usage(key.error().message);
    return std::nullopt;
  }
  auto res = CallServer(*server, method, target, *key, body);
  std::fill(key->begin(), key->end(), '\0');
  if (!res) {
    std::fprintf(stderr, "tenancyctl: %s\n", res.error().message.c_str());
    exit = 1;
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value doc = json::parse(res->body, ec);
  if (res->status >= 300) {
    const std::string code = ec ? "http_" + std::to_string(res->status) : Text(At(doc, "code"));
    const std::string detail = ec ? "" : Text(At(doc, "detail"));
    std::fprintf(stderr, "tenancyctl: the server refused (%u %s): %s\n", res->status, code.c_str(),
                 detail.c_str());
    exit = 1;
    return std::nullopt;
  }
  if (ec) {
    std::fprintf(stderr, "tenancyctl: the server's answer is not JSON\n");
    exit = 1;
    return std::nullopt;
  }
  if (args.Flag("json")) std::printf("%s\n", res->body.c_str());
  exit = 0;
  return doc;
}

// `path` with the given options that are set, as a URL-encoded query.
std::string WithQuery(std::string path, const Args& args, std::initializer_list<const char*> names) {
  char sep = '?';
  for (const char* name : names)
    if (auto v = args.Option(name)) {
      path += sep;
      path += name;
      path += '=';
      path += Encode(*v);
      sep = '&';
    }
  return path;
}

int SuccessMetricsCommand(const Args& args) {
  if (auto ok = OnlyOptions(args, {"server", "key-file", "month", "limit"}); !ok)
    return Usage(ok.error().message);
  if (!args.positional.empty()) return Usage("success-metrics takes no arguments");
  const std::string target = WithQuery("/v1/platform/success-metrics", args, {"month", "limit"});
  int exit = 0;
  auto doc = Fetch(args, "GET", target, {}, exit);
  if (!doc || args.Flag("json")) return exit;
  const json::value& d = *doc;
  std::printf("month %s (as of %s), amounts in %s cents\n", Text(At(d, "month")).c_str(),
              Text(At(d, "as_of")).c_str(), Text(At(d, "currency")).c_str());
  const json::value& on = At(d, "onboarding");
  std::printf("onboarding:          %s calls, median %s ms, p95 %s ms\n", Text(At(on, "count")).c_str(),
              Text(At(on, "median_ms")).c_str(), Text(At(on, "p95_ms")).c_str());
  const json::value& ride = At(d, "time_to_first_ride");
  std::printf("time to first ride:  %s tenants, median %s s, p95 %s s\n", Text(At(ride, "count")).c_str(),
              Text(At(ride, "median_s")).c_str(), Text(At(ride, "p95_s")).c_str());
  const json::value& t = At(d, "tenants");
  std::printf("tenants:             %s live; by state %s; by model %s; active 24h %s, 30d %s\n",
              Text(At(t, "total")).c_str(), Text(At(t, "by_state")).c_str(), Text(At(t, "by_model")).c_str(),
              Text(At(t, "active_24h")).c_str(), Text(At(t, "active_30d")).c_str());
  const json::value& inc = At(d, "incidents");
  std::printf("incidents:           %s in %s tenants, %s minutes\n", Text(At(inc, "count")).c_str(),
              Text(At(inc, "tenants_affected")).c_str(), Text(At(inc, "total_minutes")).c_str());
  const json::value& tot = At(d, "totals");
  std::printf("cost %s, revenue %s, margin %s\n\n", Text(At(tot, "cost_cents")).c_str(),
              Text(At(tot, "revenue_cents")).c_str(), Text(At(tot, "margin_cents")).c_str());
  std::printf("%-24s  %-10s  %-11s  %9s  %10s  %12s  %10s  %10s  %9s  %s\n", "SLUG", "TIER", "STATE",
              "REQUESTS", "CPU_S", "STORAGE_B", "COST", "REVENUE", "INCIDENTS", "LAST REQUEST");
  if (const json::array* rows = At(d, "per_tenant").if_array())
    for (const json::value& r : *rows)
      std::printf("%-24s  %-10s  %-11s  %9s  %10s  %12s  %10s  %10s  %9s  %s\n", Text(At(r, "slug")).c_str(),
                  Text(At(r, "tier")).c_str(), Text(At(r, "state")).c_str(), Text(At(r, "requests")).c_str(),
                  Text(At(r, "cpu_seconds")).c_str(), Text(At(r, "storage_bytes")).c_str(),
                  Text(At(r, "cost_cents")).c_str(), Text(At(r, "revenue_cents")).c_str(),
                  Text(At(r, "incidents")).c_str(), Text(At(r, "last_request_at")).c_str());
  if (const std::string next = Text(At(d, "next_cursor")); !next.empty() && next != "-")
    std::printf("(more: the API's next_cursor is %s)\n", next.c_str());
  return 0;
}

int IdleListCommand(const Args& args) {
  if (auto ok = OnlyOptions(args, {"server", "key-file", "days", "tier"}); !ok)
    return Usage(ok.error().message);
  const std::string target = WithQuery("/v1/platform/idle-tenants", args, {"days", "tier"});
  int exit = 0;
  auto doc = Fetch(args, "GET", target, {}, exit);
  if (!doc || args.Flag("json")) return exit;
  std::printf("%s tenants idle for %s days or more (as of %s)\n", Text(At(*doc, "count")).c_str(),
              Text(At(*doc, "days")).c_str(), Text(At(*doc, "as_of")).c_str());
  std::printf("%-24s  %-10s  %-11s  %9s  %s\n", "SLUG", "TIER", "STATE", "IDLE_DAYS", "LAST REQUEST");
  if (const json::array* rows = At(*doc, "tenants").if_array())
    for (const json::value& r : *rows)
      std::printf("%-24s  %-10s  %-11s  %9s  %s\n", Text(At(r, "slug")).c_str(), Text(At(r, "tier")).c_str(),
                  Text(At(r, "state")).c_str(), Text(At(r, "idle_days")).c_str(),
                  Text(At(r, "last_request_at")).c_str());
  return 0;
}

int IdleApplyCommand(const Args& args) {
  if (auto ok = OnlyOptions(args, {"server", "key-file", "days", "tier", "action"}); !ok)
    return Usage(ok.error().message);
  const auto days = args.Option("days");
  const auto tier = args.Option("tier");
  const auto action = args.Option("action");
  if (!days || !tier || !action) return Usage("idle-tenants apply needs --days, --tier and --action");
  std::int64_t n = 0;
  try {
    std::size_t used = 0;
    n = std::stoll(*days, &used);
    if (used != days->size() || n < 1) throw std::invalid_argument("days");
  } catch (const std::exception&) {
    return Usage("--days must be a positive integer");
  }
  const std::string body =
      json::serialize(json::object{{"days", n}, {"tier", *tier}, {"action", *action}});
  int exit = 0;
  auto doc = Fetch(args, "POST", "/v1/platform/idle-tenants/apply", body, exit);
  if (!doc || args.Flag("json")) return exit;
  std::printf("%s: %s matched, %s changed\n", Text(At(*doc, "action")).c_str(),
              Text(At(*doc, "matched")).c_str(), Text(At(*doc, "changed")).c_str());
  std::printf("%-24s  %-11s  %-11s  %s\n", "SLUG", "OUTCOME", "STATE", "ERROR");
  if (const json::array* rows = At(*doc, "results").if_array())
    for (const json::value& r : *rows)
      std::printf("%-24s  %-11s  %-11s  %s\n", Text(At(r, "slug")).c_str(), Text(At(r, "outcome")).c_str(),
                  Text(At(r, "state")).c_str(), Text(At(At(r, "error"), "code")).c_str());
  return 0;
}

}  // namespace

bool IsObserveCommand(std::string_view command) noexcept {
  return command == "success-metrics" || command == "idle-tenants";
}

int CmdObserve(std::string_view command, const Args& args) {
  if (command == "success-metrics") return SuccessMetricsCommand(args);
  if (!args.positional.empty()) {
    if (args.positional.front() != "apply" || args.positional.size() > 1)
      return Usage("idle-tenants takes no argument but 'apply'");
    return IdleApplyCommand(args);
  }
  return IdleListCommand(args);
}

}  // namespace tenancyctl

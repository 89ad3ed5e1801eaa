#include "command_line.hpp"

#include <charconv>
#include <string>

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
  --read-timeout DUR        time to receive one request (default 30s)
  --idle-timeout DUR        keep-alive connection idle time (default 60s)
  --write-timeout DUR       time to send one response (default 30s)
  --drain-timeout DUR       graceful shutdown deadline (default 10s)
  --max-header-bytes SIZE   request line and headers (default 8k; more answers 431)
  --max-body-bytes SIZE     request body (default 1m; more answers 413)
  --pipeline-limit N        responses queued per connection (default 8)
  --token-ttl DUR           lifetime of /oauth/token tokens (default 15m, at most 1h)
  --help                    this text

DUR: a number with ms, s or m (e.g. 500ms, 30s). SIZE: bytes, or with k or m.
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

}  // namespace

std::string_view Usage() noexcept { return kUsage; }

tenancy::Result<DaemonOptions> ParseCommandLine(std::span<const char* const> args) {
  DaemonOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i] ? args[i] : "";
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (!arg.starts_with("--")) return Fail(Errc::kInvalidArgument, "unexpected argument '" + std::string(arg) + "'");
    std::string flag(arg);
    std::string value;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else {
      if (i + 1 >= args.size() || !args[i + 1])
        return Fail(Errc::kInvalidArgument, flag + " needs a value");
      value = args[++i];
    }
    const auto set = [&](auto result, auto& field) -> tenancy::Result<void> {
      if (!result) return result.error();
      field = *result;
      return {};
    };
    tenancy::Result<void> r;
    if (flag == "--listen") {
      r = Listen(value, o.server);
    } else if (flag == "--data") {
      o.platform.data_dir = value;
    } else if (flag == "--store") {
      o.platform.store_url = value;
    } else if (flag == "--store-admin-url") {
      o.platform.store_admin_url = value;
    } else if (flag == "--master-key-file") {
      o.platform.master_key_file = value;
    } else if (flag == "--base-domain") {
      o.platform.base_domain = value;
    } else if (flag == "--threads") {
      auto n = Number(flag, value);
      if (n && (*n < 1 || *n > 256)) n = Fail(Errc::kInvalidArgument, "--threads must be 1-256");
      if (n) o.server.threads = static_cast<unsigned>(*n);
      r = n ? tenancy::Result<void>{} : tenancy::Result<void>(n.error());
    } else if (flag == "--read-timeout") {
      r = set(Duration(flag, value), o.server.read_timeout);
    } else if (flag == "--idle-timeout") {
      r = set(Duration(flag, value), o.server.idle_timeout);
    } else if (flag == "--write-timeout") {
      r = set(Duration(flag, value), o.server.write_timeout);
    } else if (flag == "--drain-timeout") {
      r = set(Duration(flag, value), o.server.drain_timeout);
    } else if (flag == "--max-header-bytes") {
      r = set(Size(flag, value), o.server.max_header_bytes);
    } else if (flag == "--max-body-bytes") {
      r = set(Size(flag, value), o.server.max_body_bytes);
    } else if (flag == "--pipeline-limit") {
      r = set(Number(flag, value), o.server.pipeline_limit);
    } else if (flag == "--token-ttl") {
      auto d = Duration(flag, value);
      if (d) o.app.token_ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
      r = d ? tenancy::Result<void>{} : tenancy::Result<void>(d.error());
    } else {
      return Fail(Errc::kInvalidArgument, "unknown flag " + flag.substr(0, 64));
    }
    if (!r) return r.error();
  }
  if (o.platform.data_dir.empty()) return Fail(Errc::kInvalidArgument, "--data is empty");
  if (auto v = Validate(o.server); !v) return v.error();
  return o;
}

}  // namespace tenancyd

// load_fixture: prepares a tenancyd data directory for the load benchmarks
// (run_load.sh), through the same composition tenancyd opens (App over
// Platform), so the server started on it afterwards finds exactly what
// onboarding through its API would have left:
//
//   N bulk tenants   "t-000000" ... on the shared model, tier standard, each
//                    with a tenant_admin API key (what POST /v1/tenants
//                    makes: Directory::Provision + Authenticator::CreateApiKey);
//                    K of them, spread evenly over the N, are the "active"
//                    ones the benchmarks send traffic as, and get an
//                    api.requests override high enough never to throttle
//                    (the benchmark measures the pipeline, not the plan)
//   load-rides       a tenant taken through the booking story
//                    (booking_story.hpp) in process: zone, pricing, a
//                    vehicle, a driver and a booked ride, so GET
//                    /v1/rides/{id} has a target and POST /v1/rides a
//                    configured tenant; unthrottled, rides.booked unbounded
//   noisy-a          the noisy neighbour: api.requests = --noisy-rate per
//                    second (burst the same), the rate the flood exceeds 10x
//   noisy-b          its neighbour, whose latency is measured; unthrottled
//
// Bulk provisioning is one Provision and one CreateApiKey per tenant, each
// its own commit, timed and reported (µs per tenant, and the two calls
// apart): the honest cost of onboarding that many tenants through the
// library's API. The library has no batch call; what makes 100,000
// affordable is where the commits go (--build-dir: a scratch directory,
// e.g. on tmpfs, whose result is moved into --data afterwards) and reuse
// (run_load.sh can keep the finished directory and copies it for each
// server it starts).
//
//   load_fixture --data DIR --tenants N [--active K] [--noisy-rate R]
//                [--env FILE] [--keys FILE] [--build-dir DIR]
//
// Writes (both 0600, they hold API keys):
//   --env FILE   shell assignments: LOAD_TENANTS, LOAD_PROVISION_SECONDS,
//                LOAD_PROVISION_US_PER_TENANT, LOAD_PROVISION_SPLIT_US
//                ("<Provision µs> <CreateApiKey µs>"), LOAD_PING_KEY, LOAD_RIDE_KEY,
//                LOAD_RIDE_ID, LOAD_NOISY_A_KEY, LOAD_NOISY_A_RATE,
//                LOAD_NOISY_B_KEY, LOAD_ACTIVE_KEYS (the file below)
//   --keys FILE  the K active tenants' keys, one a line (default
//                <env>.active-keys)
// Progress and the timing go to stderr. Exit 1 on any failure (a
// half-built fixture measures nothing), 2 on a usage error.
//
// Thread safety: a single-threaded program.
#include <sys/stat.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "app.hpp"
#include "booking_story.hpp"
#include "command_line.hpp"
#include "plans.hpp"
#include "tenancy/authz.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Error;
using tenancy::Result;

struct FixtureOptions {
  std::string data_dir;
  std::string build_dir;  // empty: build in data_dir
  std::size_t tenants = 10;
  std::size_t active = 10;
  std::int64_t noisy_rate = 100;
  std::string env_file;
  std::string keys_file;
};

constexpr std::string_view kUsage =
    "usage: load_fixture --data DIR --tenants N [--active K] [--noisy-rate R]\n"
    "                    [--env FILE] [--keys FILE] [--build-dir DIR]\n";

// A rate no benchmark reaches: one unit per nanosecond, a burst of ~11 days.
tenancy::Limit Unthrottled() {
  return tenancy::Limit::Rate(1'000'000'000, std::chrono::seconds(1), 1'000'000'000'000'000);
}

[[noreturn]] void Die(std::string_view what, const Error& e) {
  std::fprintf(stderr, "load_fixture: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               e.ToString().c_str());
  std::exit(1);
}

template <class T>
T Must(Result<T> r, std::string_view what) {
  if (!r) Die(what, r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

bool ParseSize(std::string_view text, std::size_t& out) {
  if (text.empty()) return false;
  std::size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > 100'000'000) return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  out = v;
  return true;
}

std::optional<FixtureOptions> ParseArgs(int argc, char** argv) {
  FixtureOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i], value = argv[i + 1];
    std::size_t n = 0;
    if (flag == "--data") {
      o.data_dir = value;
    } else if (flag == "--build-dir") {
      o.build_dir = value;
    } else if (flag == "--tenants" && ParseSize(value, n) && n >= 1) {
      o.tenants = n;
    } else if (flag == "--active" && ParseSize(value, n) && n >= 1) {
      o.active = n;
    } else if (flag == "--noisy-rate" && ParseSize(value, n) && n >= 1) {
      o.noisy_rate = static_cast<std::int64_t>(n);
    } else if (flag == "--env") {
      o.env_file = value;
    } else if (flag == "--keys") {
      o.keys_file = value;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || o.data_dir.empty() || o.active > o.tenants) return std::nullopt;
  if (o.keys_file.empty() && !o.env_file.empty()) o.keys_file = o.env_file + ".active-keys";
  return o;
}

// A file only its owner may read (it holds keys), replaced if present.
std::ofstream OpenPrivate(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  const mode_t old = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  ::umask(old);
  if (!out) Die("write " + path, Error(Errc::kStorage, "cannot create the file"));
  return out;
}

// One call through the app's pipeline (routing, authentication, admission,
// handler, accounting) as the holder of `key`: what a client's request
// does, without the socket.
tenancy::load::Caller InProcessCaller(tenancyd::App& app, std::string key) {
  return [&app, key = std::move(key)](std::string_view method, std::string_view target,
                                      std::string_view body,
                                      std::string_view idempotency_key) -> Result<json::value> {
    namespace http = boost::beast::http;
    tenancyd::Request req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::authorization, "Bearer " + key);
    if (!idempotency_key.empty()) req.set("Idempotency-Key", idempotency_key);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
    }
    req.prepare_payload();
    const tenancyd::Response res = app.Handle(std::move(req));
    if (res.result_int() < 200 || res.result_int() >= 300)
      return Error(Errc::kInternal, std::string(method) + " " + std::string(target) + " answered " +
                                        std::to_string(res.result_int()) + ": " + res.body());
    boost::system::error_code ec;
    json::value v = res.body().empty() ? json::value() : json::parse(res.body(), ec);
    if (ec) return Error(Errc::kInternal, std::string(target) + " answered malformed JSON");
    return v;
  };
}

struct Provisioned {
  tenancy::Tenant tenant;
  std::string key;
};

// Where bulk onboarding spends its time.
struct OnboardTimes {
  std::chrono::steady_clock::duration provision{}, key{};
};

Provisioned Onboard(tenancyd::Platform& p, std::string slug, OnboardTimes* times = nullptr) {
  tenancy::ProvisionRequest req;
  req.slug = std::move(slug);
  req.tier = "standard";
  req.model = tenancy::IsolationModel::kShared;
  const auto t0 = std::chrono::steady_clock::now();
  auto provisioned = Must(p.directory().Provision(req), "provision " + req.slug);
  if (!provisioned.created)
    Die("provision " + req.slug, Error(Errc::kAlreadyExists, "the data directory is not empty"));
  const auto t1 = std::chrono::steady_clock::now();
  auto key = Must(p.auth().CreateApiKey(provisioned.tenant.id, "load admin",
                                        {std::string(tenancy::roles::kTenantAdmin)}),
                  "api key for " + req.slug);
  if (times) {
    times->provision += t1 - t0;
    times->key += std::chrono::steady_clock::now() - t1;
  }
  return {std::move(provisioned.tenant), std::move(key.key)};
}

std::string BulkSlug(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "t-%06zu", i);
  return buf;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = ParseArgs(argc, argv);
  if (!options) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return 2;
  }
  const std::string work_dir = options->build_dir.empty() ? options->data_dir : options->build_dir;
  if (fs::exists(work_dir) && !fs::is_empty(work_dir)) {
    std::fprintf(stderr, "load_fixture: %s is not empty\n", work_dir.c_str());
    return 1;
  }

  {
    // tenancyd's own defaults for this data directory, minus the background
    // threads a fixture does not need.
    const char* args[] = {"--data", work_dir.c_str()};
    auto daemon = Must(tenancyd::ParseCommandLine(args), "options");
    daemon.platform.webhook_dispatch_interval = std::chrono::milliseconds{0};
    daemon.platform.quarantine.evaluate_every = std::chrono::milliseconds{0};
    const auto open = [&] {
      return Must(tenancyd::App::Open(daemon.platform, daemon.app), "open the platform");
    };
    auto app = open();

    // -- bulk tenants, the active ones spread evenly over them --
    std::vector<std::string> active_keys;
    std::vector<tenancy::TenantId> active_ids;
    std::size_t next_active = 0;
    OnboardTimes times;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < options->tenants; ++i) {
      Provisioned t = Onboard(app->platform(), BulkSlug(i), &times);
      if (next_active < options->active && i == next_active * options->tenants / options->active) {
        active_keys.push_back(std::move(t.key));
        active_ids.push_back(t.tenant.id);
        ++next_active;
      }
      if ((i + 1) % 10'000 == 0)
        std::fprintf(stderr, "load_fixture: %zu tenants (%.1f s)\n", i + 1, SecondsSince(t0));
    }
    const double bulk_seconds = SecondsSince(t0);
    tenancyd::Platform& p = app->platform();
    for (const auto& id : active_ids)
      Must(p.quotas().SetOverride(id, tenancyd::kApiRequests, Unthrottled()), "override");

    // -- the ride tenant: the booking story, in process --
    Provisioned rides = Onboard(p, "load-rides");
    Must(p.quotas().SetOverride(rides.tenant.id, tenancyd::kApiRequests, Unthrottled()), "override");
    Must(p.quotas().SetOverride(rides.tenant.id, tenancyd::kRidesBooked,
                                tenancy::Limit::Periodic(1'000'000'000'000, tenancy::CalendarPeriod::kMonth)),
         "override");
    auto story = Must(tenancy::load::BookFirstRide(InProcessCaller(*app, rides.key), "fixture"),
                      "booking story");

    // -- the noisy neighbour and its neighbour --
    Provisioned noisy_a = Onboard(p, "noisy-a");
    Must(p.quotas().SetOverride(noisy_a.tenant.id, tenancyd::kApiRequests,
                                tenancy::Limit::Rate(options->noisy_rate, std::chrono::seconds(1),
                                                     options->noisy_rate)),
         "override");
    Provisioned noisy_b = Onboard(p, "noisy-b");
    Must(p.quotas().SetOverride(noisy_b.tenant.id, tenancyd::kApiRequests, Unthrottled()), "override");
    Must(p.FlushGovernance(), "flush");

    const auto n = static_cast<double>(options->tenants);
    const double per_tenant_us = bulk_seconds * 1e6 / n;
    const double provision_us = std::chrono::duration<double, std::micro>(times.provision).count() / n;
    const double key_us = std::chrono::duration<double, std::micro>(times.key).count() / n;
    std::fprintf(stderr,
                 "load_fixture: provisioned %zu tenants with an API key each in %.2f s, %.0f us per "
                 "tenant (Directory::Provision %.0f us, Authenticator::CreateApiKey %.0f us)\n",
                 options->tenants, bulk_seconds, per_tenant_us, provision_us, key_us);

    if (!options->env_file.empty()) {
      std::ofstream keys = OpenPrivate(options->keys_file);
      for (const auto& k : active_keys) keys << k << '\n';
      std::ofstream env = OpenPrivate(options->env_file);
      char seconds[32], us[32], split[64];
      std::snprintf(seconds, sizeof seconds, "%.3f", bulk_seconds);
      std::snprintf(us, sizeof us, "%.1f", per_tenant_us);
      std::snprintf(split, sizeof split, "%.1f %.1f", provision_us, key_us);
      // Keys, ids and numbers only: nothing here needs shell quoting but
      // the split's space.
      env << "LOAD_TENANTS=" << options->tenants << '\n'
          << "LOAD_PROVISION_SECONDS=" << seconds << '\n'
          << "LOAD_PROVISION_US_PER_TENANT=" << us << '\n'
          << "LOAD_PROVISION_SPLIT_US=\"" << split << "\"\n"
          << "LOAD_PING_KEY=" << active_keys.front() << '\n'
          << "LOAD_RIDE_KEY=" << rides.key << '\n'
          << "LOAD_RIDE_ID=" << story.ride_id << '\n'
          << "LOAD_NOISY_A_KEY=" << noisy_a.key << '\n'
          << "LOAD_NOISY_A_RATE=" << options->noisy_rate << '\n'
          << "LOAD_NOISY_B_KEY=" << noisy_b.key << '\n'
          << "LOAD_ACTIVE_KEYS=" << options->keys_file << '\n';
      if (!env || !keys) Die("write " + options->env_file, Error(Errc::kStorage, "write failed"));
    }
  }  // the platform closes here: every database is flushed and closed

  if (!options->build_dir.empty()) {
    // Built elsewhere (e.g. tmpfs): move the finished directory into place.
    std::error_code ec;
    fs::create_directories(fs::path(options->data_dir).parent_path(), ec);
    fs::remove(options->data_dir, ec);  // an empty directory only
    fs::rename(options->build_dir, options->data_dir, ec);
    if (ec) {
      // Another file system: copy, then remove the scratch copy.
      fs::copy(options->build_dir, options->data_dir, fs::copy_options::recursive, ec);
      if (ec) Die("copy the fixture into " + options->data_dir, Error(Errc::kStorage, ec.message()));
      fs::remove_all(options->build_dir, ec);
    }
  }
  return 0;
}

// Running tenancyd: settings from a config file, the environment and flags
// (flags > environment > file > defaults; unknown names refused), and
// `--demo` through the real binary: three tenants whose printed curl lines
// work, idempotent on a re-run with fresh keys.
#include "contracts_fixture.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "command_line.hpp"

extern char** environ;

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

tenancy::Result<DaemonOptions> Parse(std::vector<const char*> args, std::vector<const char*> env = {}) {
  return ParseDaemonOptions(std::span<const char* const>(args.data(), args.size()),
                            std::span<const char* const>(env.data(), env.size()));
}

std::string ErrorOf(const tenancy::Result<DaemonOptions>& r) {
  REQUIRE(!r);
  return r.error().message;
}

TEST_CASE("settings: flags beat the environment, which beats the file, which beats defaults",
          "[server][running][config]") {
  tenancy::testing::TempDir dir;
  const std::string file = (dir.path() / "tenancyd.json").string();
  WriteFile(file, R"({"listen": "127.0.0.1:7001", "threads": 3, "read-timeout": "5s",
                      "data": "/srv/file", "max-connections": 123, "demo": true,
                      "signup-per-hour": 10})");
  auto o = Parse({"--config", file.c_str(), "--listen", "127.0.0.1:7003"},
                 {"PATH=/usr/bin", "TENANCYD_THREADS=5", "TENANCYD_LISTEN=127.0.0.1:7002",
                  "TENANCYD_IDLE_TIMEOUT=7s", "HOME=/root"});
  INFO((o ? "" : o.error().message));
  REQUIRE(o);
  CHECK(o->server.port == 7003);                                    // flag
  CHECK(o->server.threads == 5);                                    // environment over file
  CHECK(o->server.idle_timeout == std::chrono::seconds(7));         // environment
  CHECK(o->server.read_timeout == std::chrono::seconds(5));         // file
  CHECK(o->platform.data_dir == "/srv/file");                       // file
  CHECK(o->server.max_connections == 123);                          // file
  CHECK(o->demo);                                                   // file switch
  CHECK(o->app.signup.limiter.burst == 10);                         // file
  CHECK(o->app.signup.limiter.interval == std::chrono::minutes(6));
  CHECK(o->server.write_timeout == std::chrono::seconds(30));       // default
  CHECK(o->server.max_body_bytes == std::size_t{1} << 20);          // default

  // TENANCYD_CONFIG names the file when no flag does; a flag's file wins.
  const std::string other = (dir.path() / "other.json").string();
  WriteFile(other, R"({"threads": 9})");
  auto from_env = Parse({}, {("TENANCYD_CONFIG=" + file).c_str()});
  REQUIRE(from_env);
  CHECK(from_env->server.threads == 3);
  const std::string env_entry = "TENANCYD_CONFIG=" + file;
  auto flag_wins = Parse({"--config", other.c_str()}, {env_entry.c_str()});
  REQUIRE(flag_wins);
  CHECK(flag_wins->server.threads == 9);
  CHECK(flag_wins->server.port == 8080);

  // Switches from the environment, and off again by a flag's value.
  auto demo_env = Parse({}, {"TENANCYD_DEMO=1"});
  REQUIRE(demo_env);
  CHECK(demo_env->demo);
  auto demo_off = Parse({"--demo=false"}, {"TENANCYD_DEMO=1"});
  REQUIRE(demo_off);
  CHECK(!demo_off->demo);
  auto no_signup = Parse({"--signup-per-hour", "0"});
  REQUIRE(no_signup);
  CHECK(!no_signup->app.signup.enabled);
  auto cap = Parse({"--max-connections=50"});
  REQUIRE(cap);
  CHECK(cap->server.max_connections == 50);
}

TEST_CASE("settings: unknown names and bad values are refused, naming the setting",
          "[server][running][config]") {
  tenancy::testing::TempDir dir;
  const auto file = [&](const std::string& text) {
    const std::string path = (dir.path() / "c.json").string();
    WriteFile(path, text);
    return path;
  };
  std::string f = file(R"({"listen": "127.0.0.1:1", "colour": "red"})");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("'colour'") != std::string::npos);
  f = file(R"({"config": "/etc/other.json"})");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("'config'") != std::string::npos);
  f = file(R"({"threads": 2.5})");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("'threads'") != std::string::npos);
  f = file(R"({"threads": 0})");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("threads") != std::string::npos);
  f = file(R"({"demo": "yes"})");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("'demo'") != std::string::npos);
  f = file(R"({"store": "postgres://u:hunter2@db/x", "bogus": 1})");
  const std::string secret_error = ErrorOf(Parse({"--config", f.c_str()}));
  CHECK(secret_error.find("hunter2") == std::string::npos);  // values are never echoed
  f = file(R"(["listen"])");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("object") != std::string::npos);
  f = file(R"({"listen": )");
  CHECK(ErrorOf(Parse({"--config", f.c_str()})).find("JSON") != std::string::npos);
  auto missing = Parse({"--config", (dir.path() / "absent.json").c_str()});
  REQUIRE(!missing);
  CHECK(missing.error().code == tenancy::Errc::kNotFound);

  CHECK(ErrorOf(Parse({}, {"TENANCYD_COLOUR=red"})).find("TENANCYD_COLOUR") != std::string::npos);
  CHECK(ErrorOf(Parse({}, {"TENANCYD_THREADS=many"})).find("--threads") != std::string::npos);
  CHECK(ErrorOf(Parse({}, {"TENANCYD_HELP=1"})).find("TENANCYD_HELP") != std::string::npos);
  CHECK(ErrorOf(Parse({"--colour", "red"})).find("--colour") != std::string::npos);
  CHECK(ErrorOf(Parse({"--max-connections", "0"})).find("max connections") != std::string::npos);
  CHECK(ErrorOf(Parse({"--signup-per-hour", "99999"})).find("--signup-per-hour") != std::string::npos);
  // Variables of others are none of tenancyd's business.
  CHECK(Parse({}, {"TENANCY_TEST_TMP=/tmp", "TENANCYDX=1", "PATH=/bin"}));
}

// -- the real binary --

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child Spawn(std::vector<std::string> args) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> argv;
  args.insert(args.begin(), TENANCYD_BINARY);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  const int rc = posix_spawn(&c.pid, TENANCYD_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  REQUIRE(rc == 0);
  c.out = ::fdopen(fds[0], "r");
  REQUIRE(c.out);
  return c;
}

int StopAndWait(Child& c) {
  ::kill(c.pid, SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
  std::fclose(c.out);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// The demo's output up to its closing line.
std::string ReadDemo(Child& c) {
  std::string all;
  char line[8192];
  while (std::fgets(line, sizeof line, c.out)) {
    all += line;
    if (std::string_view(line).starts_with("The keys above are shown once")) break;
  }
  return all;
}

std::vector<std::string> Lines(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(prefix)) out.push_back(l);
  return out;
}

TEST_CASE("tenancyd --demo provisions three tenants whose printed curl lines work", "[server][running][demo]") {
  if (RunCommand("command -v curl").exit_code != 0) FAIL("curl is missing: run scripts/install-deps.sh");
  tenancy::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Child child = Spawn({"--demo", "--listen", "127.0.0.1:0", "--data", data});
  const std::string out = ReadDemo(child);
  INFO(out);
  unsigned port = 0;
  REQUIRE(std::sscanf(out.c_str(), "listening on 127.0.0.1:%u", &port) == 1);
  for (std::string_view slug : {"city-cabs", "partner-rides", "enterprise-mobility"})
    CHECK(out.find("(" + std::string(slug) + ")") != std::string::npos);
  CHECK(out.find("shared model") != std::string::npos);
  CHECK(out.find("own database") != std::string::npos);
  CHECK(out.find("dedicated placement") != std::string::npos);
  const std::vector<std::string> curls = Lines(out, "curl ");
  const std::vector<std::string> books = Lines(out, "RIDE=$(curl ");
  REQUIRE(curls.size() == 9);  // per tenant: token, quote, read the ride
  REQUIRE(books.size() == 3);

  // The tenants are there, in the models promised.
  {
    TestClient c(static_cast<unsigned short>(port));
    std::ifstream in(data + "/bootstrap-operator.key");
    std::string op;
    std::getline(in, op);
    for (auto [slug, model] : {std::pair{"city-cabs", "shared"}, {"partner-rides", "database"},
                               {"enterprise-mobility", "dedicated"}}) {
      auto r = c.Roundtrip(WithBearer(MakeRequest(V::get, std::string("/v1/tenants/") + slug), op));
      REQUIRE(r);
      REQUIRE(r->result() == S::ok);
      CHECK(Str(BodyJson(*r), "model") == model);
    }
  }

  // Each tenant's lines, pasted into a shell, work: a token, a quote, and
  // a ride booked (dispatched to a demo driver) and read back.
  for (std::size_t t = 0; t < 3; ++t) {
    INFO("tenant " << t);
    const CommandResult token = RunCommand(curls[t * 3]);
    REQUIRE(token.exit_code == 0);
    CHECK(token.output.find("\"access_token\"") != std::string::npos);
    const CommandResult quote = RunCommand(curls[t * 3 + 1]);
    REQUIRE(quote.exit_code == 0);
    const json::value q = json::parse(quote.output);
    CHECK(q.at("fare").at("total").as_int64() > 0);
    CHECK(!q.at("zone").is_null());
    const CommandResult ride = RunCommand(books[t] + "\n" + curls[t * 3 + 2]);
    REQUIRE(ride.exit_code == 0);
    const std::string json_part = ride.output.substr(ride.output.find('{'));
    const json::value r = json::parse(json_part);
    CHECK(Str(r, "state") == "assigned");
    CHECK(r.at("driver_id").is_string());
  }
  const std::string first_key_line = curls[1];
  CHECK(StopAndWait(child) == 0);

  // A re-run: the same tenants and fleets, fresh keys, the old ones revoked.
  Child again = Spawn({"--demo", "--listen", "127.0.0.1:0", "--data", data});
  const std::string out2 = ReadDemo(again);
  INFO(out2);
  unsigned port2 = 0;
  REQUIRE(std::sscanf(out2.c_str(), "listening on 127.0.0.1:%u", &port2) == 1);
  const std::vector<std::string> curls2 = Lines(out2, "curl ");
  REQUIRE(curls2.size() == 9);
  const std::regex key_re("Bearer (tk\\.[^' ]+)");
  std::smatch m1, m2;
  REQUIRE(std::regex_search(first_key_line, m1, key_re));
  REQUIRE(std::regex_search(curls2[1], m2, key_re));
  CHECK(m1[1].str() != m2[1].str());
  TestClient c(static_cast<unsigned short>(port2));
  auto old = c.Roundtrip(WithBearer(MakeRequest(V::get, "/t/city-cabs/v1/vehicles"), m1[1].str()));
  REQUIRE(old);
  CHECK(old->result() == S::unauthorized);
  auto fleet = c.Roundtrip(WithBearer(MakeRequest(V::get, "/t/city-cabs/v1/vehicles"), m2[1].str()));
  REQUIRE(fleet);
  REQUIRE(fleet->result() == S::ok);
  CHECK(BodyJson(*fleet).at("items").as_array().size() == 3);  // not doubled
  auto rides = c.Roundtrip(WithBearer(MakeRequest(V::get, "/t/city-cabs/v1/rides"), m2[1].str()));
  REQUIRE(rides);
  CHECK(BodyJson(*rides).at("items").as_array().size() == 1);  // the first run's ride is kept
  CHECK(StopAndWait(again) == 0);
}

TEST_CASE("the real binary documents and enforces its settings", "[server][running][config]") {
  const CommandResult help = RunCommand(std::string(TENANCYD_BINARY) + " --help");
  CHECK(help.exit_code == 0);
  for (std::string_view s : {"--config FILE", "TENANCYD_", "--demo", "--max-connections", "--signup-per-hour",
                             "Flags beat the"})
    CHECK(help.output.find(s) != std::string::npos);
  tenancy::testing::TempDir dir;
  const CommandResult env = RunCommand("TENANCYD_NOPE=1 " + std::string(TENANCYD_BINARY) + " --data " +
                                       (dir.path() / "d").string());
  CHECK(env.exit_code == 2);
  CHECK(env.output.find("TENANCYD_NOPE") != std::string::npos);
  const std::string file = (dir.path() / "c.json").string();
  WriteFile(file, R"({"listen": "127.0.0.1:0", "lissen": "x"})");
  const CommandResult key = RunCommand(std::string(TENANCYD_BINARY) + " --config " + file);
  CHECK(key.exit_code == 2);
  CHECK(key.output.find("'lissen'") != std::string::npos);
}

}  // namespace
}  // namespace tenancyd::testing

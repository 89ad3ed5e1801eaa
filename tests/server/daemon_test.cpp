// The real tenancyd binary: starts, prints its port, serves, exits 0 on
// SIGTERM; refuses unknown flags with exit code 2.
#include "http_client.hpp"
#include "server_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

extern char** environ;

namespace tenancyd::testing {
namespace {

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // the child's stdout
};

// Runs tenancyd with `args`; its stdout is readable from Child::out. With
// `quiet`, its stderr (usage text) goes to /dev/null.
Child Spawn(std::vector<std::string> args, bool quiet = false) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  if (quiet) posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
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

int WaitExit(Child& c) {
  int status = 0;
  REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
  if (c.out) std::fclose(c.out);
  c.out = nullptr;
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("tenancyd serves on an ephemeral port and exits 0 on SIGTERM", "[server][daemon]") {
  tenancy::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  Child child = Spawn({"--listen", "127.0.0.1:0", "--data", data, "--threads", "2"});
  char line[256] = {0};
  REQUIRE(std::fgets(line, sizeof line, child.out) != nullptr);
  unsigned port = 0;
  REQUIRE(std::sscanf(line, "listening on 127.0.0.1:%u", &port) == 1);
  REQUIRE(port > 0);

  TestClient c(static_cast<unsigned short>(port));
  REQUIRE(c.connected());
  auto res = c.Roundtrip(MakeRequest(http::verb::get, "/healthz"));
  REQUIRE(res);
  CHECK(res->result() == http::status::ok);

  // The bootstrap key is there, 0600, and opens the control plane.
  struct stat st {};
  REQUIRE(::stat((data + "/bootstrap-operator.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  struct stat mk {};
  REQUIRE(::stat((data + "/master.key").c_str(), &mk) == 0);
  CHECK((mk.st_mode & 0777) == 0600);
  std::ifstream in(data + "/bootstrap-operator.key");
  std::string key;
  std::getline(in, key);
  auto list = c.Roundtrip(WithBearer(MakeRequest(http::verb::get, "/v1/tenants"), key));
  REQUIRE(list);
  CHECK(list->result() == http::status::ok);

  REQUIRE(::kill(child.pid, SIGTERM) == 0);
  CHECK(c.WaitClosed());
  CHECK(WaitExit(child) == 0);
}

TEST_CASE("tenancyd refuses unknown flags with exit code 2", "[server][daemon]") {
  Child child = Spawn({"--colour", "red"}, true);
  CHECK(WaitExit(child) == 2);
  Child bad_port = Spawn({"--listen", "127.0.0.1:http"}, true);
  CHECK(WaitExit(bad_port) == 2);
}

}  // namespace
}  // namespace tenancyd::testing

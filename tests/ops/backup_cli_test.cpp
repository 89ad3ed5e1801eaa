// tenancyctl backup / restore through the real binary: exit codes, messages,
// and what lands in the data directory.
#include "support/catch_tenancy.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.hpp"
#include "tenancy/backup.hpp"

#ifndef TENANCYCTL_PATH
#error "TENANCYCTL_PATH must name the tenancyctl binary"
#endif

namespace tenancy::testing {
namespace {

struct Run {
  int code = -1;
  std::string output;
};

// Runs tenancyctl with `args` (already shell-quoted where needed), stdout
// and stderr together.
Run Ctl(const TempDir& dir, const std::string& args) {
  const std::string cmd =
      std::string("'") + TENANCYCTL_PATH + "' --data '" + (dir.path() / "data").string() + "' " + args + " 2>&1";
  Run run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));  // never a crash
  run.code = WEXITSTATUS(status);
  return run;
}

Result<BackupInfo> VerifyFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Backup::Verify(in);
}

}  // namespace

TEST_CASE("tenancyctl backup and restore a tenant across models", "[backup][cli]") {
  TempDir dir;
  const auto file = dir.path() / "city.tnbk";
  REQUIRE(Ctl(dir, "demo").code == 0);

  auto backup = Ctl(dir, "backup city-cabs '" + file.string() + "'");
  CAPTURE(backup.output);
  REQUIRE(backup.code == 0);
  CHECK_THAT(backup.output, Catch::Contains("backed up city-cabs"));
  CHECK_THAT(backup.output, Catch::Contains("blake2b-256:"));
  CHECK_FALSE(std::filesystem::exists(file.string() + ".partial"));
  auto info = VerifyFile(file);
  REQUIRE(info);
  CHECK(info->tenant.slug == "city-cabs");
  CHECK(info->rows > 0);
  CHECK_THAT(backup.output, Catch::Contains(info->checksum));

  auto restore = Ctl(dir, "restore '" + file.string() + "' --as city-copy --model dedicated");
  CAPTURE(restore.output);
  REQUIRE(restore.code == 0);
  CHECK_THAT(restore.output, Catch::Contains("restored city-copy"));
  CHECK_THAT(restore.output, Catch::Contains("model=dedicated"));
  auto show = Ctl(dir, "show city-copy --json");
  REQUIRE(show.code == 0);
  CHECK_THAT(show.output, Catch::Contains("\"model\":\"dedicated\""));
  CHECK_THAT(show.output, Catch::Contains("\"state\":\"active\""));

  // The copy holds the same rows: back it up in turn and compare.
  const auto copy_file = dir.path() / "copy.tnbk";
  REQUIRE(Ctl(dir, "backup city-copy '" + copy_file.string() + "' --json").code == 0);
  auto copy = VerifyFile(copy_file);
  REQUIRE(copy);
  CHECK(copy->rows == info->rows);
  REQUIRE(copy->tables.size() == info->tables.size());
  for (std::size_t i = 0; i < copy->tables.size(); ++i) CHECK(copy->tables[i].rows == info->tables[i].rows);

  SECTION("the slug is taken") {
    auto again = Ctl(dir, "restore '" + file.string() + "'");
    CHECK(again.code == 1);
    CHECK_THAT(again.output, Catch::Contains("already_exists"));
    auto replaced = Ctl(dir, "restore '" + file.string() + "' --replace");
    CHECK(replaced.code == 0);
    CHECK_THAT(replaced.output, Catch::Contains("replaced city-cabs"));
  }
  SECTION("a damaged file restores nothing") {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string bytes = s.str();
    bytes[bytes.size() / 2] ^= 0x40;
    const auto bad = dir.path() / "bad.tnbk";
    std::ofstream(bad, std::ios::binary) << bytes;
    auto r = Ctl(dir, "restore '" + bad.string() + "' --as damaged");
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Catch::Contains("data_corrupted"));
    auto gone = Ctl(dir, "show damaged");
    CHECK(gone.code == 1);
    CHECK_THAT(gone.output, Catch::Contains("tenant_unknown"));

    std::ofstream(dir.path() / "text.tnbk") << "hello";
    auto text = Ctl(dir, "restore '" + (dir.path() / "text.tnbk").string() + "' --as damaged");
    CHECK(text.code == 2);
    CHECK_THAT(text.output, Catch::Contains("not a tenancy backup"));
  }
  SECTION("bad arguments") {
    auto unknown = Ctl(dir, "backup no-such-tenant '" + (dir.path() / "x.tnbk").string() + "'");
    CHECK(unknown.code == 1);
    CHECK_THAT(unknown.output, Catch::Contains("tenant_unknown"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "x.tnbk"));
    auto missing_key = Ctl(dir, "backup city-cabs '" + (dir.path() / "y.tnbk").string() +
                                    "' --master-key '" + (dir.path() / "nope.key").string() + "'");
    CHECK(missing_key.code == 1);
    CHECK_THAT(missing_key.output, Catch::Contains("not_found"));
    auto usage = Ctl(dir, "restore");
    CHECK(usage.code == 2);
    auto model = Ctl(dir, "restore '" + file.string() + "' --as m2 --model galactic");
    CHECK(model.code == 2);
    auto missing = Ctl(dir, "restore '" + (dir.path() / "absent.tnbk").string() + "'");
    CHECK(missing.code == 1);
    CHECK_THAT(missing.output, Catch::Contains("cannot read"));
  }
}

}  // namespace tenancy::testing

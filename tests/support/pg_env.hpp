// PostgreSQL for tests: the clusters started by scripts/pg-cluster.sh (see
// tests/CMakeLists.txt), found through the environment:
//   TENANCY_TEST_PG_HOSTPORT    "127.0.0.1:54329"  (primary cluster)
//   TENANCY_TEST_PG2_HOSTPORT   "127.0.0.1:54330"  (second cluster, placements)
// defaulting to the ports tests/CMakeLists.txt compiles in.
// Each test gets a fresh database on each cluster, dropped afterwards.
// Without PostgreSQL the test exits with code 77, which ctest reports as
// skipped: never a silent pass.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tenancy::testing {

inline constexpr int kSkipExitCode = 77;

[[noreturn]] inline void SkipTest(const std::string& why) {
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::fflush(stderr);
  std::_Exit(kSkipExitCode);
}

#if TENANCY_TEST_HAVE_LIBPQ
}  // namespace tenancy::testing
#include <libpq-fe.h>
namespace tenancy::testing {

// Runs one statement as the cluster's superuser; throws on failure.
inline void PgSuperExec(const std::string& hostport, const std::string& db, const std::string& sql) {
  const std::string url = "postgres://postgres@" + hostport + "/" + db;
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot connect to " + url + ": " + msg);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(sql + ": " + msg);
}
#else
inline void PgSuperExec(const std::string&, const std::string&, const std::string&) {
  throw std::runtime_error("this build has no PostgreSQL support");
}
#endif

// A database of its own on a cluster, owned by tenancy_owner.
class PgDatabase {
 public:
  explicit PgDatabase(const char* env_var) {
    const char* hp = std::getenv(env_var);
#if defined(TENANCY_TEST_PG_DEFAULT) && defined(TENANCY_TEST_PG2_DEFAULT)
    if (!hp || !*hp)
      hp = std::string_view(env_var) == "TENANCY_TEST_PG2_HOSTPORT" ? TENANCY_TEST_PG2_DEFAULT
                                                                    : TENANCY_TEST_PG_DEFAULT;
#endif
    if (!hp || !*hp) SkipTest(std::string(env_var) + " is not set: no PostgreSQL cluster for this test");
    hostport_ = hp;
    static std::atomic<int> counter{0};
    name_ = "tw_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    try {
      PgSuperExec(hostport_, "postgres", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      PgSuperExec(hostport_, "postgres", "CREATE DATABASE " + name_ + " OWNER tenancy_owner");
    } catch (const std::exception& e) {
      SkipTest(std::string("PostgreSQL is not reachable: ") + e.what());
    }
  }
  ~PgDatabase() {
    try {
      PgSuperExec(hostport_, "postgres", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  std::string Url(const std::string& role = "tenancy_app") const {
    return "postgres://" + role + "@" + hostport_ + "/" + name_;
  }
  std::string AdminUrl() const { return Url("tenancy_owner"); }
  const std::string& name() const { return name_; }
  const std::string& hostport() const { return hostport_; }

 private:
  std::string hostport_;
  std::string name_;
};

}  // namespace tenancy::testing

// The SQLite engine hands out text as stored (UTF-8 bytes, without the copy
// a NUL terminator costs), so it opens only UTF-8 databases: a file another
// program created in UTF-16 is refused with a typed error, not misread.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>

#include "support/fleet_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace tenancy;
using namespace tenancy::testing;

TEST_CASE("a SQLite database in UTF-16 is refused with a typed error", "[repo][sqlite][encoding]") {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  std::filesystem::create_directories(data);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((data / "shared.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA encoding='UTF-16le'; CREATE TABLE t(x TEXT); INSERT INTO t VALUES('a');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  auto store = Store::Open("sqlite://" + data.string(), FleetSchema(), {});
  REQUIRE_FALSE(store);
  CHECK(store.error().code == Errc::kStorage);
  CHECK_THAT(store.error().message, Catch::Contains("UTF-16") && Catch::Contains("UTF-8"));
}

// A raw libpq session for tests, for looking at (and changing) PostgreSQL
// tables behind the library's back: connect as whichever role the URL names
// (the owner role bypasses Row-Level Security).
#pragma once

#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <optional>
#include <string>
#include <vector>

namespace tenancy::testing {

class Psql {
 public:
  explicit Psql(const std::string& url) : c_(PQconnectdb(url.c_str())) {
    REQUIRE(PQstatus(c_) == CONNECTION_OK);
    PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  }
  ~Psql() { PQfinish(c_); }
  Psql(const Psql&) = delete;
  Psql& operator=(const Psql&) = delete;

  // The first column of every row, or nullopt with the error in last_error().
  std::optional<std::vector<std::string>> Query(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    std::optional<std::vector<std::string>> out;
    const auto st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      out.emplace();
      for (int i = 0; i < PQntuples(r); ++i) out->emplace_back(PQgetvalue(r, i, 0));
      error_.clear();
    } else {
      error_ = PQresultErrorMessage(r);
    }
    PQclear(r);
    return out;
  }
  // The first column of every row; fails the test on an error.
  std::vector<std::string> Rows(const std::string& sql) {
    auto rows = Query(sql);
    INFO(sql << ": " << error_);
    REQUIRE(rows);
    return std::move(*rows);
  }
  // The one value of a one-row answer; fails the test otherwise.
  std::string Scalar(const std::string& sql) {
    auto rows = Rows(sql);
    REQUIRE(rows.size() == 1);
    return rows.front();
  }
  void Exec(const std::string& sql) { (void)Rows(sql); }
  const std::string& last_error() const { return error_; }

 private:
  PGconn* c_;
  std::string error_;
};

}  // namespace tenancy::testing

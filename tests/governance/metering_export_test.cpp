// Billing exports: the CSV and JSON renderings of usage reports, parsed
// back and compared with the report they came from.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/metering.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const TimePoint kT0 = sys_days{2024y / February / 28} + 22h;  // spans a day and month end

TenantId Tenant(std::string_view hex16) {
  return TenantId::Parse("tn_" + std::string(hex16)).value();
}

// An RFC 4180 reader: quoted fields with doubled quotes, CRLF records.
// Fails the test on anything else (a bare LF, text after a closing quote).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        REQUIRE(i < text.size());
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      REQUIRE((i == text.size() || text[i] == ',' || text[i] == '\r'));
    }
    while (i < text.size() && text[i] != ',' && text[i] != '\r') {
      REQUIRE(text[i] != '\n');
      REQUIRE(text[i] != '"');
      field += text[i++];
    }
    if (i == text.size()) FAIL("the last record lacks its CRLF");
    if (text[i] == ',') {
      row.push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    REQUIRE(text.substr(i, 2) == "\r\n");
    i += 2;
    row.push_back(std::move(field));
    field.clear();
    rows.push_back(std::move(row));
    row.clear();
  }
  return rows;
}

// "YYYY-MM-DDTHH:MM:SSZ" back to a time point, checking the exact shape.
TimePoint ParseIso(const std::string& s) {
  REQUIRE(s.size() == 20);
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char z = 0;
  REQUIRE(std::sscanf(s.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &se, &z) == 7);
  REQUIRE(z == 'Z');
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  REQUIRE(ymd.ok());
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{se};
}

struct Usage {
  testing::TempDir dir;
  ManualClock clock{kT0};
  std::unique_ptr<Metering> m;
  TenantId a = Tenant("00000000000000a1");
  TenantId b = Tenant("00000000000000b2");

  Usage() {
    MeteringOptions o;
    o.path = (dir.path() / "usage.db").string();
    o.clock = &clock;
    o.flush_interval = 0ms;
    m = std::move(Metering::Open(o).value());
    for (int hour = 0; hour < 5; ++hour) {  // 22:00 Feb 28 .. 02:00 Feb 29
      clock.Set(kT0 + hours(hour) + 5min);
      REQUIRE(m->Record(a, "rides.booked", hour + 1));
      REQUIRE(m->Record(a, "km.driven", 1000 * (hour + 1)));
      if (hour % 2 == 0) REQUIRE(m->Record(b, "rides.booked", 10 * (hour + 1)));
    }
  }
};

void CheckCsvMatches(const std::string& csv, const UsageReport& report) {
  const auto rows = ParseCsv(csv);
  REQUIRE(rows.size() == report.records.size() + 1);
  CHECK(rows[0] == std::vector<std::string>{"tenant_id", "meter", "hour_start", "amount"});
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    const auto& row = rows[i + 1];
    const auto& rec = report.records[i];
    REQUIRE(row.size() == 4);
    CHECK(row[0] == rec.tenant.str());
    CHECK(row[1] == rec.meter);
    CHECK(ParseIso(row[2]) == rec.hour_start);
    CHECK(std::stoll(row[3]) == rec.amount);
  }
}

TEST_CASE("CSV export is RFC 4180 with ISO 8601 UTC hours", "[metering][export]") {
  Usage u;
  auto report = u.m->Query(u.a, kT0, kT0 + 5h);
  REQUIRE(report);
  REQUIRE(report->records.size() == 10);
  const std::string csv = UsageToCsv(*report);
  CheckCsvMatches(csv, *report);
  // Hours cross midnight into a leap day.
  CHECK(csv.find("2024-02-28T23:00:00Z") != std::string::npos);
  CHECK(csv.find("2024-02-29T00:00:00Z") != std::string::npos);
  CHECK(csv.find(u.b.str()) == std::string::npos);

  // The operator's export holds both tenants; per-tenant sums match totals.
  auto all = u.m->QueryAllTenants(kT0, kT0 + 5h);
  REQUIRE(all);
  const std::string all_csv = UsageToCsv(*all);
  CheckCsvMatches(all_csv, *all);
  std::map<std::pair<std::string, std::string>, std::int64_t> sums;
  const auto rows = ParseCsv(all_csv);
  for (std::size_t i = 1; i < rows.size(); ++i)
    sums[{rows[i][0], rows[i][1]}] += std::stoll(rows[i][3]);
  REQUIRE(sums.size() == all->totals.size());
  for (const auto& t : all->totals) CHECK(sums[{t.tenant.str(), t.meter}] == t.amount);
  CHECK(sums.count({u.b.str(), "rides.booked"}) == 1);

  auto none = u.m->Query(Tenant("00000000000000c3"), kT0, kT0 + 5h);
  REQUIRE(none);
  CHECK(UsageToCsv(*none) == "tenant_id,meter,hour_start,amount\r\n");
}

TEST_CASE("CSV export quotes fields that need it", "[metering][export]") {
  // A report built by hand, with a meter no Metering would accept: the
  // writer must still produce valid CSV.
  UsageReport report;
  report.from = kT0;
  report.to = kT0 + 1h;
  report.records.push_back({Tenant("00000000000000a1"), "a,b \"quoted\"\r\nline", kT0, -3});
  report.records.push_back({Tenant("00000000000000a1"), "", kT0, 0});
  const std::string csv = UsageToCsv(report);
  CheckCsvMatches(csv, report);
}

TEST_CASE("JSON export round-trips through a parser", "[metering][export]") {
  Usage u;
  auto report = u.m->Query(u.a, kT0 + 1h, kT0 + 4h, "rides.booked");
  REQUIRE(report);
  const std::string text = boost::json::serialize(UsageToJson(*report));
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(text, ec);
  REQUIRE_FALSE(ec);
  const auto& obj = doc.as_object();
  CHECK(ParseIso(std::string(obj.at("from").as_string())) == report->from);
  CHECK(ParseIso(std::string(obj.at("to").as_string())) == report->to);
  const auto& records = obj.at("records").as_array();
  REQUIRE(records.size() == report->records.size());
  REQUIRE(records.size() == 3);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i].as_object();
    CHECK(r.size() == 4);
    CHECK(r.at("tenant_id").as_string() == report->records[i].tenant.str());
    CHECK(r.at("meter").as_string() == report->records[i].meter);
    CHECK(ParseIso(std::string(r.at("hour_start").as_string())) == report->records[i].hour_start);
    CHECK(r.at("amount").as_int64() == report->records[i].amount);
  }
  const auto& totals = obj.at("totals").as_array();
  REQUIRE(totals.size() == 1);
  std::int64_t sum = 0;
  for (const auto& r : records) sum += r.as_object().at("amount").as_int64();
  CHECK(totals[0].as_object().at("amount").as_int64() == sum);
  CHECK(totals[0].as_object().at("tenant_id").as_string() == u.a.str());

  auto all = u.m->QueryAllTenants(kT0, kT0 + 5h);
  REQUIRE(all);
  const auto all_doc = boost::json::parse(boost::json::serialize(UsageToJson(*all))).as_object();
  CHECK(all_doc.at("records").as_array().size() == all->records.size());
  CHECK(all_doc.at("totals").as_array().size() == 3);  // a: two meters, b: one
}

}  // namespace
}  // namespace tenancy

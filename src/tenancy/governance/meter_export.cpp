// Usage reports rendered for billing: CSV (RFC 4180) and JSON.
#include <boost/json/array.hpp>

#include <chrono>
#include <cstdio>

#include "tenancy/metering.hpp"

namespace tenancy {
namespace {

// ISO 8601 UTC, seconds precision: "2024-03-01T13:00:00Z".
std::string IsoUtc(TimePoint t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{secs - day};
  char buf[40];
  const int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// RFC 4180 field: quoted (with doubled quotes) when it holds a comma, a
// quote or a line break. Tenant ids, meter names and numbers never do; the
// quoting keeps the output valid should that ever change.
void AppendField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string UsageToCsv(const UsageReport& report) {
  std::string out = "tenant_id,meter,hour_start,amount\r\n";
  out.reserve(out.size() + report.records.size() * 64);
  for (const auto& r : report.records) {
    AppendField(out, r.tenant.str());
    out += ',';
    AppendField(out, r.meter);
    out += ',';
    AppendField(out, IsoUtc(r.hour_start));
    out += ',';
    out += std::to_string(r.amount);
    out += "\r\n";
  }
  return out;
}

boost::json::object UsageToJson(const UsageReport& report) {
  boost::json::object doc;
  doc["from"] = IsoUtc(report.from);
  doc["to"] = IsoUtc(report.to);
  boost::json::array records;
  records.reserve(report.records.size());
  for (const auto& r : report.records) {
    records.push_back(boost::json::object{{"tenant_id", r.tenant.str()},
                                          {"meter", r.meter},
                                          {"hour_start", IsoUtc(r.hour_start)},
                                          {"amount", r.amount}});
  }
  boost::json::array totals;
  totals.reserve(report.totals.size());
  for (const auto& t : report.totals) {
    totals.push_back(boost::json::object{
        {"tenant_id", t.tenant.str()}, {"meter", t.meter}, {"amount", t.amount}});
  }
  doc["records"] = std::move(records);
  doc["totals"] = std::move(totals);
  return doc;
}

}  // namespace tenancy

// Monthly incident reports per tenant.
#include <algorithm>

#include "ops/slo_impl.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;

// Builds the report of one tenant from its incidents overlapping the month.
IncidentReport Build(const TenantId& tenant, year_month month, std::int64_t from_ms,
                     std::int64_t to_ms, std::int64_t now_ms, std::vector<Incident> incidents) {
  IncidentReport r;
  r.tenant = tenant;
  r.month = month;
  for (auto& i : incidents) {
    const std::int64_t opened = ToUnixMillis(i.opened_at);
    const std::int64_t ended = i.resolved_at ? ToUnixMillis(*i.resolved_at) : now_ms;
    const std::int64_t overlap = std::max<std::int64_t>(
        0, std::min(ended, to_ms) - std::max(opened, from_ms));
    if (opened >= from_ms && opened < to_ms) ++r.count;
    IncidentReportLine line;
    line.minutes_in_month = static_cast<double>(overlap) / 60'000.0;
    r.total_minutes += line.minutes_in_month;
    line.incident = std::move(i);
    r.incidents.push_back(std::move(line));
  }
  return r;
}

Result<std::pair<std::int64_t, std::int64_t>> Bounds(year_month month) {
  if (!month.ok() || month.year() < year{1970} || month.year() > year{9999})
    return Fail(Errc::kInvalidArgument, "incident report: an invalid month");
  const sys_days from{month / 1};
  const sys_days to{(month + months{1}) / 1};
  return std::pair{ToUnixMillis(TimePoint{from}), ToUnixMillis(TimePoint{to})};
}

}  // namespace

Result<IncidentReport> SloMonitor::MonthlyIncidents(const TenantId& tenant,
                                                    year_month month) const {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "incident report for an empty tenant id");
  auto b = Bounds(month);
  if (!b) return b.error();
  Result<std::vector<Incident>> rows = std::vector<Incident>{};
  {
    std::lock_guard lock(impl_->db_mu);
    rows = impl_->db->Overlapping(&tenant, b->first, b->second);
  }
  if (!rows) return rows.error();
  return Build(tenant, month, b->first, b->second, ToUnixMillis(impl_->clock.Now()),
               std::move(*rows));
}

Result<std::vector<IncidentReport>> SloMonitor::MonthlyIncidentsAll(year_month month) const {
  auto b = Bounds(month);
  if (!b) return b.error();
  Result<std::vector<Incident>> rows = std::vector<Incident>{};
  {
    std::lock_guard lock(impl_->db_mu);
    rows = impl_->db->Overlapping(nullptr, b->first, b->second);
  }
  if (!rows) return rows.error();
  const std::int64_t now_ms = ToUnixMillis(impl_->clock.Now());
  std::vector<IncidentReport> out;
  std::size_t i = 0;
  while (i < rows->size()) {
    std::size_t j = i;
    std::vector<Incident> group;
    while (j < rows->size() && (*rows)[j].tenant == (*rows)[i].tenant) group.push_back((*rows)[j++]);
    out.push_back(Build((*rows)[i].tenant, month, b->first, b->second, now_ms, std::move(group)));
    i = j;
  }
  return out;
}

}  // namespace tenancy

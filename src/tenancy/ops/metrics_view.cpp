// The per-tenant JSON view: one tenant's own rows, nothing else.
#include <boost/json/object.hpp>

#include <cmath>
#include <limits>
#include <mutex>

#include "ops/metrics_render.hpp"

namespace tenancy {
namespace detail::metrics {
namespace {

// JSON has no infinities or NaN: those become the exposition's words.
boost::json::value Number(double v) {
  if (std::isfinite(v)) return v;
  std::string s;
  AppendNumber(s, v);
  return boost::json::string(s);
}

boost::json::object Labels(const Family& family, std::size_t combo) {
  boost::json::object labels;
  const auto values = family.Combination(combo);
  for (std::size_t d = 0; d < values.size(); ++d)
    labels[family.labels()[d].name] = values[d];
  return labels;
}

}  // namespace

boost::json::value ViewFamily(const Family& family, const TenantId& tenant) {
  const Row* row = family.Find(tenant);
  if (row == nullptr) return nullptr;
  boost::json::array series;
  for (std::size_t c = 0; c < family.combinations(); ++c) {
    boost::json::object s;
    s["labels"] = Labels(family, c);
    switch (family.type()) {
      case MetricType::kCounter: {
        const std::uint64_t raw = row->counters[c]->Value();
        if (family.unit_scale() == 1.0)
          s["value"] = raw;
        else
          s["value"] = Number(static_cast<double>(raw) * family.unit_scale());
        break;
      }
      case MetricType::kGauge:
        s["value"] = Number(row->gauges[c]->Value());
        break;
      case MetricType::kHistogram: {
        const HistogramSnapshot snap = row->histograms[c]->Snapshot();
        boost::json::array buckets;
        for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
          buckets.push_back(boost::json::object{
              {"le", Number(i < snap.bounds.size() ? snap.bounds[i]
                                                    : std::numeric_limits<double>::infinity())},
              {"count", snap.cumulative[i]}});
        }
        s["buckets"] = std::move(buckets);
        s["sum"] = Number(snap.sum);
        s["count"] = snap.count;
        break;
      }
    }
    series.push_back(std::move(s));
  }
  return boost::json::object{{"name", family.name()},
                             {"type", ToString(family.type())},
                             {"help", family.help()},
                             {"series", std::move(series)}};
}

}  // namespace detail::metrics

boost::json::object MetricsRegistry::TenantView(const TenantId& tenant) const {
  boost::json::array metrics;
  if (!tenant.empty()) {
    std::vector<const detail::metrics::Family*> families;
    {
      std::lock_guard lock(impl_->mu);
      for (const auto& f : impl_->families) families.push_back(f->impl_.get());
    }
    for (const auto* f : families) {
      auto v = detail::metrics::ViewFamily(*f, tenant);
      if (!v.is_null()) metrics.push_back(std::move(v));
    }
  }
  return boost::json::object{{"tenant", tenant.str()}, {"metrics", std::move(metrics)}};
}

}  // namespace tenancy

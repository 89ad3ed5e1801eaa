// The Prometheus text exposition format, version 0.0.4.
//
// Written by hand: the format is a few line shapes with two escaping rules,
// and no package we may use renders it.
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>

#include "ops/metrics_render.hpp"

namespace tenancy {
namespace detail::metrics {
namespace {

// HELP text: backslash and line feed escaped.
void AppendHelp(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

// A label value: backslash, double quote and line feed escaped.
void AppendLabelValue(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void AppendUnsigned(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// `{tenant="…",a="…",le="…"}`, or nothing when there are no labels.
void AppendLabels(std::string& out, const Row& row, const Family& family, std::size_t combo,
                  std::string_view le = {}) {
  const auto values = family.Combination(combo);
  bool first = true;
  const auto label = [&](std::string_view name, std::string_view value) {
    out += first ? '{' : ',';
    first = false;
    out += name;
    out += "=\"";
    AppendLabelValue(out, value);
    out += '"';
  };
  if (row.kind == RowKind::kTenant) label("tenant", row.tenant);
  if (row.kind == RowKind::kOverflow) label("tenant", kOverflowTenant);
  for (std::size_t d = 0; d < values.size(); ++d) label(family.labels()[d].name, values[d]);
  if (!le.empty()) label("le", le);
  if (!first) out += '}';
}

void AppendSeries(std::string& out, const Family& family, std::string_view suffix, const Row& row,
                  std::size_t combo, std::string_view le = {}) {
  out += family.name();
  out += suffix;
  AppendLabels(out, row, family, combo, le);
  out += ' ';
}

}  // namespace

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
  }
}

void ExposeFamily(std::string& out, const Family& family) {
  out += "# HELP ";
  out += family.name();
  out += ' ';
  AppendHelp(out, family.help());
  out += "\n# TYPE ";
  out += family.name();
  out += ' ';
  out += ToString(family.type());
  out += '\n';
  std::string le;
  for (const Row* row : family.Rows()) {
    for (std::size_t c = 0; c < family.combinations(); ++c) {
      switch (family.type()) {
        case MetricType::kCounter: {
          AppendSeries(out, family, "", *row, c);
          const std::uint64_t raw = row->counters[c]->Value();
          if (family.unit_scale() == 1.0)
            AppendUnsigned(out, raw);
          else
            AppendNumber(out, static_cast<double>(raw) * family.unit_scale());
          out += '\n';
          break;
        }
        case MetricType::kGauge:
          AppendSeries(out, family, "", *row, c);
          AppendNumber(out, row->gauges[c]->Value());
          out += '\n';
          break;
        case MetricType::kHistogram: {
          const HistogramSnapshot snap = row->histograms[c]->Snapshot();
          for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
            le.clear();
            AppendNumber(le, i < snap.bounds.size()
                                 ? snap.bounds[i]
                                 : std::numeric_limits<double>::infinity());
            AppendSeries(out, family, "_bucket", *row, c, le);
            AppendUnsigned(out, snap.cumulative[i]);
            out += '\n';
          }
          AppendSeries(out, family, "_sum", *row, c);
          AppendNumber(out, snap.sum);
          out += '\n';
          AppendSeries(out, family, "_count", *row, c);
          AppendUnsigned(out, snap.count);
          out += '\n';
          break;
        }
      }
    }
  }
}

}  // namespace detail::metrics

std::string MetricsRegistry::ExposePrometheus() const {
  std::vector<const detail::metrics::Family*> families;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& f : impl_->families) families.push_back(f->impl_.get());
  }
  std::string out;
  for (const auto* f : families) detail::metrics::ExposeFamily(out, *f);
  return out;
}

}  // namespace tenancy

// Rendering families: the Prometheus text format and the per-tenant JSON
// view. Both read cells without the family's lock (rows never move).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "ops/metrics_family.hpp"

namespace tenancy::detail::metrics {

// Appends the family's HELP, TYPE and series lines.
void ExposeFamily(std::string& out, const Family& family);

// The family's entry in a tenant's view: {"name", "type", "help", "series"},
// or null when the tenant has no row of its own.
boost::json::value ViewFamily(const Family& family, const TenantId& tenant);

// A number as the exposition writes it: shortest round-trip decimal, or
// `+Inf`, `-Inf`, `NaN`.
void AppendNumber(std::string& out, double v);

}  // namespace tenancy::detail::metrics

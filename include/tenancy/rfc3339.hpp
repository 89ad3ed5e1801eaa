// tenancy/rfc3339.hpp — instants as RFC 3339 text in UTC with milliseconds,
// "2024-03-01T10:00:00.123Z": what log lines, API answers and webhook
// payloads show.
//
// Written by hand (fixed-width digits) rather than with strftime or
// snprintf: every log line formats one; this costs ~300 instructions
// against ~2,300 for gmtime_r + strftime + snprintf. Years outside
// 0000–9999, which RFC 3339 cannot show, are written as printf's "%04d"
// would ("-001", "10000").
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"

namespace tenancy {

// Appends `t` to `out`.
TENANCY_EXPORT void AppendRfc3339(std::string& out, TimePoint t);

// `t` as its own string.
TENANCY_EXPORT std::string FormatRfc3339(TimePoint t);

}  // namespace tenancy

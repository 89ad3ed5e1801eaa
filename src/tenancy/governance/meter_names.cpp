// The spelling of meter names and event ids.
#include "tenancy/metering.hpp"

namespace tenancy {

// Lowercase letters, digits, '_' and '.': safe unquoted in CSV, JSON, file
// names and metric labels, and free of '/', which the in-memory index uses
// as its separator.
bool IsValidMeterName(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxMeterNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Visible ASCII only: ids come from other systems (UUIDs, ULIDs, webhook
// delivery ids), so the set is wide, but no spaces, control characters or
// bytes that could read differently after a re-encoding.
bool IsValidEventId(std::string_view event_id) noexcept {
  if (event_id.empty() || event_id.size() > kMaxEventIdBytes) return false;
  for (char c : event_id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace tenancy

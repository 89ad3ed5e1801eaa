// The durable side of per-tenant activity: what the success metrics and the
// idle-tenant policy need to survive a restart, kept in one small JSON file,
// <data>/activity.json:
//
//   {"version": 1,
//    "tenants": {"tn_…": {"last_request_ms": 1700000000000, "first_ride_ms": 0,
//                         "storage_bytes": 52113, "storage_measured_ms": 1700000000000,
//                         "months": {"2024-03": {"requests": 912, "cpu_ns": 81234567}}}},
//    "onboarding_us": [2310, 1984, …]}
//
// It is rewritten whole (temporary file, fsync, rename: a crash leaves the
// old or the new file) by the observability thread when something changed,
// every ObservabilityOptions::activity_flush_interval, and on shutdown;
// at most kActivityMonths months are kept per tenant and the last
// kMaxOnboardingSamples onboarding durations. A file that is not this
// format is refused (kDataCorrupted) and the caller starts afresh.
//
// Why a file and not a table: the server speaks no SQL (architecture.md),
// the figures are the server's own book-keeping rather than tenant data,
// and a few dozen bytes per tenant rewritten once a minute cost less than a
// database's write path (flag documents live in files for the same reason).
//
// Thread safety: ActivityData is a value; ActivityFile's functions are
// reentrant, but two Saves to one path must not race (the owner serializes
// them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "tenancy/result.hpp"
#include "tenancy/tenant.hpp"

namespace tenancyd {

inline constexpr std::size_t kActivityMonths = 13;
inline constexpr std::size_t kMaxOnboardingSamples = 1024;

struct MonthUsage {
  std::int64_t requests = 0;
  std::int64_t cpu_ns = 0;
};

struct TenantActivity {
  std::int64_t last_request_ms = 0;  // 0: no request ever seen
  std::int64_t first_ride_ms = 0;    // 0: no ride booked yet
  std::int64_t storage_bytes = -1;   // -1: never measured
  std::int64_t storage_measured_ms = 0;
  std::map<std::string, MonthUsage> months{};  // "YYYY-MM" → usage
};

struct ActivityData {
  std::map<tenancy::TenantId, TenantActivity> tenants{};
  // Durations of successful onboarding calls (POST /v1/tenants, POST
  // /v1/signup), in microseconds, oldest first.
  std::deque<std::int64_t> onboarding_us{};
};

// "YYYY-MM" of the UTC month holding `unix_ms`.
std::string MonthLabel(std::int64_t unix_ms);

class ActivityFile {
 public:
  explicit ActivityFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

  // The file's data; an empty ActivityData when the file does not exist.
  // Errors: kDataCorrupted (not this format), kStorage (unreadable).
  tenancy::Result<ActivityData> Load() const;
  // Replaces the file (0600). kStorage on failure (the old file stays).
  tenancy::Result<void> Save(const ActivityData& data) const;

 private:
  std::string path_;
};

}  // namespace tenancyd

// activity.json: reading and writing the durable activity figures.
#include "observability/activity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <fstream>
#include <iterator>

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::int64_t kFormatVersion = 1;

tenancy::Error Corrupted(std::string_view what) {
  return tenancy::Error(Errc::kDataCorrupted, "activity file: " + std::string(what));
}

bool IsMonthLabel(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return false;
  for (std::size_t i = 0; i < 7; ++i)
    if (i != 4 && (s[i] < '0' || s[i] > '9')) return false;
  return s.substr(5) >= "01" && s.substr(5) <= "12";
}

// A non-negative integer field (absent: `fallback`); nullopt when present
// and anything else.
std::optional<std::int64_t> Int(const json::object& o, std::string_view key, std::int64_t fallback,
                                std::int64_t min = 0) {
  const json::value* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_int64() && !v->is_uint64()) return std::nullopt;
  if (v->is_uint64() && v->as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  const std::int64_t i = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
  if (i < min) return std::nullopt;
  return i;
}

tenancy::Result<TenantActivity> ReadTenant(const json::value& v) {
  if (!v.is_object()) return Corrupted("a tenant entry is not an object");
  const json::object& o = v.as_object();
  TenantActivity a;
  const auto last = Int(o, "last_request_ms", 0);
  const auto ride = Int(o, "first_ride_ms", 0);
  const auto bytes = Int(o, "storage_bytes", -1, -1);
  const auto measured = Int(o, "storage_measured_ms", 0);
  if (!last || !ride || !bytes || !measured) return Corrupted("a tenant field is not a count");
  a.last_request_ms = *last;
  a.first_ride_ms = *ride;
  a.storage_bytes = *bytes;
  a.storage_measured_ms = *measured;
  if (const json::value* months = o.if_contains("months")) {
    if (!months->is_object()) return Corrupted("months is not an object");
    for (const auto& [label, usage] : months->as_object()) {
      if (!IsMonthLabel(label) || !usage.is_object()) return Corrupted("a month entry is malformed");
      const auto requests = Int(usage.as_object(), "requests", 0);
      const auto cpu = Int(usage.as_object(), "cpu_ns", 0);
      if (!requests || !cpu) return Corrupted("a month's figure is not a count");
      a.months[std::string(label)] = MonthUsage{*requests, *cpu};
    }
  }
  return a;
}

}  // namespace

std::string MonthLabel(std::int64_t unix_ms) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>{milliseconds{unix_ms}})};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()));
  return buf;
}

tenancy::Result<ActivityData> ActivityFile::Load() const {
  std::error_code exists_ec;
  if (!std::filesystem::exists(path_, exists_ec) && !exists_ec) return ActivityData{};
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Fail(Errc::kStorage, "cannot read the activity file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Fail(Errc::kStorage, "cannot read the activity file");
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return Corrupted("not a JSON object");
  const json::object& root = doc.as_object();
  const auto version = Int(root, "version", -1, -1);
  if (!version || *version != kFormatVersion) return Corrupted("unknown version");
  ActivityData data;
  if (const json::value* tenants = root.if_contains("tenants")) {
    if (!tenants->is_object()) return Corrupted("tenants is not an object");
    for (const auto& [id, entry] : tenants->as_object()) {
      auto parsed = tenancy::TenantId::Parse(id);
      if (!parsed) return Corrupted("a tenant id is malformed");
      auto a = ReadTenant(entry);
      if (!a) return a.error();
      data.tenants.emplace(std::move(*parsed), std::move(*a));
    }
  }
  if (const json::value* samples = root.if_contains("onboarding_us")) {
    if (!samples->is_array()) return Corrupted("onboarding_us is not an array");
    for (const json::value& s : samples->as_array()) {
      if (!s.is_int64() || s.as_int64() < 0) return Corrupted("an onboarding sample is not a count");
      data.onboarding_us.push_back(s.as_int64());
    }
    while (data.onboarding_us.size() > kMaxOnboardingSamples) data.onboarding_us.pop_front();
  }
  return data;
}

tenancy::Result<void> ActivityFile::Save(const ActivityData& data) const {
  json::object tenants;
  for (const auto& [id, a] : data.tenants) {
    json::object months;
    for (const auto& [label, u] : a.months)
      months[label] = json::object{{"requests", u.requests}, {"cpu_ns", u.cpu_ns}};
    tenants[id.str()] = json::object{{"last_request_ms", a.last_request_ms},
                                     {"first_ride_ms", a.first_ride_ms},
                                     {"storage_bytes", a.storage_bytes},
                                     {"storage_measured_ms", a.storage_measured_ms},
                                     {"months", std::move(months)}};
  }
  json::array samples;
  for (std::int64_t us : data.onboarding_us) samples.push_back(us);
  const std::string text = json::serialize(json::object{
      {"version", kFormatVersion}, {"tenants", std::move(tenants)}, {"onboarding_us", std::move(samples)}});

  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Errc::kStorage, "cannot write the activity file");
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(Errc::kStorage, "cannot write the activity file");
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(Errc::kStorage, "cannot write the activity file");
  }
  return {};
}

}  // namespace tenancyd

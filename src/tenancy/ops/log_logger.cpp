// The Logger: levels, options and rendering a line.
//
// A line is assembled in a per-thread buffer: the keys are constants, every
// string goes through Boost.JSON's serializer (its escaping), numbers
// through std::to_chars (Boost.JSON would print 12.5 as 1.25E1).
#include <array>
#include <charconv>
#include <cmath>

#include "ops/log_text.hpp"
#include "tenancy/json_text.hpp"
#include "tenancy/log.hpp"
#include "tenancy/rfc3339.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error"};

template <class T>
void AppendInteger(std::string& out, T v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void AppendDouble(std::string& out, double v) {
  // JSON has no NaN or infinities: they are written as strings.
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"+Inf\"" : "\"-Inf\"";
  } else {
    AppendShortestDouble(out, v);
  }
}

using detail::log::Scratch;

void AppendKeyValue(std::string& out, Scratch& s, std::string_view key, std::string_view value,
                    std::size_t max_bytes, bool scrub) {
  out += ",\"";
  out += key;  // a constant of ours: nothing to escape
  out += "\":";
  detail::log::AppendCleanJsonString(out, s, value, max_bytes, scrub);
}

// IsCredentialFieldName, remembered per thread: a process logs a small,
// fixed set of field names, and the check lower-cases each and searches it
// for 13 words. Entries are compared by content, never by address.
bool IsCredentialName(std::string_view name) {
  constexpr std::size_t kMaxRemembered = 64;  // bytes; longer names are checked each time
  struct Entry {
    std::string name;
    bool credential = false;
  };
  thread_local std::array<Entry, 32> memo;
  thread_local std::size_t next = 0;
  thread_local std::size_t used = 0;
  for (std::size_t i = 0; i < used; ++i)
    if (memo[i].name == name) return memo[i].credential;
  const bool credential = IsCredentialFieldName(name);
  if (name.size() <= kMaxRemembered) {
    memo[next] = Entry{std::string(name), credential};
    next = (next + 1) % memo.size();
    if (used < memo.size()) ++used;
  }
  return credential;
}

bool AlreadyNamed(std::span<const LogField> fields, std::size_t i) {
  for (std::size_t k = 0; k < i; ++k)
    if (fields[k].name() == fields[i].name()) return true;
  return false;
}

void AppendFields(std::string& out, Scratch& s, std::span<const LogField> fields,
                  std::size_t max_bytes) {
  out += ",\"fields\":{";
  bool first = true;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const LogField& f = fields[i];
    if (AlreadyNamed(fields, i)) continue;  // the first of a name wins
    if (!first) out += ',';
    first = false;
    detail::log::AppendCleanJsonString(out, s, f.name(), max_bytes, false);
    out += ':';
    if (f.kind() == LogField::Kind::kSecret || IsCredentialName(f.name())) {
      AppendJsonString(out, kRedacted);
      continue;
    }
    switch (f.kind()) {
      case LogField::Kind::kNull: out += "null"; break;
      case LogField::Kind::kBool: out += f.bool_value() ? "true" : "false"; break;
      case LogField::Kind::kInt: AppendInteger(out, f.int_value()); break;
      case LogField::Kind::kUint: AppendInteger(out, f.uint_value()); break;
      case LogField::Kind::kDouble: AppendDouble(out, f.double_value()); break;
      case LogField::Kind::kString:
        detail::log::AppendCleanJsonString(out, s, f.string_value(), max_bytes, true);
        break;
      case LogField::Kind::kSecret: break;  // handled above
    }
  }
  out += '}';
}

void RenderInto(std::string& out, Scratch& s, TimePoint now, LogLevel level,
                const LogScope& scope, std::string_view msg, std::span<const LogField> fields,
                std::size_t max_bytes) {
  out += "{\"time\":\"";
  AppendRfc3339(out, now);
  out += "\",\"level\":\"";
  out += ToString(level);
  out += '"';
  if (!scope.tenant().empty()) AppendKeyValue(out, s, "tenant", scope.tenant(), max_bytes, false);
  if (!scope.request_id().empty())
    AppendKeyValue(out, s, "request_id", scope.request_id(), max_bytes, true);
  if (!scope.trace_id().empty())
    AppendKeyValue(out, s, "trace_id", scope.trace_id(), max_bytes, true);
  AppendKeyValue(out, s, "msg", msg, max_bytes, true);
  if (!fields.empty()) AppendFields(out, s, fields, max_bytes);
  out += '}';
}

}  // namespace

std::string_view ToString(LogLevel level) noexcept {
  const auto i = static_cast<std::size_t>(level);
  return i < std::size(kLevelNames) ? kLevelNames[i] : "info";
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kLevelNames); ++i)
    if (text == kLevelNames[i]) return static_cast<LogLevel>(i);
  return Fail(Errc::kInvalidArgument, "a log level is trace, debug, info, warn or error");
}

LogSink::~LogSink() = default;

Logger::Logger(LoggerOptions options) : level_(options.level), options_(std::move(options)) {}
Logger::~Logger() = default;

Result<std::unique_ptr<Logger>> Logger::Create(LoggerOptions options) {
  if (options.clock == nullptr) return Fail(Errc::kInvalidArgument, "the logger's clock is null");
  for (const auto& sink : options.sinks)
    if (!sink) return Fail(Errc::kInvalidArgument, "a log sink is null");
  if (options.max_value_bytes < 16 || options.max_value_bytes > (std::size_t{1} << 20))
    return Fail(Errc::kInvalidArgument, "max_value_bytes must be 16 to 1 MiB");
  if (static_cast<std::size_t>(options.level) >= std::size(kLevelNames))
    return Fail(Errc::kInvalidArgument, "unknown log level");
  return std::unique_ptr<Logger>(new Logger(std::move(options)));
}

std::string Logger::Render(LogLevel level, const LogScope& scope, std::string_view msg,
                           std::span<const LogField> fields) const {
  std::string out;
  Scratch s;
  RenderInto(out, s, options_.clock->Now(), level, scope, msg, fields, options_.max_value_bytes);
  return out;
}

void Logger::Write(LogLevel level, const LogScope& scope, std::string_view msg,
                   std::span<const LogField> fields) noexcept {
  WriteAt(options_.clock->Now(), level, scope, msg, fields);
}

void Logger::WriteAt(TimePoint time, LogLevel level, const LogScope& scope, std::string_view msg,
                     std::span<const LogField> fields) noexcept {
  // Per-thread buffers keep their capacity: a steady stream of lines
  // allocates nothing here.
  thread_local std::string line;
  thread_local Scratch scratch;
  try {
    line.clear();
    RenderInto(line, scratch, time, level, scope, msg, fields, options_.max_value_bytes);
    const LogLine out{level, scope.tenant(), time, line};
    for (const auto& sink : options_.sinks) sink->Write(out);
  } catch (...) {
    // Out of memory while rendering: the line is lost, the caller is not.
  }
}

}  // namespace tenancy

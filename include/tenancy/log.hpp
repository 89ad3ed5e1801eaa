// tenancy/log.hpp — structured JSON log lines, redacted by construction,
// readable per tenant.
//
//   auto memory = tenancy::MemoryLogSink::Create({}).value();
//   auto logger = tenancy::Logger::Create({.sinks = {stdout_sink, memory}}).value();
//   logger->Info(ctx, "ride booked", {{"ride", ride.id}, {"km", 12.4},
//                                     {"api_key", key_secret}});   // printed "[redacted]"
//   auto page = memory->Read(ctx.tenant_id(), /*after=*/0, /*limit=*/100).value();
//
// A line is one JSON object (RFC 8259) on one line, keys in this order:
//   {"time":"2024-03-01T10:00:00.123Z","level":"info","tenant":"tn_…",
//    "request_id":"…","trace_id":"…","msg":"…","fields":{…}}
// `time` is RFC 3339 UTC with milliseconds; `tenant` is absent on platform
// lines (work not done for a tenant); `request_id` and `trace_id` are absent
// when empty; `fields` is absent when there are none. Strings are escaped by
// Boost.JSON; ill-formed UTF-8 is replaced by U+FFFD; the message and each
// string value are cut to `max_value_bytes`. When two fields share a name,
// the first one is kept.
//
// Redaction, by construction. Field values are typed (strings, integers,
// floating point, booleans, null). These render as "[redacted]":
//   1. a `SecretBytes` value: the field keeps no pointer to the bytes;
//   2. a field built with `LogField::Secret(name)`: it takes no value at all;
//   3. any value whose field name looks like a credential: the name,
//      lower-cased with `-`, `_`, `.` and spaces removed, contains one of
//      password, passwd, passphrase, secret, token, authorization, apikey,
//      accesskey, privatekey, credential, cookie, bearer, signature
//      (so `Authorization`, `X-Api-Key`, `refresh_token`, `client_secret`,
//      `tokens_used` alike; a false positive costs a number in a log);
//   4. inside the message and string values, credential shapes are
//      replaced in place: `<credential name>=<x>` and `<credential name>:
//      <x>` (e.g. `password=…` in a query, `Authorization: …`) keep the
//      name; `Bearer <x>` / `Basic <x>` (any case; x of 8+ token characters,
//      not a plain lower-case word) keep the scheme; tenancy API keys
//      `tk.<tenant>.<key>.<secret>` keep their public prefix; `whsec_<x>`
//      webhook secrets keep `whsec_`; JWT-shaped text (`eyJ<x>.<y>.<z>`)
//      is replaced whole.
// There is no API that takes a secret and prints it. Rule 4 is a net under
// code that formats credentials into text; it cannot know every secret,
// so pass values as fields.
//
// Sinks. A Logger renders a line once and hands it to each of its sinks.
// `StreamLogSink` (an ostream; per line, or gathered into batches) and
// `FileLogSink` (a file opened for append: one write(2) per line) write it
// followed by '\n'. `MemoryLogSink` keeps a
// bounded ring per tenant so a tenant admin can read their own lines
// (`Read`) and a platform operator every line (`ReadAll`).
//
// Thread safety: a Logger and every sink here may be used from any number of
// threads; each line reaches a sink whole (sinks serialize their writes).
// `Enabled` is one relaxed atomic load, so a filtered-out call costs next to
// nothing; the fields of a filtered-out call are still built (they are
// views, no allocation) unless the caller tests `Enabled` first.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/context.hpp"
#include "tenancy/export.hpp"
#include "tenancy/result.hpp"
#include "tenancy/secret.hpp"
#include "tenancy/tenant.hpp"

namespace tenancy {

enum class LogLevel : std::uint8_t { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4 };

// "trace", "debug", "info", "warn", "error".
TENANCY_EXPORT std::string_view ToString(LogLevel level) noexcept;
// The inverse of ToString; kInvalidArgument otherwise.
TENANCY_EXPORT Result<LogLevel> ParseLogLevel(std::string_view text);

// The replacement text of every redacted value.
inline constexpr std::string_view kRedacted = "[redacted]";

// True when a field of this name has its value redacted (rule 3 above).
TENANCY_EXPORT bool IsCredentialFieldName(std::string_view name) noexcept;

// One field of a line: a name and a typed value. A view: it borrows the
// name and string values, so build fields in the logging call (as an
// initializer list) and do not keep them.
class TENANCY_EXPORT LogField {
 public:
  enum class Kind : std::uint8_t { kNull, kString, kInt, kUint, kDouble, kBool, kSecret };

  LogField(std::string_view name, std::string_view value) noexcept
      : name_(name), kind_(Kind::kString), str_(value) {}
  LogField(std::string_view name, const std::string& value) noexcept
      : LogField(name, std::string_view(value)) {}
  // A null pointer renders as JSON null.
  LogField(std::string_view name, const char* value) noexcept
      : name_(name), kind_(value ? Kind::kString : Kind::kNull), str_(value ? value : "") {}
  LogField(std::string_view name, bool value) noexcept
      : name_(name), kind_(Kind::kBool), bool_(value) {}
  template <std::signed_integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  LogField(std::string_view name, T value) noexcept
      : name_(name), kind_(Kind::kInt), int_(static_cast<std::int64_t>(value)) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  LogField(std::string_view name, T value) noexcept
      : name_(name), kind_(Kind::kUint), uint_(static_cast<std::uint64_t>(value)) {}
  template <std::floating_point T>
  LogField(std::string_view name, T value) noexcept
      : name_(name), kind_(Kind::kDouble), double_(static_cast<double>(value)) {}
  LogField(std::string_view name, const TenantId& value) noexcept
      : LogField(name, std::string_view(value.str())) {}
  LogField(std::string_view name, std::nullptr_t) noexcept : name_(name), kind_(Kind::kNull) {}
  // A secret is accepted only to be redacted: nothing of it is kept.
  LogField(std::string_view name, const SecretBytes&) noexcept
      : name_(name), kind_(Kind::kSecret) {}
  // Other pointers would silently become booleans: refused.
  template <class T>
  LogField(std::string_view name, const T* value) = delete;

  // A field whose value is always "[redacted]": for marking that a secret
  // was present without passing it.
  static LogField Secret(std::string_view name) noexcept {
    LogField f(name, nullptr);
    f.kind_ = Kind::kSecret;
    return f;
  }

  std::string_view name() const noexcept { return name_; }
  Kind kind() const noexcept { return kind_; }
  std::string_view string_value() const noexcept { return str_; }
  std::int64_t int_value() const noexcept { return int_; }
  std::uint64_t uint_value() const noexcept { return uint_; }
  double double_value() const noexcept { return double_; }
  bool bool_value() const noexcept { return bool_; }

 private:
  std::string_view name_;
  Kind kind_;
  std::string_view str_{};
  union {
    std::int64_t int_ = 0;
    std::uint64_t uint_;
    double double_;
    bool bool_;
  };
};

// Whom a line is about: a tenant (or none, for platform lines) and the
// request it belongs to. A view: it borrows its strings.
class LogScope {
 public:
  // A platform line.
  LogScope() = default;
  static LogScope Platform(std::string_view request_id = {}, std::string_view trace_id = {}) {
    LogScope s;
    s.request_id_ = request_id;
    s.trace_id_ = trace_id;
    return s;
  }
  // A line about `tenant` (an empty id makes a platform line).
  LogScope(const TenantId& tenant, std::string_view request_id = {},
           std::string_view trace_id = {}) noexcept
      : tenant_(tenant.str()), request_id_(request_id), trace_id_(trace_id) {}
  // The context's tenant, request id and trace id.
  LogScope(const TenantContext& ctx) noexcept  // NOLINT: implicit on purpose
      : LogScope(ctx.tenant_id(), ctx.request_id(), ctx.trace_id()) {}

  std::string_view tenant() const noexcept { return tenant_; }
  std::string_view request_id() const noexcept { return request_id_; }
  std::string_view trace_id() const noexcept { return trace_id_; }

 private:
  std::string_view tenant_{};
  std::string_view request_id_{};
  std::string_view trace_id_{};
};

// A rendered line as sinks receive it.
struct LogLine {
  LogLevel level = LogLevel::kInfo;
  std::string_view tenant{};  // empty for platform lines
  TimePoint time{};
  std::string_view text{};    // the JSON object, without a line end
};

// Where lines go. Write is called from many threads at once; an
// implementation serializes what must be (a line must stay whole). Write
// must not throw and must not call back into the Logger.
class TENANCY_EXPORT LogSink {
 public:
  virtual ~LogSink();
  virtual void Write(const LogLine& line) noexcept = 0;
};

struct StreamLogOptions {
  // Flush the stream after each write (a collector reading it sees the
  // lines at once).
  bool flush_each_line = false;
  // Gather up to this many bytes of lines in the sink and hand them to the
  // stream in one write: when the next line would not fit, at a line of
  // level warn or above (it and everything before it go out at once), at
  // Flush() and at destruction. On an unbuffered stream (std::clog,
  // std::cerr) that is one write(2) per batch instead of one per line; the
  // price is that a crash loses the lines gathered since the last write, so
  // an owner calls Flush() on a timer. 0: each line is written at once.
  std::size_t batch_bytes = 0;
};

// Lines to an ostream (e.g. std::clog), each followed by '\n', under a
// mutex. REQUIRES: the stream outlives the sink.
class TENANCY_EXPORT StreamLogSink final : public LogSink {
 public:
  explicit StreamLogSink(std::ostream& out, bool flush_each_line = false)
      : StreamLogSink(out, StreamLogOptions{.flush_each_line = flush_each_line}) {}
  StreamLogSink(std::ostream& out, StreamLogOptions options);
  ~StreamLogSink() override;  // writes what is gathered
  void Write(const LogLine& line) noexcept override;
  // Writes the gathered lines, if any.
  void Flush() noexcept;

 private:
  void WriteLocked(std::string_view text) noexcept;

  std::mutex mu_;
  std::ostream* out_;
  StreamLogOptions options_;
  std::string batch_;  // gathered lines, each with its '\n'
};

// Lines appended to a file (created with mode 0640 when missing), each with
// one write(2) of the line and its '\n' (so other appending processes do
// not tear it). Failed writes are counted, not reported per line.
class TENANCY_EXPORT FileLogSink final : public LogSink {
 public:
  // Errors: kInvalidArgument (empty path), kStorage (cannot open).
  static Result<std::shared_ptr<FileLogSink>> Open(const std::string& path);
  ~FileLogSink() override;
  void Write(const LogLine& line) noexcept override;
  std::uint64_t failed_writes() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  explicit FileLogSink(int fd) : fd_(fd) {}
  int fd_;
  std::mutex mu_;  // keeps a line's retried partial writes together
  std::atomic<std::uint64_t> failed_{0};
};

struct MemoryLogOptions {
  // Retention per tenant: the oldest lines are dropped (and counted) once
  // either bound is passed. A line counts its text plus kLogLineOverhead.
  std::size_t max_lines_per_tenant = 1000;       // 1–1,000,000
  std::size_t max_bytes_per_tenant = 256 << 10;  // kLogLineOverhead + 1 – 1 GiB
  // Tenants with a ring; past it, the ring written to least recently is
  // evicted whole (its lines counted as dropped). 1–1,000,000.
  std::size_t max_tenants = 1024;
  // Retention of platform lines (no tenant), the same way.
  std::size_t max_platform_lines = 10000;
  std::size_t max_platform_bytes = 4 << 20;
};

// Book-keeping bytes charged per line on top of its text.
inline constexpr std::size_t kLogLineOverhead = 64;
// The most lines one Read or ReadAll returns.
inline constexpr std::size_t kMaxLogReadLimit = 10000;

struct LogRecord {
  // Read: the tenant's own sequence number (1, 2, … per tenant; other
  // tenants' traffic does not show in it). ReadAll: the global sequence.
  std::uint64_t seq = 0;
  LogLevel level = LogLevel::kInfo;
  std::string line;  // the JSON object
};

struct LogPage {
  std::vector<LogRecord> records{};
  // Pass as `after` to read on; equals `after` when nothing was returned.
  std::uint64_t next = 0;
  // Lines of this ring (Read) or all rings (ReadAll) dropped by retention.
  std::uint64_t dropped = 0;
  // Read only: `after` was beyond the tenant's last line, which happens
  // when the ring was evicted and restarted its numbering; read again from
  // 0.
  bool restarted = false;
};

struct MemoryLogStats {
  std::size_t tenants = 0;      // rings held (platform excluded)
  std::size_t lines = 0;        // held, all rings
  std::size_t bytes = 0;        // charged, all rings
  std::uint64_t dropped = 0;    // lines dropped by retention or eviction
  std::uint64_t evicted_tenants = 0;
};

// Per-tenant in-memory rings of lines.
class TENANCY_EXPORT MemoryLogSink final : public LogSink {
 public:
  // Errors: kInvalidArgument (an option out of range).
  static Result<std::shared_ptr<MemoryLogSink>> Create(MemoryLogOptions options);
  ~MemoryLogSink() override;
  void Write(const LogLine& line) noexcept override;

  // The tenant's lines with seq > after, oldest first, at most `limit`.
  // Only `tenant`'s lines: the tenant admin's read. Errors:
  // kInvalidArgument (empty tenant id, limit 0 or > kMaxLogReadLimit).
  Result<LogPage> Read(const TenantId& tenant, std::uint64_t after, std::size_t limit) const;
  // Every line, platform lines included, with global seq > after, oldest
  // first: the platform operator's read; never for a tenant-facing path.
  // Errors: kInvalidArgument (limit 0 or > kMaxLogReadLimit).
  Result<LogPage> ReadAll(std::uint64_t after, std::size_t limit) const;

  MemoryLogStats stats() const;

 private:
  struct Impl;
  explicit MemoryLogSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct LoggerOptions {
  LogLevel level = LogLevel::kInfo;  // lines below it are skipped
  // Source of the `time` key. Never null; must outlive the Logger.
  Clock* clock = &SystemClock();
  // Where lines go; none is null. A logger without sinks filters and drops.
  std::vector<std::shared_ptr<LogSink>> sinks{};
  // The message and each string value are cut to this many bytes (at a
  // character boundary, marked with "…"); 16–1 MiB.
  std::size_t max_value_bytes = 4096;
};

class TENANCY_EXPORT Logger {
 public:
  // Errors: kInvalidArgument (null clock or sink, max_value_bytes out of
  // range).
  static Result<std::unique_ptr<Logger>> Create(LoggerOptions options);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const noexcept {
    return level >= level_.load(std::memory_order_relaxed);
  }
  void SetLevel(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }

  // Renders one line and hands it to every sink; nothing when !Enabled.
  // Never fails: a sink that cannot write counts it.
  void Log(LogLevel level, const LogScope& scope, std::string_view msg,
           std::span<const LogField> fields) noexcept {
    if (Enabled(level)) Write(level, scope, msg, fields);
  }
  void Log(LogLevel level, const LogScope& scope, std::string_view msg,
           std::initializer_list<LogField> fields = {}) noexcept {
    if (Enabled(level)) Write(level, scope, msg, {fields.begin(), fields.size()});
  }
  // As Log, about something that happened at `time` (the line's `time`
  // key) rather than now: for a line rendered after the fact, off the
  // thread that saw it happen (e.g. a server's access log).
  void LogAt(TimePoint time, LogLevel level, const LogScope& scope, std::string_view msg,
             std::span<const LogField> fields) noexcept {
    if (Enabled(level)) WriteAt(time, level, scope, msg, fields);
  }
  void Trace(const LogScope& s, std::string_view msg, std::initializer_list<LogField> f = {}) noexcept {
    Log(LogLevel::kTrace, s, msg, f);
  }
  void Debug(const LogScope& s, std::string_view msg, std::initializer_list<LogField> f = {}) noexcept {
    Log(LogLevel::kDebug, s, msg, f);
  }
  void Info(const LogScope& s, std::string_view msg, std::initializer_list<LogField> f = {}) noexcept {
    Log(LogLevel::kInfo, s, msg, f);
  }
  void Warn(const LogScope& s, std::string_view msg, std::initializer_list<LogField> f = {}) noexcept {
    Log(LogLevel::kWarn, s, msg, f);
  }
  void Error(const LogScope& s, std::string_view msg, std::initializer_list<LogField> f = {}) noexcept {
    Log(LogLevel::kError, s, msg, f);
  }

  // Renders a line as Log would, without writing it (for tests and for
  // callers with their own transport).
  std::string Render(LogLevel level, const LogScope& scope, std::string_view msg,
                     std::span<const LogField> fields) const;

 private:
  explicit Logger(LoggerOptions options);
  void Write(LogLevel level, const LogScope& scope, std::string_view msg,
             std::span<const LogField> fields) noexcept;
  void WriteAt(TimePoint time, LogLevel level, const LogScope& scope, std::string_view msg,
               std::span<const LogField> fields) noexcept;

  std::atomic<LogLevel> level_;
  LoggerOptions options_;
};

}  // namespace tenancy

// Logs: the line format, escaping, redaction (the secret's bytes never in
// any output), level filtering, per-tenant retrieval and its isolation under
// real threads, retention bounds, and whole lines from many threads.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tenancy/json_text.hpp"

#include <atomic>
#include <barrier>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "ops/log_text.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/log.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
namespace json = boost::json;

const TimePoint kT0 = sys_days{2024y / March / 1} + 10h + 5min + 7s + 123ms;

TenantId Tenant(int n) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "tn_%016x", n);
  return TenantId::Parse(buf).value();
}

// A sink that keeps every line, for inspecting output byte for byte.
class CaptureSink final : public LogSink {
 public:
  void Write(const LogLine& line) noexcept override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line.text);
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::string all() const {
    std::string s;
    for (const auto& l : lines()) s += l + "\n";
    return s;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

struct World {
  ManualClock clock{kT0};
  std::shared_ptr<CaptureSink> capture = std::make_shared<CaptureSink>();
  std::shared_ptr<MemoryLogSink> memory;
  std::unique_ptr<Logger> logger;

  explicit World(MemoryLogOptions mo = {}, LogLevel level = LogLevel::kInfo,
                 std::size_t max_value_bytes = 4096) {
    memory = MemoryLogSink::Create(mo).value();
    auto l = Logger::Create({.level = level,
                             .clock = &clock,
                             .sinks = {capture, memory},
                             .max_value_bytes = max_value_bytes});
    REQUIRE(l);
    logger = std::move(*l);
  }
  json::object Last() const {
    const auto lines = capture->lines();
    REQUIRE_FALSE(lines.empty());
    return json::parse(lines.back()).as_object();
  }
};

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

TEST_CASE("A line is one JSON object with the documented keys in order", "[log]") {
  World w;
  const TenantId t = Tenant(1);
  w.logger->Info(LogScope(t, "req-1", "4bf92f3577b34da6a3ce929d0e0e4736"), "ride booked",
                 {{"ride", "r-9"},
                  {"km", 12.5},
                  {"seats", 3},
                  {"big", std::uint64_t{18446744073709551615u}},
                  {"neg", std::int64_t{-7}},
                  {"ok", true},
                  {"none", nullptr},
                  {"tenant_ref", t}});
  const auto lines = w.capture->lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find('\n') == std::string::npos);
  const json::object o = w.Last();
  CHECK(Keys(o) ==
        std::vector<std::string>{"time", "level", "tenant", "request_id", "trace_id", "msg", "fields"});
  CHECK(o.at("time").as_string() == "2024-03-01T10:05:07.123Z");
  CHECK(o.at("level").as_string() == "info");
  CHECK(o.at("tenant").as_string() == t.str());
  CHECK(o.at("request_id").as_string() == "req-1");
  CHECK(o.at("trace_id").as_string() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(o.at("msg").as_string() == "ride booked");
  const auto& f = o.at("fields").as_object();
  CHECK(f.at("ride").as_string() == "r-9");
  CHECK(f.at("km").as_double() == 12.5);
  CHECK(f.at("seats").as_int64() == 3);
  CHECK(f.at("big").as_uint64() == 18446744073709551615u);
  CHECK(f.at("neg").as_int64() == -7);
  CHECK(f.at("ok").as_bool());
  CHECK(f.at("none").is_null());
  CHECK(f.at("tenant_ref").as_string() == t.str());
  // The exact text of a small line: numbers as people write them.
  CHECK(lines[0].find("\"km\":12.5,") != std::string::npos);
}

TEST_CASE("Platform lines have no tenant; empty ids and fields are left out", "[log]") {
  World w;
  w.clock.Set(sys_days{1999y / December / 31} + 23h + 59min + 59s + 999ms);
  w.logger->Warn(LogScope{}, "disk low");
  json::object o = w.Last();
  CHECK(Keys(o) == std::vector<std::string>{"time", "level", "msg"});
  CHECK(o.at("time").as_string() == "1999-12-31T23:59:59.999Z");
  CHECK(o.at("level").as_string() == "warn");
  w.logger->Error(LogScope::Platform("req-2"), "x", {{"a", 1}});
  o = w.Last();
  CHECK(Keys(o) == std::vector<std::string>{"time", "level", "request_id", "msg", "fields"});
  CHECK_FALSE(o.contains("tenant"));
}

TEST_CASE("Hostile text stays one valid JSON line and round-trips", "[log][escaping]") {
  World w;
  const std::string hostile = "quote\" back\\ nl\n cr\r tab\t nul" + std::string(1, '\0') +
                              " bell\x07 \x1b[31m ünï 🚀 </script>";
  w.logger->Info(LogScope(Tenant(2)), hostile, {{hostile, hostile}, {"k", "\u2028\u2029"}});
  const auto lines = w.capture->lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find('\n') == std::string::npos);
  CHECK(lines[0].find('\r') == std::string::npos);
  CHECK(lines[0].find('\0') == std::string::npos);
  const auto o = w.Last();
  CHECK(o.at("msg").as_string() == hostile);
  CHECK(o.at("fields").as_object().at(hostile).as_string() == hostile);
  CHECK(o.at("fields").as_object().at("k").as_string() == "\u2028\u2029");

  // Ill-formed UTF-8 becomes U+FFFD: the line still parses as JSON.
  w.logger->Info(LogScope{}, "bad \xff\xfe utf8 \xc3", {{"v", "\xed\xa0\x80"}});
  const auto bad = w.Last();
  CHECK(bad.at("msg").as_string() == "bad \uFFFD\uFFFD utf8 \uFFFD");
  CHECK(bad.at("fields").as_object().at("v").as_string() == "\uFFFD\uFFFD\uFFFD");
}

TEST_CASE("Strings are written exactly as Boost.JSON's serializer writes them (property)",
          "[log][escaping][property]") {
  // AppendJsonString (tenancy/json_text.hpp) skips the serializer for text
  // with nothing to escape, found eight bytes at a time; both paths must
  // give the same bytes, for any bytes. A third of the rounds are clean text
  // but for one byte, at any position of any 8-byte word or of the tail.
  std::mt19937 rng(20261127);
  const std::string alphabet = std::string("ab/-_.: ~\"\\\x01\x1f\x7f") + "\xc3\xa9\xe2\x80\xa8\xff";
  const std::string clean = std::string("aZ09/-_.: ~!#\x7f") + "\xc3\xa9\xe2\x80\xa8\xff\x80\xdf\x20\x21";
  int escaped = 0;
  for (int round = 0; round < 9000; ++round) {
    std::string text(rng() % 41, ' ');
    for (char& c : text) {
      switch (round % 3) {
        case 0: c = static_cast<char>(rng() % 256); break;
        case 1: c = alphabet[rng() % alphabet.size()]; break;
        default: c = clean[rng() % clean.size()]; break;
      }
    }
    if (round % 3 == 2 && !text.empty() && rng() % 2 == 0)
      text[rng() % text.size()] = "\"\\\x00\x1f\x0a"[rng() % 5];
    std::string ours = "prefix";
    tenancy::AppendJsonString(ours, text);
    INFO("round " << round);
    const std::string want = json::serialize(json::string(text));
    CHECK(ours == "prefix" + want);
    const bool unchanged = want == "\"" + text + "\"";
    CHECK(tenancy::JsonNeedsNoEscape(text) == unchanged);
    if (!unchanged) ++escaped;
  }
  CHECK(escaped > 3000);  // both paths were taken, often
}

TEST_CASE("Numbers are written exactly as std::to_chars writes them (property)",
          "[log][numbers][property]") {
  // AppendShortestDouble takes a short path for values of up to 7 decimals
  // in [0.001, 100000); every value, on it or not, must give to_chars'
  // bytes. Rounds mix such values (coordinates, amounts), values a hair
  // off them, the range's edges, and doubles of any bit pattern.
  std::mt19937_64 rng(20261128);
  const auto to_chars_text = [](double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  };
  const double edges[] = {1e-3,  9.99e-4, 1e-3 + 1e-10, 0.0015,  0.00123456, 1e5,      99999.9999999,
                          1e5 - 1e-7, 90000, 10000,       0.1,     0.3,        1.0 / 3.0, 52.5200066,
                          -13.4049539, 0.0, -0.0, 5e-324, 1.7976931348623157e308, 123456789.125,
                          1e-4, 2e-4, 5e-4, 1e-5, 2e5, 1e6};  // just outside: scientific is shorter
  int short_path = 0;
  const auto check = [&](double v) {
    std::string ours = "x";
    tenancy::AppendShortestDouble(ours, v);
    INFO("value " << to_chars_text(v));
    CHECK(ours == "x" + to_chars_text(v));
    const double m = std::fabs(v);
    if (m >= 1e-3 && m < 1e5 && static_cast<double>(std::llround(m * 1e7)) / 1e7 == m) ++short_path;
  };
  for (double v : edges) {
    check(v);
    check(-v);
  }
  for (int round = 0; round < 200'000; ++round) {
    double v = 0;
    switch (round % 5) {
      case 4:  // small: up to 7 decimals below 0.01, on both sides of 0.001
        v = static_cast<double>(rng() % 100'000) / 1e7;
        break;
      case 0: {  // k decimals, k = 0..7, magnitude up to 10^5
        const int k = static_cast<int>(rng() % 8);
        const auto units = static_cast<std::int64_t>(rng() % 1'000'000'000'000ULL);
        v = static_cast<double>(units) / std::pow(10.0, k);
        v = std::fmod(v, 1e5);
        break;
      }
      case 1:  // a coordinate as a GPS gives it
        v = static_cast<double>(static_cast<std::int64_t>(rng() % 3'600'000'000ULL) - 1'800'000'000) / 1e7;
        break;
      case 2: {  // one of those, a few ulps off
        v = static_cast<double>(rng() % 100'000'000) / 1e4;
        const int steps = static_cast<int>(rng() % 7) - 3;
        for (int i = 0; i < std::abs(steps); ++i) v = std::nextafter(v, steps > 0 ? 1e300 : -1e300);
        break;
      }
      default: {  // any finite bit pattern
        std::uint64_t bits = rng();
        std::memcpy(&v, &bits, sizeof v);
        if (!std::isfinite(v)) v = 0.5;
        break;
      }
    }
    if (rng() % 2 == 0) v = -v;
    check(v);
  }
  CHECK(short_path > 50'000);  // the short path was taken, often
}

TEST_CASE("Line times match the C library's UTC calendar (property)", "[log][property]") {
  World w;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    // 1970 to 2255 (TimePoint counts nanoseconds in 64 bits), any millisecond.
    const auto ms = static_cast<std::int64_t>(rng() % 9'000'000'000'000ULL);
    w.clock.Set(FromUnixMillis(ms));
    w.logger->Info(LogScope{}, "tick");
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    REQUIRE(gmtime_r(&secs, &tm) != nullptr);
    char want[96];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    INFO("unix ms " << ms);
    CHECK(w.Last().at("time").as_string() == want);
  }
}

TEST_CASE("Long values are cut at a character boundary and marked", "[log]") {
  World w({}, LogLevel::kInfo, 16);
  w.logger->Info(LogScope{}, "0123456789abcdefXYZ", {{"u", "ääääääääää"}});  // 20 bytes of ä
  const auto o = w.Last();
  CHECK(o.at("msg").as_string() == "0123456789abcdef\u2026");
  CHECK(o.at("fields").as_object().at("u").as_string() == "ääääääää\u2026");
}

TEST_CASE("Non-finite numbers are written as strings", "[log]") {
  World w;
  w.logger->Info(LogScope{}, "x",
                 {{"nan", std::nan("")},
                  {"inf", std::numeric_limits<double>::infinity()},
                  {"ninf", -std::numeric_limits<double>::infinity()}});
  const auto f = w.Last().at("fields").as_object();
  CHECK(f.at("nan").as_string() == "NaN");
  CHECK(f.at("inf").as_string() == "+Inf");
  CHECK(f.at("ninf").as_string() == "-Inf");
}

TEST_CASE("Secrets never reach any output", "[log][redaction]") {
  testing::TempDir dir;
  const std::string path = (dir.path() / "app.log").string();
  auto file = FileLogSink::Open(path).value();
  std::ostringstream stream_out;
  auto stream = std::make_shared<StreamLogSink>(stream_out);
  auto memory = MemoryLogSink::Create({}).value();
  ManualClock clock{kT0};
  auto logger = Logger::Create({.clock = &clock, .sinks = {file, stream, memory}}).value();

  const std::string key_bytes = "K3yM4t3r14l-s3cr3t-bytes-0123456789";
  const SecretBytes secret = SecretBytes::CopyOf(
      {reinterpret_cast<const unsigned char*>(key_bytes.data()), key_bytes.size()});
  const std::string token = "s3cr3tT0k3nV4lu3";
  const std::string jwt =
      "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyIiwidGlkIjoidG4ifQ.c2lnbmF0dXJlLWJ5dGVzLXM3Nw";
  const std::string api_key = "tk.tn_00000000000000aa.k1.QmFzZTY0U2VjcmV0UGFydE9mVGhlS2V5";
  const std::string whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const TenantId t = Tenant(3);

  logger->Info(LogScope(t, "req"), "login",
               {{"key", secret},
                LogField::Secret("db_password"),
                {"Authorization", "Bearer " + token},
                {"X-Api-Key", api_key},
                {"refresh_token", token},
                {"client_secret", token},
                {"note", "header was Bearer " + token + " and basic " + token},
                {"jwt_here", "got " + jwt + " from idp"},
                {"sig_key", whsec},
                {"sentence", "use " + api_key + " please"},
                {"query", "GET /x?user=ann&password=" + token + "&page=2"},
                {"header_line", "Authorization: Bearer " + token}});
  logger->Error(LogScope(t), "failed with token=" + token + " and Authorization: Basic " + token +
                                 " for key " + api_key + " jwt " + jwt + " hook " + whsec);

  const std::string file_text = [&] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::string memory_text;
  for (const auto& r : memory->ReadAll(0, 100).value().records) memory_text += r.line + "\n";
  REQUIRE(memory->Read(t, 0, 100).value().records.size() == 2);

  for (const std::string& out : {file_text, stream_out.str(), memory_text}) {
    REQUIRE(std::count(out.begin(), out.end(), '\n') == 2);
    CHECK(out.find(key_bytes) == std::string::npos);
    CHECK(out.find(token) == std::string::npos);
    CHECK(out.find("QmFzZTY0U2VjcmV0UGFydE9mVGhlS2V5") == std::string::npos);
    CHECK(out.find("c2lnbmF0dXJlLWJ5dGVzLXM3Nw") == std::string::npos);
    CHECK(out.find("eyJzdWIi") == std::string::npos);
    CHECK(out.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == std::string::npos);
  }
  // What stays readable: the public parts and the shape of the line.
  std::istringstream lines(file_text);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  const auto f = json::parse(first).as_object().at("fields").as_object();
  CHECK(f.at("key").as_string() == kRedacted);
  CHECK(f.at("db_password").as_string() == kRedacted);
  CHECK(f.at("Authorization").as_string() == kRedacted);
  CHECK(f.at("X-Api-Key").as_string() == kRedacted);
  CHECK(f.at("note").as_string() == "header was Bearer [redacted] and basic [redacted]");
  CHECK(f.at("jwt_here").as_string() == "got [redacted] from idp");
  CHECK(f.at("sentence").as_string() == "use tk.tn_00000000000000aa.k1.[redacted] please");
  CHECK(f.at("query").as_string() == "GET /x?user=ann&password=[redacted]&page=2");
  CHECK(f.at("header_line").as_string() == "Authorization: [redacted]");
  CHECK(f.at("sig_key").as_string() == "whsec_[redacted]");
  const auto msg = json::parse(second).as_object().at("msg").as_string();
  CHECK(msg == "failed with token=[redacted] and Authorization: [redacted] for key "
               "tk.tn_00000000000000aa.k1.[redacted] jwt [redacted] hook whsec_[redacted]");
  CHECK(file->failed_writes() == 0);
}

TEST_CASE("Each credential shape is scrubbed on its own, with nothing around it", "[log][redaction]") {
  // The scrubber skips text that holds none of the bytes every shape needs
  // (space, '.', '_', '=', ':'): each shape alone, holding only one of them,
  // must still be caught.
  const std::pair<std::string, std::string> cases[] = {
      {"tk.abc.def.c2VjcmV0UGFydA", "tk.abc.def.[redacted]"},           // only '.'
      {"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "[redacted]"},            // only '.'
      {"whsec_MfKQ9r8GKYqrTwjU", "whsec_[redacted]"},                  // only '_'
      {"Bearer Zm9vYmFyYmF6cXV4", "Bearer [redacted]"},                // only ' '
      {"password=hunter2hunter2", "password=[redacted]"},              // only '='
      {"secret:hunter2hunter2", "secret:[redacted]"},                  // only ':'
  };
  for (const auto& [text, want] : cases) {
    std::string out;
    detail::log::AppendScrubbed(out, text);
    INFO(text);
    CHECK(out == want);
  }
  // And text without them passes as it is.
  std::string plain;
  detail::log::AppendScrubbed(plain, "r0123456789abcdef01234567/v1/rides/{id}");
  CHECK(plain == "r0123456789abcdef01234567/v1/rides/{id}");
}

TEST_CASE("Credential-looking field names are recognized", "[log][redaction]") {
  for (const char* name : {"password", "Authorization", "X-Api-Key", "api_key", "refresh_token",
                           "client_secret", "SECRET", "Cookie", "set-cookie", "private.key",
                           "aws_access_key_id", "db.passwd", "credentials", "webhook-signature"})
    CHECK(IsCredentialFieldName(name));
  for (const char* name : {"ride", "km", "tenant", "user", "request_id", "status", "author"})
    CHECK_FALSE(IsCredentialFieldName(name));
  // Plain prose without credential shapes passes unchanged.
  World w;
  const std::string prose =
      "Basic information; bearer of news; tokenizer ran; tk.short; eyJ alone; whsec_; Bearer";
  w.logger->Info(LogScope{}, prose);
  CHECK(w.Last().at("msg").as_string() == prose);
}

TEST_CASE("Field names are judged by their text on every line, whatever was logged before",
          "[log][redaction]") {
  // The logger remembers recent names' verdicts per thread; the verdict must
  // follow the name's text, also when a buffer at the same address is reused
  // for another name, and after more names than it remembers.
  World w;
  std::string name;
  for (int round = 0; round < 200; ++round) {
    const bool credential = round % 3 == 0;
    name = credential ? (round % 2 ? "api_key" : "Password") : "field" + std::to_string(round % 45);
    w.logger->Info(LogScope{}, "x", {{name, "value-" + std::to_string(round)}});
    const json::object line = w.Last();
    const auto& f = line.at("fields").as_object();
    INFO("round " << round << " name " << name);
    CHECK(f.at(name).as_string() == (credential ? "[redacted]" : "value-" + std::to_string(round)));
  }
}

TEST_CASE("Levels filter cheaply and can change at run time", "[log]") {
  World w({}, LogLevel::kWarn);
  CHECK_FALSE(w.logger->Enabled(LogLevel::kInfo));
  CHECK(w.logger->Enabled(LogLevel::kWarn));
  w.logger->Debug(LogScope{}, "d");
  w.logger->Info(LogScope{}, "i");
  w.logger->Warn(LogScope{}, "w");
  w.logger->Error(LogScope{}, "e");
  auto lines = w.capture->lines();
  REQUIRE(lines.size() == 2);
  CHECK(json::parse(lines[0]).at("msg").as_string() == "w");
  w.logger->SetLevel(LogLevel::kTrace);
  w.logger->Trace(LogScope{}, "t");
  CHECK(w.capture->lines().size() == 3);
  for (const char* name : {"trace", "debug", "info", "warn", "error"})
    CHECK(ToString(ParseLogLevel(name).value()) == name);
  CHECK_FALSE(ParseLogLevel("INFO"));
  CHECK_FALSE(ParseLogLevel(""));
}

TEST_CASE("Bad options and reads are refused with typed errors", "[log]") {
  CHECK(Logger::Create({.clock = nullptr}).error().code == Errc::kInvalidArgument);
  CHECK(Logger::Create({.sinks = {nullptr}}).error().code == Errc::kInvalidArgument);
  CHECK(Logger::Create({.max_value_bytes = 3}).error().code == Errc::kInvalidArgument);
  CHECK_FALSE(MemoryLogSink::Create({.max_lines_per_tenant = 0}));
  CHECK_FALSE(MemoryLogSink::Create({.max_bytes_per_tenant = kLogLineOverhead}));
  CHECK_FALSE(MemoryLogSink::Create({.max_tenants = 0}));
  CHECK(FileLogSink::Open("").error().code == Errc::kInvalidArgument);
  CHECK(FileLogSink::Open("/nonexistent-dir/x/y.log").error().code == Errc::kStorage);
  auto m = MemoryLogSink::Create({}).value();
  CHECK(m->Read(TenantId{}, 0, 10).error().code == Errc::kInvalidArgument);
  CHECK(m->Read(Tenant(1), 0, 0).error().code == Errc::kInvalidArgument);
  CHECK(m->ReadAll(0, kMaxLogReadLimit + 1).error().code == Errc::kInvalidArgument);
  // A tenant without lines reads an empty page.
  auto page = m->Read(Tenant(1), 0, 10).value();
  CHECK(page.records.empty());
  CHECK(page.next == 0);
  CHECK_FALSE(page.restarted);
}

TEST_CASE("Each tenant reads only its own lines, under 4 writing threads",
          "[log][isolation][concurrency]") {
  World w({.max_lines_per_tenant = 100000, .max_bytes_per_tenant = 64 << 20});
  constexpr int kThreads = 4, kLines = 2000;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const TenantId me = Tenant(t + 1);
      start.arrive_and_wait();
      for (int i = 0; i < kLines; ++i) {
        w.logger->Info(LogScope(me, "req-" + std::to_string(i)), "line",
                       {{"n", i}, {"writer", t}});
        if (i % 100 == 0) w.logger->Info(LogScope{}, "platform", {{"writer", t}});
      }
    });
  }
  for (auto& th : threads) th.join();

  for (int t = 0; t < kThreads; ++t) {
    const TenantId me = Tenant(t + 1);
    std::uint64_t after = 0;
    int expected = 0;
    while (true) {
      const LogPage page = w.memory->Read(me, after, 333).value();
      if (page.records.empty()) break;
      for (const auto& r : page.records) {
        CHECK(r.seq == static_cast<std::uint64_t>(expected + 1));  // own numbering, no gaps
        const auto o = json::parse(r.line).as_object();
        REQUIRE(o.at("tenant").as_string() == me.str());
        CHECK(o.at("fields").at("n").as_int64() == expected);
        CHECK(o.at("fields").at("writer").as_int64() == t);
        ++expected;
      }
      after = page.next;
    }
    CHECK(expected == kLines);
  }
  // The operator sees every line, in global order.
  std::uint64_t after = 0, previous = 0;
  std::size_t total = 0, platform = 0;
  std::set<std::string> tenants;
  while (true) {
    const LogPage page = w.memory->ReadAll(after, kMaxLogReadLimit).value();
    if (page.records.empty()) break;
    for (const auto& r : page.records) {
      CHECK(r.seq > previous);
      previous = r.seq;
      const auto o = json::parse(r.line).as_object();
      if (o.contains("tenant"))
        tenants.insert(std::string(o.at("tenant").as_string()));
      else
        ++platform;
      ++total;
    }
    after = page.next;
  }
  CHECK(total == kThreads * kLines + kThreads * (kLines / 100));
  CHECK(platform == kThreads * (kLines / 100));
  CHECK(tenants.size() == kThreads);
  CHECK(w.memory->stats().dropped == 0);
}

TEST_CASE("Retention per tenant holds by count and by bytes; the newest stay",
          "[log][retention]") {
  SECTION("by count") {
    World w({.max_lines_per_tenant = 10});
    const TenantId a = Tenant(1), b = Tenant(2);
    for (int i = 0; i < 25; ++i) w.logger->Info(LogScope(a), "a", {{"i", i}});
    w.logger->Info(LogScope(b), "b");
    const auto page = w.memory->Read(a, 0, 100).value();
    REQUIRE(page.records.size() == 10);
    CHECK(page.dropped == 15);
    CHECK(page.records.front().seq == 16);
    CHECK(json::parse(page.records.front().line).at("fields").at("i").as_int64() == 15);
    CHECK(json::parse(page.records.back().line).at("fields").at("i").as_int64() == 24);
    // B's ring is untouched by A's churn.
    const auto pb = w.memory->Read(b, 0, 100).value();
    CHECK(pb.records.size() == 1);
    CHECK(pb.dropped == 0);
    // Reading from a dropped position resumes at the oldest kept line.
    CHECK(w.memory->Read(a, 3, 1).value().records.front().seq == 16);
  }
  SECTION("by bytes") {
    constexpr std::size_t kBudget = 2000;
    World w({.max_bytes_per_tenant = kBudget});
    const TenantId a = Tenant(1);
    for (int i = 0; i < 200; ++i)
      w.logger->Info(LogScope(a), std::string(50 + i % 37, 'x'), {{"i", i}});
    const auto page = w.memory->Read(a, 0, 1000).value();
    std::size_t charged = 0;
    for (const auto& r : page.records) charged += r.line.size() + kLogLineOverhead;
    CHECK(charged <= kBudget);
    CHECK(page.records.size() + page.dropped == 200);
    CHECK(json::parse(page.records.back().line).at("fields").at("i").as_int64() == 199);
    CHECK(w.memory->stats().bytes == charged);
    // A line bigger than the whole budget is not kept, and pushes nothing
    // else out.
    w.logger->Info(LogScope(a), std::string(3000, 'y'));
    const auto after = w.memory->Read(a, 0, 1000).value();
    CHECK(after.records.size() == page.records.size());
    CHECK(after.dropped == page.dropped + 1);
    CHECK(w.memory->stats().bytes == charged);
  }
  SECTION("platform lines have their own bound") {
    World w({.max_platform_lines = 5});
    for (int i = 0; i < 12; ++i) w.logger->Info(LogScope{}, "p");
    w.logger->Info(LogScope(Tenant(1)), "t");
    const auto all = w.memory->ReadAll(0, 100).value();
    CHECK(all.records.size() == 6);
    CHECK(all.dropped == 7);
  }
}

TEST_CASE("Past max_tenants the least recently written ring is evicted", "[log][retention]") {
  World w({.max_tenants = 3});
  for (int t = 1; t <= 3; ++t) w.logger->Info(LogScope(Tenant(t)), "hello");
  w.logger->Info(LogScope(Tenant(1)), "again");  // 2 is now the least recent
  w.logger->Info(LogScope(Tenant(4)), "new");
  const auto s = w.memory->stats();
  CHECK(s.tenants == 3);
  CHECK(s.evicted_tenants == 1);
  CHECK(s.dropped == 1);
  CHECK(w.memory->Read(Tenant(2), 0, 10).value().records.empty());
  CHECK(w.memory->Read(Tenant(1), 0, 10).value().records.size() == 2);
  // A reader holding a cursor of the evicted ring learns it restarted.
  CHECK(w.memory->Read(Tenant(2), 1, 10).value().restarted);
  w.logger->Info(LogScope(Tenant(2)), "back");
  const auto page = w.memory->Read(Tenant(2), 5, 10).value();
  CHECK(page.restarted);
  CHECK(w.memory->Read(Tenant(2), 0, 10).value().records.front().seq == 1);
}

TEST_CASE("Lines from many threads reach file and stream sinks whole", "[log][concurrency]") {
  testing::TempDir dir;
  const std::string path = (dir.path() / "t.log").string();
  auto file = FileLogSink::Open(path).value();
  std::ostringstream out, batched_out;
  auto stream = std::make_shared<StreamLogSink>(out);
  auto batched = std::make_shared<StreamLogSink>(batched_out, StreamLogOptions{.batch_bytes = 4096});
  auto logger = Logger::Create({.sinks = {file, stream, batched}}).value();
  constexpr int kThreads = 4, kLines = 3000;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string payload(100 + t * 50, static_cast<char>('a' + t));
      start.arrive_and_wait();
      for (int i = 0; i < kLines; ++i)
        logger->Info(LogScope(Tenant(t + 1)), payload, {{"i", i}, {"t", t}});
    });
  }
  for (auto& th : threads) th.join();
  batched->Flush();
  std::ifstream in(path);
  const std::string file_text((std::istreambuf_iterator<char>(in)), {});
  for (const std::string& text : {file_text, out.str(), batched_out.str()}) {
    std::istringstream lines(text);
    std::string line;
    std::vector<int> per_thread(kThreads, 0);
    int count = 0;
    while (std::getline(lines, line)) {
      const auto o = json::parse(line).as_object();  // throws on a torn line
      const auto t = o.at("fields").at("t").as_int64();
      CHECK(o.at("msg").as_string() ==
            std::string(100 + static_cast<std::size_t>(t) * 50, static_cast<char>('a' + t)));
      CHECK(o.at("fields").at("i").as_int64() == per_thread[static_cast<std::size_t>(t)]++);
      ++count;
    }
    CHECK(count == kThreads * kLines);
  }
}

// A stream buffer that counts the writes handed to it (ostream::write is one
// sputn), as an unbuffered std::clog turns each into a write(2).
class CountingBuf final : public std::stringbuf {
 public:
  int writes = 0;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    ++writes;
    return std::stringbuf::xsputn(s, n);
  }
};

std::vector<std::string> Messages(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) out.emplace_back(json::parse(line).at("msg").as_string());
  return out;
}

TEST_CASE("A batched stream sink writes many lines at once, in order, and never holds a warning",
          "[log]") {
  CountingBuf buf;
  std::ostream out(&buf);
  auto sink = std::make_shared<StreamLogSink>(out, StreamLogOptions{.batch_bytes = 1024});
  auto logger = Logger::Create({.sinks = {sink}}).value();

  // Gathered, not written, while they fit.
  for (int i = 0; i < 3; ++i) logger->Info(LogScope::Platform(), "line " + std::to_string(i));
  CHECK(buf.writes == 0);
  CHECK(buf.str().empty());
  sink->Flush();
  CHECK(buf.writes == 1);
  CHECK(Messages(buf.str()) == std::vector<std::string>{"line 0", "line 1", "line 2"});
  sink->Flush();  // nothing gathered: nothing written
  CHECK(buf.writes == 1);

  SECTION("a warning goes out at once, after the lines gathered before it") {
    logger->Info(LogScope::Platform(), "before");
    logger->Warn(LogScope::Platform(), "the warning");
    CHECK(buf.writes == 2);
    CHECK(Messages(buf.str()).back() == "the warning");
    CHECK(Messages(buf.str()).size() == 5);
  }
  SECTION("a full batch is written whole when the next line does not fit") {
    const std::size_t before = buf.str().size();
    std::vector<std::string> sent;
    for (int i = 0; buf.writes == 1; ++i) {
      sent.push_back("filler " + std::to_string(i) + std::string(60, 'x'));
      logger->Info(LogScope::Platform(), sent.back());
    }
    CHECK(buf.writes == 2);
    CHECK(buf.str().size() - before <= 1024);
    CHECK(buf.str().size() - before > 1024 - 200);  // the batch was full: one more line did not fit
    const auto written = Messages(buf.str());
    CHECK(written.size() == 3 + sent.size() - 1);  // the last one waits in the next batch
    sink->Flush();
    auto all = Messages(buf.str());
    all.erase(all.begin(), all.begin() + 3);
    CHECK(all == sent);
  }
  SECTION("a line longer than a batch is written alone, after the gathered ones") {
    logger->Info(LogScope::Platform(), "small");
    const std::string big(2000, 'b');
    logger->Info(LogScope::Platform(), big);
    CHECK(buf.writes == 3);
    const auto all = Messages(buf.str());
    REQUIRE(all.size() == 5);
    CHECK(all[3] == "small");
    CHECK(all[4] == big);
  }
  SECTION("destroying the sink writes what it gathered") {
    logger->Info(LogScope::Platform(), "last words");
    logger.reset();
    sink.reset();
    CHECK(Messages(buf.str()).back() == "last words");
  }
}

}  // namespace
}  // namespace tenancy

// Metering: validation, hourly records, hour boundaries, tenant scope,
// restarts, idempotent events and flush failures.
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/metering.hpp"

namespace tenancy {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using testing::TempDir;

const TimePoint kT0 = sys_days{2024y / March / 1} + 10h;  // a whole hour

TenantId Tenant(std::string_view hex16) {
  return TenantId::Parse("tn_" + std::string(hex16)).value();
}

// A usage database in a fresh directory, driven by a manual clock, flushed
// only when asked (flush_interval 0) unless a test says otherwise.
struct World {
  TempDir dir;
  ManualClock clock{kT0};
  std::string path = (dir.path() / "usage.db").string();

  MeteringOptions Options() {
    MeteringOptions o;
    o.path = path;
    o.clock = &clock;
    o.flush_interval = 0ms;
    return o;
  }
  std::unique_ptr<Metering> Open(MeteringOptions o) {
    auto m = Metering::Open(std::move(o));
    REQUIRE(m);
    return std::move(*m);
  }
  std::unique_ptr<Metering> Open() { return Open(Options()); }
};

// Sum of a report's records per meter, for comparing with what was recorded.
std::map<std::string, std::int64_t> SumByMeter(const UsageReport& r) {
  std::map<std::string, std::int64_t> out;
  for (const auto& rec : r.records) out[rec.meter] += rec.amount;
  return out;
}

std::int64_t TotalOf(const UsageReport& r, const TenantId& t, std::string_view meter) {
  for (const auto& total : r.totals)
    if (total.tenant == t && total.meter == meter) return total.amount;
  return 0;
}

// A raw connection to the usage file, as another process would have.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  // The first column of the first row as an integer; -1 when no row.
  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_CASE("Meter names and event ids have a strict spelling", "[metering]") {
  CHECK(IsValidMeterName("rides.booked"));
  CHECK(IsValidMeterName("km.driven"));
  CHECK(IsValidMeterName("storage_bytes.v2"));
  CHECK(IsValidMeterName(std::string(kMaxMeterNameBytes, 'a')));
  CHECK_FALSE(IsValidMeterName(""));
  CHECK_FALSE(IsValidMeterName(std::string(kMaxMeterNameBytes + 1, 'a')));
  CHECK_FALSE(IsValidMeterName("Rides"));
  CHECK_FALSE(IsValidMeterName("rides booked"));
  CHECK_FALSE(IsValidMeterName("rides/booked"));
  CHECK_FALSE(IsValidMeterName("rides-booked"));
  CHECK_FALSE(IsValidMeterName("rides,booked"));
  CHECK_FALSE(IsValidMeterName(std::string_view("ride\0s", 6)));
  CHECK_FALSE(IsValidMeterName("r\xc3\xbc"));

  CHECK(IsValidEventId("550e8400-e29b-41d4-a716-446655440000"));
  CHECK(IsValidEventId("ride-42:completed"));
  CHECK(IsValidEventId(std::string(kMaxEventIdBytes, '~')));
  CHECK_FALSE(IsValidEventId(""));
  CHECK_FALSE(IsValidEventId(std::string(kMaxEventIdBytes + 1, 'x')));
  CHECK_FALSE(IsValidEventId("a b"));
  CHECK_FALSE(IsValidEventId("a\tb"));
  CHECK_FALSE(IsValidEventId("a\x7f"));
  CHECK_FALSE(IsValidEventId(std::string_view("a\0b", 3)));
  CHECK_FALSE(IsValidEventId("caf\xc3\xa9"));
}

TEST_CASE("Bad input to recording is a typed error and records nothing", "[metering]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant("00000000000000a1");

  for (std::string_view bad : {std::string_view(""), std::string_view("Rides"),
                               std::string_view("a b"), std::string_view("x/y")}) {
    auto r = m->Record(a, bad, 1);
    REQUIRE_FALSE(r);
    CHECK(r.error() == Errc::kInvalidArgument);
    CHECK_FALSE(m->Resolve(a, bad));
  }
  const std::string long_name(kMaxMeterNameBytes + 1, 'a');
  CHECK(m->Record(a, long_name, 1).error() == Errc::kInvalidArgument);
  CHECK(m->Record(TenantId{}, "rides.booked", 1).error() == Errc::kInvalidArgument);
  CHECK(m->Record(a, "rides.booked", -1).error() == Errc::kInvalidArgument);
  CHECK(m->Record(a, "rides.booked", kMaxMeterAmount + 1).error() == Errc::kInvalidArgument);
  CHECK(m->Record(a, "rides.booked", std::numeric_limits<std::int64_t>::min()).error() ==
        Errc::kInvalidArgument);
  CHECK(m->stats().series == 0);

  auto handle = m->Resolve(a, "rides.booked");
  REQUIRE(handle);
  CHECK(handle->Add(-5).error() == Errc::kInvalidArgument);
  CHECK(handle->Add(kMaxMeterAmount + 1).error() == Errc::kInvalidArgument);
  CHECK(MeterHandle{}.Add(1).error() == Errc::kFailedPrecondition);
  CHECK_FALSE(MeterHandle{});

  CHECK(m->RecordEvent(a, "rides.booked", 1, "").error() == Errc::kInvalidArgument);
  CHECK(m->RecordEvent(a, "rides.booked", 1, "has space").error() == Errc::kInvalidArgument);
  CHECK(m->RecordEvent(a, "rides.booked", 1, std::string(kMaxEventIdBytes + 1, 'e')).error() ==
        Errc::kInvalidArgument);
  CHECK(m->RecordEvent(a, "Rides", 1, "e1").error() == Errc::kInvalidArgument);
  CHECK(m->RecordEvent(a, "rides.booked", -1, "e1").error() == Errc::kInvalidArgument);
  CHECK(m->RecordEvent(TenantId{}, "rides.booked", 1, "e1").error() == Errc::kInvalidArgument);

  // Nothing of the above reached the database; the limits themselves do.
  auto none = m->Query(a, kT0 - 24h, kT0 + 24h);
  REQUIRE(none);
  CHECK(none->records.empty());
  REQUIRE(handle->Add(kMaxMeterAmount));
  REQUIRE(handle->Add(0));
  auto report = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(report);
  CHECK(TotalOf(*report, a, "rides.booked") == kMaxMeterAmount);
}

TEST_CASE("Open refuses bad options and foreign files", "[metering]") {
  World w;
  auto expect = [&](MeteringOptions o, Errc code) {
    auto m = Metering::Open(std::move(o));
    REQUIRE_FALSE(m);
    CHECK(m.error() == code);
  };
  auto o = w.Options();
  o.path.clear();
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.clock = nullptr;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.flush_interval = -1ms;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.event_retention = 0h;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.stripes = 257;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.max_series = 0;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.max_series = (std::size_t{1} << 26) + 1;
  expect(o, Errc::kInvalidArgument);
  o = w.Options();
  o.busy_timeout = -1ms;
  expect(o, Errc::kInvalidArgument);

  o = w.Options();
  o.path = (w.dir.path() / "missing" / "usage.db").string();
  expect(o, Errc::kStorage);

  o = w.Options();
  o.path = (w.dir.path() / "notes.txt").string();
  std::ofstream(o.path) << std::string(4096, 'x');
  expect(o, Errc::kDataCorrupted);

  {
    RawDb raw(w.path);
    REQUIRE(raw.Exec("PRAGMA user_version = 7") == SQLITE_OK);
  }
  expect(w.Options(), Errc::kFailedPrecondition);
}

TEST_CASE("Counts reach hourly records exactly, through handles and by name", "[metering]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant("00000000000000a1");
  auto rides = m->Resolve(a, "rides.booked");
  REQUIRE(rides);
  auto again = m->Resolve(a, "rides.booked");
  REQUIRE(again);
  CHECK(m->stats().series == 1);  // the same counter

  std::map<std::string, std::int64_t> expected;
  for (int i = 1; i <= 50; ++i) {
    REQUIRE((i % 2 ? *rides : *again).Add(i));
    expected["rides.booked"] += i;
    REQUIRE(m->Record(a, "km.driven", 1000 + i));  // metres
    expected["km.driven"] += 1000 + i;
    if (i % 10 == 0) {
      REQUIRE(m->Record(a, "rides.booked"));  // default amount: one
      expected["rides.booked"] += 1;
    }
  }
  // Not flushed yet: the query flushes first.
  auto report = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(report);
  CHECK(SumByMeter(*report) == expected);
  REQUIRE(report->records.size() == 2);
  for (const auto& rec : report->records) {
    CHECK(rec.tenant == a);
    CHECK(rec.hour_start == kT0);
  }
  CHECK(report->records[0].meter == "km.driven");  // ordered by meter
  CHECK(TotalOf(*report, a, "km.driven") == expected["km.driven"]);
  CHECK(TotalOf(*report, a, "rides.booked") == expected["rides.booked"]);

  // More after the flush adds to the same hourly record.
  REQUIRE(rides->Add(7));
  REQUIRE(m->Flush());
  REQUIRE(m->Flush());  // nothing new: writes nothing, counts nothing twice
  auto only = m->Query(a, kT0, kT0 + 1h, "rides.booked");
  REQUIRE(only);
  REQUIRE(only->records.size() == 1);
  CHECK(only->records[0].amount == expected["rides.booked"] + 7);
  CHECK(only->totals.size() == 1);
  CHECK(m->Query(a, kT0, kT0 + 1h, "Bad Name").error() == Errc::kInvalidArgument);
}

TEST_CASE("Each count lands in the hour of the clock when it was recorded", "[metering]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant("00000000000000a1");
  auto h = m->Resolve(a, "api.requests");
  REQUIRE(h);

  SECTION("across the boundary and across slot reuse, without any flush") {
    // Amounts per hour offset; hour +2 and +4 reuse the slots of +0 and +2.
    const std::vector<std::pair<nanoseconds, std::int64_t>> steps = {
        {59min + 59s + 999ms, 3},  // the last millisecond of hour 0
        {1h, 5},                   // the first instant of hour 1
        {1h + 30min, 11},
        {2h, 17},
        {4h + 1ns, 23},
        {4h + 59min, 29},
    };
    std::map<TimePoint, std::int64_t> expected;
    for (const auto& [offset, amount] : steps) {
      w.clock.Set(kT0 + offset);
      REQUIRE(h->Add(amount));
      expected[floor<hours>(kT0 + offset)] += amount;
    }
    auto report = m->Query(a, kT0, kT0 + 5h);
    REQUIRE(report);
    std::map<TimePoint, std::int64_t> got;
    for (const auto& rec : report->records) got[rec.hour_start] += rec.amount;
    CHECK(got == expected);
    CHECK(got.size() == 4);
  }

  SECTION("with flushes in between and a clock that steps back two hours") {
    w.clock.Set(kT0 + 5h + 10min);
    REQUIRE(h->Add(2));
    REQUIRE(m->Flush());
    w.clock.Set(kT0 + 3h + 10min);  // same slot parity, older hour
    REQUIRE(h->Add(3));
    w.clock.Set(kT0 + 5h + 20min);
    REQUIRE(h->Add(4));
    REQUIRE(m->Flush());
    auto report = m->Query(a, kT0, kT0 + 6h);
    REQUIRE(report);
    REQUIRE(report->records.size() == 2);
    CHECK(report->records[0].hour_start == kT0 + 3h);
    CHECK(report->records[0].amount == 3);
    CHECK(report->records[1].hour_start == kT0 + 5h);
    CHECK(report->records[1].amount == 2 + 4);
  }
}

TEST_CASE("Query periods cover whole hours and refuse bad bounds", "[metering]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant("00000000000000a1");
  for (int hour = 0; hour < 4; ++hour) {
    w.clock.Set(kT0 + hours(hour) + 15min);
    REQUIRE(m->Record(a, "rides.booked", hour + 1));
  }
  // [0:30, 1:30) overlaps hours 0 and 1 only.
  auto r = m->Query(a, kT0 + 30min, kT0 + 1h + 30min);
  REQUIRE(r);
  CHECK(r->from == kT0);
  CHECK(r->to == kT0 + 2h);
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].amount == 1);
  CHECK(r->records[1].amount == 2);
  // An aligned end excludes the hour it starts.
  auto aligned = m->Query(a, kT0 + 1h, kT0 + 3h);
  REQUIRE(aligned);
  REQUIRE(aligned->records.size() == 2);
  CHECK(aligned->records[0].hour_start == kT0 + 1h);
  CHECK(aligned->records[1].hour_start == kT0 + 2h);

  auto empty = m->Query(a, kT0 + 30min, kT0 + 30min);
  REQUIRE(empty);
  CHECK(empty->records.empty());
  CHECK(empty->totals.empty());

  CHECK(m->Query(a, kT0 + 1h, kT0).error() == Errc::kInvalidArgument);
  CHECK(m->Query(a, TimePoint{} - 1h, kT0).error() == Errc::kInvalidArgument);
  CHECK(m->Query(a, kT0, TimePoint::max()).error() == Errc::kInvalidArgument);
  CHECK(m->Query(TenantId{}, kT0, kT0 + 1h).error() == Errc::kInvalidArgument);
  CHECK(m->QueryAllTenants(kT0 + 1h, kT0).error() == Errc::kInvalidArgument);
  // The widest period accepted holds everything.
  auto all = m->Query(a, TimePoint{}, sys_days{2262y / January / 1});
  REQUIRE(all);
  CHECK(all->records.size() == 4);
}

TEST_CASE("A tenant's query never returns another tenant's usage", "[metering][isolation]") {
  World w;
  auto m = w.Open();
  const TenantId a = Tenant("00000000000000a1");
  const TenantId b = Tenant("00000000000000b2");
  const TenantId quiet = Tenant("00000000000000c3");
  // Same meters, different amounts; B also uses A's id as a meter name
  // and records in hours A never used.
  std::int64_t a_rides = 0, b_rides = 0;
  for (int i = 0; i < 20; ++i) {
    w.clock.Set(kT0 + minutes(i * 7));
    REQUIRE(m->Record(a, "rides.booked", i + 1));
    a_rides += i + 1;
    REQUIRE(m->Record(b, "rides.booked", 100 * (i + 1)));
    b_rides += 100 * (i + 1);
  }
  w.clock.Set(kT0 + 6h);
  REQUIRE(m->Record(b, a.str(), 9));
  REQUIRE(m->Record(b, "storage.bytes", 4096));
  REQUIRE(m->RecordEvent(b, "rides.booked", 1000, "evt-1").value());
  b_rides += 1000;

  auto ra = m->Query(a, kT0, kT0 + 7h);
  REQUIRE(ra);
  REQUIRE_FALSE(ra->records.empty());
  for (const auto& rec : ra->records) CHECK(rec.tenant == a);
  for (const auto& t : ra->totals) CHECK(t.tenant == a);
  CHECK(SumByMeter(*ra) == std::map<std::string, std::int64_t>{{"rides.booked", a_rides}});
  CHECK(m->Query(a, kT0, kT0 + 7h, "storage.bytes")->records.empty());
  CHECK(m->Query(a, kT0, kT0 + 7h, a.str())->records.empty());

  auto rb = m->Query(b, kT0, kT0 + 7h);
  REQUIRE(rb);
  for (const auto& rec : rb->records) CHECK(rec.tenant == b);
  CHECK(TotalOf(*rb, b, "rides.booked") == b_rides);
  CHECK(TotalOf(*rb, b, a.str()) == 9);

  auto rq = m->Query(quiet, kT0, kT0 + 7h);
  REQUIRE(rq);
  CHECK(rq->records.empty());

  // The operator sees both, ordered by tenant.
  auto all = m->QueryAllTenants(kT0, kT0 + 7h);
  REQUIRE(all);
  CHECK(TotalOf(*all, a, "rides.booked") == a_rides);
  CHECK(TotalOf(*all, b, "rides.booked") == b_rides);
  CHECK(all->records.size() == ra->records.size() + rb->records.size());
  CHECK(all->records.front().tenant == a);
  CHECK(all->records.back().tenant == b);
  auto rides_only = m->QueryAllTenants(kT0, kT0 + 7h, "rides.booked");
  REQUIRE(rides_only);
  for (const auto& rec : rides_only->records) CHECK(rec.meter == "rides.booked");
  CHECK(rides_only->totals.size() == 2);
}

TEST_CASE("Usage survives closing and reopening the file", "[metering]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  std::int64_t expected = 0;
  {
    auto m = w.Open();
    for (int i = 1; i <= 10; ++i) {
      REQUIRE(m->Record(a, "km.driven", i * 250));
      expected += i * 250;
    }
    REQUIRE(m->Close());
  }
  {
    auto m = w.Open();
    auto r = m->Query(a, kT0, kT0 + 1h);
    REQUIRE(r);
    CHECK(TotalOf(*r, a, "km.driven") == expected);
    REQUIRE(m->Record(a, "km.driven", 1));
    expected += 1;
    // No Close: the destructor's flush keeps this count too.
  }
  auto m = w.Open();
  auto r = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(r);
  CHECK(TotalOf(*r, a, "km.driven") == expected);
}

TEST_CASE("RecordEvent counts an event id once, also after flushes and restarts",
          "[metering][events]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  const TenantId b = Tenant("00000000000000b2");
  auto m = w.Open();

  auto first = m->RecordEvent(a, "rides.booked", 3, "ride-1:done");
  REQUIRE(first);
  CHECK(*first);
  auto retry = m->RecordEvent(a, "rides.booked", 3, "ride-1:done");
  REQUIRE(retry);
  CHECK_FALSE(*retry);

  auto other_amount = m->RecordEvent(a, "rides.booked", 4, "ride-1:done");
  REQUIRE_FALSE(other_amount);
  CHECK(other_amount.error() == Errc::kConflict);
  auto other_meter = m->RecordEvent(a, "km.driven", 3, "ride-1:done");
  REQUIRE_FALSE(other_meter);
  CHECK(other_meter.error() == Errc::kConflict);

  // Another tenant's ids are its own.
  CHECK(m->RecordEvent(b, "rides.booked", 3, "ride-1:done").value());

  REQUIRE(m->Flush());
  w.clock.Advance(2h);  // a retry in a later hour still counts nothing
  CHECK_FALSE(m->RecordEvent(a, "rides.booked", 3, "ride-1:done").value());
  CHECK(m->RecordEvent(a, "rides.booked", 5, "ride-2:done").value());
  REQUIRE(m->Close());
  m.reset();

  m = w.Open();
  CHECK_FALSE(m->RecordEvent(a, "rides.booked", 3, "ride-1:done").value());
  CHECK_FALSE(m->RecordEvent(a, "rides.booked", 5, "ride-2:done").value());

  auto r = m->Query(a, kT0, kT0 + 3h);
  REQUIRE(r);
  CHECK(TotalOf(*r, a, "rides.booked") == 3 + 5);
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].hour_start == kT0);  // the hour the event was first counted
  CHECK(r->records[0].amount == 3);
  CHECK(r->records[1].hour_start == kT0 + 2h);
  auto rb = m->Query(b, kT0, kT0 + 3h);
  REQUIRE(rb);
  CHECK(TotalOf(*rb, b, "rides.booked") == 3);
}

TEST_CASE("Event ids are forgotten after the retention period", "[metering][events]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  auto o = w.Options();
  o.event_retention = 2h;
  auto m = w.Open(o);
  CHECK(m->RecordEvent(a, "api.requests", 1, "old").value());
  w.clock.Advance(90min);
  CHECK(m->RecordEvent(a, "api.requests", 1, "young").value());
  w.clock.Advance(1h);  // "old" is 2.5 h old, "young" 1 h
  REQUIRE(m->Flush());  // prunes
  CHECK(m->RecordEvent(a, "api.requests", 1, "old").value());  // counted again, as documented
  CHECK_FALSE(m->RecordEvent(a, "api.requests", 1, "young").value());
  auto r = m->Query(a, kT0, kT0 + 4h);
  REQUIRE(r);
  CHECK(TotalOf(*r, a, "api.requests") == 3);
}

TEST_CASE("A flush that fails keeps its counts; the retry writes them once",
          "[metering][failure]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  auto o = w.Options();
  o.busy_timeout = 0ms;

  SECTION("the file is locked by another writer") {
    auto m = w.Open(o);
    REQUIRE(m->Record(a, "api.requests", 40));
    REQUIRE(m->Flush());
    REQUIRE(m->Record(a, "api.requests", 2));
    RawDb other(w.path);
    REQUIRE(other.Exec("BEGIN IMMEDIATE") == SQLITE_OK);

    auto failed = m->Flush();
    REQUIRE_FALSE(failed);
    CHECK(failed.error() == Errc::kUnavailable);
    CHECK(m->stats().failed_flushes == 1);
    CHECK(m->stats().last_flush_error == Errc::kUnavailable);
    CHECK(m->stats().pending_records == 1);
    // Queries are exact or fail; they do not answer without the pending counts.
    CHECK(m->Query(a, kT0, kT0 + 1h).error() == Errc::kUnavailable);
    // Events are not counted while the file is locked, and say so.
    CHECK(m->RecordEvent(a, "api.requests", 1, "evt").error() == Errc::kUnavailable);
    REQUIRE(m->Record(a, "api.requests", 5));  // recording goes on meanwhile
    CHECK_FALSE(m->Flush());

    REQUIRE(other.Exec("ROLLBACK") == SQLITE_OK);
    CHECK(m->RecordEvent(a, "api.requests", 1, "evt").value());
    REQUIRE(m->Flush());
    CHECK(m->stats().pending_records == 0);
    CHECK(m->stats().last_flush_error == Errc::kOk);
    auto r = m->Query(a, kT0, kT0 + 1h);
    REQUIRE(r);
    CHECK(TotalOf(*r, a, "api.requests") == 40 + 2 + 5 + 1);
  }

  SECTION("a write fails half-way through the batch") {
    auto m = w.Open(o);
    RawDb other(w.path);
    REQUIRE(m->Record(a, "aaa.good", 5));
    REQUIRE(m->Record(a, "zzz.poison", 7));  // written after aaa.good (key order)
    REQUIRE(other.Exec("CREATE TRIGGER fail_poison BEFORE INSERT ON tenancy_usage_hourly "
                       "WHEN NEW.meter = 'zzz.poison' BEGIN SELECT RAISE(ABORT, 'disk says no'); "
                       "END") == SQLITE_OK);
    REQUIRE_FALSE(m->Flush());
    // The good row was rolled back with the rest: a retry cannot double it.
    CHECK(other.Int("SELECT count(*) FROM tenancy_usage_hourly") == 0);
    REQUIRE_FALSE(m->Flush());
    REQUIRE(other.Exec("DROP TRIGGER fail_poison") == SQLITE_OK);
    REQUIRE(m->Flush());
    CHECK(other.Int("SELECT amount FROM tenancy_usage_hourly WHERE meter = 'aaa.good'") == 5);
    CHECK(other.Int("SELECT amount FROM tenancy_usage_hourly WHERE meter = 'zzz.poison'") == 7);
  }

  SECTION("the background thread retries until the file is free") {
    o.flush_interval = 2ms;
    auto m = w.Open(o);
    RawDb other(w.path);
    REQUIRE(other.Exec("BEGIN IMMEDIATE") == SQLITE_OK);
    REQUIRE(m->Record(a, "api.requests", 13));
    // Bounded waits for the thread's progress, not timing assertions.
    for (int i = 0; i < 20000 && m->stats().failed_flushes == 0; ++i)
      std::this_thread::sleep_for(1ms);
    REQUIRE(m->stats().failed_flushes > 0);
    REQUIRE(other.Exec("ROLLBACK") == SQLITE_OK);
    std::int64_t stored = -1;
    for (int i = 0; i < 20000 && stored != 13; ++i) {
      std::this_thread::sleep_for(1ms);
      stored = other.Int("SELECT amount FROM tenancy_usage_hourly WHERE meter = 'api.requests'");
    }
    CHECK(stored == 13);
    CHECK(m->stats().pending_records == 0);
  }
}

TEST_CASE("The background thread flushes without being asked", "[metering]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  auto o = w.Options();
  o.flush_interval = 5ms;
  auto m = w.Open(o);
  RawDb reader(w.path);
  REQUIRE(m->Record(a, "rides.booked", 21));
  std::int64_t stored = -1;
  for (int i = 0; i < 20000 && stored != 21; ++i) {
    std::this_thread::sleep_for(1ms);
    stored = reader.Int("SELECT amount FROM tenancy_usage_hourly WHERE meter = 'rides.booked'");
  }
  CHECK(stored == 21);
  CHECK(m->stats().flushes > 0);
}

TEST_CASE("Close stops recording and flushes; reads keep working", "[metering]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  auto m = w.Open();
  auto h = m->Resolve(a, "rides.booked");
  REQUIRE(h);
  REQUIRE(h->Add(6));
  REQUIRE(m->Close());
  CHECK(h->Add(1).error() == Errc::kFailedPrecondition);
  CHECK(m->Record(a, "rides.booked", 1).error() == Errc::kFailedPrecondition);
  CHECK(m->Resolve(a, "km.driven").error() == Errc::kFailedPrecondition);
  CHECK(m->RecordEvent(a, "rides.booked", 1, "e").error() == Errc::kFailedPrecondition);
  REQUIRE(m->Close());  // again: harmless
  REQUIRE(m->Flush());
  auto r = m->Query(a, kT0, kT0 + 1h);
  REQUIRE(r);
  CHECK(TotalOf(*r, a, "rides.booked") == 6);
}

TEST_CASE("max_series bounds the (tenant, meter) pairs in memory", "[metering]") {
  World w;
  const TenantId a = Tenant("00000000000000a1");
  SECTION("past the bound, new pairs are refused and old ones keep counting") {
    auto o = w.Options();
    o.max_series = 3;
    auto m = w.Open(o);
    REQUIRE(m->Record(a, "m1", 1));
    REQUIRE(m->Record(a, "m2", 1));
    REQUIRE(m->Record(a, "m3", 1));
    auto refused = m->Record(a, "m4", 1);
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == Errc::kResourceExhausted);
    REQUIRE(m->Record(a, "m1", 1));
    auto r = m->Query(a, kT0, kT0 + 1h);
    REQUIRE(r);
    CHECK(TotalOf(*r, a, "m1") == 2);
    CHECK(r->totals.size() == 3);
  }
  SECTION("many pairs, across storage chunks, each counted on its own") {
    auto o = w.Options();
    o.stripes = 3;  // rounded up to 4
    auto m = w.Open(o);
    constexpr int kMeters = 2500;
    for (int i = 0; i < kMeters; ++i) REQUIRE(m->Record(a, "m" + std::to_string(i), i + 1));
    for (int i = 0; i < kMeters; i += 7) REQUIRE(m->Record(a, "m" + std::to_string(i), 1));
    auto r = m->Query(a, kT0, kT0 + 1h);
    REQUIRE(r);
    REQUIRE(r->totals.size() == static_cast<std::size_t>(kMeters));
    int wrong = 0;
    for (const auto& t : r->totals) {
      const int i = std::stoi(t.meter.substr(1));
      if (t.amount != i + 1 + (i % 7 == 0 ? 1 : 0)) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(m->stats().series == static_cast<std::size_t>(kMeters));
  }
}

}  // namespace
}  // namespace tenancy

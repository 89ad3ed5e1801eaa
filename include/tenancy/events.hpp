// tenancy/events.hpp — the tenant's event log: an outbox in the tenant's own namespace.
//
//   tenancy::Events events(*store);
//   store->Transact(ctx, [&](tenancy::Transaction& tx) -> tenancy::Result<void> {
//     if (auto r = rides.Update(tx, ride); !r) return r;
//     auto seq = events.Append(tx, "ride.completed", {{"ride_id", ride.id}});
//     if (!seq) return seq.error();
//     return {};  // the ride and its event commit together, or neither does
//   });
//   auto page = events.Read(ctx, {.after = cursor, .limit = 100});
//
// The log is a table (`outbox_events`) in every tenant namespace, declared by
// `Events::SchemaMigration`, which the application appends to its Schema
// like any of its own migrations. It therefore lives where the tenant's data
// lives in every model (shared rows, database per tenant, dedicated
// placement) and on both engines, commits and rolls back with the data
// change, is removed when the tenant is offboarded and travels with its
// backups. The names `outbox_*` and the `webhook_*` tables of
// webhooks.hpp are taken; applications must not declare them.
//
// Sequence and cursor. Each tenant's events are numbered 1, 2, 3, ... by
// `Append`: the next number is the tenant's largest committed number plus
// one, and (tenant, sequence) is the table's primary key. Two concurrent
// appends for one tenant therefore cannot both commit the same number; the
// later one fails (kUnavailable: retry the unit of work — SQLite serializes
// writers anyway, PostgreSQL reports the conflict). So a number N+1 becomes
// visible only after N committed, rolled-back appends leave no hole, and a
// reader's cursor is simply the last sequence it has seen: `after = cursor`
// returns everything committed since, with no gaps and no duplicates. This
// is why the log does not use an engine sequence (SERIAL / AUTOINCREMENT):
// those hand out numbers at insert time, so commits land out of order and a
// cursor would skip a slow writer's event.
//
// Thread safety: Events is immutable after construction; share it freely.
// Append runs on the thread of the Transact callback it is given.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/clock.hpp"
#include "tenancy/export.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/result.hpp"
#include "tenancy/store.hpp"
#include "tenancy/transaction.hpp"

namespace tenancy {

// An event type: two or more dot-separated segments of [a-z0-9_-], each
// starting with a letter, at most 128 bytes: "ride.completed",
// "tenant.suspended", "alert.fired", "invoice.payment_failed".
TENANCY_EXPORT bool IsValidEventType(std::string_view type) noexcept;

// A type filter: "*" (every type), an exact type, or a prefix wildcard
// "ride.*" (every type whose leading segments are "ride").
TENANCY_EXPORT bool IsValidEventTypePattern(std::string_view pattern) noexcept;

// True when `type` is selected by `pattern` (both assumed valid).
TENANCY_EXPORT bool EventTypeMatches(std::string_view pattern, std::string_view type) noexcept;

struct EventOptions {
  // Largest serialized payload accepted by Append. Default 256 KiB.
  std::size_t max_payload_bytes = std::size_t{256} << 10;
  // Source of `created_at`. Never null; must outlive the Events.
  Clock* clock = &SystemClock();
};

struct Event {
  std::int64_t sequence = 0;  // per tenant, from 1, no gaps
  std::string type{};
  std::string payload{};      // JSON text, as serialized by Append
  TimePoint created_at{};     // millisecond precision
  std::string request_id{};   // of the context that appended it
  std::string trace_id{};
};

struct EventQuery {
  std::int64_t after = 0;  // the cursor: only events with a larger sequence
  std::size_t limit = 100;  // 1..1000
  std::string type{};       // empty: all; else an event type pattern
};

struct EventPage {
  std::vector<Event> items{};  // ascending sequence
  // Pass as `after` to read on (it may lie past the last item when a
  // wildcard filter skipped events). A wildcard-filtered page may be short,
  // even empty, while `more` is set: keep reading while `more` is true.
  std::int64_t next_after = 0;
  bool more = false;  // more may follow at once; false: caught up
};

class TENANCY_EXPORT Events {
 public:
  // The migration that creates `outbox_events`, at `version` of the
  // application's Schema (both engines' spellings).
  static Migration SchemaMigration(int version);

  // REQUIRES: `store` outlives the Events and its schema includes
  // SchemaMigration (otherwise every call fails with kStorage).
  explicit Events(Store& store, EventOptions options = {});
  ~Events();
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  // Appends an event in the caller's transaction (the transaction's tenant)
  // and returns its sequence number. Errors: kInvalidArgument (bad type,
  // payload too large), kUnavailable (a concurrent append of the same tenant
  // won: retry the whole unit of work), kStorage.
  Result<std::int64_t> Append(Transaction& tx, std::string_view type,
                              const boost::json::value& payload) const;

  // The scope's tenant's events after `query.after`, ascending. Never
  // another tenant's. Errors: kInvalidArgument (limit, pattern, negative
  // cursor), kTenantUnknown, kStorage.
  Result<EventPage> Read(Scope scope, const EventQuery& query) const;

  // The tenant's last committed sequence (0 when it has none).
  Result<std::int64_t> LastSequence(Scope scope) const;

  // Retention: deletes up to `max_events` of the tenant's events created
  // before `older_than`, oldest first, but never the newest event (it
  // carries the sequence forward, so numbering never restarts under a
  // reader's cursor). Returns how many were deleted; call again while it
  // returns `max_events`.
  Result<std::int64_t> Prune(const TenantContext& ctx, TimePoint older_than,
                             std::size_t max_events = 1000) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenancy

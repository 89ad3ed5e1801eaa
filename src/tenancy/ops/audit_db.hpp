// The audit database: entries and heads in one SQLite file of their own.
//
//   tenancy_audit_entries (chain, seq) -> at_ms, actor, action, target,
//                                         outcome, code, request_id, details,
//                                         prev_hash, hash
//   tenancy_audit_heads   (chain) -> seq, hash, mac
//
// Both tables are STRICT (a hand-edited value of the wrong type is refused
// by SQLite itself) and WITHOUT ROWID (the key is the row).
//
// Two connections: the writer (appends, under the log's write lock) and the
// reader (reads, verification, export, under its own lock), so a long
// verification never holds up appends (WAL lets them run side by side).
//
// Thread safety: none; AuditLog serializes each connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ops/audit_chain.hpp"
#include "storage/sqlite/sqlite_connection.hpp"

namespace tenancy::detail::audit {

inline constexpr std::int64_t kAuditSchemaVersion = 1;

struct HeadRow {
  std::int64_t seq = 0;
  Digest hash{};
  std::string mac{};  // raw bytes; empty without a head key
};

struct StoredRecord {
  std::string chain;
  ChainRow row;
};

// A page request already checked against the scope.
struct PageSpec {
  std::optional<std::string> chain;  // one chain, or all
  std::string after_chain;           // all chains: resume after (after_chain, after_seq)
  std::int64_t after_seq = 0;
  std::size_t fetch = 0;             // rows to fetch (limit + 1)
  std::string action;                // exact
  std::string action_prefix;         // or prefix
  std::string actor_id;
  std::optional<std::int64_t> outcome;
  std::string request_id;
  std::optional<std::int64_t> from_ms, to_ms;
};

class AuditDb {
 public:
  static Result<std::unique_ptr<AuditDb>> Open(const std::string& path,
                                               std::chrono::milliseconds busy_timeout,
                                               bool sync_full);

  // -- writer connection --
  Result<std::optional<HeadRow>> LoadHead(const std::string& chain);
  // The last entry's (seq, hash), if any.
  Result<std::optional<std::pair<std::int64_t, Digest>>> LastEntry(const std::string& chain);
  // The entry and the new head, in one transaction.
  Result<void> Append(const std::string& chain, const ChainRow& row, std::string_view mac);

  // -- reader connection --
  // A deferred read transaction: every read until EndRead sees one snapshot.
  Result<void> BeginRead();
  void EndRead();
  Result<std::vector<ChainRow>> Fetch(const std::string& chain, std::int64_t from,
                                      std::size_t limit);
  Result<std::optional<HeadRow>> ReadHead(const std::string& chain);
  // Heads of one chain, or of all (ordered by chain).
  Result<std::vector<std::pair<std::string, HeadRow>>> Heads(const std::string* chain);
  // Chains that have entries or a head, ordered.
  Result<std::vector<std::string>> Chains();
  Result<std::vector<StoredRecord>> Page(const PageSpec& spec);

 private:
  AuditDb(std::unique_ptr<sqlite::SqliteConnection> writer,
          std::unique_ptr<sqlite::SqliteConnection> reader)
      : writer_(std::move(writer)), reader_(std::move(reader)) {}
  std::unique_ptr<sqlite::SqliteConnection> writer_;
  std::unique_ptr<sqlite::SqliteConnection> reader_;
};

}  // namespace tenancy::detail::audit

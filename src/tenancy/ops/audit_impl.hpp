// The state behind AuditLog: the database, and per chain the sequence
// number and hash its next entry links to.
//
// Lock order: a chain's mu → write_mu. read_mu is taken alone. Appends to
// one chain are serialized by its mu, held from reading the chain's end to
// publishing the new one; write_mu only covers the SQLite transaction, so
// other chains hash and validate meanwhile.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ops/audit_chain.hpp"
#include "ops/audit_db.hpp"
#include "tenancy/audit.hpp"

namespace tenancy::detail::audit {

// Checks an entry and returns its row with everything but the chain
// position (seq, prev, hash) and time filled in. kInvalidArgument naming the
// field.
Result<ChainRow> ValidateEntry(const AuditEntry& e);
// The public form of a stored row; kDataCorrupted for out-of-range values.
Result<AuditRecord> ToRecord(std::string_view chain, const ChainRow& row);

struct ChainState {
  std::mutex mu;
  bool loaded = false;  // seq and hash read from the database
  std::int64_t seq = 0;
  Digest hash{};
};

}  // namespace tenancy::detail::audit

namespace tenancy {

struct AuditLog::Impl {
  AuditOptions options;
  std::unique_ptr<detail::audit::AuditDb> db;

  std::mutex chains_mu;  // guards the map, not the states
  std::unordered_map<std::string, std::unique_ptr<detail::audit::ChainState>> chains;

  std::mutex write_mu;          // the writer connection
  mutable std::mutex read_mu;   // the reader connection

  detail::audit::ChainState& StateOf(const std::string& chain);
  // REQUIRES: the chain's mu. Reads the chain's end from the database and
  // checks that head and last entry agree.
  Result<void> Load(const std::string& chain, detail::audit::ChainState& state);
  // The head as the verifier sees it (MAC checked when a key is set).
  std::optional<detail::audit::HeadState> HeadStateOf(
      const std::string& chain, const std::optional<detail::audit::HeadRow>& row) const;
  // REQUIRES: read_mu.
  Result<AuditVerification> VerifyLocked(const AuditChain& chain,
                                         const std::optional<detail::audit::Checkpoint>& cp) const;
};

// A read transaction on the reader connection: one snapshot for the head
// and the entries. REQUIRES: read_mu held.
class AuditReadSnapshot {
 public:
  explicit AuditReadSnapshot(detail::audit::AuditDb& db) : db_(db) { ok_ = db_.BeginRead(); }
  ~AuditReadSnapshot() {
    if (ok_) db_.EndRead();
  }
  AuditReadSnapshot(const AuditReadSnapshot&) = delete;
  AuditReadSnapshot& operator=(const AuditReadSnapshot&) = delete;
  const Result<void>& status() const noexcept { return ok_; }

 private:
  detail::audit::AuditDb& db_;
  Result<void> ok_;
};

}  // namespace tenancy

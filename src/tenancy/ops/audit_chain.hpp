// The audit chain without storage: the canonical encoding and hashes of
// entries, genesis values and head MACs, and the verification walk with its
// diagnosis of what was tampered with. Shared by the database (AuditLog) and
// the offline check of an export (VerifyExport), so both judge alike.
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenancy/audit.hpp"

namespace tenancy::detail::audit {

using Digest = std::array<std::uint8_t, 32>;

// One stored entry as the verifier sees it: integers as stored (never
// range-checked before hashing, so an edited value fails the hash rather
// than the parser).
struct ChainRow {
  std::int64_t seq = 0;
  std::int64_t at_ms = 0;
  std::int64_t actor_kind = 0;
  std::string actor_id{};
  std::string action{};
  std::string target{};
  std::int64_t outcome = 0;
  std::string code{};
  std::string request_id{};
  std::string details{};
  Digest prev{};
  Digest hash{};
};

Digest Genesis(std::string_view chain);
// The hash of `row` as entry `seq` of `chain` (row.seq is not used, so a
// row can be tried at other positions).
Digest EntryHash(std::string_view chain, std::int64_t seq, const ChainRow& row);
// The keyed MAC of a head. REQUIRES: key.size() == kAuditHeadKeyBytes.
Digest HeadMac(std::span<const unsigned char> key, std::string_view chain, std::int64_t seq,
               const Digest& hash);

std::string Hex(const Digest& d);
// False unless `hex` is exactly 64 lowercase hex digits.
bool ParseHex(std::string_view hex, Digest& out);
// Constant-time equality (sodium_memcmp); hashes are public, but MACs are not.
bool Equal(const Digest& a, const Digest& b) noexcept;

// Rows with seq >= from, ordered by seq, at most `limit`.
using FetchRows = std::function<Result<std::vector<ChainRow>>(std::int64_t from, std::size_t limit)>;

struct HeadState {
  std::int64_t seq = 0;
  Digest hash{};
  bool authentic = true;  // false when its MAC does not verify
};

struct Checkpoint {
  std::int64_t seq = 0;
  Digest hash{};
};

// Walks the chain from entry 1 and stops at the first failure (see
// audit.hpp for the kinds). `head` empty: none recorded. Errors: those of
// `fetch`.
Result<AuditVerification> VerifyChain(std::string_view chain, const FetchRows& fetch,
                                      const std::optional<HeadState>& head,
                                      const std::optional<Checkpoint>& checkpoint);

}  // namespace tenancy::detail::audit

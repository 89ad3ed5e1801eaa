#include "ops/audit_chain.hpp"

#include <sodium.h>

#include <map>

namespace tenancy::detail::audit {
namespace {

// Domain tags: a hash of one kind can never be passed off as another.
constexpr std::string_view kEntryTag = "tenancy.audit.entry.v1";
constexpr std::string_view kGenesisTag = "tenancy.audit.genesis.v1";
constexpr std::string_view kHeadTag = "tenancy.audit.head.v1";

// Rows read per query while walking, and at most this many rows after a
// failure are examined to tell a reordering or insertion from a
// modification (beyond it the diagnosis says "modified").
constexpr std::size_t kPage = 512;
constexpr std::size_t kMaxTail = std::size_t{1} << 16;
// How far a renumbered deletion is looked for.
constexpr std::int64_t kMaxShift = 64;

// BLAKE2b-256 over an unambiguous encoding: every variable field is
// preceded by its length (8 bytes, big endian), every integer is 8 bytes
// big endian, so no two different entries encode alike.
class Hasher {
 public:
  explicit Hasher(std::span<const unsigned char> key = {}) {
    crypto_generichash_init(&state_, key.empty() ? nullptr : key.data(), key.size(),
                            crypto_generichash_BYTES);
  }
  void Int(std::int64_t v) {
    unsigned char b[8];
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) b[i] = static_cast<unsigned char>(u & 0xff);
    crypto_generichash_update(&state_, b, sizeof b);
  }
  void Field(std::string_view s) {
    Int(static_cast<std::int64_t>(s.size()));
    crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  }
  void Raw(const Digest& d) { crypto_generichash_update(&state_, d.data(), d.size()); }
  Digest Final() {
    Digest out{};
    crypto_generichash_final(&state_, out.data(), out.size());
    return out;
  }

 private:
  crypto_generichash_state state_{};
};

AuditVerification Found(std::string_view chain, AuditTamper t, std::int64_t seq,
                        std::int64_t through, std::int64_t entries, std::string message) {
  AuditVerification v;
  v.ok = false;
  v.chain = std::string(chain);
  v.tamper = t;
  v.seq = seq;
  v.verified_through = through < 0 ? 0 : through;
  v.entries = entries;
  v.message = "chain " + std::string(chain) + ": " + std::move(message);
  return v;
}

std::string N(std::int64_t n) { return std::to_string(n); }

bool IntactAt(std::string_view chain, std::int64_t seq, const ChainRow& r) {
  return Equal(EntryHash(chain, seq, r), r.hash);
}

// The entry at position `e` failed. `h` is the hash of entry e-1 (the
// genesis for e == 1), `before` the hash entry e-1 linked to. Reads the
// rows from position e on and names the likeliest tampering.
Result<AuditVerification> Diagnose(std::string_view chain, const FetchRows& fetch, std::int64_t e,
                                   const Digest& h, const std::optional<Digest>& before,
                                   std::int64_t entries) {
  auto fetched = fetch(e, kMaxTail);
  if (!fetched) return fetched.error();
  const auto& tail = *fetched;
  if (tail.empty()) return Fail(Errc::kInternal, "audit verification lost its failing row");
  const ChainRow& r = tail.front();

  // Intact, in place, but not linked to its predecessor: entry e-1 was
  // rewritten and given a fresh hash (which nothing else can notice).
  if (r.seq == e && IntactAt(chain, e, r) && !Equal(r.prev, h))
    return Found(chain, AuditTamper::kBrokenLink, e, e - 2, entries,
                 "entry " + N(e) + " does not link to entry " + N(e - 1) + ": entry " + N(e - 1) +
                     " was rewritten (its hash recomputed)");

  // Authentic as entry e-1, linking to what e-1 linked to: the row we took
  // for e-1 was slipped in ahead of it.
  if (e >= 2 && before && IntactAt(chain, e - 1, r) && Equal(r.prev, *before))
    return Found(chain, AuditTamper::kInserted, e - 1, e - 2, entries,
                 "entry " + N(e - 1) + " was inserted; the authentic entry " + N(e - 1) +
                     " follows it");

  // Follow the authentic chain from entry e-1 through the remaining rows by
  // their links, to learn where each authentic entry was written.
  std::multimap<Digest, std::size_t> by_prev;
  for (std::size_t i = 0; i < tail.size(); ++i) by_prev.emplace(tail[i].prev, i);
  std::optional<std::int64_t> r_written_as;
  bool authentic_e_exists = false;
  Digest cur = h;
  for (std::int64_t t = e; t - e < static_cast<std::int64_t>(tail.size()); ++t) {
    std::optional<std::size_t> next;
    auto [lo, hi] = by_prev.equal_range(cur);
    for (auto it = lo; it != hi && !next; ++it)
      if (IntactAt(chain, t, tail[it->second])) next = it->second;
    if (!next) break;
    if (t == e) authentic_e_exists = true;
    if (*next == 0) {
      r_written_as = t;
      break;
    }
    cur = tail[*next].hash;
  }
  if (r_written_as && *r_written_as != e)
    return Found(chain, AuditTamper::kReordered, e, e - 1, entries,
                 "entry " + N(e) + " holds the authentic entry " + N(*r_written_as) +
                     ": entries were reordered");
  if (r_written_as)  // authentic at e, yet it failed: only its sequence field was changed
    return Found(chain, AuditTamper::kModified, e, e - 1, entries,
                 "entry " + N(e) + " was modified (its sequence number)");
  if (authentic_e_exists)
    return Found(chain, AuditTamper::kInserted, e, e - 1, entries,
                 "entry " + N(e) + " was inserted; the authentic entry " + N(e) + " follows it");
  if (r.seq > e)
    return Found(chain, AuditTamper::kDeleted, e, e - 1, entries,
                 r.seq - e == 1 ? "entry " + N(e) + " was deleted"
                                : "entries " + N(e) + " to " + N(r.seq - 1) + " were deleted");
  for (std::int64_t d = 1; d <= kMaxShift; ++d)
    if (IntactAt(chain, e + d, r))
      return Found(chain, AuditTamper::kDeleted, e, e - 1, entries,
                   N(d) + " entr" + (d == 1 ? "y" : "ies") + " from " + N(e) +
                       " were deleted and later entries renumbered");
  return Found(chain, AuditTamper::kModified, e, e - 1, entries,
               "entry " + N(e) + " was modified (its content does not match its hash)");
}

}  // namespace

Digest Genesis(std::string_view chain) {
  Hasher h;
  h.Field(kGenesisTag);
  h.Field(chain);
  return h.Final();
}

Digest EntryHash(std::string_view chain, std::int64_t seq, const ChainRow& row) {
  Hasher h;
  h.Field(kEntryTag);
  h.Field(chain);
  h.Int(seq);
  h.Raw(row.prev);
  h.Int(row.at_ms);
  h.Int(row.actor_kind);
  h.Field(row.actor_id);
  h.Field(row.action);
  h.Field(row.target);
  h.Int(row.outcome);
  h.Field(row.code);
  h.Field(row.request_id);
  h.Field(row.details);
  return h.Final();
}

Digest HeadMac(std::span<const unsigned char> key, std::string_view chain, std::int64_t seq,
               const Digest& hash) {
  Hasher h(key);
  h.Field(kHeadTag);
  h.Field(chain);
  h.Int(seq);
  h.Raw(hash);
  return h.Final();
}

std::string Hex(const Digest& d) {
  char buf[2 * 32 + 1];
  sodium_bin2hex(buf, sizeof buf, d.data(), d.size());
  return std::string(buf, 2 * 32);
}

bool ParseHex(std::string_view hex, Digest& out) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  std::size_t len = 0;
  return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) ==
             0 &&
         len == out.size();
}

bool Equal(const Digest& a, const Digest& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<AuditVerification> VerifyChain(std::string_view chain, const FetchRows& fetch,
                                      const std::optional<HeadState>& head,
                                      const std::optional<Checkpoint>& checkpoint) {
  Digest h = Genesis(chain);
  std::optional<Digest> before;
  std::optional<Digest> at_head_seq;
  std::int64_t expect = 1;
  std::int64_t entries = 0;
  for (;;) {
    auto page = fetch(expect, kPage);
    if (!page) return page.error();
    for (const auto& r : *page) {
      ++entries;
      if (r.seq != expect || !IntactAt(chain, expect, r) || !Equal(r.prev, h))
        return Diagnose(chain, fetch, expect, h, before, entries);
      if (checkpoint && checkpoint->seq == expect && !Equal(r.hash, checkpoint->hash))
        return Found(chain, AuditTamper::kModified, expect, 0, entries,
                     "entry " + N(expect) +
                         " differs from the checkpoint: the chain was rewritten up to here");
      before = h;
      h = r.hash;
      if (head && head->seq == expect) at_head_seq = h;
      ++expect;
    }
    if (page->size() < kPage) break;
  }
  const std::int64_t n = expect - 1;
  if (checkpoint && checkpoint->seq > n)
    return Found(chain, AuditTamper::kTruncated, n + 1, n, entries,
                 "the chain ends at entry " + N(n) + ", before the checkpoint at " +
                     N(checkpoint->seq));
  if (!head) {
    if (n == 0) {
      AuditVerification ok;
      ok.chain = std::string(chain);
      return ok;
    }
    return Found(chain, AuditTamper::kBadHead, n, n, entries,
                 "the chain has entries but no head record");
  }
  if (!head->authentic)
    return Found(chain, AuditTamper::kBadHead, head->seq, std::min(n, head->seq), entries,
                 "the head record fails its MAC: it was altered");
  if (n < head->seq)
    return Found(chain, AuditTamper::kTruncated, n + 1, n, entries,
                 "the chain ends at entry " + N(n) + " but its head records " + N(head->seq) +
                     ": the tail was cut off");
  if (head->seq == 0) {
    if (n > 0 || !Equal(head->hash, Genesis(chain)))
      return Found(chain, AuditTamper::kInserted, 1, 0, entries,
                   "entries follow a head that records an empty chain");
  } else if (!at_head_seq || !Equal(*at_head_seq, head->hash)) {
    return Found(chain, AuditTamper::kModified, head->seq, head->seq - 1, entries,
                 "entry " + N(head->seq) +
                     " does not match the head: rewritten with its hash recomputed, or the "
                     "head was altered");
  } else if (n > head->seq) {
    return Found(chain, AuditTamper::kInserted, head->seq + 1, head->seq, entries,
                 "entries past the head (" + N(head->seq) +
                     ") were added outside the log, or the head was rolled back");
  }
  AuditVerification ok;
  ok.chain = std::string(chain);
  ok.verified_through = n;
  ok.entries = entries;
  return ok;
}

}  // namespace tenancy::detail::audit

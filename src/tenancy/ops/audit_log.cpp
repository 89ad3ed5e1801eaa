// AuditLog: opening, appending to a chain, scoped reads, heads and
// verification against the database.
#include <charconv>

#include "ops/audit_impl.hpp"

namespace tenancy {

using namespace detail::audit;

namespace {

constexpr std::size_t kMaxPage = 1000;

std::string ChainName(const AuditEntry& e) {
  return e.tenant ? e.tenant->str() : std::string(AuditChain::kPlatformName);
}

// Cursors are "<chain>:<seq>", the position of the last entry returned.
std::string MakeCursor(const AuditRecord& r) {
  return r.chain.name() + ":" + std::to_string(r.seq);
}

struct Cursor {
  AuditChain chain = AuditChain::Platform();
  std::int64_t seq = 0;
};

Result<Cursor> ParseCursor(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Fail(Errc::kInvalidArgument, "malformed audit cursor");
  auto chain = AuditChain::Parse(text.substr(0, colon));
  const auto digits = text.substr(colon + 1);
  std::int64_t seq = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (!chain || digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
      seq < 0)
    return Fail(Errc::kInvalidArgument, "malformed audit cursor");
  return Cursor{*chain, seq};
}

bool IsActionChars(std::string_view s) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::Open(AuditOptions options) {
  if (options.path.empty()) return Fail(Errc::kInvalidArgument, "audit path is empty");
  if (options.clock == nullptr) return Fail(Errc::kInvalidArgument, "audit clock is null");
  if (!options.head_key.empty() && options.head_key.size() != kAuditHeadKeyBytes)
    return Fail(Errc::kInvalidArgument, "audit head key must be 32 bytes");
  if (options.busy_timeout.count() < 0)
    return Fail(Errc::kInvalidArgument, "audit busy timeout is negative");
  auto db = AuditDb::Open(options.path, options.busy_timeout, options.sync_full);
  if (!db) return db.error();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->db = std::move(*db);
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(impl)));
}

ChainState& AuditLog::Impl::StateOf(const std::string& chain) {
  std::lock_guard lock(chains_mu);
  auto& slot = chains[chain];
  if (!slot) slot = std::make_unique<ChainState>();
  return *slot;  // states are never erased: the reference stays valid
}

std::optional<HeadState> AuditLog::Impl::HeadStateOf(const std::string& chain,
                                                     const std::optional<HeadRow>& row) const {
  if (!row) return std::nullopt;
  HeadState h;
  h.seq = row->seq;
  h.hash = row->hash;
  if (!options.head_key.empty()) {
    const Digest want = HeadMac(options.head_key.bytes(), chain, row->seq, row->hash);
    Digest got{};
    h.authentic = row->mac.size() == got.size();
    if (h.authentic) {
      std::copy(row->mac.begin(), row->mac.end(), got.begin());
      h.authentic = Equal(got, want);
    }
  }
  return h;
}

Result<void> AuditLog::Impl::Load(const std::string& chain, ChainState& state) {
  std::lock_guard lock(write_mu);
  auto head_row = db->LoadHead(chain);
  if (!head_row) return head_row.error();
  auto last = db->LastEntry(chain);
  if (!last) return last.error();
  const auto head = HeadStateOf(chain, *head_row);
  const auto corrupt = [&] {
    return Fail(Errc::kDataCorrupted, "the audit chain " + chain +
                                          " disagrees with its head; verify it before appending");
  };
  if (!head) {
    if (*last) return corrupt();
    state.seq = 0;
    state.hash = Genesis(chain);
  } else {
    if (!head->authentic) return corrupt();
    if (head->seq == 0 ? (*last || !Equal(head->hash, Genesis(chain)))
                       : (!*last || (*last)->first != head->seq ||
                          !Equal((*last)->second, head->hash)))
      return corrupt();
    state.seq = head->seq;
    state.hash = head->hash;
  }
  state.loaded = true;
  return {};
}

Result<AuditRecord> AuditLog::Append(const AuditEntry& entry) {
  auto row = ValidateEntry(entry);
  if (!row) return row.error();
  const std::string chain = ChainName(entry);
  ChainState& state = impl_->StateOf(chain);
  std::lock_guard chain_lock(state.mu);
  if (!state.loaded) {
    if (auto r = impl_->Load(chain, state); !r) return r.error();
  }
  row->seq = state.seq + 1;
  row->prev = state.hash;
  row->at_ms = ToUnixMillis(impl_->options.clock->Now());
  row->hash = EntryHash(chain, row->seq, *row);
  std::string mac;
  if (!impl_->options.head_key.empty()) {
    const Digest m = HeadMac(impl_->options.head_key.bytes(), chain, row->seq, row->hash);
    mac.assign(m.begin(), m.end());
  }
  {
    std::lock_guard write_lock(impl_->write_mu);
    if (auto r = impl_->db->Append(chain, *row, mac); !r) {
      state.loaded = false;  // re-read the end before the next try
      return r.error();
    }
  }
  state.seq = row->seq;
  state.hash = row->hash;
  return ToRecord(chain, *row);
}

Result<AuditPage> AuditLog::Read(const AuditScope& scope, const AuditQuery& query) const {
  if (query.limit < 1 || query.limit > kMaxPage)
    return Fail(Errc::kInvalidArgument, "audit page limit must be 1-1000");
  PageSpec spec;
  if (query.chain) {
    if (!scope.Covers(*query.chain))
      return Fail(Errc::kPermissionDenied, "the audit chain is outside the caller's scope");
    spec.chain = query.chain->name();
  } else if (!scope.is_operator()) {
    spec.chain = scope.tenant().str();
  }
  if (!query.after.empty()) {
    auto cursor = ParseCursor(query.after);
    if (!cursor) return cursor.error();
    if (!scope.Covers(cursor->chain))
      return Fail(Errc::kPermissionDenied, "the audit cursor is outside the caller's scope");
    if (spec.chain && cursor->chain.name() != *spec.chain)
      return Fail(Errc::kInvalidArgument, "the audit cursor belongs to another chain");
    spec.after_chain = cursor->chain.name();
    spec.after_seq = cursor->seq;
  }
  if (!query.action.empty()) {
    std::string_view a = query.action;
    if (a.back() == '*') {
      a.remove_suffix(1);
      if (a.empty() || a.back() != '.')
        return Fail(Errc::kInvalidArgument, "an audit action prefix ends in \".*\"");
    }
    if (a.size() > kMaxAuditActionBytes || !IsActionChars(a))
      return Fail(Errc::kInvalidArgument, "malformed audit action filter");
    if (a.back() == '.')
      spec.action_prefix = a;
    else
      spec.action = a;
  }
  spec.actor_id = query.actor_id;
  if (query.outcome) spec.outcome = static_cast<std::int64_t>(*query.outcome);
  spec.request_id = query.request_id;
  if (query.from) spec.from_ms = ToUnixMillis(*query.from);
  if (query.to) spec.to_ms = ToUnixMillis(*query.to);
  spec.fetch = query.limit + 1;

  Result<std::vector<StoredRecord>> rows = std::vector<StoredRecord>{};
  {
    std::lock_guard lock(impl_->read_mu);
    rows = impl_->db->Page(spec);
  }
  if (!rows) return rows.error();
  AuditPage page;
  for (const auto& stored : *rows) {
    if (page.items.size() == query.limit) {
      page.next_cursor = MakeCursor(page.items.back());
      break;
    }
    auto rec = ToRecord(stored.chain, stored.row);
    if (!rec) return rec.error();
    // The query already confines the rows; this makes a stray row a loud
    // failure instead of another tenant's history on an admin's screen.
    if (!scope.Covers(rec->chain))
      return Fail(Errc::kInternal, "an audit query returned an entry outside its scope");
    page.items.push_back(std::move(*rec));
  }
  return page;
}

Result<AuditVerification> AuditLog::Impl::VerifyLocked(const AuditChain& chain,
                                                       const std::optional<Checkpoint>& cp) const {
  const std::string name = chain.name();
  AuditReadSnapshot snapshot(*db);
  if (!snapshot.status()) return snapshot.status().error();
  auto head_row = db->ReadHead(name);
  if (!head_row) return head_row.error();
  FetchRows fetch = [&](std::int64_t from, std::size_t limit) {
    return db->Fetch(name, from, limit);
  };
  return VerifyChain(name, fetch, HeadStateOf(name, *head_row), cp);
}

Result<AuditVerification> AuditLog::Verify(const AuditChain& chain) const {
  std::lock_guard lock(impl_->read_mu);
  return impl_->VerifyLocked(chain, std::nullopt);
}

Result<AuditVerification> AuditLog::Verify(const AuditChain& chain,
                                           const AuditHead& checkpoint) const {
  if (!(checkpoint.chain == chain))
    return Fail(Errc::kInvalidArgument, "the checkpoint belongs to another chain");
  Checkpoint cp;
  cp.seq = checkpoint.seq;
  if (cp.seq < 0 || !ParseHex(checkpoint.hash, cp.hash))
    return Fail(Errc::kInvalidArgument, "malformed audit checkpoint");
  std::lock_guard lock(impl_->read_mu);
  if (cp.seq == 0) {
    if (!Equal(cp.hash, Genesis(chain.name())))
      return Fail(Errc::kInvalidArgument, "the checkpoint of an empty chain is its genesis value");
    return impl_->VerifyLocked(chain, std::nullopt);
  }
  return impl_->VerifyLocked(chain, cp);
}

Result<std::vector<AuditHead>> AuditLog::Heads(const AuditScope& scope) const {
  const std::string own = scope.is_operator() ? std::string() : scope.tenant().str();
  Result<std::vector<std::pair<std::string, HeadRow>>> rows =
      std::vector<std::pair<std::string, HeadRow>>{};
  {
    std::lock_guard lock(impl_->read_mu);
    rows = impl_->db->Heads(scope.is_operator() ? nullptr : &own);
  }
  if (!rows) return rows.error();
  std::vector<AuditHead> out;
  for (const auto& [name, row] : *rows) {
    auto chain = AuditChain::Parse(name);
    if (!chain) return Fail(Errc::kDataCorrupted, "the audit database holds a malformed head");
    if (!scope.Covers(*chain)) continue;
    out.push_back({*chain, row.seq, Hex(row.hash)});
  }
  return out;
}

std::string AuditGenesis(const AuditChain& chain) { return Hex(Genesis(chain.name())); }

}  // namespace tenancy

// MemoryLogSink: a bounded ring of lines per tenant, one for platform lines,
// evicting the least recently written tenant past max_tenants.
//
// One mutex guards everything: a write is a few pointer moves and one
// string copy, and reads copy out what they return. A tenant's read looks
// at that tenant's ring only; the operator's ReadAll merges the rings by
// their global sequence numbers.
#include <algorithm>
#include <deque>
#include <list>
#include <queue>
#include <unordered_map>

#include "tenancy/log.hpp"

namespace tenancy {
namespace {

struct Entry {
  std::uint64_t seq;         // global
  std::uint64_t tenant_seq;  // within the ring
  LogLevel level;
  std::string text;
};

struct Ring {
  std::deque<Entry> entries;
  std::size_t bytes = 0;
  std::uint64_t last_seq = 0;  // the ring's last tenant_seq handed out
  std::uint64_t dropped = 0;
  std::list<std::string>::iterator lru{};
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

std::size_t Charge(const Entry& e) noexcept { return e.text.size() + kLogLineOverhead; }

}  // namespace

struct MemoryLogSink::Impl {
  MemoryLogOptions options;
  mutable std::mutex mu;
  std::unordered_map<std::string, Ring, StringHash, std::equal_to<>> rings;
  std::list<std::string> lru;  // tenants, least recently written first
  Ring platform;
  std::uint64_t seq = 0;
  std::size_t lines = 0;
  std::size_t bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t evicted_tenants = 0;

  void DropFront(Ring& ring) {
    const Entry& e = ring.entries.front();
    ring.bytes -= Charge(e);
    bytes -= Charge(e);
    --lines;
    ++ring.dropped;
    ++dropped;
    ring.entries.pop_front();
  }

  void EvictLeastRecent() {
    auto it = rings.find(lru.front());
    Ring& ring = it->second;
    lines -= ring.entries.size();
    bytes -= ring.bytes;
    dropped += ring.entries.size();
    ++evicted_tenants;
    lru.pop_front();
    rings.erase(it);
  }

  Ring& RingOf(std::string_view tenant) {
    if (tenant.empty()) return platform;
    if (auto it = rings.find(tenant); it != rings.end()) {
      lru.splice(lru.end(), lru, it->second.lru);  // most recent now
      return it->second;
    }
    if (rings.size() >= options.max_tenants) EvictLeastRecent();
    auto [it, inserted] = rings.try_emplace(std::string(tenant));
    (void)inserted;
    it->second.lru = lru.insert(lru.end(), it->first);
    return it->second;
  }

  void Append(const LogLine& line) {
    Ring& ring = RingOf(line.tenant);
    const bool is_platform = line.tenant.empty();
    const std::size_t max_lines =
        is_platform ? options.max_platform_lines : options.max_lines_per_tenant;
    const std::size_t max_bytes =
        is_platform ? options.max_platform_bytes : options.max_bytes_per_tenant;
    ++seq;
    ++ring.last_seq;
    // A line larger than the whole budget is dropped alone, rather than
    // pushing every older line out before it goes too.
    if (line.text.size() + kLogLineOverhead > max_bytes) {
      ++ring.dropped;
      ++dropped;
      return;
    }
    ring.entries.push_back(Entry{seq, ring.last_seq, line.level, std::string(line.text)});
    const std::size_t charge = Charge(ring.entries.back());
    ring.bytes += charge;
    bytes += charge;
    ++lines;
    while (ring.entries.size() > max_lines || ring.bytes > max_bytes) DropFront(ring);
  }
};

MemoryLogSink::MemoryLogSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MemoryLogSink::~MemoryLogSink() = default;

Result<std::shared_ptr<MemoryLogSink>> MemoryLogSink::Create(MemoryLogOptions options) {
  constexpr std::size_t kMaxCount = 1'000'000;
  constexpr std::size_t kMaxBytes = std::size_t{1} << 30;
  if (options.max_lines_per_tenant < 1 || options.max_lines_per_tenant > kMaxCount ||
      options.max_tenants < 1 || options.max_tenants > kMaxCount ||
      options.max_platform_lines < 1 || options.max_platform_lines > kMaxCount)
    return Fail(Errc::kInvalidArgument, "memory log line and tenant bounds must be 1 to 1,000,000");
  if (options.max_bytes_per_tenant <= kLogLineOverhead || options.max_bytes_per_tenant > kMaxBytes ||
      options.max_platform_bytes <= kLogLineOverhead || options.max_platform_bytes > kMaxBytes)
    return Fail(Errc::kInvalidArgument, "memory log byte bounds must be 65 bytes to 1 GiB");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  return std::shared_ptr<MemoryLogSink>(new MemoryLogSink(std::move(impl)));
}

void MemoryLogSink::Write(const LogLine& line) noexcept {
  try {
    std::lock_guard lock(impl_->mu);
    impl_->Append(line);
  } catch (...) {
    // Out of memory: the line is not kept.
  }
}

namespace {

Result<void> CheckLimit(std::size_t limit) {
  if (limit == 0 || limit > kMaxLogReadLimit)
    return Fail(Errc::kInvalidArgument, "a log read limit is 1 to 10000");
  return {};
}

}  // namespace

Result<LogPage> MemoryLogSink::Read(const TenantId& tenant, std::uint64_t after,
                                    std::size_t limit) const {
  if (tenant.empty()) return Fail(Errc::kInvalidArgument, "reading logs needs a tenant id");
  if (auto r = CheckLimit(limit); !r) return r.error();
  LogPage page;
  page.next = after;
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->rings.find(tenant.str());
  if (it == impl_->rings.end()) {
    page.restarted = after > 0;
    return page;
  }
  const Ring& ring = it->second;
  page.dropped = ring.dropped;
  if (after > ring.last_seq) {
    page.restarted = true;
    return page;
  }
  auto first = std::partition_point(ring.entries.begin(), ring.entries.end(),
                                    [&](const Entry& e) { return e.tenant_seq <= after; });
  for (auto e = first; e != ring.entries.end() && page.records.size() < limit; ++e) {
    page.records.push_back(LogRecord{e->tenant_seq, e->level, e->text});
    page.next = e->tenant_seq;
  }
  return page;
}

Result<LogPage> MemoryLogSink::ReadAll(std::uint64_t after, std::size_t limit) const {
  if (auto r = CheckLimit(limit); !r) return r.error();
  LogPage page;
  page.next = after;
  std::lock_guard lock(impl_->mu);
  page.dropped = impl_->dropped;
  // A k-way merge of the rings' remaining parts by global sequence.
  using Cursor = std::pair<std::deque<Entry>::const_iterator, std::deque<Entry>::const_iterator>;
  const auto later = [](const Cursor& a, const Cursor& b) { return a.first->seq > b.first->seq; };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(later)> heap(later);
  const auto add = [&](const Ring& ring) {
    auto first = std::partition_point(ring.entries.begin(), ring.entries.end(),
                                      [&](const Entry& e) { return e.seq <= after; });
    if (first != ring.entries.end()) heap.push({first, ring.entries.end()});
  };
  add(impl_->platform);
  for (const auto& [id, ring] : impl_->rings) add(ring);
  while (!heap.empty() && page.records.size() < limit) {
    Cursor c = heap.top();
    heap.pop();
    page.records.push_back(LogRecord{c.first->seq, c.first->level, c.first->text});
    page.next = c.first->seq;
    if (++c.first != c.second) heap.push(c);
  }
  return page;
}

MemoryLogStats MemoryLogSink::stats() const {
  std::lock_guard lock(impl_->mu);
  return MemoryLogStats{impl_->rings.size(), impl_->lines, impl_->bytes, impl_->dropped,
                        impl_->evicted_tenants};
}

}  // namespace tenancy

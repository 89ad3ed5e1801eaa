// Storage bytes per tenant: each live tenant's backup stream, counted.
//
// The size of a tenant's portable backup (its rows in every table, its
// configuration overrides and wrapped keys) measures its data the same way
// in every model and engine the backup supports, without the server
// knowing where the store keeps files. It reads the tenant's rows, so it
// runs in the background every storage_refresh_interval, never per
// request; PostgreSQL tenants (no backup yet) are counted as failed and keep
// their last figure.
//
// What a pass measures: streaming a backup costs milliseconds, and a
// directory of 100,000 mostly dormant tenants made every pass minutes of
// CPU. So a pass measures every tenant that made a request since this
// process started (its data may have changed), and of the others — whose
// data changes only by background work such as webhook deliveries, or not
// at all — only a paced share: those never measured or measured more than
// kDormantRemeasure ago, at most live × interval / kDormantRemeasure of them
// per pass (in id order, so the share moves through the directory). A
// dormant tenant's figure is therefore at most about a day old. The pass
// checks the stop flag between tenants, so a shutdown never waits for it.
#include <chrono>
#include <mutex>
#include <ostream>
#include <streambuf>

#include "observability/observability.hpp"

namespace tenancyd {

namespace {

// A stream buffer that keeps nothing and counts what it is given.
class CountingBuffer final : public std::streambuf {
 public:
  std::uint64_t count() const noexcept { return count_; }

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) ++count_;
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char*, std::streamsize n) override {
    count_ += static_cast<std::uint64_t>(n);
    return n;
  }

 private:
  std::uint64_t count_ = 0;
};

}  // namespace

bool Observability::StopRequested() {
  std::lock_guard lock(thread_mu_);
  return stopping_;
}

tenancy::Result<StoragePass> Observability::RefreshStorage() {
  std::lock_guard pass_lock(storage_mu_);
  StoragePass pass;
  const std::int64_t now = NowMillis();
  const std::int64_t remeasure_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(kDormantRemeasure).count();
  // The dormant share of this pass; everything when passes are a day apart
  // or more (or only run by hand: interval zero).
  const auto interval = parts_.options.storage_refresh_interval;
  std::size_t dormant_budget = parts_.directory->live_count();
  if (interval.count() > 0 && interval < kDormantRemeasure) {
    const auto ms = static_cast<std::size_t>(interval.count());
    dormant_budget = (dormant_budget * ms + static_cast<std::size_t>(remeasure_ms) - 1) /
                     static_cast<std::size_t>(remeasure_ms);
  }
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  auto walked = parts_.directory->ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    if (StopRequested()) {
      pass.stopped = true;
      return false;
    }
    if (!t.IsLive() && t.state != tenancy::TenantState::kSuspended) return true;
    TenantStats* stats = stats_.Find(t.id);
    if (stats == nullptr) {
      // Dormant since the start: measure it when its figure is missing or
      // old, within this pass's share.
      std::int64_t measured_ms = 0, bytes = -1;
      {
        std::lock_guard lock(book_mu_);
        if (auto it = book_.tenants.find(t.id); it != book_.tenants.end()) {
          measured_ms = it->second.storage_measured_ms;
          bytes = it->second.storage_bytes;
        }
      }
      if ((bytes >= 0 && now - measured_ms < remeasure_ms) || dormant_budget == 0) {
        ++pass.skipped;
        return true;
      }
      --dormant_budget;
    }
    CountingBuffer counter;
    std::ostream out(&counter);
    auto info = parts_.backup->Write(t.id, out);
    if (!info) {
      ++pass.failed;
      return true;
    }
    const auto bytes = static_cast<std::int64_t>(counter.count());
    {
      std::lock_guard lock(book_mu_);
      TenantActivity& a = book_.tenants[t.id];
      a.storage_bytes = bytes;
      a.storage_measured_ms = now;
      book_dirty_ = true;
    }
    // The gauge moves by the difference, so a row shared by tenants past
    // the metrics' cap (`_overflow`) holds their sum. Only tenants that
    // made requests since the start have cells: a dormant tenant takes no
    // row from an active one.
    if (stats != nullptr) {
      const std::int64_t shown = stats->storage_shown.exchange(bytes, std::memory_order_relaxed);
      stats->cells.storage_bytes->Add(static_cast<double>(bytes - shown));
    }
    ++pass.measured;
    return true;
  });
  if (!walked) return walked.error();
  return pass;
}

}  // namespace tenancyd

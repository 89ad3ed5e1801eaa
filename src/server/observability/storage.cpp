// Storage bytes per tenant: each live tenant's backup stream, counted.
//
// The size of a tenant's portable backup (its rows in every table, its
// configuration overrides and wrapped keys) measures its data the same way
// in every model and engine the backup supports, without the server
// knowing where the store keeps files. It reads the tenant's rows, so it
// runs in the background every storage_refresh_interval, never per
// request; PostgreSQL tenants (no backup yet) are counted as failed and keep
// their last figure.
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

tenancy::Result<StoragePass> Observability::RefreshStorage() {
  std::lock_guard pass_lock(storage_mu_);
  StoragePass pass;
  tenancy::TenantFilter filter;
  filter.limit = 1000;
  auto walked = parts_.directory->ForEachTenant(filter, [&](const tenancy::Tenant& t) {
    if (!t.IsLive() && t.state != tenancy::TenantState::kSuspended) return true;
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
      a.storage_measured_ms = NowMillis();
      book_dirty_ = true;
    }
    // The gauge moves by the difference, so a row shared by tenants past
    // the metrics' cap (`_overflow`) holds their sum. Only tenants that
    // made requests since the start have cells: a dormant tenant takes no
    // row from an active one.
    if (TenantStats* s = stats_.Find(t.id)) {
      const std::int64_t shown = s->storage_shown.exchange(bytes, std::memory_order_relaxed);
      s->cells.storage_bytes->Add(static_cast<double>(bytes - shown));
    }
    ++pass.measured;
    return true;
  });
  if (!walked) return walked.error();
  return pass;
}

}  // namespace tenancyd

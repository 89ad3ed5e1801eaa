#include "tenancy/clock.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace tenancy {
namespace {

class WallClock final : public Clock {
 public:
  TimePoint Now() const noexcept override { return std::chrono::system_clock::now(); }
};

}  // namespace

Clock::~Clock() = default;

Clock& SystemClock() noexcept {
  static WallClock clock;
  return clock;
}

struct TickingClock::Ticker {
  std::mutex mu;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;
};

TickingClock::TickingClock(std::chrono::microseconds resolution)
    : now_ns_(std::chrono::system_clock::now().time_since_epoch().count()), ticker_(new Ticker) {
  if (resolution <= std::chrono::microseconds::zero()) resolution = std::chrono::milliseconds{1};
  ticker_->thread = std::thread([this, resolution] {
    std::unique_lock lock(ticker_->mu);
    while (!ticker_->wake.wait_for(lock, resolution, [this] { return ticker_->stop; }))
      now_ns_.store(std::chrono::system_clock::now().time_since_epoch().count(),
                    std::memory_order_relaxed);
  });
}

TickingClock::~TickingClock() {
  {
    std::lock_guard lock(ticker_->mu);
    ticker_->stop = true;
  }
  ticker_->wake.notify_one();
  ticker_->thread.join();
  delete ticker_;
}

}  // namespace tenancy

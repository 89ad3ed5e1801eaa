#include "tenancy/clock.hpp"

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

}  // namespace tenancy

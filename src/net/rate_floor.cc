#include "net/rate_floor.h"

#include <algorithm>
#include <numeric>

namespace sfs::net {
namespace {

using std::chrono::milliseconds;

// bytes_per_second × window without overflow for any rate a flag allows
// (the product is computed from whole seconds and the rest apart).
std::uint64_t bytes_over(std::uint64_t bytes_per_second, RateFloor::Clock::duration window) {
  const auto ms = static_cast<std::uint64_t>(
      std::max<std::int64_t>(std::chrono::duration_cast<milliseconds>(window).count(), 0));
  return bytes_per_second * (ms / 1000) + bytes_per_second * (ms % 1000) / 1000;
}

}  // namespace

RateFloor::RateFloor(std::uint64_t bytes_per_second, Clock::duration window)
    : bytes_per_second_(bytes_per_second),
      window_(std::max<Clock::duration>(window, Clock::duration::zero())),
      slot_(std::max<Clock::duration>(window_ / kSlots, milliseconds(1))),
      floor_bytes_(bytes_over(bytes_per_second, window_)) {}

void RateFloor::start(Clock::time_point now, std::uint64_t moved) {
  start_ = now;
  last_moved_ = moved;
  last_slot_ = 0;
  ring_.fill(0);
}

bool RateFloor::keeps_up(Clock::time_point now, std::uint64_t moved) {
  if (!enabled()) {
    return true;
  }
  const Clock::duration elapsed = std::max(now - start_, Clock::duration::zero());
  const std::int64_t slot = elapsed / slot_;
  // The slots passed over since the last call saw nothing (at most all of them).
  for (std::int64_t s = last_slot_ + 1; s <= slot && s <= last_slot_ + kRing; ++s) {
    ring_[static_cast<std::size_t>(s % kRing)] = 0;
  }
  last_slot_ = std::max(last_slot_, slot);
  ring_[static_cast<std::size_t>(last_slot_ % kRing)] += moved - last_moved_;
  last_moved_ = moved;
  if (elapsed < window_) {
    return true;  // the first window is free
  }
  const std::uint64_t recent = std::accumulate(ring_.begin(), ring_.end(), std::uint64_t{0});
  return recent >= floor_bytes_;
}

}  // namespace sfs::net

#pragma once
// A minimum transfer rate, as Apache's mod_reqtimeout MinRate or nginx's
// send_timeout do it for HTTP bodies: a transfer is too slow once the bytes
// it moved during the last `window` are fewer than `bytes_per_second` times
// the window. The first window after start() is free. Bytes are counted in
// slots of 1/kSlots of the window, so the last window is measured to within
// one slot (a little longer, never shorter).
//
//   RateFloor floor(1024, 60s);          // 1 KiB/s averaged over 60 s
//   floor.start(now, channel_bytes);
//   ... every tick():
//   if (!floor.keeps_up(Clock::now(), channel_bytes)) end_the_transfer();
//
// Pure logic: the caller supplies the clock and a running count of bytes.

#include <array>
#include <chrono>
#include <cstdint>

namespace sfs::net {

class RateFloor {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kSlots = 16;

  // 0 bytes per second: no floor, keeps_up() is always true.
  RateFloor(std::uint64_t bytes_per_second, Clock::duration window);

  // Starts measuring at `now`; `moved` is the running count at that time.
  void start(Clock::time_point now, std::uint64_t moved);

  // Notes the running count `moved` at `now` (not earlier than the last
  // call) and returns false once a whole window has passed since start()
  // and the last window moved fewer than the floor's bytes.
  bool keeps_up(Clock::time_point now, std::uint64_t moved);

  // How often keeps_up() should be called for the slots to be right: one
  // slot.
  Clock::duration slot() const { return slot_; }
  bool enabled() const { return bytes_per_second_ > 0; }
  std::uint64_t bytes_per_second() const { return bytes_per_second_; }
  Clock::duration window() const { return window_; }

 private:
  // One more slot than the window holds: the slot being filled is partial.
  static constexpr int kRing = kSlots + 1;

  std::uint64_t bytes_per_second_;
  Clock::duration window_;
  Clock::duration slot_;
  std::uint64_t floor_bytes_;  // bytes_per_second × window
  Clock::time_point start_;
  std::uint64_t last_moved_ = 0;
  std::int64_t last_slot_ = 0;
  std::array<std::uint64_t, kRing> ring_{};
};

}  // namespace sfs::net

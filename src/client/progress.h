#pragma once
// A one-line progress display on stderr (bytes, percent, rate, ETA), drawn
// only when stderr is a terminal and at most ten times a second.

#include <chrono>
#include <cstdint>
#include <string>

namespace sfs::client {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(std::uint64_t done);

 private:
  void draw(std::uint64_t done);

  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.5 MiB", "312 B"
std::string human_bytes(double bytes);

}  // namespace sfs::client

#include "client/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace sfs::client {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && drawn_) {
    draw(done_);
    std::fputc('\n', stderr);
  }
}

void ProgressBar::update(std::uint64_t done) {
  done_ = done;
  if (!enabled_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) {
    return;
  }
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(std::uint64_t done) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double percent =
      total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100;
  std::string eta = "--:--";
  if (rate > 0 && done < total_) {
    const auto left = static_cast<long>(static_cast<double>(total_ - done) / rate);
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  } else if (done >= total_) {
    eta = "0:00";
  }
  std::fprintf(stderr, "\r%s  %s / %s  %3.0f%%  %s/s  ETA %s\033[K", label_.c_str(),
               human_bytes(static_cast<double>(done)).c_str(),
               human_bytes(static_cast<double>(total_)).c_str(), percent, human_bytes(rate).c_str(),
               eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace sfs::client

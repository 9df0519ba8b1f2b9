#include "client/tree_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "client/progress.h"

namespace sfs::client {

TreeProgress::TreeProgress(std::string label, std::uint64_t files, std::uint64_t bytes)
    : label_(std::move(label)),
      total_files_(files),
      total_bytes_(bytes),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

TreeProgress::~TreeProgress() {
  if (enabled_ && drawn_) {
    draw(true);
    std::fputc('\n', stderr);
  }
}

void TreeProgress::update(std::uint64_t current) {
  current_ = current;
  draw(false);
}

void TreeProgress::file_done(std::uint64_t size) {
  ++files_done_;
  bytes_done_ += size;
  current_ = 0;
  draw(files_done_ == total_files_);
}

std::string TreeProgress::line(double seconds) const {
  const std::uint64_t done = bytes_done_ + current_;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double percent = total_bytes_ > 0
                             ? 100.0 * static_cast<double>(done) / static_cast<double>(total_bytes_)
                             : (total_files_ > 0 ? 100.0 * static_cast<double>(files_done_) /
                                                       static_cast<double>(total_files_)
                                                 : 100.0);
  std::string eta = "--:--";
  if (done >= total_bytes_ && files_done_ >= total_files_) {
    eta = "0:00";
  } else if (rate > 0 && done < total_bytes_) {
    const auto left = static_cast<long>(static_cast<double>(total_bytes_ - done) / rate);
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  }
  return fmt::format("{}  {}/{} files  {} / {}  {:3.0f}%  {}/s  ETA {}", label_, files_done_,
                     total_files_, human_bytes(static_cast<double>(done)),
                     human_bytes(static_cast<double>(total_bytes_)), percent, human_bytes(rate),
                     eta);
}

void TreeProgress::draw(bool force) {
  if (!enabled_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r%s\033[K", line(seconds).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace sfs::client

#pragma once
// One progress line on stderr for a transfer of many files (put -r, get -r):
// files done/total, bytes done/total, percent, rate and ETA. Drawn only when
// stderr is a terminal, at most ten times a second.
//
//   TreeProgress p("put -r photos", files, bytes);
//   p.update(bytes_of_current_file);   // while a file moves
//   p.file_done(size_of_that_file);    // after it (done or failed)

#include <chrono>
#include <cstdint>
#include <string>

namespace sfs::client {

class TreeProgress {
 public:
  TreeProgress(std::string label, std::uint64_t files, std::uint64_t bytes);
  ~TreeProgress();
  TreeProgress(const TreeProgress&) = delete;
  TreeProgress& operator=(const TreeProgress&) = delete;

  // Bytes done so far of the file now moving.
  void update(std::uint64_t current);
  // The file now moving is over; `size` of it counts as done.
  void file_done(std::uint64_t size);

  // The line as it would be drawn (for tests).
  std::string line(double seconds) const;

 private:
  void draw(bool force);

  std::string label_;
  std::uint64_t total_files_;
  std::uint64_t total_bytes_;
  std::uint64_t files_done_ = 0;
  std::uint64_t bytes_done_ = 0;  // of finished files
  std::uint64_t current_ = 0;     // of the file now moving
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace sfs::client

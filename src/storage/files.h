#pragma once
// Open files of a user's tree: a snapshot for reading, and an upload that
// becomes visible only when committed.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sfs::storage {

// A regular file opened for reading. Its content stays the one that was
// opened even if the name is replaced or deleted meanwhile.
class ReadFile {
 public:
  ReadFile(UniqueFd fd, std::uint64_t size) : fd_(std::move(fd)), size_(size) {}

  std::uint64_t size() const { return size_; }
  // Reads up to `length` bytes at `offset`; returns the count (0 at end).
  Result<std::size_t> read_at(char* data, std::size_t length, std::uint64_t offset) const;

 private:
  UniqueFd fd_;
  std::uint64_t size_;
};

// An upload in progress: data goes to a hidden temp file beside the target.
// commit() fsyncs it and renames it over the target; destroying an
// uncommitted upload removes the temp file, so nothing half-written remains.
class Upload {
 public:
  Upload(UniqueFd dir, UniqueFd file, std::string temp_name, std::string target_name);
  Upload(Upload&&) noexcept = default;
  Upload& operator=(Upload&&) noexcept = delete;
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;
  ~Upload();

  Result<void> write(const char* data, std::size_t length);
  Result<void> commit();
  void abort();

 private:
  UniqueFd dir_;
  UniqueFd file_;
  std::string temp_name_;
  std::string target_name_;
  bool done_ = false;
};

}  // namespace sfs::storage

#pragma once
// Local files of the client: reading an upload's source, and writing a
// download to a hidden temp file beside the target that replaces it only
// once complete, so a local file is never clobbered by a partial download.

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sfs::client {

class LocalSource {
 public:
  // kNotFound / kLocal with a clear message; refuses directories.
  static Result<LocalSource> open(const std::filesystem::path& path);
  std::uint64_t size() const { return size_; }
  Result<std::size_t> read(char* data, std::size_t max);

 private:
  LocalSource(UniqueFd fd, std::uint64_t size) : fd_(std::move(fd)), size_(size) {}
  UniqueFd fd_;
  std::uint64_t size_;
};

class LocalDownload {
 public:
  static Result<LocalDownload> create(const std::filesystem::path& target);
  LocalDownload(LocalDownload&&) noexcept = default;
  LocalDownload& operator=(LocalDownload&&) noexcept = delete;
  ~LocalDownload();

  Result<void> write(const char* data, std::size_t length);
  // fsyncs and renames the temp file over the target.
  Result<void> commit();

 private:
  LocalDownload(UniqueFd fd, std::filesystem::path temp, std::filesystem::path target)
      : fd_(std::move(fd)), temp_(std::move(temp)), target_(std::move(target)) {}
  UniqueFd fd_;
  std::filesystem::path temp_;
  std::filesystem::path target_;
  bool done_ = false;
};

}  // namespace sfs::client

#pragma once
// Local files of the client: reading an upload's source, and writing a
// download to a hidden partial file beside the target that replaces it only
// once complete and verified, so a local file is never clobbered by a
// partial or unverified download.

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sfs::client {

class LocalSource {
 public:
  // kNotFound / kLocal with a clear message; refuses directories, and with
  // `follow_links` false a symlink too (open with O_NOFOLLOW: one call
  // where an lstat first would be two).
  static Result<LocalSource> open(const std::filesystem::path& path, bool follow_links = true);
  std::uint64_t size() const { return static_cast<std::uint64_t>(status_.st_size); }
  // The file's modification time, seconds since the epoch.
  std::int64_t mtime() const { return status_.st_mtim.tv_sec; }
  // fstat's answer at the open, and when the open began (CLOCK_REALTIME):
  // LocalDigests remembers a digest only for a file changed well before it.
  const struct stat& status() const { return status_; }
  const struct timespec& opened_at() const { return opened_at_; }
  Result<std::size_t> read(char* data, std::size_t max);
  // Continues reading at `offset`.
  Result<void> seek(std::uint64_t offset);

 private:
  LocalSource(UniqueFd fd, const struct stat& status, const struct timespec& opened_at)
      : fd_(std::move(fd)), status_(status), opened_at_(opened_at) {}
  UniqueFd fd_;
  struct stat status_;
  struct timespec opened_at_;
};

// A download in progress, in ".<name>.sfs-part" beside the target. The
// partial file records (in an extended attribute) the digest of the remote
// file it is a prefix of, so an interrupted download can resume.
class LocalDownload {
 public:
  // Opens or creates the partial file and locks it; kLocal when another
  // download to the same target is running. Without `resume`, it starts
  // empty.
  static Result<LocalDownload> open(const std::filesystem::path& target, bool resume);
  LocalDownload(LocalDownload&&) noexcept = default;
  LocalDownload& operator=(LocalDownload&&) noexcept = delete;
  ~LocalDownload();

  // Bytes held from an earlier attempt, and the digest of the file they
  // came from (empty when unknown: then nothing can be resumed).
  std::uint64_t held() const { return held_; }
  const std::string& recorded_digest() const { return digest_; }
  Result<std::size_t> read_at(char* data, std::size_t length, std::uint64_t offset) const;
  // Drops everything after `offset`; writing continues there.
  Result<void> continue_at(std::uint64_t offset);
  void record_digest(const std::string& hex);
  Result<void> write(const char* data, std::size_t length);
  // Gives the file the mode a new file gets here (0666 minus the umask, as
  // cp and scp without -p do) and, when given, the modification time
  // `mtime` (seconds since the epoch); then fsyncs and renames it over the
  // target.
  Result<void> commit(std::optional<std::int64_t> mtime = std::nullopt);
  // Leaves the partial file for a later resume instead of removing it.
  void keep() { keep_ = true; }

 private:
  LocalDownload(UniqueFd fd, std::filesystem::path partial, std::filesystem::path target)
      : fd_(std::move(fd)), partial_(std::move(partial)), target_(std::move(target)) {}
  UniqueFd fd_;
  std::filesystem::path partial_;
  std::filesystem::path target_;
  std::uint64_t held_ = 0;
  std::string digest_;
  bool keep_ = false;
  bool done_ = false;
};

}  // namespace sfs::client

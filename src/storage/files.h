#pragma once
// Open files of a user's tree: a snapshot for reading, and an upload that
// becomes visible only when committed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/digest_cache.h"
#include "storage/usage.h"

namespace sfs::storage {

// A regular file opened for reading. Its content stays the one that was
// opened even if the name is replaced or deleted meanwhile.
class ReadFile {
 public:
  ReadFile(UniqueFd fd, std::uint64_t size) : fd_(std::move(fd)), size_(size) {}

  std::uint64_t size() const { return size_; }
  // Reads up to `length` bytes at `offset`; returns the count (0 at end).
  Result<std::size_t> read_at(char* data, std::size_t length, std::uint64_t offset) const;
  // The digest (hex) recorded when the file was stored; empty if none.
  std::string stored_digest() const;
  // Records the digest of a file that had none (stored before digests).
  Result<void> store_digest(const std::string& hex) const;
  // Hashes the whole file from the disk.
  Result<std::string> compute_digest() const;

 private:
  UniqueFd fd_;
  std::uint64_t size_;
};

// An upload in progress: data goes to a hidden temp file beside the target.
// commit() fsyncs it and renames it over the target, so nothing
// half-written is ever visible under the target's name.
//
// A resumable upload writes to a partial file named after the target and its
// size (`.sfs-part-...`), locked while in use. Destroyed uncommitted (or
// ended by keep_for_resume()), it is kept for a later upload to continue
// (held() tells how much it holds); discard() removes it. A plain upload
// (`.sfs-tmp-...`) is always removed.
class Upload {
 public:
  Upload(UniqueFd dir, UniqueFd file, std::string temp_name, std::string target_name,
         bool resumable, std::uint64_t held);
  Upload(Upload&&) noexcept = default;
  Upload& operator=(Upload&&) noexcept = delete;
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;
  ~Upload();

  // Bytes a resumable upload already holds from an interrupted attempt.
  std::uint64_t held() const { return held_; }
  bool resumable() const { return resumable_; }
  // Reads back what the file holds (to hash the held part).
  Result<std::size_t> read_at(char* data, std::size_t length, std::uint64_t offset) const;
  // Drops everything after `offset` and continues writing there.
  Result<void> continue_at(std::uint64_t offset);
  Result<void> write(const char* data, std::size_t length);
  // Records the content's digest with the file, before commit.
  Result<void> set_digest(const std::string& hex);
  // The commit puts the digest recorded into `digests` too, so that the
  // next listing need not read it back (storage/digest_cache.h).
  void remember_in(DigestCache* digests) { digests_ = digests; }
  // The modification time the file gets at commit (seconds since the epoch).
  void set_mtime(std::int64_t seconds) { mtime_ = seconds; }
  // Makes the upload visible under its target name. Returns what it
  // replaced there: {size, 1} for a file, {0, 0} when the name was free.
  Result<Usage> commit();
  // The target is missing or holds at most `bytes`: replacing it frees no
  // more than that (freeing a big file's pages takes milliseconds).
  bool replaces_at_most(std::uint64_t bytes) const;
  // Removes the temp or partial file: the upload is over for good.
  void discard();
  // Ends the upload without commit, keeping a resumable upload's partial
  // file for a later upload to continue. Returns the bytes kept: 0 when
  // nothing is (a plain upload, or an empty partial, is removed).
  std::uint64_t keep_for_resume();

 private:
  UniqueFd dir_;
  UniqueFd file_;
  std::string temp_name_;
  std::string target_name_;
  bool resumable_ = false;
  std::uint64_t held_ = 0;
  std::optional<std::int64_t> mtime_;
  bool done_ = false;
  DigestCache* digests_ = nullptr;
  std::string digest_;  // set_digest's
};

}  // namespace sfs::storage

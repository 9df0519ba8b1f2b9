#pragma once
// A partial update of a stored file (HTTP PATCH with sabre's partial
// update, docs/webdav.md): the new content is the old one with
// `range.length` bytes replaced or added. It is built as a fresh upload
// (files::Upload: size limit, quota, digest) from a snapshot of the old
// content and committed whole, so a reader sees the old file or the new
// one, never a mix, and the stored digest is the new content's. Of two
// patches (or uploads) of one file at once the last commit wins: a client
// that cares sends If-Match.
//
//   PatchRange range{PatchRange::Anchor::kEnd, 0, n};  // append n bytes
//   auto patch = co_await files.begin_patch("log.txt", range);  // prefix copied
//   co_await patch->write(data, n);                  // exactly range.length bytes
//   auto stored = co_await patch->finish();          // the rest copied, committed

#include <cstdint>

#include "asio/asio.h"
#include "base/result.h"
#include "files/user_files.h"

namespace sfs::files {

class Patch {
 public:
  // Where the new bytes go in the file, and the old file's size.
  std::uint64_t start() const { return start_; }
  std::uint64_t old_size() const { return old_.size(); }
  // The upload the new bytes go to (a door streams its body into it); its
  // size() is the new file's.
  Upload& upload() { return upload_; }
  // Copies the old content after the range, checks the old content against
  // its stored digest (kIntegrity when it is damaged) and commits. Fails
  // with kBadRequest when the upload did not get exactly `range.length`
  // bytes. On any failure nothing is stored.
  awaitable<Result<Upload::Stored>> finish();
  // Ends the patch without storing anything.
  awaitable<void> stop() { co_await upload_.stop(false); }

 private:
  friend class UserFiles;
  Patch(Download old, Upload upload, std::uint64_t start, std::uint64_t length)
      : old_(std::move(old)), upload_(std::move(upload)), start_(start), length_(length) {}
  // Moves the old content up to `end` into the upload (`keep`) or reads it
  // only for the digest check.
  awaitable<Result<void>> take_old(std::uint64_t end, bool keep);

  Download old_;
  Upload upload_;
  std::uint64_t start_;
  std::uint64_t length_;
  std::uint64_t read_ = 0;  // old bytes read so far
};

}  // namespace sfs::files

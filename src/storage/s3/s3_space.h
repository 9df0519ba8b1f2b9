#pragma once
// One user's space on S3 (internal to the S3 backend): s3_space.cc holds
// the file operations, listing and properties, s3_folders.cc the folder
// operations, usage and verify.

#include <string>
#include <vector>

#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {

class S3Space final : public Space {
 public:
  S3Space(std::shared_ptr<Shared> shared, std::string root)
      : shared_(std::move(shared)), root_(std::move(root)) {}

  awaitable<Result<std::unique_ptr<ReadHandle>>> open_read(std::string path) override;
  awaitable<Result<std::unique_ptr<WriteHandle>>> create(
      std::string path, std::optional<std::uint64_t> resumable_size) override;
  awaitable<Result<Usage>> remove(std::string path) override;
  awaitable<Result<std::vector<DirEntry>>> list(std::string path) override;
  awaitable<Result<DirEntry>> stat(std::string path) override;
  awaitable<Result<Usage>> make_dir(std::string path, bool parents, AdmitDirs admit) override;
  awaitable<Result<Usage>> remove_dir(std::string path) override;
  awaitable<Result<Moved>> move(std::string from, std::string to,
                                std::size_t max_path_bytes) override;
  awaitable<Result<Usage>> usage() override;
  awaitable<Result<std::vector<FileCheck>>> verify() override;
  awaitable<std::uint64_t> size_of(std::string path) override;
  awaitable<Result<std::vector<DeadProp>>> dead_props(std::string path) override;
  awaitable<Result<void>> patch_dead_props(std::string path,
                                           std::vector<PropChange> changes) override;

 private:
  // Every key under `prefix` (no delimiter), at most `limit` (kTooLarge
  // past it).
  awaitable<Result<std::vector<ObjectEntry>>> all_under(std::string prefix, std::size_t limit);
  // The file at `path` (a checked relative path): its HEAD; kNotFound,
  // kIsDir for a folder.
  awaitable<Result<ObjectInfo>> need_file(std::string path);
  // The folder `dir` (a checked relative path) must exist: kNotFound,
  // kNotDir for a file.
  awaitable<Result<void>> need_dir(std::string dir);
  awaitable<Result<std::vector<DeadProp>>> read_props(std::string key);
  // The key of the dead properties of the file or folder at `path` (the
  // root: empty); kNotFound when nothing is there.
  awaitable<Result<std::string>> props_key_of(std::string path);
  awaitable<Result<Usage>> drop_dir(std::string path);
  awaitable<Result<Moved>> move_file(std::string from, std::string to, Probe target,
                                     ObjectInfo source);
  awaitable<Result<Moved>> move_dir(std::string from, std::string to, Probe target);
  // The copies, then the sources deleted, with the move's journal kept
  // in `to` meanwhile (see move_dir).
  awaitable<Result<void>> copy_then_delete(const std::vector<ObjectEntry>& keys, std::string from,
                                           std::string to, bool resuming);
  // True when the folder `dir` is the copy of an unfinished move of `from`
  // (its journal names it): the same move again continues there.
  awaitable<bool> continues_move(std::string from, std::string dir);
  // Copies `keys` from prefix `from` to prefix `to`; on a failure, deletes
  // the copies it made (`all_undone`: every one of them went).
  awaitable<Result<void>> copy_all(const std::vector<ObjectEntry>& keys, std::string from,
                                   std::string to, bool& all_undone);
  awaitable<Result<void>> verify_dir(std::string dir, int depth, std::vector<FileCheck>& out);

  std::shared_ptr<Shared> shared_;
  std::string root_;
};

}  // namespace sfs::storage::s3

#pragma once
// The S3 backend's internals (not a public header): what its space, its
// handles and the backend share, and the mapping of paths to keys.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "storage/partial_claims.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_info_cache.h"
#include "storage/s3/s3_partial.h"
#include "storage/s3/s3_unwritten.h"

namespace sfs::storage::s3 {

// Metadata names (x-amz-meta-...).
inline constexpr char kDigestMeta[] = "sfs-digest";
inline constexpr char kMtimeMeta[] = "sfs-mtime";
inline constexpr char kHeldMeta[] = "sfs-held";
// Reserved leaf names of the sidecars (users cannot name anything ".sfs-").
inline constexpr std::string_view kPropsLeaf = ".sfs-props";
inline constexpr std::string_view kPartLeaf = ".sfs-part-";
// In a folder being made by a folder move: the source's path, until done.
inline constexpr std::string_view kMoveLeaf = ".sfs-move";

// What one backend's spaces and handles share. `running` is this
// process's uploads (S3 lists neither buffered bytes nor open handles);
// the claims on partials and the multipart uploads held are `claims`'s:
// this process's in memory, or every node's in a cluster's database
// (storage/partial_claims.h), asked on `pool` when they may block.
struct Shared {
  std::shared_ptr<S3Client> s3;
  asio::thread_pool* pool = nullptr;
  std::string base;  // "PREFIX/" or ""
  std::size_t part_size = 0;
  std::size_t max_move_objects = 0;
  std::uint64_t max_single_copy = 0;  // larger objects are copied in parts
  std::uint64_t sidecar_every = 0;    // an upload names its parts this often
  std::shared_ptr<PartialClaims> claims;
  UnwrittenPartials unwritten;  // kept partials the store did not take
  InfoCache infos;              // what HEAD said of files, for listings

  std::mutex mutex;
  std::multiset<std::string> running;  // keys of uploads in progress

  // True when an upload runs to a key under `prefix`.
  bool running_under(const std::string& prefix);
  void add_running(const std::string& key);
  void end_running(const std::string& key);
  // Claims the sidecar for one upload: false when another (of any live
  // node) holds it; kIo when the claims cannot be asked.
  awaitable<Result<bool>> claim(std::string sidecar);
  void unclaim(const std::string& sidecar) { claims->unclaim(sidecar); }
  awaitable<Result<bool>> is_claimed(std::string sidecar);
  // The multipart uploads the uploads in progress hold (the stale sweep
  // leaves them alone).
  void hold_upload(const std::string& upload_id) { claims->hold_upload(upload_id); }
  void release_upload(const std::string& upload_id) { claims->release_upload(upload_id); }
  awaitable<Result<bool>> holds_upload(std::string upload_id);
};

// ---- keys (pure) ------------------------------------------------------------
// `root` is a user's prefix ("PREFIX/u/alice/"); paths are checked ones.

// "a/b/c" -> "a/b/" and "c" -> "".
std::string parent_prefix(std::string_view path);
std::string_view leaf_of(std::string_view path);
// The marker of folder `dir` ("" is the root, whose prefix is `root`).
std::string dir_prefix(const std::string& root, std::string_view dir);
std::string props_key(const std::string& root, std::string_view path, bool is_dir);
std::string partial_key(const std::string& root, std::string_view path, std::uint64_t size);
// True for a sidecar's leaf name (anything starting ".sfs-").
bool is_hidden(std::string_view leaf);
bool is_partial(std::string_view key);
// Components of `path` ("" has 0).
int depth_of(std::string_view path);

// What a path is on S3: a file (HEAD of its key), a folder (its marker)
// or nothing.
enum class Kind { kNone, kFile, kDir };
struct Probe {
  Kind kind = Kind::kNone;
  ObjectInfo info;  // the file's
};
awaitable<Result<Probe>> probe(std::shared_ptr<Shared> shared, std::string root, std::string path);

// The file's digest and modification time as stored in its metadata.
std::string digest_in(const ObjectInfo& info);
std::int64_t mtime_in(const ObjectInfo& info);

// ---- the pieces, one file each ------------------------------------------------------
std::unique_ptr<ReadHandle> make_read(std::shared_ptr<Shared> shared, std::string key,
                                      ObjectInfo info);
// An upload to `key` (`path` relative to `root`); resumable with
// `resumable_size` (then it tries to continue the partial kept for it).
awaitable<Result<std::unique_ptr<WriteHandle>>> make_write(std::shared_ptr<Shared> shared,
                                                           std::string root, std::string path,
                                                           std::optional<std::uint64_t> size);
std::unique_ptr<Space> make_space(std::shared_ptr<Shared> shared, std::string root);

// Aborts a partial's multipart upload (if any) and deletes its sidecar.
awaitable<Result<void>> drop_partial(std::shared_ptr<Shared> shared, std::string sidecar);

}  // namespace sfs::storage::s3

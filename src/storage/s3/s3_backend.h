#pragma once
// The S3 storage backend (storage/backend.h over S3Client): every user's
// files as objects in one bucket, under PREFIX/u/<user>/. docs/storage.md
// ("S3") gives the mapping; in short:
//   file a/b        object  PREFIX/u/alice/a/b  (x-amz-meta-sfs-digest, -sfs-mtime)
//   folder a        marker  PREFIX/u/alice/a/   (zero bytes: empty folders exist)
//   dead props      object  PREFIX/u/alice/a/.sfs-props-b, a/.sfs-props (folder)
//   kept partial    object  PREFIX/u/alice/a/.sfs-part-<hash of name+size>
//                   (the multipart upload's id and key, the digest state of
//                   its parts, then the tail that does not fill a part:
//                   storage/s3/s3_partial.h)
// Names starting ".sfs-" are refused to users (storage/paths.h), so the
// sidecars never collide with a user's file, and they live beside what
// they describe so a folder's copy carries them along.
//
//   asio::thread_pool pool(4);
//   SFS_ASSIGN_OR_RETURN(auto backend, S3Backend::create(settings, pool));
//   SFS_CO_RETURN_IF_ERROR(co_await backend->check());   // bucket + keys
//   auto space = co_await backend->open_space("alice");
//
// Uploads: bytes are buffered up to one part (part_size, the only buffer:
// bounded by it), then sent with UploadPart; commit() sends the rest and
// CompleteMultipartUpload (a file smaller than a part is one PutObject), so
// nothing is visible before. Limits (docs/storage.md): reads are pinned to
// the ETag opened (snapshot_reads=false); a folder move copies object by
// object (at most max_move_objects, else kTooLarge with nothing changed);
// the uploads running are known to this process only; the partials in use
// and the multipart uploads held are the claims' (storage/partial_claims.h:
// this process's, or with a cluster's database every node's).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "asio/asio.h"
#include "storage/backend.h"
#include "storage/partial_claims.h"
#include "storage/s3/s3_client.h"

namespace sfs::storage::s3 {

struct S3BackendSettings {
  S3Config s3;
  std::string prefix;  // "" or "a/b" (no leading or trailing '/')
  // Bytes per multipart part (and the most an upload buffers): S3's
  // minimum part is 5 MiB, sfs asks for at least kMinPartSize.
  std::size_t part_size = kMinPartSize;
  // The most objects a folder move copies (each one a server-side copy).
  std::size_t max_move_objects = 10'000;
  // Objects larger than this are copied in parts (UploadPartCopy), not
  // with one CopyObject: S3 copies at most 5 GiB at once.
  std::uint64_t max_single_copy = kMaxSingleCopy;
  // A resumable upload writes its sidecar (the parts sent so far) each
  // time this many more bytes of whole parts went out, so that a server
  // killed mid-upload leaves them to resume (one small PUT each time).
  std::uint64_t sidecar_every = std::uint64_t{64} << 20;

  static constexpr std::uint64_t kMaxSingleCopy = std::uint64_t{5} << 30;
  static constexpr std::size_t kMinPartSize = std::size_t{8} << 20;
  static constexpr std::size_t kMaxPartSize = std::size_t{512} << 20;
};

struct Shared;

class S3Backend final : public Backend {
 public:
  // Checks the settings (kBadRequest with a one-line reason); sends
  // nothing. `pool` runs the S3 requests (and the claims' calls that may
  // block) and must outlive the backend. `claims`: who continues which
  // partial and which multipart uploads are in use; nullptr keeps them in
  // this process (one server per prefix), a cluster passes its database's
  // (pg::PgPartialClaims).
  static Result<std::unique_ptr<S3Backend>> create(const S3BackendSettings& settings,
                                                   asio::thread_pool& pool,
                                                   std::shared_ptr<PartialClaims> claims = nullptr);
  ~S3Backend() override;

  // The bucket exists and the keys may use it (kAuth, kNotFound, kIo).
  awaitable<Result<void>> check();

  // Durable; no atomic folder rename, no snapshot reads, no later digests,
  // usage() lists the whole space; resumable partials.
  Capabilities capabilities() const override;
  awaitable<Result<std::unique_ptr<Space>>> open_space(std::string user) override;
  // First stores the sidecars of partials the store did not take when they
  // were kept (storage/s3/s3_unwritten.h), letting go of those older than
  // `partial_ttl`. Aborts the multipart uploads of partials untouched for `partial_ttl`
  // and deletes their sidecars (a walk over every user's keys) unless an
  // upload claims them, then aborts the multipart uploads under the users'
  // keys begun more than `partial_ttl` ago that no sidecar names and no
  // upload holds (a server killed mid-upload leaves those); claims and
  // holds are the claims' (of every live node in a cluster), and when
  // those cannot be asked nothing is removed. Returns how many
  // partials and uploads went; a store that fails mid-way leaves the rest
  // to the next sweep.
  awaitable<std::size_t> remove_stale(std::chrono::seconds partial_ttl) override;
  // The same sweep with what "stale" means given: sidecars last kept and
  // uploads begun at or before `cutoff` (seconds since the epoch, as the
  // store's clock gives LastModified and Initiated).
  awaitable<std::size_t> remove_stale_before(std::int64_t cutoff);
  // Requests sent to the store so far, each attempt counted (tests, metrics).
  std::uint64_t requests_sent() const;

 private:
  explicit S3Backend(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

}  // namespace sfs::storage::s3

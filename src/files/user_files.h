#pragma once
// The file operations of one logged-in user, whatever door they came
// through (the sfs protocol today, HTTP next): the size limit, the quota
// (a maintained ledger), the resume of uploads and downloads, the
// end-to-end digest, the commit and the bitrot check live here once. A door
// only parses its requests, calls these and maps the results to replies;
// moving the bytes (frames, HTTP bodies) stays the door's.
//
// Knows no network protocol: no sfs wire type crosses this interface. It
// stores through a storage::Space (storage/backend.h), whose backend decides
// what leaves the network threads (the POSIX one: all of it); the streaming
// digests are fed on the caller's thread, prefix hashes run on the `hashing`
// pool, and slow whole-file or whole-tree reads
// wait for the user's turn on the fair queue, so no door has to care.
//
//   auto space = co_await backend.open_space("alice");
//   UserFiles files("alice", std::move(*space), {ledger, backend, pool, slow_jobs}, limits);
//   auto up = co_await files.begin_upload("a.txt", size, true);  // quota held
//   up->offer();                      // {held, digest}: what a resume may skip
//   co_await up->start_at(0);  co_await up->write(data, n);  // ... one call at a time
//   auto done = co_await up->finish(claimed);  // visible now; quota booked
//
//   auto down = co_await files.open_download("a.txt", offset, client_digest);
//   co_await down->read(buffer, max);  ...  down->check();  // before telling the end
//   std::string digest = co_await down->finish();

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "files/fair_queue.h"
#include "files/quota.h"
#include "storage/backend.h"

namespace sfs::files {

// The shared parts every user's operations use. They outlive every
// UserFiles (the server joins its pools before the ledger goes).
struct Services {
  Quota& quota;                // in memory on one node (QuotaLedger), shared in a cluster
  storage::Backend& backend;   // where the files are (opens a space for background rescans)
  asio::thread_pool& hashing;  // prefix hashes (a resumed transfer's first part)
  FairQueue& slow_jobs;        // turns for HASH without a stored digest, VERIFY
};

struct Limits {
  std::uint64_t max_file_bytes = 0;
  std::size_t max_path_bytes = 0;
  // How long an operation waits for another session's scan of the usage.
  std::chrono::steady_clock::duration usage_wait{};
};

// kTooLarge "file larger than the server's limit of N bytes": the limit in
// the message, so a user knows what would fit.
Error too_large_error(std::uint64_t max_file_bytes);

class UserFiles;
class Patch;

// Where a partial update (UserFiles::begin_patch) writes its `length`
// bytes: `offset` bytes from the file's start, or back from its end (from
// the end with offset 0 appends). Past the end the file grows; a start
// past the end (a hole) is refused.
struct PatchRange {
  enum class Anchor { kStart, kEnd };
  Anchor anchor = Anchor::kStart;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// An upload in progress. Nothing is visible under its name until finish()
// succeeds. Ended any other way (stop(), or destroyed), its quota share is
// given back; a resumable upload's data is kept for a later resume.
class Upload {
 public:
  // What an interrupted earlier upload of the same name and size left:
  // `held` bytes whose digest is `digest` (empty when held is 0). A client
  // proves it resumes the same data by matching the digest.
  struct Offer {
    std::uint64_t held = 0;
    std::string digest;
  };
  struct Stored {
    std::uint64_t size = 0;
    std::string digest;
  };

  Upload(Upload&& other) noexcept;
  Upload& operator=(Upload&&) = delete;
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;
  ~Upload();

  const Offer& offer() const { return offer_; }
  // The declared size; for a streamed upload (size unknown before its
  // data), the bytes written so far.
  std::uint64_t size() const { return size_; }
  bool streamed() const { return streamed_; }
  // Where the next write goes: the bytes the upload holds.
  std::uint64_t written() const { return position_; }
  // The digest of the bytes written so far (of a resumed upload: the held
  // part's too), as the offer of a later resume of them will show it.
  std::string digest() const { return hash_.hex_digest(); }
  // False when the data will not stay for a resume: a plain upload, or a
  // resumable one whose partial another upload holds right now (this one
  // then started afresh in a file of its own).
  bool resumable() const { return upload_->resumable(); }
  // Starts writing at `from`: 0 (afresh) or offer().held (after it).
  // kBadRequest for anything else.
  awaitable<Result<void>> start_at(std::uint64_t from);
  // Feeds the digest on the caller's thread, as Download::read does, then
  // appends data (the backend's write). One call at a time; `data` must stay
  // valid until it completes. A streamed upload first admits the bytes
  // against the size limit and the quota: kTooLarge (the messages of
  // begin_upload) the moment they would pass, and nothing is written.
  awaitable<Result<void>> write(const char* data, std::size_t length);
  // The modification time (seconds since the epoch) the file is stored
  // with, instead of the time of the commit.
  void set_mtime(std::int64_t seconds) { upload_->set_mtime(seconds); }
  // Checks the digest the client claims (none: HTTP clients send none),
  // records it, and makes the upload visible; then books it in the quota
  // and gives the reservation back, in that order, before returning (so a
  // client told OK can start its next upload within its quota). Fails with
  // kIntegrity "upload does not match its digest; nothing stored", or the
  // commit's error; then the upload is discarded.
  awaitable<Result<Stored>> finish(const std::optional<std::string>& claimed);
  // Ends the upload without storing it. `resumable`: the data stays for a
  // later resume (a cut connection); otherwise it goes (refused for good).
  awaitable<void> stop(bool resumable);

 private:
  friend class UserFiles;
  Upload(UserFiles& files, std::unique_ptr<storage::WriteHandle> upload,
         Quota::Reservation reservation, std::uint64_t size);
  // Books what an upload ended without commit keeps for a resume.
  void kept(std::uint64_t bytes);
  // A streamed upload's admission of `total` bytes (stream_upload.cc).
  awaitable<Result<void>> admit(std::uint64_t total);

  UserFiles* files_;
  std::unique_ptr<storage::WriteHandle> upload_;
  Quota::Reservation reservation_;  // held until the upload ends
  std::uint64_t size_;
  Offer offer_;
  crypto::Digest hash_;
  std::uint64_t position_ = 0;  // where the next write goes
  bool done_ = false;
  // A streamed upload: the quota is reserved in steps as bytes come
  // (`admitted_` bytes so far), crediting the file it replaces.
  bool streamed_ = false;
  std::uint64_t admitted_ = 0;
  std::uint64_t replaced_ = 0;
  std::vector<Quota::Reservation> steps_;
};

// A stored file being read from `start()`. Its content stays the one that
// was opened even if the name is replaced meanwhile.
class Download {
 public:
  std::uint64_t size() const { return file_->size(); }
  // Digest recorded when the file was stored; empty for a file stored
  // before digests.
  const std::string& stored_digest() const { return stored_; }
  // Where the data starts: the client's offset when its partial copy is of
  // this very content (its digest matches), otherwise 0.
  std::uint64_t start() const { return start_; }
  // The next piece, up to `max` bytes (0 at the end): the backend's read,
  // then the digest fed on the caller's thread (XXH3 costs a fraction of
  // the TLS encryption the same bytes get there; a hop to the hashing pool
  // per piece cost more in wake-ups than it saved). One call at a time.
  awaitable<Result<std::size_t>> read(char* data, std::size_t max);
  // The bitrot check, after the last piece and before the door tells the
  // client the end: kIntegrity "stored file is damaged (digest mismatch);
  // not sent" when what was read does not match the stored digest.
  Result<void> check();
  // After a whole download: its digest (check() first). A file stored
  // before digests remembers it from now on (when the backend can).
  awaitable<std::string> finish();

 private:
  friend class UserFiles;
  Download(UserFiles& files, std::unique_ptr<storage::ReadHandle> file, std::string stored,
           std::uint64_t start, bool hashing)
      : files_(&files),
        file_(std::move(file)),
        stored_(std::move(stored)),
        start_(start),
        position_(start),
        hashing_(hashing) {}

  UserFiles* files_;
  std::unique_ptr<storage::ReadHandle> file_;
  std::string stored_;
  std::uint64_t start_;
  std::uint64_t position_;
  bool hashing_;
  crypto::Digest hash_;
  std::string actual_;
};

class UserFiles {
 public:
  UserFiles(std::string user, std::unique_ptr<storage::Space> space, Services services,
            Limits limits)
      : user_(std::move(user)),
        space_(std::move(space)),
        caps_(services.backend.capabilities()),
        services_(services),
        limits_(limits) {}

  const std::string& user() const { return user_; }

  // Starts an upload of `size` bytes to `path` (its folder must exist).
  // Checks the size limit (kTooLarge "file larger than the server's
  // limit of N bytes", too_large_error) and the quota (kTooLarge "quota exceeded: ...") before any
  // byte comes, and holds the upload's share until it ends. `resumable`: the upload continues what
  // an interrupted one of that name and size left (see Upload::offer()), and leaves its data for a
  // resume when cut.
  awaitable<Result<Upload>> begin_upload(std::string_view path, std::uint64_t size, bool resumable);
  // begin_upload(), unless `path` already holds `size` bytes whose digest
  // is `digest`: then nullopt (the client's file is there).
  awaitable<Result<std::optional<Upload>>> begin_upload_unless_same(std::string_view path,
                                                                    std::uint64_t size,
                                                                    std::string digest,
                                                                    bool resumable);
  // Starts an upload whose size is unknown before its data (an HTTP body
  // in chunks): the size limit and the quota are checked as the bytes come
  // (Upload::write), the quota reserved in steps. Not resumable. Errors as
  // begin_upload's.
  awaitable<Result<Upload>> begin_streamed_upload(std::string_view path);
  // Starts a partial update of the file at `path` (see Patch).
  awaitable<Result<Patch>> begin_patch(std::string_view path, PatchRange range);
  // Opens `path` for a download from `offset`, which counts only when
  // `have_digest` is the stored digest (the client's partial copy is of
  // this content). kNotFound, kIsDir, kBadPath as storage says.
  awaitable<Result<Download>> open_download(std::string_view path, std::uint64_t offset,
                                            std::string_view have_digest);
  // Opens `path` to show its beginning: no digest, no bitrot check.
  awaitable<Result<Download>> open_preview(std::string_view path);

  // Every operation goes through the Space, so the backend decides where it
  // runs (the POSIX backend: on its metadata pool, off the network threads).
  awaitable<Result<std::vector<storage::DirEntry>>> list(std::string_view path);
  awaitable<Result<storage::DirEntry>> stat(std::string_view path);
  // Creates a folder (and with `parents` the missing ones above it). The
  // folders count as entries of the quota: checked before any is made.
  awaitable<Result<void>> make_dir(std::string_view path, bool parents);
  awaitable<Result<void>> remove_dir(std::string_view path);
  awaitable<Result<void>> remove(std::string_view path);
  // Like mv; returns the final path.
  awaitable<Result<std::string>> move(std::string_view from, std::string_view to);
  // Dead properties (WebDAV PROPPATCH) of the file or folder `path` ("" is
  // the top folder); see storage::Space::dead_props for how they follow
  // the resource. Not counted in the quota: each resource's are bounded
  // (storage::kMaxDeadPropBytes), and resources are.
  awaitable<Result<std::vector<storage::DeadProp>>> dead_props(std::string_view path);
  // list() with each member's dead properties (a WebDAV PROPFIND of a
  // folder), in one step where the backend can.
  awaitable<Result<std::vector<storage::PropEntry>>> list_with_props(std::string_view path);
  // Applies `changes` in order, all or none; kTooLarge past the limits.
  awaitable<Result<void>> patch_dead_props(std::string_view path,
                                           std::vector<storage::PropChange> changes);
  // The file's digest: the stored one, or computed at the user's turn on
  // the slow-job queue (and stored).
  awaitable<Result<std::string>> hash(std::string_view path);
  // Re-reads every file and compares it with its stored digest, at the
  // user's turn on the slow-job queue.
  awaitable<Result<std::vector<storage::FileCheck>>> verify();
  // What the user's tree takes as the quota counts it (measured once, then
  // kept up to date). Without quotas, measured now.
  awaitable<Result<storage::Usage>> usage();

 private:
  friend class Upload;
  friend class Download;

  awaitable<Result<void>> know_usage();
  // The rest of begin_upload once the backend made `created`: the quota
  // share held, the offer of what an interrupted upload left.
  awaitable<Result<Upload>> upload_on(std::string path, std::uint64_t size,
                                      std::unique_ptr<storage::WriteHandle> created);
  // Holds the quota share of an upload of `size` bytes to `path`.
  awaitable<Result<Quota::Reservation>> reserve_upload(std::string path, std::uint64_t size);
  // With a quota that blocks: holds the folders a make_dir may create
  // before it runs; how many (user_files.cc).
  awaitable<Result<std::uint64_t>> reserve_dirs_ahead(std::string_view path, bool parents,
                                                      Quota::Reservation& held);
  // Hashes bytes `from` to `length` that `read_at` reads (`hash` holds the
  // first `from` already), on the hashing pool.
  template <typename Handle>
  awaitable<Result<void>> hash_prefix(Handle& file, std::uint64_t from, std::uint64_t length,
                                      crypto::Digest& hash);
  // Hashes what an interrupted upload left, for the offer.
  awaitable<Upload::Offer> make_offer(Upload& upload);

  std::string user_;
  std::unique_ptr<storage::Space> space_;
  storage::Capabilities caps_;
  Services services_;
  Limits limits_;
};

}  // namespace sfs::files

#pragma once
// The file operations of one logged-in user, whatever door they came
// through (the sfs protocol today, HTTP next): the size limit, the quota
// (a maintained ledger), the resume of uploads and downloads, the
// end-to-end digest, the commit and the bitrot check live here once. A door
// only parses its requests, calls these and maps the results to replies;
// moving the bytes (frames, HTTP bodies) stays the door's.
//
// Knows no network protocol: no sfs wire type crosses this interface. It
// decides what leaves the network threads (short disk work on the `disk`
// pool, slow whole-file or whole-tree reads on the fair queue), so no door
// has to.
//
//   UserFiles files("alice", std::move(tree), {ledger, disk, slow_jobs}, limits);
//   auto up = co_await files.begin_upload("a.txt", size, true);  // quota held
//   up->offer();                           // {held, digest}: what a resume may skip
//   up->start_at(0);  up->write(data, n);  // ... (from any one thread at a time)
//   auto done = co_await up->finish(claimed);  // visible now; quota booked
//
//   auto down = co_await files.open_download("a.txt", offset, client_digest);
//   down->read(buffer, max);  ...  down->check();  // before telling the end
//   std::string digest = down->finish();

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "files/fair_queue.h"
#include "files/quota.h"
#include "storage/files.h"
#include "storage/user_tree.h"

namespace sfs::files {

// The shared parts every user's operations use. They outlive every
// UserFiles (the server joins its pools before the ledger goes).
struct Services {
  Quota& quota;             // in memory on one node (QuotaLedger), shared in a cluster
  asio::thread_pool& disk;  // short disk work: prefix hashes, MOVE, usage scans
  FairQueue& slow_jobs;     // HASH without a stored digest, VERIFY
};

struct Limits {
  std::uint64_t max_file_bytes = 0;
  std::size_t max_path_bytes = 0;
  // How long an operation waits for another session's scan of the usage.
  std::chrono::steady_clock::duration usage_wait{};
};

class UserFiles;

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
  std::uint64_t size() const { return size_; }
  // Starts writing at `from`: 0 (afresh) or offer().held (after it).
  // kBadRequest for anything else.
  Result<void> start_at(std::uint64_t from);
  // Appends data and feeds the digest. Blocking (the disk): call it off the
  // network threads, one call at a time.
  Result<void> write(const char* data, std::size_t length);
  // Checks the digest the client claims (none: HTTP clients send none),
  // records it, and makes the upload visible; then books it in the quota
  // and gives the reservation back, in that order, before returning (so a
  // client told OK can start its next upload within its quota). Fails with
  // kIntegrity "upload does not match its digest; nothing stored", or the
  // commit's error; then the upload is discarded.
  awaitable<Result<Stored>> finish(const std::optional<std::string>& claimed);
  // Ends the upload without storing it. `resumable`: the data stays for a
  // later resume (a cut connection); otherwise it goes (refused for good).
  void stop(bool resumable);

 private:
  friend class UserFiles;
  Upload(UserFiles& files, storage::Upload upload, Quota::Reservation reservation,
         std::uint64_t size);

  UserFiles* files_;
  storage::Upload upload_;
  Quota::Reservation reservation_;  // held until the upload ends
  std::uint64_t size_;
  Offer offer_;
  crypto::Digest hash_;
  bool done_ = false;
};

// A stored file being read from `start()`. Its content stays the one that
// was opened even if the name is replaced meanwhile.
class Download {
 public:
  std::uint64_t size() const { return file_.size(); }
  // Digest recorded when the file was stored; empty for a file stored
  // before digests.
  const std::string& stored_digest() const { return stored_; }
  // Where the data starts: the client's offset when its partial copy is of
  // this very content (its digest matches), otherwise 0.
  std::uint64_t start() const { return start_; }
  // The next piece, up to `max` bytes (0 at the end). Blocking: off the
  // network threads, one call at a time.
  Result<std::size_t> read(char* data, std::size_t max);
  // The bitrot check, after the last piece and before the door tells the
  // client the end: kIntegrity "stored file is damaged (digest mismatch);
  // not sent" when what was read does not match the stored digest.
  Result<void> check();
  // After a whole download: its digest (check() first). A file stored
  // before digests remembers it from now on.
  std::string finish();

 private:
  friend class UserFiles;
  Download(storage::ReadFile file, std::string stored, std::uint64_t start, bool hashing)
      : file_(std::move(file)),
        stored_(std::move(stored)),
        start_(start),
        position_(start),
        hashing_(hashing) {}

  storage::ReadFile file_;
  std::string stored_;
  std::uint64_t start_;
  std::uint64_t position_;
  bool hashing_;
  crypto::Digest hash_;
  std::string actual_;
};

class UserFiles {
 public:
  UserFiles(std::string user, storage::UserTree tree, Services services, Limits limits)
      : user_(std::move(user)), tree_(std::move(tree)), services_(services), limits_(limits) {}

  const std::string& user() const { return user_; }

  // Starts an upload of `size` bytes to `path` (its folder must exist).
  // Checks the size limit (kTooLarge "file larger than the server's
  // limit") and the quota (kTooLarge "quota exceeded: ...") before any byte
  // comes, and holds the upload's share until it ends. `resumable`: the
  // upload continues what an interrupted one of that name and size left
  // (see Upload::offer()), and leaves its data for a resume when cut.
  awaitable<Result<Upload>> begin_upload(std::string_view path, std::uint64_t size, bool resumable);
  // Opens `path` for a download from `offset`, which counts only when
  // `have_digest` is the stored digest (the client's partial copy is of
  // this content). kNotFound, kIsDir, kBadPath as storage says.
  awaitable<Result<Download>> open_download(std::string_view path, std::uint64_t offset,
                                            std::string_view have_digest);
  // Opens `path` to show its beginning: no digest, no bitrot check.
  awaitable<Result<Download>> open_preview(std::string_view path);

  // Every operation is awaitable, also those that run inline today (a
  // look-up in one directory), so that a store which awaits its own I/O
  // (storage::Backend) changes nothing for the doors.
  awaitable<Result<std::vector<storage::DirEntry>>> list(std::string_view path);
  awaitable<Result<storage::DirEntry>> stat(std::string_view path);
  // Creates a folder (and with `parents` the missing ones above it). The
  // folders count as entries of the quota: checked before any is made.
  awaitable<Result<void>> make_dir(std::string_view path, bool parents);
  awaitable<Result<void>> remove_dir(std::string_view path);
  awaitable<Result<void>> remove(std::string_view path);
  // Like mv; returns the final path.
  awaitable<Result<std::string>> move(std::string_view from, std::string_view to);
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
  // Holds the quota share of an upload of `size` bytes to `path`.
  Result<Quota::Reservation> reserve_upload(std::string_view path, std::uint64_t size);
  // Hashes what an interrupted upload left, for the offer.
  awaitable<Upload::Offer> make_offer(Upload& upload);

  std::string user_;
  storage::UserTree tree_;
  Services services_;
  Limits limits_;
};

}  // namespace sfs::files

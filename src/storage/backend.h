#pragma once
// The storage-backend interface: where users' files live. A Backend opens
// one user's Space; a Space reads files through a ReadHandle and stores
// them through a WriteHandle that becomes visible only on commit.
// docs/storage.md states the contract every backend keeps (and the
// conformance suite, tests/unit/backend_conformance_test.cc, checks it).
//
//   auto space = co_await backend.open_space("alice");
//   auto up = co_await (*space)->create("notes.txt", std::nullopt);
//   co_await (*up)->write(data, n);
//   co_await (*up)->commit();                       // now visible
//   auto file = co_await (*space)->open_read("notes.txt");
//
// Every operation is a coroutine (awaitable), so each backend decides what
// leaves the network threads: the POSIX backend runs its system calls on a
// disk pool, the in-memory one runs inline, a remote one awaits its own
// network calls. Paths are relative to the user's root, '/'-separated, and
// checked by the backend (storage/paths.h): a path that breaks the rules is
// kBadPath whatever the backend. The operations mirror UserTree's
// (storage/user_tree.h), whose comments give the detailed error cases.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"
#include "crypto/digest.h"
#include "storage/dead_props.h"
#include "storage/entries.h"
#include "storage/usage.h"

namespace sfs::storage {

// What a backend can do; callers (files/) adapt to what it cannot.
struct Capabilities {
  // move() of a directory is one atomic step: nobody sees it half moved.
  bool atomic_dir_rename = false;
  // A stored file's digest can be recorded later (ReadHandle::store_digest
  // back-fills files stored without one). Without it store_digest succeeds
  // and records nothing.
  bool mutable_digests = false;
  // usage() is cheap (kept up to date, no walk over the whole space), so a
  // caller need not keep its own ledger to avoid calling it often.
  bool cheap_usage = false;
  // create() with a resumable size keeps an interrupted upload's partial
  // data for a later upload of the same name and size to continue. Without
  // it such uploads always start afresh (held() is 0).
  bool resumable_partials = false;
  // What is committed survives a restart of the server.
  bool durable = false;
  // A ReadHandle keeps reading the content it opened after the name is
  // replaced. Without it (S3: objects have no snapshot) a read after a
  // replace fails with kIo instead, so a reader still never sees a mix.
  bool snapshot_reads = false;
};

// A stored file opened for reading: a snapshot (see
// Capabilities::snapshot_reads for the backends that cannot). Its content stays the one
// that was opened even if the name is replaced or removed meanwhile. May
// outlive the Space that opened it.
class ReadHandle {
 public:
  virtual ~ReadHandle() = default;

  virtual std::uint64_t size() const = 0;
  // Reads up to `length` bytes at `offset` into `data` (which must stay
  // valid until the read completes); returns the count, 0 at the end.
  virtual awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                                 std::uint64_t offset) = 0;
  // read_at(), and the bytes read fed to `digest` in the same step: a
  // backend with a pool of its own hashes there, so that a download's
  // network thread only encrypts and sends (a GET of 1 GiB spends about as
  // long hashing as encrypting). `digest` must stay valid, and untouched,
  // until the read completes.
  virtual awaitable<Result<std::size_t>> read_hashed_at(char* data, std::size_t length,
                                                        std::uint64_t offset,
                                                        crypto::Digest& digest) {
    auto n = co_await read_at(data, length, offset);
    if (n) {
      digest.update(data, *n);
    }
    co_return n;
  }
  // The digest (hex) recorded when the file was stored; empty if none.
  virtual awaitable<std::string> stored_digest() = 0;
  // Records the digest of a file that has none (one stored before digests).
  virtual awaitable<Result<void>> store_digest(std::string hex) = 0;
  // Reads the whole content and hashes it (crypto/digest.h). Slow.
  virtual awaitable<Result<std::string>> compute_digest() = 0;
};

// An upload in progress, invisible under its name until commit(). Commit
// replaces the name atomically: a reader sees the old content or the new
// one, never a mix, and of two uploads to one name the last commit wins.
//
// A resumable upload (Space::create with a size) continues the partial data
// an interrupted upload of the same name and size left: held() tells how
// much. Ended by keep_for_resume() (or destroyed without commit or discard)
// it keeps its data for the next such upload; discard() drops it. A plain
// upload keeps nothing. Calls on one handle must not overlap.
class WriteHandle {
 public:
  // Without commit() or discard(): as keep_for_resume(), done inline.
  virtual ~WriteHandle() = default;

  // Bytes a resumable upload already holds from an interrupted attempt.
  virtual std::uint64_t held() const = 0;
  virtual bool resumable() const = 0;
  // Reads back what the upload holds (to hash the held part), from
  // held_digest()'s length on at least.
  virtual awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                                 std::uint64_t offset) = 0;
  // For held bytes a backend cannot read back (S3: the sent parts of a
  // multipart upload), the digest state it kept of them: loads it into
  // `digest` and returns how many bytes (from the start) it covers, then
  // read_at serves the rest. 0, `digest` untouched: it keeps none, read
  // everything back.
  virtual std::uint64_t held_digest(crypto::Digest& /*digest*/) const { return 0; }
  // Drops everything after `offset` and continues writing there.
  virtual awaitable<Result<void>> continue_at(std::uint64_t offset) = 0;
  // Appends `length` bytes at the write position. `data` must stay valid
  // until the write completes.
  virtual awaitable<Result<void>> write(const char* data, std::size_t length) = 0;
  // Records the content's digest, to become visible with it at commit.
  virtual awaitable<Result<void>> set_digest(std::string hex) = 0;
  // The modification time (seconds since the epoch) the file gets at
  // commit, instead of the commit's time (a client keeping its own times).
  virtual void set_mtime(std::int64_t seconds) = 0;
  // Makes the upload visible under its name. Returns what it replaced
  // there: {size, 1} for a file, {0, 0} when the name was free. kIsDir when
  // a directory took the name meanwhile, kNotFound when its directory went;
  // the upload is over either way (nothing is kept).
  virtual awaitable<Result<Usage>> commit() = 0;
  // Drops the upload's data: over for good.
  virtual awaitable<void> discard() = 0;
  // Ends the upload without commit, keeping a resumable upload's data for a
  // later one. Returns the bytes kept: 0 when nothing is (a plain upload,
  // or an empty partial, is dropped).
  virtual awaitable<std::uint64_t> keep_for_resume() = 0;
};

// One user's files. Separate spaces never see each other's files.
class Space {
 public:
  virtual ~Space() = default;

  // Asked with the number of directories make_dir is about to create,
  // before it creates any (perhaps on a backend thread); an error stops it
  // with that error.
  using AdmitDirs = std::function<Result<void>(std::uint64_t count)>;

  // What move() did: the final path (inside `to` when `to` is a directory)
  // and what it replaced there (a file, or an empty directory).
  struct Moved {
    std::string path;
    Usage replaced;
  };

  // kNotFound, kIsDir; kBadPath for what the backend refuses to read.
  virtual awaitable<Result<std::unique_ptr<ReadHandle>>> open_read(std::string path) = 0;
  // Starts an upload to `path` (its parent directory must exist: kNotFound;
  // kIsDir over a directory). With `resumable_size`, continues the partial
  // data an interrupted upload of that name and size left, unless an upload
  // holds it right now (then this one starts afresh).
  virtual awaitable<Result<std::unique_ptr<WriteHandle>>> create(
      std::string path, std::optional<std::uint64_t> resumable_size) = 0;
  // create(), unless `path` already holds a file of `size` bytes whose
  // stored digest is `digest`: then nullptr, and nothing is created. The
  // default asks stat() first; a backend may do both in one step (the
  // POSIX one: one pool job, not two, per upload of a small file).
  virtual awaitable<Result<std::unique_ptr<WriteHandle>>> create_unless_same(
      std::string path, std::optional<std::uint64_t> resumable_size, std::uint64_t size,
      std::string digest) {
    auto there = co_await stat(path);
    if (there && holds_content(*there, size, digest)) {
      co_return std::unique_ptr<WriteHandle>();
    }
    co_return co_await create(std::move(path), resumable_size);
  }
  // Removes a file (kIsDir for a directory). Returns what went: {size, 1}.
  virtual awaitable<Result<Usage>> remove(std::string path) = 0;
  // Files and directories in the directory `path` (empty: the root),
  // sorted by name; uploads in progress and partials are not listed.
  // kNotDir for a file.
  virtual awaitable<Result<std::vector<DirEntry>>> list(std::string path) = 0;
  // Type, size, mtime and stored digest; the entry's name is `path`.
  virtual awaitable<Result<DirEntry>> stat(std::string path) = 0;
  // Creates a directory. Without `parents` its parent must exist
  // (kNotFound) and the name be free (kExists); with it, missing parents
  // are made and an existing directory is fine. kNotDir when a component is
  // a file; kTooLarge past kMaxDirDepth. Returns {0, directories made}.
  virtual awaitable<Result<Usage>> make_dir(std::string path, bool parents, AdmitDirs admit) = 0;
  // Removes an empty directory (kNotEmpty otherwise; partials nobody is
  // writing do not count, and go with it). Returns what went.
  virtual awaitable<Result<Usage>> remove_dir(std::string path) = 0;
  // Like mv: into `to` when it is a directory; a file at the target is
  // replaced. Refuses a directory into itself (kBadPath), a file over a
  // directory (kIsDir), a directory over a file (kNotDir), over a non-empty
  // directory (kNotEmpty), a final path over `max_path_bytes` or nesting
  // past kMaxDirDepth (kTooLarge).
  virtual awaitable<Result<Moved>> move(std::string from, std::string to,
                                        std::size_t max_path_bytes) = 0;
  // What the quotas count: every file and directory, and the partials kept
  // for a resume (uploads running now are left out). See
  // Capabilities::cheap_usage for its cost.
  virtual awaitable<Result<Usage>> usage() = 0;
  // Re-reads every file (names are paths, "a/b.txt"; each directory's files
  // before its subdirectories', in name order) against its stored digest.
  // Slow: reads everything.
  virtual awaitable<Result<std::vector<FileCheck>>> verify() = 0;
  // Size of the file at `path`, 0 when there is none.
  virtual awaitable<std::uint64_t> size_of(std::string path) = 0;

  // Dead properties (storage/dead_props.h) of the file or directory at
  // `path`, in the order they were first set. They follow the resource:
  // move() carries them (a moved directory's members keep theirs), remove()
  // and remove_dir() drop them, a commit over a file keeps the old file's,
  // a new file or directory starts with none. kNotFound; kBadPath as stat.
  virtual awaitable<Result<std::vector<DeadProp>>> dead_props(std::string path) = 0;
  // list(), each member with its dead properties (none where they cannot
  // be read, as for a file with other hard links): what a WebDAV PROPFIND
  // of a folder asks. The default asks dead_props() member by member; a
  // backend may read them in the listing's own step (the POSIX one: one
  // pool job for the whole folder instead of one per member).
  virtual awaitable<Result<std::vector<PropEntry>>> list_with_props(std::string path) {
    auto entries = co_await list(path);
    if (!entries) {
      co_return entries.error();
    }
    std::vector<PropEntry> out;
    out.reserve(entries->size());
    for (DirEntry& entry : *entries) {
      // Locals, not ?: temporaries, around co_await (GCC 12 destroys
      // those twice).
      std::string member = path.empty() ? entry.name : path + "/" + entry.name;
      auto dead = co_await dead_props(std::move(member));
      PropEntry listed{.entry = std::move(entry)};
      if (dead) {
        listed.dead = std::move(*dead);
      }
      out.push_back(std::move(listed));
    }
    co_return out;
  }
  // Applies `changes` in order, all or none (apply_prop_changes): kTooLarge
  // past the limits, and then nothing changed.
  virtual awaitable<Result<void>> patch_dead_props(std::string path,
                                                   std::vector<PropChange> changes) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual Capabilities capabilities() const = 0;
  // The user's space, made on first use. `user` must be one path component
  // (the auth module guarantees a valid user name): kBadPath otherwise.
  virtual awaitable<Result<std::unique_ptr<Space>>> open_space(std::string user) = 0;
  // Drops what killed uploads left, and partials kept for a resume once
  // untouched for `partial_ttl`. Returns how many it dropped.
  virtual awaitable<std::size_t> remove_stale(std::chrono::seconds partial_ttl) = 0;
};

}  // namespace sfs::storage

#pragma once
// The POSIX storage backend, the embedded default: today's Store, UserTree,
// ReadFile and Upload (openat2 beneath each user's directory handle),
// unchanged, behind the asynchronous interface of storage/backend.h. Every
// blocking call runs on a thread pool it is given, so the network threads
// never wait for the disk: file data (reads and writes of transfers) on the
// `data` pool, metadata (open, list, stat, mkdir, commit, usage walks) on
// the `metadata` pool, whole-file and whole-tree reads (compute_digest,
// verify) on the `slow` pool, so that none of them queues behind another.
// Except on a store in memory (tmpfs), which never waits for a device: there
// the reads and writes of file data (a frame or piece per call, 4 MiB at
// most), opens, creates, commits and stats run inline, since handing them
// to a pool cost more than the work (two thread wake-ups each,
// bench/notes.md).
//
//   asio::thread_pool disk(2);
//   auto backend = storage::PosixBackend::open("server_storage", disk);  // one pool for all
//   auto space = co_await (*backend)->open_space("alice");

#include <filesystem>
#include <memory>

#include "asio/asio.h"
#include "storage/backend.h"
#include "storage/store.h"

namespace sfs::storage {

// Where the POSIX backend's blocking calls run; the pools must outlive the
// backend and every space and handle it makes.
struct PosixPools {
  asio::thread_pool& metadata;
  asio::thread_pool& data;
  asio::thread_pool& slow;
};

// Where the calls that wait for no device on a store in memory run: file
// data's reads and writes, opens, creates, commits (but those that free a
// big file's pages) and stats.
enum class InlineWork {
  kByStore,  // inline when the store is in memory (Store::in_memory), else on the pools
  kOnPools,
  kInline,
};

class PosixBackend final : public Backend {
 public:
  PosixBackend(Store store, PosixPools pools, InlineWork work = InlineWork::kByStore);
  // Every call on the one pool `disk`.
  PosixBackend(Store store, asio::thread_pool& disk);

  // Opens (creating it when missing) the store at `root`: Store::open's
  // errors.
  static Result<std::unique_ptr<PosixBackend>> open(const std::filesystem::path& root,
                                                    asio::thread_pool& disk);

  // Atomic folder rename (renameat), digests in xattrs that can be
  // back-filled, partials kept under flock, durable; usage() walks the tree.
  Capabilities capabilities() const override;
  awaitable<Result<std::unique_ptr<Space>>> open_space(std::string user) override;
  awaitable<std::size_t> remove_stale(std::chrono::seconds partial_ttl) override;

 private:
  Store store_;
  PosixPools pools_;
  bool in_memory_;  // from InlineWork: those calls run inline
};

}  // namespace sfs::storage

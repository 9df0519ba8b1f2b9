#include "storage/posix/posix_backend.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "asio/offload.h"
#include "storage/files.h"
#include "storage/user_tree.h"

namespace sfs::storage {
namespace {

// A file this small is read whole, with its digest, in the pool job that
// opens it: a small download is then one pool job instead of three (open,
// digest, read), and each job is two thread wake-ups, which cost a 4 KiB
// file more than its bytes (bench/notes.md). A stored file is replaced by a
// rename, never written in place, so what the open file holds stays as read.
constexpr std::uint64_t kReadWholeBytes = std::uint64_t{16} * 1024;

// A ReadFile whose every system call runs on one of the pools (a small
// one's all in the job that opened it), or inline on a store in memory.
class PosixRead final : public ReadHandle {
 public:
  PosixRead(ReadFile file, const PosixPools& pools, bool in_memory)
      : file_(std::move(file)), pools_(pools), data_(in_memory ? nullptr : &pools_.data) {}

  // In the opening job: a small file's bytes and digest.
  void read_if_small() {
    if (file_.size() > kReadWholeBytes) {
      return;
    }
    std::string bytes(file_.size(), '\0');
    std::size_t have = 0;
    while (have < bytes.size()) {
      auto got = file_.read_at(bytes.data() + have, bytes.size() - have, have);
      if (!got || *got == 0) {
        return;  // read as a big file, in jobs of its own, which report it
      }
      have += *got;
    }
    whole_ = std::move(bytes);
    digest_ = file_.stored_digest();
  }

  std::uint64_t size() const override { return file_.size(); }
  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    if (whole_) {
      const std::size_t at = std::min<std::uint64_t>(offset, whole_->size());
      const std::size_t n = std::min(length, whole_->size() - at);
      std::copy_n(whole_->data() + at, n, data);
      co_return n;
    }
    co_return co_await call_on(data_, [&] { return file_.read_at(data, length, offset); });
  }
  awaitable<Result<std::size_t>> read_hashed_at(char* data, std::size_t length,
                                                std::uint64_t offset,
                                                crypto::Digest& digest) override {
    if (whole_) {  // in memory: a small file hashes in no time
      auto n = co_await read_at(data, length, offset);
      if (n) {
        digest.update(data, *n);
      }
      co_return n;
    }
    co_return co_await call_on(data_, [&]() -> Result<std::size_t> {
      auto n = file_.read_at(data, length, offset);
      if (n) {
        digest.update(data, *n);
      }
      return n;
    });
  }
  awaitable<std::string> stored_digest() override {
    if (digest_) {
      co_return *digest_;
    }
    co_return co_await run_blocking(pools_.metadata, [&] { return file_.stored_digest(); });
  }
  awaitable<Result<void>> store_digest(std::string hex) override {
    digest_.reset();
    co_return co_await run_blocking(pools_.metadata, [&] { return file_.store_digest(hex); });
  }
  awaitable<Result<std::string>> compute_digest() override {
    co_return co_await run_blocking(pools_.slow, [&] { return file_.compute_digest(); });
  }

 private:
  ReadFile file_;
  PosixPools pools_;
  asio::thread_pool* data_;            // where reads run: the data pool, or inline
  std::optional<std::string> whole_;   // a small file's bytes, read at the open
  std::optional<std::string> digest_;  // its stored digest, read then too
};

// Writes this small wait in memory and reach the file in the pool job of
// the next call that needs them there (commit, usually), with the digest:
// a small upload is then two pool jobs (create, commit) instead of four,
// and each job is two thread wake-ups, which cost a 4 KiB file more than
// its bytes (bench/notes.md). Bounded per upload, as a connection's free
// piece is.
constexpr std::size_t kPendingWriteBytes = std::size_t{16} * 1024;

// An inline commit replaces no bigger file than this: the rename frees the
// old file's pages, about 50 ms per GiB on tmpfs here, which must not hold
// up a network thread.
constexpr std::uint64_t kInlineReplaceBytes = std::uint64_t{1} << 20;

// An Upload whose every system call runs on one of the pools, but its
// writes and reads, and its commit unless that frees a big file's pages,
// on a store in memory (PosixBackend's InlineWork). Destroyed unfinished,
// its pending bytes are written and the Upload's own destructor keeps or
// drops it, inline.
class PosixWrite final : public WriteHandle {
 public:
  PosixWrite(Upload upload, const PosixPools& pools, bool in_memory)
      : up_(std::move(upload)), pools_(pools), in_memory_(in_memory) {}
  ~PosixWrite() override { (void)flush(); }
  PosixWrite(const PosixWrite&) = delete;
  PosixWrite& operator=(const PosixWrite&) = delete;

  std::uint64_t held() const override { return up_.held(); }
  bool resumable() const override { return up_.resumable(); }
  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    co_return co_await call_on(data_pool(), [&]() -> Result<std::size_t> {
      SFS_RETURN_IF_ERROR(flush());
      return up_.read_at(data, length, offset);
    });
  }
  awaitable<Result<void>> continue_at(std::uint64_t offset) override {
    if (offset == 0 && up_.held() == 0 && !written_) {
      co_return Result<void>{};  // a new, empty file: already there (no pool job)
    }
    // On the pool even in memory: cutting a partial back frees its pages.
    co_return co_await run_blocking(pools_.data, [&]() -> Result<void> {
      SFS_RETURN_IF_ERROR(flush());
      return up_.continue_at(offset);
    });
  }
  awaitable<Result<void>> write(const char* data, std::size_t length) override {
    written_ = true;
    if (pending_.size() + length <= kPendingWriteBytes) {
      pending_.append(data, length);
      co_return Result<void>{};
    }
    co_return co_await call_on(data_pool(), [&]() -> Result<void> {
      SFS_RETURN_IF_ERROR(flush());
      return up_.write(data, length);
    });
  }
  awaitable<Result<void>> set_digest(std::string hex) override {
    digest_ = std::move(hex);  // recorded with the commit
    co_return Result<void>{};
  }
  void set_mtime(std::int64_t seconds) override { up_.set_mtime(seconds); }
  awaitable<Result<Usage>> commit() override {
    auto commit = [&]() -> Result<Usage> {
      SFS_RETURN_IF_ERROR(flush());
      if (digest_) {
        SFS_RETURN_IF_ERROR(up_.set_digest(*digest_));
      }
      return up_.commit();
    };
    // In memory a commit is a rename whatever the size, unless it frees a
    // big file's pages.
    if (in_memory_ && up_.held() == 0 && up_.replaces_at_most(kInlineReplaceBytes)) {
      co_return commit();
    }
    co_return co_await run_blocking(pools_.metadata, commit);
  }
  awaitable<void> discard() override {
    pending_.clear();
    co_await run_blocking(pools_.metadata, [&] {
      up_.discard();
      return true;  // run_blocking needs a value
    });
  }
  awaitable<std::uint64_t> keep_for_resume() override {
    co_return co_await run_blocking(pools_.metadata, [&] {
      (void)flush();  // what cannot be written is not kept: the resume sends it again
      return up_.keep_for_resume();
    });
  }

 private:
  // Where writes and reads run: the data pool, or inline (nullptr).
  asio::thread_pool* data_pool() const { return in_memory_ ? nullptr : &pools_.data; }
  Result<void> flush() {
    if (pending_.empty()) {
      return {};
    }
    auto wrote = up_.write(pending_.data(), pending_.size());
    pending_.clear();
    return wrote;
  }

  Upload up_;
  PosixPools pools_;
  std::string pending_;                // written bytes not yet in the file
  std::optional<std::string> digest_;  // set_digest's, for the commit
  bool written_ = false;               // write() was called
  bool in_memory_;                     // PosixBackend's InlineWork
};

// One user's UserTree; each call runs on the metadata pool (verify on the
// slow one), but open, create and stat inline on a store in memory.
class PosixSpace final : public Space {
 public:
  PosixSpace(UserTree tree, const PosixPools& pools, bool in_memory)
      : tree_(std::move(tree)), pools_(pools), disk_(pools.metadata), in_memory_(in_memory) {}

  awaitable<Result<std::unique_ptr<ReadHandle>>> open_read(std::string path) override {
    co_return co_await call_on(small_pool(), [&]() -> Result<std::unique_ptr<ReadHandle>> {
      SFS_ASSIGN_OR_RETURN(ReadFile file, tree_.open_read(path));
      auto read = std::make_unique<PosixRead>(std::move(file), pools_, in_memory_);
      read->read_if_small();
      return std::unique_ptr<ReadHandle>(std::move(read));
    });
  }
  awaitable<Result<std::unique_ptr<WriteHandle>>> create(
      std::string path, std::optional<std::uint64_t> resumable_size) override {
    co_return co_await call_on(small_pool(), [&]() -> Result<std::unique_ptr<WriteHandle>> {
      auto upload = tree_.create(path, resumable_size);
      if (!upload) {
        return upload.error();
      }
      return writer(std::move(*upload));
    });
  }
  awaitable<Result<std::unique_ptr<WriteHandle>>> create_unless_same(
      std::string path, std::optional<std::uint64_t> resumable_size, std::uint64_t size,
      std::string digest) override {
    co_return co_await call_on(small_pool(), [&]() -> Result<std::unique_ptr<WriteHandle>> {
      auto there = tree_.stat(path);
      if (there && holds_content(*there, size, digest)) {
        return std::unique_ptr<WriteHandle>();
      }
      auto upload = tree_.create(path, resumable_size);
      if (!upload) {
        return upload.error();
      }
      return writer(std::move(*upload));
    });
  }
  awaitable<Result<Usage>> remove(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.remove(path); });
  }
  awaitable<Result<std::vector<DirEntry>>> list(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.list(path); });
  }
  awaitable<Result<DirEntry>> stat(std::string path) override {
    co_return co_await call_on(small_pool(), [&] { return tree_.stat(path); });
  }
  awaitable<Result<Usage>> make_dir(std::string path, bool parents, AdmitDirs admit) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.make_dir(path, parents, admit); });
  }
  awaitable<Result<Usage>> remove_dir(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.remove_dir(path); });
  }
  awaitable<Result<Moved>> move(std::string from, std::string to,
                                std::size_t max_path_bytes) override {
    co_return co_await run_blocking(disk_, [&]() -> Result<Moved> {
      Moved moved;
      SFS_ASSIGN_OR_RETURN(moved.path, tree_.move(from, to, max_path_bytes, &moved.replaced));
      return moved;
    });
  }
  awaitable<Result<Usage>> usage() override {
    co_return co_await run_blocking(disk_, [&] { return tree_.usage(); });
  }
  awaitable<Result<std::vector<FileCheck>>> verify() override {
    co_return co_await run_blocking(pools_.slow, [&] { return tree_.verify(); });
  }
  awaitable<std::uint64_t> size_of(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.size_of(path); });
  }
  awaitable<Result<std::vector<DeadProp>>> dead_props(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.dead_props(path); });
  }
  awaitable<Result<std::vector<PropEntry>>> list_with_props(std::string path) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.list_with_props(path); });
  }
  awaitable<Result<void>> patch_dead_props(std::string path,
                                           std::vector<PropChange> changes) override {
    co_return co_await run_blocking(disk_, [&] { return tree_.patch_dead_props(path, changes); });
  }

 private:
  // Where open, create and stat run: the metadata pool, or inline (nullptr).
  asio::thread_pool* small_pool() const { return in_memory_ ? nullptr : &disk_; }
  std::unique_ptr<WriteHandle> writer(Upload upload) const {
    return std::make_unique<PosixWrite>(std::move(upload), pools_, in_memory_);
  }

  UserTree tree_;
  PosixPools pools_;
  asio::thread_pool& disk_;  // pools_.metadata
  bool in_memory_;           // PosixBackend's InlineWork
};

}  // namespace

PosixBackend::PosixBackend(Store store, PosixPools pools, InlineWork work)
    : store_(std::move(store)),
      pools_(pools),
      in_memory_(work == InlineWork::kInline ||
                 (work == InlineWork::kByStore && store_.in_memory())) {}

PosixBackend::PosixBackend(Store store, asio::thread_pool& disk)
    : PosixBackend(std::move(store), PosixPools{disk, disk, disk}) {}

Result<std::unique_ptr<PosixBackend>> PosixBackend::open(const std::filesystem::path& root,
                                                         asio::thread_pool& disk) {
  SFS_ASSIGN_OR_RETURN(Store store, Store::open(root));
  return std::make_unique<PosixBackend>(std::move(store), disk);
}

Capabilities PosixBackend::capabilities() const {
  Capabilities caps;
  caps.atomic_dir_rename = true;
  caps.mutable_digests = true;
  caps.resumable_partials = true;
  caps.snapshot_reads = true;
  caps.durable = true;
  return caps;
}

awaitable<Result<std::unique_ptr<Space>>> PosixBackend::open_space(std::string user) {
  co_return co_await run_blocking(pools_.metadata, [&]() -> Result<std::unique_ptr<Space>> {
    SFS_ASSIGN_OR_RETURN(UserTree tree, store_.user(user));
    return std::unique_ptr<Space>(
        std::make_unique<PosixSpace>(std::move(tree), pools_, in_memory_));
  });
}

awaitable<std::size_t> PosixBackend::remove_stale(std::chrono::seconds partial_ttl) {
  co_return co_await run_blocking(pools_.metadata,
                                  [&] { return store_.remove_stale_temps(partial_ttl); });
}

}  // namespace sfs::storage

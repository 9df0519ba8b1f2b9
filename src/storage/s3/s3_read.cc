// A file on S3 opened for reading: ranged GETs pinned to the ETag that
// open_read saw, so a replaced object fails the read (kIo) instead of
// mixing two versions (S3 keeps no snapshot: Capabilities::snapshot_reads).
//
// Read-ahead: each request to a store costs several milliseconds before its
// first byte (radosgw here: ~4 ms for 1 MiB, ~13 ms for 8 MiB), so a
// download asking for 1 MiB pieces one after another got ~130 MB/s out of a
// store that streams ~800. A reader going forward (a read that starts where
// the one before it ended) instead gets its bytes from blocks of
// kBlockBytes, one GET each, the next block fetched while the current one is
// read. A first read, a read elsewhere (a Range, a VIEW of the start) and a
// read of everything left (a small file read whole) go straight to the
// store, asking for no more than they need. Bounded: at most two blocks per handle, and
// the process's blocks together stay under kMaxReadAheadBytes (past it, a
// read goes straight to the store, as before).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "asio/completion.h"
#include "base/byte_budget.h"
#include "crypto/digest.h"
#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {
namespace {

// compute_digest reads in pieces of this size (one buffer per call).
constexpr std::size_t kHashPiece = std::size_t{1} << 20;
constexpr std::size_t kBlockBytes = std::size_t{8} << 20;
constexpr std::uint64_t kMaxReadAheadBytes = std::uint64_t{256} << 20;

// The bytes of every block alive in this process (all backends' reads).
ByteBudget read_ahead_budget(kMaxReadAheadBytes);

// One ranged GET's bytes, filled by a coroutine of its own (fetch); a
// block nobody reads any more goes when its GET ends.
struct Block {
  Block(std::uint64_t at, std::size_t length)
      : offset(at), size(length), bytes(std::make_unique_for_overwrite<char[]>(length)) {}
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() { read_ahead_budget.give_back(size); }

  bool covers(std::uint64_t at) const { return at >= offset && at < offset + size; }
  std::uint64_t end() const { return offset + size; }

  std::uint64_t offset;
  std::size_t size;
  std::unique_ptr<char[]> bytes;
  Completion<Result<std::size_t>> got;
};

awaitable<void> fetch(std::shared_ptr<Block> block, std::shared_ptr<S3Client> s3, std::string key,
                      std::string etag) {
  block->got.set(co_await s3->get_object(std::move(key), block->bytes.get(), block->size,
                                         block->offset, std::move(etag)));
}

class S3Read final : public ReadHandle {
 public:
  S3Read(std::shared_ptr<Shared> shared, std::string key, ObjectInfo info)
      : shared_(std::move(shared)), key_(std::move(key)), info_(std::move(info)) {}

  std::uint64_t size() const override { return info_.size; }

  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    if (offset >= info_.size || length == 0) {
      co_return std::size_t{0};
    }
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(length, info_.size - offset));
    const bool onward = offset == next_offset_;
    std::shared_ptr<Block> block = co_await block_for(offset, want, onward);
    if (!block) {
      co_return co_await read_direct(data, want, offset);
    }
    co_await block->got.wait();
    const Result<std::size_t>& got = block->got.value();
    const std::uint64_t filled = got ? block->offset + *got : 0;
    if (filled <= offset) {  // failed (or short): drop it and ask once more, straight
      forget(block);
      co_return co_await read_direct(data, want, offset);
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(want, filled - offset));
    std::copy_n(block->bytes.get() + (offset - block->offset), n, data);
    next_offset_ = offset + n;
    co_return n;
  }

  awaitable<std::string> stored_digest() override { co_return digest_in(info_); }

  // Not mutable_digests: rewriting the metadata would copy the object.
  awaitable<Result<void>> store_digest(std::string /*hex*/) override { co_return Result<void>(); }

  awaitable<Result<std::string>> compute_digest() override {
    crypto::Digest digest;
    std::vector<char> piece(kHashPiece);
    std::uint64_t offset = 0;
    while (offset < info_.size) {
      auto n = co_await read_at(piece.data(), piece.size(), offset);
      if (!n) {
        co_return n.error();
      }
      if (*n == 0) {
        co_return make_error(Errc::kIo, "S3 object " + key_ + " ended early");
      }
      digest.update(piece.data(), *n);
      offset += *n;
    }
    co_return digest.hex_digest();
  }

 private:
  awaitable<Result<std::size_t>> read_direct(char* data, std::size_t want, std::uint64_t offset) {
    auto n = co_await shared_->s3->get_object(key_, data, want, offset, info_.etag);
    if (n) {
      next_offset_ = offset + *n;
    }
    co_return n;
  }

  // The block holding `offset` (started now when none is and the reader goes
  // `onward`), with the one after it on its way; null when the read should
  // go straight to the store.
  awaitable<std::shared_ptr<Block>> block_for(std::uint64_t offset, std::size_t want, bool onward) {
    if (next_ && next_->covers(offset)) {
      current_ = std::exchange(next_, nullptr);
    } else if (!current_ || !current_->covers(offset)) {
      current_ = nullptr;
      next_ = nullptr;
      if (!onward || offset + want >= info_.size) {  // no gain in a block
        co_return nullptr;
      }
      current_ = co_await start(offset);
    }
    if (current_ && !next_ && current_->end() < info_.size) {
      next_ = co_await start(current_->end());
    }
    co_return current_;
  }

  // A block from `offset` on, fetched meanwhile; null past the budget.
  awaitable<std::shared_ptr<Block>> start(std::uint64_t offset) {
    const auto length =
        static_cast<std::size_t>(std::min<std::uint64_t>(kBlockBytes, info_.size - offset));
    if (!read_ahead_budget.try_take(length)) {
      co_return nullptr;
    }
    const auto executor = co_await asio::this_coro::executor;
    auto block = std::make_shared<Block>(offset, length);
    asio::co_spawn(executor, fetch(block, shared_->s3, key_, info_.etag), asio::detached);
    co_return block;
  }

  void forget(const std::shared_ptr<Block>& block) {
    if (current_ == block) {
      current_ = nullptr;
    }
    if (next_ == block) {
      next_ = nullptr;
    }
  }

  std::shared_ptr<Shared> shared_;
  std::string key_;
  ObjectInfo info_;
  std::shared_ptr<Block> current_;
  std::shared_ptr<Block> next_;
  std::uint64_t next_offset_ = UINT64_MAX;  // where the last read ended
};

}  // namespace

std::unique_ptr<ReadHandle> make_read(std::shared_ptr<Shared> shared, std::string key,
                                      ObjectInfo info) {
  return std::make_unique<S3Read>(std::move(shared), std::move(key), std::move(info));
}

}  // namespace sfs::storage::s3

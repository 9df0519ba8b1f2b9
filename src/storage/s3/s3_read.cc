// A file on S3 opened for reading: ranged GETs pinned to the ETag that
// open_read saw, so a replaced object fails the read (kIo) instead of
// mixing two versions (S3 keeps no snapshot: Capabilities::snapshot_reads).

#include <algorithm>
#include <utility>
#include <vector>

#include "crypto/digest.h"
#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {
namespace {

// compute_digest reads in pieces of this size (one buffer per call).
constexpr std::size_t kHashPiece = std::size_t{1} << 20;

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
    co_return co_await shared_->s3->get_object(key_, data, want, offset, info_.etag);
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
  std::shared_ptr<Shared> shared_;
  std::string key_;
  ObjectInfo info_;
};

}  // namespace

std::unique_ptr<ReadHandle> make_read(std::shared_ptr<Shared> shared, std::string key,
                                      ObjectInfo info) {
  return std::make_unique<S3Read>(std::move(shared), std::move(key), std::move(info));
}

}  // namespace sfs::storage::s3

#pragma once
// The loop of hashing a file's first `length` bytes in 1 MiB pieces, for
// readers of either kind: crypto::hash_prefix (digest.h) reads
// synchronously, files::UserFiles co_awaits its reads and hashes on a pool.
// One copy of the piece size and of the short-file check.
//
//   PrefixHasher h(length, digest);
//   while (!h.done()) {
//     SFS_ASSIGN_OR_RETURN(auto n, read(h.piece(), h.want(), h.offset()));
//     SFS_RETURN_IF_ERROR(h.feed(n));
//   }

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "crypto/digest.h"

namespace sfs::crypto {

class PrefixHasher {
 public:
  // `digest` must outlive the hasher.
  PrefixHasher(std::uint64_t length, Digest& digest) : PrefixHasher(0, length, digest) {}
  // Continues a digest that already holds the first `from` bytes (a kept
  // state, Digest::restore): reads and hashes bytes `from` to `length`.
  PrefixHasher(std::uint64_t from, std::uint64_t length, Digest& digest);

  bool done() const { return done_ == length_; }
  // Where the next read goes, how many bytes it may read, from which offset.
  char* piece() { return buffer_.data(); }
  std::size_t want() const;
  std::uint64_t offset() const { return done_; }
  // Hashes the `n` bytes just read into piece(); kIo when n is 0 (the data
  // ended before `length` bytes).
  Result<void> feed(std::size_t n);

 private:
  std::string buffer_;
  std::uint64_t length_;
  std::uint64_t done_ = 0;
  Digest& digest_;
};

}  // namespace sfs::crypto

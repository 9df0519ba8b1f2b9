#include "crypto/prefix_hash.h"

#include <algorithm>

namespace sfs::crypto {

PrefixHasher::PrefixHasher(std::uint64_t from, std::uint64_t length, Digest& digest)
    : buffer_(from < length ? std::min<std::uint64_t>(length - from, 1U << 20) : 0, '\0'),
      length_(std::max(from, length)),
      done_(from),
      digest_(digest) {}

std::size_t PrefixHasher::want() const {
  return static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), length_ - done_));
}

Result<void> PrefixHasher::feed(std::size_t n) {
  if (n == 0) {
    return make_error(Errc::kIo, "file shrank while being read");
  }
  digest_.update(buffer_.data(), n);
  done_ += n;
  return {};
}

}  // namespace sfs::crypto

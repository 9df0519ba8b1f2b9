#include "storage/digest_cache.h"

#include <functional>

namespace sfs::storage {

std::size_t DigestCache::KeyHash::operator()(const Key& k) const {
  // The inode tells files apart; the rest only confirms.
  return std::hash<std::uint64_t>()(k.inode ^ (k.device << 32U) ^
                                    static_cast<std::uint64_t>(k.changed_nanoseconds));
}

DigestCache::Key DigestCache::key_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_size), static_cast<std::int64_t>(st.st_ctim.tv_sec),
          static_cast<std::int64_t>(st.st_ctim.tv_nsec)};
}

std::optional<std::string> DigestCache::find(const struct stat& st) const {
  const std::lock_guard lock(mutex_);
  const auto found = digests_.find(key_of(st));
  if (found == digests_.end()) {
    return std::nullopt;
  }
  return found->second;
}

void DigestCache::put(const struct stat& st, const std::string& digest) {
  if (digest.empty() || capacity_ == 0) {
    return;
  }
  const std::lock_guard lock(mutex_);
  if (digests_.size() >= capacity_) {
    digests_.clear();  // simpler than an LRU, and a listing refills what it uses
  }
  digests_.insert_or_assign(key_of(st), digest);
}

}  // namespace sfs::storage

// What HEAD said of files, kept for listings (storage/s3/s3_info_cache.h).

#include "storage/s3/s3_info_cache.h"

namespace sfs::storage::s3 {

void InfoCache::remember(const std::string& key, const ObjectInfo& info) {
  if (info.answered_at - info.mtime < kSettledSeconds || info.mtime <= 0) {
    return;  // the key may be written again within LastModified's second
  }
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.info = info;
    uses_.splice(uses_.begin(), uses_, it->second.use);
    return;
  }
  if (entries_.size() >= kMaxEntries) {
    entries_.erase(uses_.back());
    uses_.pop_back();
  }
  uses_.push_front(key);
  entries_.emplace(key, Entry{info, uses_.begin()});
}

std::optional<ObjectInfo> InfoCache::recall(const ObjectEntry& listed) {
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(listed.key);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  const ObjectInfo& info = it->second.info;
  if (info.mtime != listed.mtime || info.size != listed.size || info.etag != listed.etag) {
    uses_.erase(it->second.use);  // written since: of no more use
    entries_.erase(it);
    return std::nullopt;
  }
  uses_.splice(uses_.begin(), uses_, it->second.use);
  return info;
}

std::size_t InfoCache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace sfs::storage::s3

#pragma once
// What HEAD said of files, kept for listings (the S3 backend's internals,
// see storage/s3/s3_shared.h). A ListObjectsV2 page names each object's
// size, ETag and LastModified but not its metadata (the digest and kept
// time sfs stores there), which costs a HEAD per file: a listing of 1,000
// files took 0.58 s of HEADs on the one-node radosgw. An answer is kept
// only when the store gave it at least kSettledSeconds after the object's
// LastModified, by the store's own clock (the reply's Date): any later
// write of that key then gets a later LastModified, so an entry is used
// only while a listing shows the same LastModified, size and ETag, and a
// write by any node (a replace, a copy onto itself for its digest, a
// delete and a new upload) makes the next listing ask again.
// Least recently used entries go past kMaxEntries. Thread-safe.
//
//   if (auto known = cache.recall(listed)) { ...use *known... }
//   else { info = HEAD; cache.remember(listed.key, info); }

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/s3/s3_client.h"

namespace sfs::storage::s3 {

class InfoCache {
 public:
  static constexpr std::size_t kMaxEntries = 32768;
  static constexpr std::int64_t kSettledSeconds = 2;

  // Keeps what HEAD said of `key`, when it was settled (see above).
  void remember(const std::string& key, const ObjectInfo& info);
  // What HEAD said of the object `listed` names, when that is still it.
  std::optional<ObjectInfo> recall(const ObjectEntry& listed);
  std::size_t size() const;

 private:
  struct Entry {
    ObjectInfo info;
    std::list<std::string>::iterator use;  // its place in uses_
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> uses_;  // keys, most recently used first
};

}  // namespace sfs::storage::s3

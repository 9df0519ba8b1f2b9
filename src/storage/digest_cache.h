#pragma once
// The stored digests of files a listing has read, by inode, so that the
// next listing of an unchanged file takes the digest from memory: one
// fstatat per entry instead of open, fstat, the attribute and close (a sync
// of an unchanged tree lists every file of it).
//
//   DigestCache cache;
//   if (auto digest = cache.find(st)) { ... }   // st: an fstatat of the file
//   cache.put(st, digest);                      // st: the fstat of the fd read
//
// An entry counts only for the same device, inode, size and change time to
// the nanosecond: writing the file or its attributes moves its change time,
// and an upload replaces a file with another inode. Only digests are kept
// (a file without one is read again, so a digest recorded later is seen).
// Bounded: when full it starts afresh. Thread-safe.

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sfs::storage {

class DigestCache {
 public:
  // About 100 bytes each: some 6 MiB at most.
  static constexpr std::size_t kDefaultEntries = 65536;

  explicit DigestCache(std::size_t capacity = kDefaultEntries) : capacity_(capacity) {}

  std::optional<std::string> find(const struct stat& st) const;
  void put(const struct stat& st, const std::string& digest);

 private:
  struct Key {
    std::uint64_t device;
    std::uint64_t inode;
    std::int64_t size;
    std::int64_t changed_seconds;
    std::int64_t changed_nanoseconds;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  static Key key_of(const struct stat& st);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::string, KeyHash> digests_;
};

}  // namespace sfs::storage

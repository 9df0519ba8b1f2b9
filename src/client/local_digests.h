#pragma once
// The digests of local files hashed before, so that a file unchanged since
// is not read again: sync and the unchanged checks of put -r and get -r
// then cost one open and fstat per file, not a read of its bytes (as git's
// index keeps its files' stat). Kept per user in the folder
// $XDG_CACHE_HOME/sfs/digests.d (else ~/.cache/sfs/digests.d, mode 0700),
// in 256 parts (files of mode 0600) by the low byte of the inode: a command
// reads and rewrites only the parts of the files it looked up or hashed, so
// one `put` or `get` costs the same with 200,000 files remembered as with
// 20 (one file for all cost every command milliseconds per thousand).
//
// A digest is used only for the same file (device and inode) with the same
// size, modification time and change time to the nanosecond: whatever
// writes a file moves its change time, which no one can set back. A file
// changed less than a second before it was read is not remembered (its
// change time might not move again for a write in the same clock tick).
//
//   LocalDigests& digests = LocalDigests::shared();
//   if (auto known = digests.find(st)) { ... }            // st: fstat of the open file
//   digests.remember(st, digest, read_started);            // after hashing it
//   digests.save();                                        // when the command ends

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sfs::client {

class LocalDigests {
 public:
  // The files the cache is split into, by the low byte of the inode.
  static constexpr std::size_t kShards = 256;
  // At most this many files are remembered (about 90 bytes each on disk),
  // kMaxEntries / kShards in each part; a full part forgets one of its
  // files for each new one.
  static constexpr std::size_t kMaxEntries = 256'000;

  // The cache of this process, each part read on first use.
  static LocalDigests& shared();
  // A cache kept in the folder `dir` (empty: none, nothing read or written);
  // `replaces`, the file an older sfs kept it in, is removed at the first save.
  explicit LocalDigests(std::filesystem::path dir, std::filesystem::path replaces = {});

  // The name of the part (a file in the folder) that holds what is
  // remembered of the file with inode number `inode`: "00" to "ff".
  static std::string shard_name(std::uint64_t inode);

  // The digest remembered for the file `st` describes, when it still fits.
  std::optional<std::string> find(const struct stat& st);
  // Remembers `digest` (hex) for the file `st`, whose reading started at
  // `read_started` (CLOCK_REALTIME), unless it changed too near that time.
  void remember(const struct stat& st, const std::string& digest, struct timespec read_started);
  // Writes each part something was remembered in since the last save
  // (whole, atomically). Failures are silent: it is only a cache.
  void save();

 private:
  struct Key {
    std::uint64_t device;
    std::uint64_t inode;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return k.inode * 31 + k.device; }
  };
  struct Entry {
    std::uint64_t size;
    std::int64_t mtime_ns;
    std::int64_t ctime_ns;
    std::string digest;
  };
  struct Shard {
    bool loaded = false;
    bool dirty = false;
    std::unordered_map<Key, Entry, KeyHash> entries;
  };
  static std::optional<std::pair<Key, Entry>> parse_line(std::string_view line);
  // The part that holds `st`'s file, read from its file on first use (with
  // mutex_ held).
  Shard& shard_of(const struct stat& st);
  void load(Shard& shard, const std::filesystem::path& file) const;
  void write(const Shard& shard, const std::filesystem::path& file) const;

  std::filesystem::path dir_;
  std::filesystem::path replaces_;
  std::mutex mutex_;  // sync hashes on a thread of its own
  std::vector<Shard> shards_;
};

}  // namespace sfs::client

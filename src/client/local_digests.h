#pragma once
// The digests of local files hashed before, so that a file unchanged since
// is not read again: sync and the unchanged checks of put -r and get -r
// then cost one open and fstat per file, not a read of its bytes (as git's
// index keeps its files' stat). Kept per user in
// $XDG_CACHE_HOME/sfs/digests (else ~/.cache/sfs/digests), mode 0600.
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

namespace sfs::client {

class LocalDigests {
 public:
  // At most this many files are remembered (about 90 bytes each in the file).
  static constexpr std::size_t kMaxEntries = 250'000;

  // The cache of this process, read from its file on first use.
  static LocalDigests& shared();
  // A cache kept in `file` (empty: none, nothing read or written).
  explicit LocalDigests(std::filesystem::path file) : file_(std::move(file)) {}

  // The digest remembered for the file `st` describes, when it still fits.
  std::optional<std::string> find(const struct stat& st);
  // Remembers `digest` (hex) for the file `st`, whose reading started at
  // `read_started` (CLOCK_REALTIME), unless it changed too near that time.
  void remember(const struct stat& st, const std::string& digest, struct timespec read_started);
  // Writes the file when something was remembered since the last save
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
  static std::optional<std::pair<Key, Entry>> parse_line(std::string_view line);
  void load_once();  // with mutex_ held

  std::filesystem::path file_;
  std::mutex mutex_;  // sync hashes on a thread of its own
  bool loaded_ = false;
  bool dirty_ = false;
  std::unordered_map<Key, Entry, KeyHash> entries_;
};

}  // namespace sfs::client

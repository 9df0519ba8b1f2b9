#include "client/local_digests.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <utility>

#include "base/atomic_file.h"
#include "crypto/digest.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeader = "sfs-local-digests 1";
constexpr std::int64_t kNanos = 1'000'000'000;

std::int64_t nanos(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * kNanos + t.tv_nsec;
}

// The folder of sfs's caches (empty: no home to keep them in).
fs::path cache_home() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return fs::path(xdg) / "sfs";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] != '/') {
    return {};
  }
  return fs::path(home) / ".cache" / "sfs";
}

constexpr std::size_t kShardEntries = LocalDigests::kMaxEntries / LocalDigests::kShards;

// One number and the space after it, from the front of `text`.
template <typename T>
bool take_number(std::string_view& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data() + text.size() || *end != ' ') {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()) + 1);
  return true;
}

}  // namespace

// "DEVICE INODE SIZE MTIME_NS CTIME_NS DIGEST".
std::optional<std::pair<LocalDigests::Key, LocalDigests::Entry>> LocalDigests::parse_line(
    std::string_view line) {
  Key key{};
  Entry entry{};
  if (!take_number(line, key.device) || !take_number(line, key.inode) ||
      !take_number(line, entry.size) || !take_number(line, entry.mtime_ns) ||
      !take_number(line, entry.ctime_ns) || !crypto::is_digest_hex(line)) {
    return std::nullopt;
  }
  entry.digest = std::string(line);
  return std::pair{key, std::move(entry)};
}

LocalDigests::LocalDigests(fs::path dir, fs::path replaces)
    : dir_(std::move(dir)), replaces_(std::move(replaces)), shards_(kShards) {}

LocalDigests& LocalDigests::shared() {
  static LocalDigests digests = [] {
    const fs::path home = cache_home();
    return home.empty() ? LocalDigests(fs::path())
                        : LocalDigests(home / "digests.d", home / "digests");
  }();
  return digests;
}

std::string LocalDigests::shard_name(std::uint64_t inode) {
  constexpr char kHex[] = "0123456789abcdef";
  const auto low = static_cast<unsigned>(inode % kShards);
  return {kHex[low >> 4], kHex[low & 15]};
}

LocalDigests::Shard& LocalDigests::shard_of(const struct stat& st) {
  Shard& shard = shards_[st.st_ino % kShards];
  if (!shard.loaded) {
    shard.loaded = true;
    if (!dir_.empty()) {
      load(shard, dir_ / shard_name(st.st_ino));
    }
  }
  return shard;
}

void LocalDigests::load(Shard& shard, const fs::path& file) const {
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return;  // none yet, or not ours: start empty
  }
  while (shard.entries.size() < kShardEntries && std::getline(in, line)) {
    auto parsed = parse_line(line);
    if (!parsed) {
      shard.entries.clear();  // damaged: trust none of it
      return;
    }
    shard.entries.insert_or_assign(parsed->first, std::move(parsed->second));
  }
}

std::optional<std::string> LocalDigests::find(const struct stat& st) {
  const std::lock_guard lock(mutex_);
  const Shard& shard = shard_of(st);
  const auto it = shard.entries.find({st.st_dev, st.st_ino});
  if (it == shard.entries.end() || it->second.size != static_cast<std::uint64_t>(st.st_size) ||
      it->second.mtime_ns != nanos(st.st_mtim) || it->second.ctime_ns != nanos(st.st_ctim)) {
    return std::nullopt;
  }
  return it->second.digest;
}

void LocalDigests::remember(const struct stat& st, const std::string& digest,
                            struct timespec read_started) {
  if (nanos(st.st_ctim) > nanos(read_started) - kNanos || nanos(st.st_mtim) > nanos(read_started)) {
    return;  // changed within a second of the read (or dated later): not safe to remember
  }
  if (dir_.empty()) {
    return;
  }
  const std::lock_guard lock(mutex_);
  Shard& shard = shard_of(st);
  const Key key{st.st_dev, st.st_ino};
  if (shard.entries.size() >= kShardEntries && !shard.entries.contains(key)) {
    shard.entries.erase(shard.entries.begin());  // full: any one makes room (it is a cache)
  }
  shard.entries.insert_or_assign(key, Entry{static_cast<std::uint64_t>(st.st_size),
                                            nanos(st.st_mtim), nanos(st.st_ctim), digest});
  shard.dirty = true;
}

void LocalDigests::save() {
  const std::lock_guard lock(mutex_);
  bool made_dir = false;
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    if (!shard.dirty) {
      continue;
    }
    shard.dirty = false;
    std::error_code ec;
    if (!made_dir) {
      made_dir = true;
      fs::create_directories(dir_, ec);
      fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
      if (!replaces_.empty()) {
        fs::remove(std::exchange(replaces_, {}), ec);
      }
    }
    write(shard, dir_ / shard_name(i));
  }
}

void LocalDigests::write(const Shard& shard, const fs::path& file) const {
  std::string text(kHeader);
  text += '\n';
  for (const auto& [key, entry] : shard.entries) {
    text += std::to_string(key.device) + ' ' + std::to_string(key.inode) + ' ' +
            std::to_string(entry.size) + ' ' + std::to_string(entry.mtime_ns) + ' ' +
            std::to_string(entry.ctime_ns) + ' ' + entry.digest + '\n';
  }
  (void)replace_file(file, text, 0600, Errc::kLocal, Durability::kCache);
}

}  // namespace sfs::client

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

fs::path default_file() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return fs::path(xdg) / "sfs" / "digests";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] != '/') {
    return {};
  }
  return fs::path(home) / ".cache" / "sfs" / "digests";
}

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

LocalDigests& LocalDigests::shared() {
  static LocalDigests digests(default_file());
  return digests;
}

void LocalDigests::load_once() {
  if (loaded_) {
    return;
  }
  loaded_ = true;
  if (file_.empty()) {
    return;
  }
  std::ifstream in(file_);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return;  // none yet, or not ours: start empty
  }
  while (entries_.size() < kMaxEntries && std::getline(in, line)) {
    auto parsed = parse_line(line);
    if (!parsed) {
      entries_.clear();  // damaged: trust none of it
      return;
    }
    entries_.insert_or_assign(parsed->first, std::move(parsed->second));
  }
}

std::optional<std::string> LocalDigests::find(const struct stat& st) {
  const std::lock_guard lock(mutex_);
  load_once();
  const auto it = entries_.find({st.st_dev, st.st_ino});
  if (it == entries_.end() || it->second.size != static_cast<std::uint64_t>(st.st_size) ||
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
  const std::lock_guard lock(mutex_);
  load_once();
  if (file_.empty() || entries_.size() >= kMaxEntries) {
    return;
  }
  entries_.insert_or_assign(
      Key{st.st_dev, st.st_ino},
      Entry{static_cast<std::uint64_t>(st.st_size), nanos(st.st_mtim), nanos(st.st_ctim), digest});
  dirty_ = true;
}

void LocalDigests::save() {
  const std::lock_guard lock(mutex_);
  if (!dirty_ || file_.empty()) {
    return;
  }
  dirty_ = false;
  std::string text(kHeader);
  text += '\n';
  for (const auto& [key, entry] : entries_) {
    text += std::to_string(key.device) + ' ' + std::to_string(key.inode) + ' ' +
            std::to_string(entry.size) + ' ' + std::to_string(entry.mtime_ns) + ' ' +
            std::to_string(entry.ctime_ns) + ' ' + entry.digest + '\n';
  }
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  fs::permissions(file_.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  (void)replace_file(file_, text, 0600, Errc::kLocal);
}

}  // namespace sfs::client

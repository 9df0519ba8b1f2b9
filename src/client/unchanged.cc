#include "client/unchanged.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <vector>

#include "base/errno_error.h"
#include "client/local_digests.h"
#include "client/local_file.h"
#include "crypto/digest.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

Result<std::string> digest_of(LocalSource& source) {
  crypto::Digest digest;
  // Sized to the file and one byte more (up to 1 MiB): a tree of small
  // files must not pay for clearing a large buffer per file, and a read
  // that does not fill it has reached the end (a regular file reads short
  // only there), so a small file takes one read, not two.
  constexpr std::uint64_t kMaxPiece = 1 << 20;
  std::vector<char> buffer(
      static_cast<std::size_t>(std::clamp<std::uint64_t>(source.size() + 1, 1, kMaxPiece)));
  while (true) {
    SFS_ASSIGN_OR_RETURN(const std::size_t n, source.read(buffer.data(), buffer.size()));
    digest.update(buffer.data(), n);
    if (n < buffer.size()) {
      return digest.hex_digest();
    }
  }
}

// The digest LocalDigests remembers for the file, else the one read now
// (and remembered).
Result<std::string> known_or_read_digest(LocalSource& source) {
  LocalDigests& digests = LocalDigests::shared();
  if (auto known = digests.find(source.status())) {
    return *known;
  }
  SFS_ASSIGN_OR_RETURN(auto digest, digest_of(source));
  digests.remember(source.status(), digest, source.opened_at());
  return digest;
}

}  // namespace

Result<std::string> local_digest(const fs::path& path) {
  SFS_ASSIGN_OR_RETURN(auto source, LocalSource::open(path));
  return known_or_read_digest(source);
}

// One open (no symlink followed) and its fstat give the type and the size:
// a tree of small files costs a few calls per file, not an lstat and a stat
// more (sync of an unchanged tree of 1,000 files).
std::optional<LocalContent> local_content(const fs::path& path) {
  auto source = LocalSource::open(path, /*follow_links=*/false);
  if (!source) {
    return std::nullopt;
  }
  auto digest = known_or_read_digest(*source);
  if (!digest) {
    return std::nullopt;
  }
  return LocalContent{source->size(), std::move(*digest)};
}

Result<bool> same_content(Connection& conn, const fs::path& local, const std::string& remote,
                          const protocol::Entry& entry, const LocalContent* known) {
  if (entry.type != 'f') {
    return false;
  }
  std::optional<LocalSource> source;
  if (known == nullptr) {
    auto opened = LocalSource::open(local, /*follow_links=*/false);
    if (!opened) {
      return false;
    }
    source.emplace(std::move(*opened));
  }
  if ((known != nullptr ? known->size : source->size()) != entry.size) {
    return false;
  }
  std::string remote_digest = entry.digest;
  if (remote_digest.empty()) {  // stored before digests, or hard-linked: ask
    auto hashed = conn.hash(remote);
    if (!hashed) {
      return is_connection_failure(hashed.error()) ? Result<bool>(hashed.error())
                                                   : Result<bool>(false);
    }
    remote_digest = *hashed;
  }
  if (known != nullptr) {
    return known->digest == remote_digest;
  }
  auto mine = known_or_read_digest(*source);
  return mine && *mine == remote_digest;
}

Result<std::optional<protocol::Entry>> remote_entry_at(Connection& conn,
                                                       const std::string& remote) {
  auto entry = conn.stat(remote);
  if (!entry) {
    if (entry.error().code == Errc::kNotFound) {
      return std::optional<protocol::Entry>();
    }
    return entry.error();
  }
  return std::optional<protocol::Entry>(std::move(*entry));
}

Result<void> set_local_mtime(const fs::path& path, std::int64_t mtime) {
  const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(mtime), 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_error(Errc::kLocal, path.string(), errno);
  }
  return {};
}

void report_unchanged(std::uint64_t count) {
  if (count > 0) {
    std::fprintf(stderr,
                 "sfs: %llu unchanged file(s) skipped (same size and digest; --force sends them "
                 "anyway)\n",
                 static_cast<unsigned long long>(count));
  }
}

}  // namespace sfs::client

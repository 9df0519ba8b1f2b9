#include "client/tree_transfer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "base/errno_error.h"
#include "base/unique_fd.h"
#include "client/json.h"
#include "client/tree_progress.h"
#include "client/tree_walk.h"
#include "protocol/limits.h"
#include "protocol/path.h"
#include "protocol/reply.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// As deep as the server lets directories nest; a bound on the walks here.
constexpr int kMaxDepth = 64;
// A bound on how many entries a (possibly hostile) server can make us hold.
constexpr std::size_t kMaxTreeEntries = 1'000'000;

using Item = TreeItem;

std::string join(const std::string& top, const std::string& relative) {
  return join_path(top, relative);
}

// Control bytes shown as '?', so a name cannot rewrite the terminal.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      c = '?';
    }
  }
  return out;
}

// Sets the connection's progress observer for as long as it lives.
class Observe {
 public:
  Observe(Connection& conn, TreeProgress& progress) : conn_(conn) {
    conn_.set_progress_observer([&progress](std::uint64_t n) { progress.update(n); });
  }
  ~Observe() { conn_.set_progress_observer(nullptr); }
  Observe(const Observe&) = delete;
  Observe& operator=(const Observe&) = delete;

 private:
  Connection& conn_;
};

std::pair<std::uint64_t, std::uint64_t> count_files(const std::vector<Item>& items) {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  for (const Item& item : items) {
    files += item.is_dir ? 0 : 1;
    bytes += item.is_dir ? 0 : item.size;
  }
  return {files, bytes};
}

// Records the result of one file; false when the connection is gone.
bool record(const Result<void>& result, const Item& item, TransferSummary& summary) {
  if (result) {
    ++summary.files;
    summary.bytes += item.size;
    return true;
  }
  summary.failed.push_back({item.relative, result.error()});
  return !is_connection_failure(result.error());
}

// A local name becomes a remote path only if it follows the remote rules
// (valid UTF-8, no reserved prefix, ...): checked before anything is sent.
Result<void> check_target(const std::string& target) {
  if (auto ok = protocol::validate_remote_path(target); !ok) {
    return make_error(Errc::kBadPath, "invalid remote name: " + ok.error().message);
  }
  return {};
}

}  // namespace

std::string join_path(const std::string& top, const std::string& relative) {
  if (relative.empty() || top.empty()) {
    return top + relative;
  }
  return top + "/" + relative;
}

// Collects the local tree below `dir` in name order. Symlinks and special
// files are skipped with a warning; unreadable directories are failures.
namespace {

// The names in the directory `dir_fd` (without . and ..), in byte order;
// kLocal with `shown` in the message when it cannot be read.
Result<std::vector<std::string>> names_in(int dir_fd, const std::string& shown) {
  const int copy = ::dup(dir_fd);  // closedir() closes it; `dir_fd` stays open
  DIR* dir = copy < 0 ? nullptr : ::fdopendir(copy);
  if (dir == nullptr) {
    const int err = errno;
    if (copy >= 0) {
      ::close(copy);
    }
    return errno_error(Errc::kLocal, shown, err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) {
    return errno_error(Errc::kLocal, shown, err);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void walk_local_at(const UniqueFd& dir_fd, const fs::path& dir, const std::string& relative,
                   int depth, std::vector<Item>& items, TransferSummary& summary) {
  auto names = names_in(dir_fd.get(), dir.string());
  if (!names) {
    summary.failed.push_back({relative.empty() ? dir.string() : relative, names.error()});
    return;
  }
  // One fstatat beside the open folder per entry gives the type, a regular
  // file's size and its identity (LocalDigests), with no path to resolve
  // again (a tree of small files pays per call: sync of an unchanged tree).
  for (const std::string& leaf : *names) {
    const std::string name = join(relative, leaf);
    struct stat st {};
    const bool known = ::fstatat(dir_fd.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (known && S_ISDIR(st.st_mode) && depth < kMaxDepth) {
      items.push_back({name, true, 0, 0, {}, {}});
      const UniqueFd sub(
          ::openat(dir_fd.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        summary.failed.push_back({name, errno_error(Errc::kLocal, (dir / leaf).string(), errno)});
        continue;
      }
      walk_local_at(sub, dir / leaf, name, depth + 1, items, summary);
    } else if (known && S_ISREG(st.st_mode)) {
      items.push_back({name, false, static_cast<std::uint64_t>(st.st_size), 0, {}, st});
    } else if (known && S_ISDIR(st.st_mode)) {
      summary.failed.push_back({name, make_error(Errc::kTooLarge, "directory nested too deep")});
    } else {
      const char* what = known && S_ISLNK(st.st_mode) ? "symlink" : "special file";
      std::fprintf(stderr, "sfs: skipping %s %s\n", what, printable(name).c_str());
      summary.skipped.push_back(name);
    }
  }
}

}  // namespace

void walk_local(const fs::path& dir, const std::string& relative, int depth,
                std::vector<Item>& items, TransferSummary& summary) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    summary.failed.push_back({relative.empty() ? dir.string() : relative,
                              errno_error(Errc::kLocal, dir.string(), errno)});
    return;
  }
  walk_local_at(fd, dir, relative, depth, items, summary);
}

namespace {

// Appends the items of the folder `relative` and, depth first, of the
// folders below it that were listed, as the recursive walk did.
void emit_listed(const std::map<std::string, std::vector<protocol::Entry>>& listed,
                 const std::string& relative, std::vector<Item>& items) {
  const auto found = listed.find(relative);
  if (found == listed.end()) {
    return;
  }
  for (const protocol::Entry& e : found->second) {
    const std::string name = join(relative, e.name);
    items.push_back({name, e.type == 'd', e.size, e.mtime, e.digest, {}});
    if (e.type == 'd') {
      emit_listed(listed, name, items);
    }
  }
}

}  // namespace

// Lists a level of folders at a time, their LISTs pipelined (one round trip
// per level, not per folder), then gives the items in the order of a
// depth-first walk.
Result<void> walk_remote(Connection& conn, const std::string& dir, const std::string& relative,
                         int depth, std::vector<Item>& items, TransferSummary& summary) {
  struct Folder {
    std::string remote;
    std::string relative;
    int depth;
  };
  std::map<std::string, std::vector<protocol::Entry>> listed;  // by relative path
  std::size_t entries = items.size();
  std::vector<Folder> level{{dir, relative, depth}};
  while (!level.empty()) {
    std::vector<std::string> remotes;
    remotes.reserve(level.size());
    for (const Folder& f : level) {
      remotes.push_back(f.remote);
    }
    SFS_ASSIGN_OR_RETURN(auto listings, conn.list_many(remotes));
    std::vector<Folder> next;
    for (std::size_t i = 0; i < level.size(); ++i) {
      const Folder& f = level[i];
      auto& listing = listings[i];
      if (!listing) {
        if (f.depth == depth) {  // the top: nothing to walk
          return listing.error();
        }
        summary.failed.push_back({f.relative, listing.error()});
        continue;
      }
      for (const protocol::Entry& e : *listing) {
        SFS_RETURN_IF_ERROR(check_remote_name(e.name));
        if (entries++ >= kMaxTreeEntries) {
          return make_error(Errc::kTooLarge, "remote tree has too many entries");
        }
        if (e.type == 'd' && f.depth < kMaxDepth) {
          next.push_back({f.remote + "/" + e.name, join(f.relative, e.name), f.depth + 1});
        }
      }
      listed.emplace(f.relative, std::move(*listing));
    }
    level = std::move(next);
  }
  emit_listed(listed, relative, items);
  return {};
}

Result<void> check_remote_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos || name.size() > protocol::kMaxNameBytes) {
    return make_error(Errc::kProtocol, "server sent an unsafe name in a listing");
  }
  return {};
}

namespace {

// The listing entry of a remote tree's item, as same_content takes it.
protocol::Entry entry_of(const Item& item) {
  return {item.is_dir ? 'd' : 'f', item.size, item.mtime, item.digest, item.relative};
}

// The files the remote tree `remote` already holds, by relative path: empty
// when it does not exist yet, or when `force` sends everything anyway.
Result<std::map<std::string, Item>> remote_files(Connection& conn, const std::string& remote,
                                                 bool force) {
  std::map<std::string, Item> files;
  if (force) {
    return files;
  }
  std::vector<Item> items;
  TransferSummary ignored;
  if (auto ok = walk_remote(conn, remote, "", 1, items, ignored); !ok) {
    if (ok.error().code == Errc::kNotFound) {
      return files;
    }
    return ok.error();
  }
  for (Item& item : items) {
    if (!item.is_dir) {
      files.emplace(item.relative, std::move(item));
    }
  }
  return files;
}

// Whether `item` of a put -r may be skipped: the remote tree has it with the
// same content.
Result<bool> unchanged_upload(Connection& conn, const fs::path& local, const std::string& target,
                              const Item& item, const std::map<std::string, Item>& there) {
  const auto found = there.find(item.relative);
  if (found == there.end()) {
    return false;
  }
  return same_content(conn, local / item.relative, target, entry_of(found->second));
}

// Makes the remote directory of a put -r; false when the connection is gone.
bool put_dir(Connection& conn, const std::string& target, const Item& item,
             TransferSummary& summary, Result<void>& result) {
  if (result) {
    result = conn.make_dir(target, true);
  }
  if (result) {
    ++summary.directories;
    return true;
  }
  summary.failed.push_back({item.relative, result.error()});
  return !is_connection_failure(result.error());
}

}  // namespace

namespace {

// The files of a put -r still to send after the folders are made and the
// unchanged files set aside, with the items they came from.
struct Uploads {
  std::vector<Connection::PutJob> jobs;
  std::vector<const Item*> items;
};

// Makes the remote folders (all before any file, so that the files can be
// pipelined) and collects the files to send; false when the connection is
// gone (`result` says why).
bool prepare_puts(Connection& conn, const fs::path& local, const std::string& remote,
                  const std::vector<Item>& items, const std::map<std::string, Item>& there,
                  TreeProgress& progress, TransferSummary& summary, Uploads& out,
                  Result<void>& result) {
  for (const Item& item : items) {
    const std::string target = join(remote, item.relative);
    result = check_target(target);
    if (item.is_dir) {
      if (!put_dir(conn, target, item, summary, result)) {
        return false;
      }
      continue;
    }
    if (result) {
      auto same = unchanged_upload(conn, local, target, item, there);
      if (!same) {
        result = same.error();
        return false;
      }
      if (*same) {
        ++summary.unchanged;
        progress.file_done(item.size);
        continue;
      }
      out.jobs.push_back({local / item.relative, target});
      out.items.push_back(&item);
      continue;
    }
    progress.file_done(item.size);
    record(result, item, summary);
  }
  result = Result<void>();
  return true;
}

}  // namespace

Result<void> put_tree(Connection& conn, const fs::path& local, const std::string& remote,
                      const CopyOptions& options, TransferSummary& summary) {
  summary.command = "put";
  std::error_code ec;
  if (!fs::is_directory(local, ec)) {
    return make_error(fs::exists(local, ec) ? Errc::kLocal : Errc::kNotFound,
                      "not a local directory: " + local.string());
  }
  SFS_RETURN_IF_ERROR(protocol::validate_remote_path(remote));
  SFS_ASSIGN_OR_RETURN(const auto there, remote_files(conn, remote, options.force));
  SFS_RETURN_IF_ERROR(conn.make_dir(remote, true));
  ++summary.directories;
  std::vector<Item> items;
  walk_local(local, "", 1, items, summary);
  const auto [files, bytes] = count_files(items);
  TreeProgress progress("put -r " + printable(local.string()), files, bytes);
  const Observe observe(conn, progress);
  Uploads uploads;
  Result<void> result;
  if (!prepare_puts(conn, local, remote, items, there, progress, summary, uploads, result)) {
    return result;
  }
  // The server skips what it already holds (a file changed since the listing).
  return conn.put_many(
      uploads.jobs, options.resume, options.keep_times,
      [&](std::size_t i, const Result<bool>& sent) {
        const Item& item = *uploads.items[i];
        progress.file_done(item.size);
        if (sent && *sent) {
          ++summary.unchanged;
          return;
        }
        record(sent ? Result<void>() : Result<void>(sent.error()), item, summary);
      },
      options.force);
}

namespace {

// Makes the local directory of a get -r; records it when it cannot be made
// (or is a symlink), so that nothing is written below it.
void get_dir(const fs::path& target, const Item& item, std::set<std::string>& bad_dirs,
             TransferSummary& summary) {
  std::error_code ec;
  fs::create_directory(target, ec);
  if (fs::is_symlink(fs::symlink_status(target, ec)) || !fs::is_directory(target, ec)) {
    bad_dirs.insert(item.relative);
    summary.failed.push_back(
        {item.relative,
         make_error(Errc::kLocal, "not a directory (or a symlink): " + target.string())});
  } else {
    ++summary.directories;
  }
}

// One file of a get -r: true when the local copy has the same content
// (it takes the remote time then), so nothing is to be fetched.
Result<bool> keep_local(Connection& conn, const std::string& remote, const fs::path& target,
                        const Item& item, const CopyOptions& options, TransferSummary& summary) {
  if (options.force) {
    return false;
  }
  SFS_ASSIGN_OR_RETURN(const bool same, same_content(conn, target, remote, entry_of(item)));
  if (!same) {
    return false;
  }
  ++summary.unchanged;
  if (options.keep_times) {
    SFS_RETURN_IF_ERROR(set_local_mtime(target, static_cast<std::int64_t>(item.mtime)));
  }
  return true;
}

struct Downloads {
  std::vector<Connection::GetJob> jobs;
  std::vector<const Item*> items;
};

// Makes the local folders and collects the files to fetch; an error only
// when the connection is gone.
Result<void> prepare_gets(Connection& conn, const std::string& remote, const fs::path& local,
                          const std::vector<Item>& items, const CopyOptions& options,
                          TreeProgress& progress, TransferSummary& summary, Downloads& out) {
  std::set<std::string> bad_dirs;
  for (const Item& item : items) {
    const fs::path target = local / item.relative;
    const std::string parent = fs::path(item.relative).parent_path().string();
    if (!parent.empty() && bad_dirs.contains(parent)) {
      bad_dirs.insert(item.relative);
      summary.failed.push_back(
          {item.relative, make_error(Errc::kLocal, "its local directory could not be created")});
      continue;
    }
    if (item.is_dir) {
      get_dir(target, item, bad_dirs, summary);
      continue;
    }
    const std::string path = join(remote, item.relative);
    auto kept = keep_local(conn, path, target, item, options, summary);
    if (!kept || *kept) {
      progress.file_done(item.size);
      if (!kept) {
        summary.failed.push_back({item.relative, kept.error()});
        if (is_connection_failure(kept.error())) {
          return kept.error();
        }
      }
      continue;
    }
    const auto mtime = options.keep_times ? std::optional<std::int64_t>(item.mtime) : std::nullopt;
    out.jobs.push_back({path, target, mtime});
    out.items.push_back(&item);
  }
  return {};
}

}  // namespace

Result<void> get_tree(Connection& conn, const std::string& remote, const fs::path& local,
                      const CopyOptions& options, TransferSummary& summary) {
  summary.command = "get";
  std::vector<Item> items;
  SFS_RETURN_IF_ERROR(walk_remote(conn, remote, "", 1, items, summary));
  std::error_code ec;
  fs::create_directories(local, ec);
  if (!fs::is_directory(local, ec)) {
    return make_error(Errc::kLocal, "cannot create local directory " + local.string());
  }
  ++summary.directories;
  const auto [files, bytes] = count_files(items);
  TreeProgress progress("get -r " + printable(remote), files, bytes);
  const Observe observe(conn, progress);
  Downloads downloads;
  SFS_RETURN_IF_ERROR(
      prepare_gets(conn, remote, local, items, options, progress, summary, downloads));
  return conn.get_many(downloads.jobs, options.resume, [&](std::size_t i, const Result<void>& r) {
    const Item& item = *downloads.items[i];
    progress.file_done(item.size);
    if (r) {
      ++summary.files;
      summary.bytes += item.size;
    } else {
      summary.failed.push_back({item.relative, r.error()});
    }
  });
}

std::string summary_json(const TransferSummary& s) {
  std::string out = "{\"command\":" + json_string(s.command) +
                    ",\"files\":" + std::to_string(s.files) +
                    ",\"bytes\":" + std::to_string(s.bytes) +
                    ",\"directories\":" + std::to_string(s.directories) +
                    ",\"unchanged\":" + std::to_string(s.unchanged) + ",\"skipped\":[";
  for (std::size_t i = 0; i < s.skipped.size(); ++i) {
    out += (i > 0 ? "," : "") + json_string(s.skipped[i]);
  }
  out += "],\"failed\":[";
  for (std::size_t i = 0; i < s.failed.size(); ++i) {
    const TransferFailure& f = s.failed[i];
    out += std::string(i > 0 ? "," : "") + "{\"path\":" + json_string(f.path) +
           ",\"error\":" + json_string(protocol::error_name(f.error.code)) +
           ",\"message\":" + json_string(f.error.message) + "}";
  }
  out += "],\"ok\":";
  out += s.failed.empty() ? "true}" : "false}";
  return out;
}

Result<void> report_failures(const TransferSummary& s) {
  if (s.failed.empty()) {
    return {};
  }
  for (const TransferFailure& f : s.failed) {
    std::fprintf(stderr, "sfs: failed: %s: %s\n", printable(f.path).c_str(),
                 printable(f.error.message).c_str());
  }
  return make_error(s.failed.front().error.code,
                    s.command + " -r: " + std::to_string(s.failed.size()) + " item(s) failed, " +
                        std::to_string(s.files) + " file(s) transferred");
}

}  // namespace sfs::client

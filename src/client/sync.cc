#include "client/sync.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "client/json.h"
#include "client/local_digests.h"
#include "client/progress.h"
#include "client/tree_progress.h"
#include "client/tree_walk.h"
#include "client/unchanged.h"
#include "protocol/path.h"
#include "protocol/reply.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

// What the sync does to one path of DEST.
enum class Step { kMakeDir, kSend, kDelete };

struct Action {
  Step step;
  TreeItem item;  // of SOURCE for kMakeDir/kSend, of DEST for kDelete
};

struct Tally {
  std::uint64_t sent = 0;
  std::uint64_t bytes = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t deleted = 0;
  std::uint64_t directories = 0;     // created
  std::vector<std::string> changed;  // "send a/b.txt", "delete x", "mkdir d"
  std::vector<TransferFailure> failed;
};

const char* step_word(Step step) {
  switch (step) {
    case Step::kMakeDir:
      return "mkdir";
    case Step::kSend:
      return "send";
    case Step::kDelete:
      return "delete";
  }
  return "?";
}

bool matches(const std::vector<std::string>& patterns, const std::string& relative) {
  const std::string name = relative.substr(relative.rfind('/') + 1);
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), relative.c_str(), 0) == 0 ||
           fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  });
}

// Drops what --exclude names, and everything below an excluded folder.
std::vector<TreeItem> without_excluded(std::vector<TreeItem> items,
                                       const std::vector<std::string>& patterns) {
  if (patterns.empty()) {
    return items;
  }
  std::set<std::string> gone;  // excluded folders
  std::vector<TreeItem> kept;
  for (TreeItem& item : items) {
    const std::string parent = fs::path(item.relative).parent_path().string();
    if (gone.contains(parent) || matches(patterns, item.relative)) {
      if (item.is_dir) {
        gone.insert(item.relative);
      }
      continue;
    }
    kept.push_back(std::move(item));
  }
  return kept;
}

Result<void> check_remote_path_or_top(const std::string& remote) {
  return remote.empty() ? Result<void>() : protocol::validate_remote_path(remote);
}

// Both trees, each as (relative path -> item), walked in name order.
struct Trees {
  std::vector<TreeItem> source;
  std::map<std::string, TreeItem> dest;
  bool source_whole = true;    // every folder of SOURCE could be listed
  bool remote_exists = false;  // the remote top folder is there already
  // Local files read while the remote walk was on its way (LocalScan).
  std::map<std::string, LocalContent> local_contents;
};

// The remote tree, or none when the folder does not exist yet (`exists`
// says which).
Result<std::vector<TreeItem>> remote_tree(Connection& conn, const std::string& top,
                                          TransferSummary& walk, bool& exists) {
  std::vector<TreeItem> items;
  exists = false;
  if (!top.empty()) {
    SFS_ASSIGN_OR_RETURN(auto there, remote_entry_at(conn, top));
    if (!there) {
      return items;
    }
    if (there->type != 'd') {
      return make_error(Errc::kNotDir, "not a remote folder: " + top);
    }
  }
  SFS_RETURN_IF_ERROR(walk_remote(conn, top, "", 1, items, walk));
  exists = true;
  return items;
}

Result<std::vector<TreeItem>> local_tree(const fs::path& top, bool must_exist,
                                         TransferSummary& walk) {
  std::vector<TreeItem> items;
  std::error_code ec;
  const bool exists = fs::exists(top, ec);
  if (!exists && !must_exist) {
    return items;
  }
  if (!fs::is_directory(top, ec)) {
    return make_error(exists ? Errc::kNotDir : Errc::kNotFound,
                      "not a local directory: " + top.string());
  }
  walk_local(top, "", 1, items, walk);
  return items;
}

fs::path local_of(const SyncOptions& o, const std::string& relative) {
  return fs::path(o.local) / relative;
}

std::string remote_of(const SyncOptions& o, const std::string& relative) {
  return join_path(o.remote, relative);
}

// The local side of a sync, walked on a thread of its own while the remote
// walk waits for the server. The local files are then read and hashed, in
// walk order, for as long as that wait lasts (`remote_done`): a time the
// sync would otherwise spend idle, so an unchanged tree finishes sooner and
// a first sync loses nothing. Files larger than kReadAheadBytes are left
// for later, so that the reading stops soon after the listing is in.
struct LocalScan {
  static constexpr std::uint64_t kReadAheadBytes = std::uint64_t{1} << 20;
  Result<std::vector<TreeItem>> items = std::vector<TreeItem>();
  TransferSummary walk;
  std::map<std::string, LocalContent> contents;

  void run(const SyncOptions& o, const std::atomic<bool>& remote_done) {
    items = local_tree(o.local, o.upload, walk);
    if (!items || o.force) {
      return;
    }
    for (const TreeItem& item : without_excluded(*items, o.excludes)) {
      if (remote_done.load(std::memory_order_relaxed)) {
        return;
      }
      if (item.is_dir || item.size > kReadAheadBytes) {
        continue;
      }
      // A file unchanged since it was hashed needs no open (LocalDigests).
      if (auto known = LocalDigests::shared().find(item.status)) {
        contents.emplace(item.relative, LocalContent{item.size, std::move(*known)});
      } else if (auto content = local_content(local_of(o, item.relative))) {
        contents.emplace(item.relative, std::move(*content));
      }
    }
  }
};

// Walks both trees (the local one meanwhile on a thread: LocalScan); what
// could not be walked (and the local symlinks left out) goes to `walk`.
Result<Trees> walk_both(Connection& conn, const SyncOptions& o, TransferSummary& walk) {
  Trees trees;
  SFS_RETURN_IF_ERROR(check_remote_path_or_top(o.remote));
  LocalScan scan;
  std::atomic<bool> remote_done{false};
  std::thread local_side([&scan, &o, &remote_done] { scan.run(o, remote_done); });
  TransferSummary remote_walk;
  auto remote = remote_tree(conn, o.remote, remote_walk, trees.remote_exists);
  remote_done.store(true, std::memory_order_relaxed);
  local_side.join();
  SFS_ASSIGN_OR_RETURN(auto local, std::move(scan.items));
  if (!remote) {
    return remote.error();
  }
  TransferSummary& local_walk = scan.walk;
  trees.local_contents = std::move(scan.contents);
  trees.source_whole = (o.upload ? local_walk : remote_walk).failed.empty();
  walk.skipped = std::move(local_walk.skipped);
  walk.failed = std::move(local_walk.failed);
  walk.failed.insert(walk.failed.end(), remote_walk.failed.begin(), remote_walk.failed.end());
  if (!o.upload && !trees.remote_exists) {  // the top always exists
    return make_error(Errc::kNotFound, "no such remote folder: " + o.remote);
  }
  std::vector<TreeItem>& source = o.upload ? local : *remote;
  std::vector<TreeItem>& dest = o.upload ? *remote : local;
  trees.source = without_excluded(std::move(source), o.excludes);
  for (TreeItem& item : without_excluded(std::move(dest), o.excludes)) {
    std::string key = item.relative;
    trees.dest.emplace(std::move(key), std::move(item));
  }
  return trees;
}

// The listing entry of a remote item, as same_content takes it.
protocol::Entry entry_of(const TreeItem& item) {
  return {item.is_dir ? 'd' : 'f', item.size, item.mtime, item.digest, item.relative};
}

// Whether DEST's `there` already holds SOURCE's file `item`.
Result<bool> unchanged(Connection& conn, const SyncOptions& o, const Trees& trees,
                       const TreeItem& item, const TreeItem& there) {
  if (o.force || there.is_dir) {
    return false;
  }
  const TreeItem& remote = o.upload ? there : item;
  const auto read = trees.local_contents.find(item.relative);
  const LocalContent* known = read == trees.local_contents.end() ? nullptr : &read->second;
  return same_content(conn, local_of(o, item.relative), remote_of(o, item.relative),
                      entry_of(remote), known);
}

// With --delete: what DEST holds that SOURCE does not (or holds as the
// other type), deepest first. None when SOURCE could not be walked whole:
// a folder missing from the walk must not empty its copy.
std::vector<Action> deletions(const SyncOptions& o, const Trees& trees, bool source_whole) {
  std::vector<Action> out;
  if (!o.delete_extra || !source_whole) {
    return out;
  }
  std::map<std::string, bool> source;  // relative -> is_dir
  for (const TreeItem& item : trees.source) {
    source.emplace(item.relative, item.is_dir);
  }
  for (auto it = trees.dest.rbegin(); it != trees.dest.rend(); ++it) {
    const auto found = source.find(it->first);
    if (found == source.end() || found->second != it->second.is_dir) {
      out.push_back({Step::kDelete, it->second});
    }
  }
  return out;
}

// The folders to make and files to send, in SOURCE's order; counts the
// unchanged files in `tally`.
Result<std::vector<Action>> copies(Connection& conn, const SyncOptions& o, const Trees& trees,
                                   const std::vector<Action>& deleted, Tally& tally) {
  std::set<std::string> gone;
  for (const Action& a : deleted) {
    gone.insert(a.item.relative);
  }
  std::vector<Action> out;
  for (const TreeItem& item : trees.source) {
    const auto there = trees.dest.find(item.relative);
    const bool present = there != trees.dest.end() && !gone.contains(item.relative);
    if (item.is_dir) {
      if (!present || !there->second.is_dir) {
        out.push_back({Step::kMakeDir, item});
      }
      continue;
    }
    SFS_ASSIGN_OR_RETURN(const bool same, present ? unchanged(conn, o, trees, item, there->second)
                                                  : Result<bool>(false));
    if (same) {
      ++tally.unchanged;
    } else {
      out.push_back({Step::kSend, item});
    }
  }
  return out;
}

// Makes a local folder of a download; refuses to go through a symlink.
Result<void> make_local_dir(const fs::path& path) {
  std::error_code ec;
  fs::create_directory(path, ec);
  if (fs::is_symlink(fs::symlink_status(path, ec)) || !fs::is_directory(path, ec)) {
    return make_error(Errc::kLocal, "not a directory (or a symlink): " + path.string());
  }
  return {};
}

Result<void> remove_local(const fs::path& path) {
  std::error_code ec;
  if (!fs::remove(path, ec) && ec) {
    return make_error(Errc::kLocal, path.string() + ": " + ec.message());
  }
  return {};
}

// Carries out one step.
Result<void> perform(Connection& conn, const SyncOptions& o, const Action& a) {
  const fs::path local = local_of(o, a.item.relative);
  const std::string remote = remote_of(o, a.item.relative);
  switch (a.step) {
    case Step::kMakeDir:
      return o.upload ? conn.make_dir(remote, true) : make_local_dir(local);
    case Step::kSend: {
      if (o.upload) {
        return conn.put(local, remote, false, o.resume, o.keep_times);
      }
      const auto mtime = o.keep_times ? std::optional<std::int64_t>(a.item.mtime) : std::nullopt;
      return conn.get(remote, local, false, o.resume, mtime);
    }
    case Step::kDelete:
      if (!o.upload) {
        return remove_local(local);
      }
      return a.item.is_dir ? conn.remove_dir(remote) : conn.remove(remote);
  }
  return {};
}

void count(const Action& a, Tally& tally) {
  tally.changed.push_back(std::string(step_word(a.step)) + " " + a.item.relative);
  switch (a.step) {
    case Step::kMakeDir:
      ++tally.directories;
      break;
    case Step::kSend:
      ++tally.sent;
      tally.bytes += a.item.size;
      break;
    case Step::kDelete:
      ++tally.deleted;
      break;
  }
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

// Runs the files to send among steps[from, to) in one go, pipelined (see
// Connection::put_many and get_many); stops at a lost connection.
Result<void> send_batch(Connection& conn, const SyncOptions& o, const std::vector<Action>& steps,
                        std::size_t from, std::size_t to, TreeProgress& progress, Tally& tally) {
  std::vector<const Action*> batch;
  std::vector<Connection::PutJob> puts;
  std::vector<Connection::GetJob> gets;
  for (std::size_t i = from; i < to; ++i) {
    const Action& a = steps[i];
    batch.push_back(&a);
    const fs::path local = local_of(o, a.item.relative);
    const std::string remote = remote_of(o, a.item.relative);
    if (o.upload) {
      puts.push_back({local, remote});
    } else {
      const auto mtime = o.keep_times ? std::optional<std::int64_t>(a.item.mtime) : std::nullopt;
      gets.push_back({remote, local, mtime});
    }
  }
  auto finish = [&](std::size_t i, const Result<void>& done, bool unchanged) {
    const Action& a = *batch[i];
    progress.file_done(a.item.size);
    if (!done) {
      tally.failed.push_back({a.item.relative, done.error()});
    } else if (unchanged) {  // changed back meanwhile: the server already had it
      ++tally.unchanged;
    } else {
      count(a, tally);
    }
  };
  if (o.upload) {
    return conn.put_many(
        puts, o.resume, o.keep_times,
        [&](std::size_t i, const Result<bool>& r) {
          finish(i, r ? Result<void>() : Result<void>(r.error()), r && *r);
        },
        o.force);
  }
  return conn.get_many(gets, o.resume,
                       [&](std::size_t i, const Result<void>& r) { finish(i, r, false); });
}

// Runs the steps (or, dry, only counts them); stops at a lost connection.
// Files to send in a row go pipelined.
Result<void> run_steps(Connection& conn, const SyncOptions& o, const std::vector<Action>& steps,
                       Tally& tally) {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  for (const Action& a : steps) {
    files += a.step == Step::kSend ? 1 : 0;
    bytes += a.step == Step::kSend ? a.item.size : 0;
  }
  TreeProgress progress(std::string("sync ") + (o.upload ? o.local : ":" + o.remote), files,
                        o.dry_run ? 0 : bytes);
  const Observe observe(conn, progress);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Action& a = steps[i];
    if (a.step == Step::kSend && !o.dry_run) {
      std::size_t end = i + 1;
      while (end < steps.size() && steps[end].step == Step::kSend) {
        ++end;
      }
      SFS_RETURN_IF_ERROR(send_batch(conn, o, steps, i, end, progress, tally));
      i = end - 1;
      continue;
    }
    Result<void> done = o.dry_run ? Result<void>() : perform(conn, o, a);
    if (a.step == Step::kSend) {
      progress.file_done(a.item.size);
    }
    if (done) {
      count(a, tally);
      continue;
    }
    tally.failed.push_back({a.item.relative, done.error()});
    if (is_connection_failure(done.error())) {
      return done;
    }
  }
  return {};
}

std::string summary_json(const SyncOptions& o, const Tally& t, const TransferSummary& walk) {
  std::string out = "{\"command\":\"sync\",\"direction\":\"";
  out += o.upload ? "up" : "down";
  out += "\",\"dry_run\":" + std::string(o.dry_run ? "true" : "false") +
         ",\"sent\":" + std::to_string(t.sent) + ",\"bytes\":" + std::to_string(t.bytes) +
         ",\"unchanged\":" + std::to_string(t.unchanged) +
         ",\"deleted\":" + std::to_string(t.deleted) +
         ",\"directories\":" + std::to_string(t.directories) + ",\"changes\":[";
  for (std::size_t i = 0; i < t.changed.size(); ++i) {
    out += (i > 0 ? "," : "") + json_string(t.changed[i]);
  }
  out += "],\"skipped\":[";
  for (std::size_t i = 0; i < walk.skipped.size(); ++i) {
    out += (i > 0 ? "," : "") + json_string(walk.skipped[i]);
  }
  out += "],\"failed\":[";
  for (std::size_t i = 0; i < t.failed.size(); ++i) {
    out += std::string(i > 0 ? "," : "") + "{\"path\":" + json_string(t.failed[i].path) +
           ",\"error\":" + json_string(protocol::error_name(t.failed[i].error.code)) +
           ",\"message\":" + json_string(t.failed[i].error.message) + "}";
  }
  return out + "],\"ok\":" + (t.failed.empty() ? "true}" : "false}");
}

void print_summary(const SyncOptions& o, const Tally& t, const TransferSummary& walk,
                   std::FILE* out) {
  if (o.json) {
    std::fprintf(out, "%s\n", summary_json(o, t, walk).c_str());
  } else {
    if (o.dry_run) {
      for (const std::string& change : t.changed) {
        std::fprintf(out, "would %s\n", change.c_str());
      }
    }
    std::fprintf(
        out,
        "sync: %llu sent (%s), %llu unchanged, %llu deleted, %llu folder(s) created, "
        "%zu failed%s\n",
        static_cast<unsigned long long>(t.sent), human_bytes(static_cast<double>(t.bytes)).c_str(),
        static_cast<unsigned long long>(t.unchanged), static_cast<unsigned long long>(t.deleted),
        static_cast<unsigned long long>(t.directories), t.failed.size(),
        o.dry_run ? " (dry run: nothing was changed)" : "");
  }
  std::fflush(out);
}

// The failures on stderr; an error of the first one's class.
Result<void> failures(const Tally& t) {
  for (const TransferFailure& f : t.failed) {
    std::fprintf(stderr, "sfs: sync: failed: %s: %s\n", f.path.c_str(), f.error.message.c_str());
  }
  if (t.failed.empty()) {
    return {};
  }
  return make_error(t.failed.front().error.code,
                    "sync: " + std::to_string(t.failed.size()) + " step(s) failed");
}

// Makes DEST's top folder (with its parents) before anything goes into it,
// unless the walk found it there (`remote_exists`, for an upload).
Result<void> make_top(Connection& conn, const SyncOptions& o, bool remote_exists) {
  if (o.dry_run || (o.upload && remote_exists)) {
    return {};
  }
  if (o.upload) {
    return o.remote.empty() ? Result<void>() : conn.make_dir(o.remote, true);
  }
  std::error_code ec;
  fs::create_directories(o.local, ec);
  if (!fs::is_directory(o.local, ec)) {
    return make_error(Errc::kLocal, "cannot create local directory " + o.local);
  }
  return {};
}

}  // namespace

Result<void> sync_operands(const std::string& first, const std::string& second,
                           SyncOptions& options) {
  const bool first_remote = first.starts_with(':');
  const bool second_remote = second.starts_with(':');
  if (first_remote == second_remote) {
    return make_error(Errc::kBadRequest,
                      "sync: mark the remote side with a leading ':' (sfs sync photos "
                      ":backup/photos uploads, sfs sync :backup/photos photos downloads)");
  }
  options.upload = second_remote;
  options.local = first_remote ? second : first;
  std::string remote = (first_remote ? first : second).substr(1);
  while (remote.ends_with('/')) {
    remote.pop_back();
  }
  options.remote = std::move(remote);
  return {};
}

Result<void> sync_trees(Connection& conn, const SyncOptions& options, std::FILE* out) {
  TransferSummary walk;
  SFS_ASSIGN_OR_RETURN(const Trees trees, walk_both(conn, options, walk));
  Tally tally;
  tally.failed = walk.failed;
  if (options.delete_extra && !trees.source_whole) {
    std::fprintf(stderr,
                 "sfs: sync: not deleting anything: part of the source could not be read\n");
  }
  const std::vector<Action> doomed = deletions(options, trees, trees.source_whole);
  SFS_ASSIGN_OR_RETURN(const auto made, copies(conn, options, trees, doomed, tally));
  SFS_RETURN_IF_ERROR(make_top(conn, options, trees.remote_exists));
  std::vector<Action> steps = doomed;
  steps.insert(steps.end(), made.begin(), made.end());
  const Result<void> ran = run_steps(conn, options, steps, tally);
  print_summary(options, tally, walk, out);
  const Result<void> failed = failures(tally);
  return ran ? failed : ran;
}

}  // namespace sfs::client

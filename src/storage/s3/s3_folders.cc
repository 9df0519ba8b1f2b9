// One user's space on S3: folders (markers), moves (server-side copies),
// usage and verify, each a walk over keys.

#include <algorithm>
#include <utility>

#include "storage/paths.h"
#include "storage/s3/s3_copy.h"
#include "storage/s3/s3_space.h"

namespace sfs::storage::s3 {
namespace {

std::string parent_of(std::string_view path) {
  std::string parent = parent_prefix(path);
  if (!parent.empty()) {
    parent.pop_back();
  }
  return parent;
}

std::uint64_t held_in(const ObjectInfo& info) {
  auto it = info.metadata.find(kHeldMeta);
  if (it == info.metadata.end() || it->second.empty() || it->second.size() > 19 ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return std::stoull(it->second);
}

}  // namespace

awaitable<Result<std::vector<ObjectEntry>>> S3Space::all_under(std::string prefix,
                                                               std::size_t limit) {
  std::vector<ObjectEntry> out;
  std::string token;
  const std::string no_delimiter;
  do {
    SFS_CO_ASSIGN_OR_RETURN(ListPage page,
                            co_await shared_->s3->list_objects(prefix, no_delimiter, token));
    for (ObjectEntry& object : page.objects) {
      if (out.size() == limit) {
        co_return make_error(Errc::kTooLarge, "more than " + std::to_string(limit) + " objects");
      }
      out.push_back(std::move(object));
    }
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  co_return out;
}

// Walks up from `path` to the deepest folder that exists, then makes the
// missing ones top-down (after `admit` agreed to their count).
awaitable<Result<Usage>> S3Space::make_dir(std::string path, bool parents, AdmitDirs admit) {
  SFS_CO_RETURN_IF_ERROR(check_relative(path));
  if (depth_of(path) > kMaxDirDepth) {
    co_return make_error(Errc::kTooLarge, "directories nest too deep");
  }
  std::vector<std::string> missing;  // the deepest first
  for (std::string at = path; !at.empty(); at = parent_of(at)) {
    SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, at));
    if (found.kind == Kind::kDir) {
      break;
    }
    if (found.kind == Kind::kFile) {
      const Errc code = at == path ? Errc::kExists : Errc::kNotDir;
      co_return make_error(code, (at == path ? "already exists: " : "not a directory: ") + at);
    }
    missing.push_back(at);
  }
  if (missing.empty() && !parents) {
    co_return make_error(Errc::kExists, "already exists: " + path);
  }
  if (missing.empty()) {
    co_return Usage{0, 0};
  }
  if (!parents && missing.size() > 1) {
    co_return make_error(Errc::kNotFound, "no such directory: " + parent_of(path));
  }
  if (admit) {
    SFS_CO_RETURN_IF_ERROR(admit(missing.size()));
  }
  const Metadata none;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const std::string marker = dir_prefix(root_, *it);
    SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->put_object(marker, "", 0, none));
  }
  co_return Usage{0, missing.size()};
}

// Empty: nothing under the marker but its properties and partials nobody
// is writing (which go with it).
awaitable<Result<Usage>> S3Space::remove_dir(std::string path) {
  SFS_CO_RETURN_IF_ERROR(co_await need_dir(path));
  co_return co_await drop_dir(path);
}

awaitable<Result<Usage>> S3Space::drop_dir(std::string path) {
  const std::string prefix = dir_prefix(root_, path);
  const Error not_empty = make_error(Errc::kNotEmpty, "directory not empty: " + path);
  if (shared_->running_under(prefix)) {
    co_return not_empty;
  }
  auto keys = co_await all_under(prefix, 1000);
  if (!keys && keys.error().code == Errc::kTooLarge) {
    co_return not_empty;
  }
  if (!keys) {
    co_return keys.error();
  }
  for (const ObjectEntry& object : *keys) {
    const std::string rel = object.key.substr(prefix.size());
    if (!rel.empty() && (rel.find('/') != std::string::npos || !is_hidden(rel))) {
      co_return not_empty;
    }
    if (!rel.empty() && is_partial(rel)) {
      // An upload of any node continuing it: the folder is in use.
      SFS_CO_ASSIGN_OR_RETURN(bool claimed, co_await shared_->is_claimed(object.key));
      if (claimed) {
        co_return not_empty;
      }
    }
  }
  Usage gone{0, 1};
  for (const ObjectEntry& object : *keys) {
    if (is_partial(object.key)) {
      auto info = co_await shared_->s3->head_object(object.key);
      gone.bytes += info ? held_in(*info) : 0;
      gone.entries += 1;
      SFS_CO_RETURN_IF_ERROR(co_await drop_partial(shared_, object.key));
    } else if (object.key != prefix) {
      SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->delete_object(object.key));
    }
  }
  SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->delete_object(prefix));  // the marker last
  co_return gone;
}

awaitable<Result<Space::Moved>> S3Space::move(std::string from, std::string to,
                                              std::size_t max_path_bytes) {
  SFS_CO_RETURN_IF_ERROR(check_relative(from));
  SFS_CO_RETURN_IF_ERROR(check_relative(to));
  SFS_CO_ASSIGN_OR_RETURN(Probe source, co_await probe(shared_, root_, from));
  if (source.kind == Kind::kNone) {
    co_return make_error(Errc::kNotFound, "no such file or directory: " + from);
  }
  SFS_CO_ASSIGN_OR_RETURN(Probe target, co_await probe(shared_, root_, to));
  std::string final_path = to;
  bool continuing = false;  // the same folder move again, into the folder it made
  if (target.kind == Kind::kDir && source.kind == Kind::kDir) {
    continuing = co_await continues_move(from, to);
  }
  if (target.kind == Kind::kDir && !continuing) {
    final_path = to + "/" + std::string(leaf_of(from));
    SFS_CO_ASSIGN_OR_RETURN(target, co_await probe(shared_, root_, final_path));
  }
  if (source.kind == Kind::kFile && final_path == from) {
    co_return Moved{final_path, Usage{0, 0}};  // onto itself, as rename(2)
  }
  if (source.kind == Kind::kDir && (final_path == from || final_path.starts_with(from + "/"))) {
    co_return make_error(Errc::kBadPath,
                         "cannot move a directory into itself: " + from + " -> " + final_path);
  }
  if (final_path.size() > max_path_bytes) {
    co_return make_error(Errc::kTooLarge, "resulting path too long: " + final_path);
  }
  const std::string parent = parent_of(final_path);
  if (!parent.empty()) {
    SFS_CO_RETURN_IF_ERROR(co_await need_dir(parent));
  }
  if (source.kind == Kind::kFile) {
    co_return co_await move_file(from, final_path, std::move(target), std::move(source.info));
  }
  co_return co_await move_dir(from, final_path, std::move(target));
}

// A server-side copy (metadata along), then the source goes; its dead
// properties follow it.
awaitable<Result<Space::Moved>> S3Space::move_file(std::string from, std::string to, Probe target,
                                                   ObjectInfo source) {
  if (target.kind == Kind::kDir) {
    co_return make_error(Errc::kIsDir, "is a directory: " + to);
  }
  const Usage replaced = target.kind == Kind::kFile ? Usage{target.info.size, 1} : Usage{0, 0};
  const std::optional<Metadata> same;
  const std::string from_key = root_ + from;
  const std::string to_key = root_ + to;
  SFS_CO_RETURN_IF_ERROR(co_await copy_whole(shared_, from_key, to_key, source.size, same));
  const std::string from_props = props_key(root_, from, false);
  const std::string to_props = props_key(root_, to, false);
  auto props = co_await shared_->s3->copy_object(from_props, to_props, same);
  if (!props) {
    (void)co_await shared_->s3->delete_object(to_props);  // the target's own go
  }
  SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->delete_object(from_key));
  (void)co_await shared_->s3->delete_object(from_props);
  co_return Moved{to, replaced};
}

// S3 has no rename: every object under the folder is copied, then the
// sources deleted. Bounded by max_move_objects (kTooLarge before anything
// changes); a failed copy deletes the copies made, so the move either
// happened or did not. Resumable: a journal in the new folder (kMoveLeaf,
// naming the source) is written before the first copy and deleted after
// the last source; a move cut where it could not undo itself (the server
// killed, the store gone) leaves it, and the same move again continues
// into that folder instead of nesting the source inside it.
awaitable<Result<Space::Moved>> S3Space::move_dir(std::string from, std::string to, Probe target) {
  if (target.kind == Kind::kFile) {
    co_return make_error(Errc::kNotDir, "cannot replace a file with a directory: " + to);
  }
  const std::string from_prefix = dir_prefix(root_, from);
  auto keys = co_await all_under(from_prefix, shared_->max_move_objects);
  if (!keys) {
    if (keys.error().code != Errc::kTooLarge) {
      co_return keys.error();
    }
    co_return make_error(Errc::kTooLarge, "folder too large to move on S3 (more than " +
                                              std::to_string(shared_->max_move_objects) +
                                              " objects)");
  }
  int deepest = 0;
  for (const ObjectEntry& object : *keys) {
    deepest = std::max(deepest, depth_of(parent_of(object.key.substr(from_prefix.size()))));
  }
  if (depth_of(to) + deepest > kMaxDirDepth) {
    co_return make_error(Errc::kTooLarge, "directories nest too deep");
  }
  bool resuming = false;
  Usage replaced{0, 0};
  if (target.kind == Kind::kDir) {
    resuming = co_await continues_move(from, to);
    if (!resuming) {  // an empty folder (with its idle partials) is replaced
      SFS_CO_ASSIGN_OR_RETURN(replaced, co_await drop_dir(to));
    }
  }
  SFS_CO_RETURN_IF_ERROR(co_await copy_then_delete(*keys, from, to, resuming));
  co_return Moved{to, replaced};
}

awaitable<Result<void>> S3Space::copy_then_delete(const std::vector<ObjectEntry>& keys,
                                                  std::string from, std::string to, bool resuming) {
  const std::string from_prefix = dir_prefix(root_, from);
  const std::string to_prefix = dir_prefix(root_, to);
  const std::string journal = to_prefix + std::string(kMoveLeaf);
  const Metadata none;
  SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->put_object(journal, from.data(), from.size(), none));
  bool all_undone = false;
  auto copied = co_await copy_all(keys, from_prefix, to_prefix, all_undone);
  if (!copied) {
    if (all_undone && !resuming) {  // nothing of it is left: no move to continue
      (void)co_await shared_->s3->delete_object(journal);
    }
    co_return copied.error();
  }
  // The source's marker last: a move cut before it still has a source, so
  // the same move again can continue.
  std::size_t left = 0;
  for (const ObjectEntry& object : keys) {
    if (object.key != from_prefix) {
      auto deleted = co_await shared_->s3->delete_object(object.key);
      left += deleted ? 0 : 1;
    }
  }
  if (left == 0) {
    auto deleted = co_await shared_->s3->delete_object(from_prefix);
    left += deleted ? 0 : 1;
  }
  if (left > 0) {  // the journal stays: the same move again finishes it
    co_return make_error(Errc::kIo, "folder copied to " + to + " but " + std::to_string(left) +
                                        " objects of the source could not be deleted");
  }
  (void)co_await shared_->s3->delete_object(journal);  // else a harmless hidden leftover
  co_return Result<void>();
}

awaitable<bool> S3Space::continues_move(std::string from, std::string dir) {
  const std::string journal = dir_prefix(root_, dir) + std::string(kMoveLeaf);
  std::string named(from.size() + 1, '\0');  // one more: a longer name is another
  auto got = co_await shared_->s3->get_object(journal, named.data(), named.size(), 0);
  co_return got&&* got == from.size() && named.compare(0, from.size(), from) == 0;
}

awaitable<Result<void>> S3Space::copy_all(const std::vector<ObjectEntry>& keys, std::string from,
                                          std::string to, bool& all_undone) {
  std::vector<std::string> made;
  const std::optional<Metadata> same;
  for (const ObjectEntry& object : keys) {
    const std::string dest = to + object.key.substr(from.size());
    auto copied = co_await copy_whole(shared_, object.key, dest, object.size, same);
    if (!copied) {
      all_undone = true;
      for (const std::string& key : made) {
        auto deleted = co_await shared_->s3->delete_object(key);
        all_undone = all_undone && deleted.ok();
      }
      co_return copied.error();
    }
    made.push_back(dest);
  }
  co_return Result<void>();
}

// A walk over every key of the space (partials: a HEAD each for what they
// hold). Not cheap: files/ keeps its ledger (cheap_usage=false).
awaitable<Result<Usage>> S3Space::usage() {
  SFS_CO_ASSIGN_OR_RETURN(auto keys, co_await all_under(root_, SIZE_MAX));
  Usage total;
  for (const ObjectEntry& object : keys) {
    const std::string rel = object.key.substr(root_.size());
    if (rel.ends_with('/')) {
      total.entries += 1;
    } else if (is_partial(rel)) {
      SFS_CO_ASSIGN_OR_RETURN(bool claimed, co_await shared_->is_claimed(object.key));
      if (claimed) {
        continue;  // its upload accounts for it
      }
      auto info = co_await shared_->s3->head_object(object.key);
      total.bytes += info ? held_in(*info) : 0;
      total.entries += 1;
    } else if (!is_hidden(leaf_of(rel))) {
      total.bytes += object.size;
      total.entries += 1;
    }
  }
  co_return total;
}

awaitable<Result<std::vector<FileCheck>>> S3Space::verify() {
  std::vector<FileCheck> out;
  SFS_CO_RETURN_IF_ERROR(co_await verify_dir("", 0, out));
  co_return out;
}

awaitable<Result<void>> S3Space::verify_dir(std::string dir, int depth,
                                            std::vector<FileCheck>& out) {
  SFS_CO_ASSIGN_OR_RETURN(auto entries, co_await list(dir));
  std::vector<std::string> subdirs;
  for (const DirEntry& e : entries) {
    const std::string path = dir.empty() ? e.name : dir + "/" + e.name;
    if (e.is_dir) {
      subdirs.push_back(path);
      continue;
    }
    FileCheck check{path, FileCheck::Status::kUnhashed};
    if (!e.digest.empty()) {
      check.status = FileCheck::Status::kUnreadable;
      auto file = co_await open_read(path);
      if (file) {
        auto digest = co_await (*file)->compute_digest();
        if (digest) {
          check.status = *digest == e.digest ? FileCheck::Status::kOk : FileCheck::Status::kCorrupt;
        }
      }
    }
    out.push_back(std::move(check));
  }
  for (const std::string& sub : subdirs) {
    if (depth + 1 < kMaxDirDepth) {
      SFS_CO_RETURN_IF_ERROR(co_await verify_dir(sub, depth + 1, out));
    }
  }
  co_return Result<void>();
}

}  // namespace sfs::storage::s3

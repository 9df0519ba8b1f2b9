#include "storage/memory/memory_tree.h"

#include <algorithm>

#include "crypto/digest.h"
#include "storage/paths.h"

namespace sfs::storage::memory {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int component_count(std::string_view path) {
  return static_cast<int>(std::count(path.begin(), path.end(), '/')) + 1;
}

Error too_deep(std::string_view path) {
  return make_error(Errc::kTooLarge, "directories nest at most " + std::to_string(kMaxDirDepth) +
                                         " levels deep: " + std::string(path));
}

Error not_found(std::string_view path) {
  return make_error(Errc::kNotFound, "no such file: " + std::string(path));
}

Error is_dir(std::string_view path) {
  return make_error(Errc::kIsDir, "is a directory: " + std::string(path));
}

Error not_dir(std::string_view path) {
  return make_error(Errc::kNotDir, "not a directory: " + std::string(path));
}

Error not_empty(std::string_view path) {
  return make_error(Errc::kNotEmpty, "directory not empty: " + std::string(path));
}

const Node* find(const Dir& dir, std::string_view leaf) {
  auto it = dir.entries.find(leaf);
  return it == dir.entries.end() ? nullptr : &it->second;
}

// Holds nothing, as rmdir(2) sees it: no names, no partials, no upload.
bool is_empty(const Dir& dir) {
  return dir.entries.empty() && dir.partials.empty() && dir.running == 0;
}

// How many levels of directories lie below `dir`, looking at most `limit`
// levels down.
int subtree_depth(const Dir& dir, int limit) {
  int deepest = 0;
  for (const auto& [name, node] : dir.entries) {
    if (node.dir && limit > 0) {
      deepest = std::max(deepest, 1 + subtree_depth(*node.dir, limit - 1));
    }
  }
  return deepest;
}

DirEntry describe(const Node& node, std::string name) {
  if (node.dir) {
    return DirEntry{std::move(name), true, 0, node.dir->mtime, {}};
  }
  return DirEntry{std::move(name), false, node.file->content->size(), node.file->mtime,
                  node.file->digest};
}

void add_usage(const Dir& dir, int depth, Usage& usage) {
  for (const auto& [name, node] : dir.entries) {
    usage.entries += 1;
    if (node.file) {
      usage.bytes += node.file->content->size();
    } else if (depth < kMaxDirDepth) {
      add_usage(*node.dir, depth + 1, usage);
    }
  }
  for (const auto& [key, partial] : dir.partials) {
    if (!partial.busy) {
      usage.bytes += partial.data->size();
      usage.entries += 1;
    }
  }
}

std::size_t drop_stale(Dir& dir, int depth, std::int64_t oldest) {
  std::size_t dropped = std::erase_if(dir.partials, [oldest](const auto& entry) {
    return !entry.second.busy && entry.second.mtime <= oldest;
  });
  for (auto& [name, node] : dir.entries) {
    if (node.dir && depth < kMaxDirDepth) {
      dropped += drop_stale(*node.dir, depth + 1, oldest);
    }
  }
  return dropped;
}

FileCheck::Status check_file(const File& file) {
  if (file.digest.empty()) {
    return FileCheck::Status::kUnhashed;
  }
  return crypto::digest_of(*file.content) == file.digest ? FileCheck::Status::kOk
                                                         : FileCheck::Status::kCorrupt;
}

}  // namespace

std::size_t copy_out(const std::string& from, char* data, std::size_t length,
                     std::uint64_t offset) {
  if (offset >= from.size()) {
    return 0;
  }
  const std::size_t n = std::min<std::uint64_t>(length, from.size() - offset);
  std::copy_n(from.data() + offset, n, data);
  return n;
}

Tree::Tree() : root_(std::make_shared<Dir>()) { root_->mtime = now_seconds(); }

Result<std::shared_ptr<Dir>> Tree::find_dir(std::string_view path) const {
  std::shared_ptr<Dir> dir = root_;
  if (path.empty() || path == ".") {
    return dir;
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const Node* node = find(*dir, path.substr(start, slash - start));
    if (node == nullptr || !node->dir) {
      return not_found(path);  // as ENOENT and ENOTDIR on POSIX
    }
    dir = node->dir;
    start = slash + 1;
  }
  return dir;
}

Result<std::pair<std::shared_ptr<Dir>, std::string>> Tree::open_parent(
    std::string_view path) const {
  SFS_RETURN_IF_ERROR(check_relative(path));
  auto [parent, leaf] = split_parent(path);
  auto dir = find_dir(parent);
  if (!dir) {
    return not_found(path);
  }
  return std::pair{std::move(*dir), std::move(leaf)};
}

Result<std::shared_ptr<File>> Tree::open_read(std::string_view path) const {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  const Node* node = find(*parent.first, parent.second);
  if (node == nullptr) {
    return not_found(path);
  }
  if (node->dir) {
    return is_dir(path);
  }
  return node->file;
}

Result<Upload> Tree::create(std::string_view path, std::optional<std::uint64_t> resumable_size) {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  auto& [dir, leaf] = parent;
  if (const Node* node = find(*dir, leaf); node != nullptr && node->dir) {
    return is_dir(path);
  }
  Upload up{dir, leaf};
  if (resumable_size) {
    Partial& partial = dir->partials[{leaf, *resumable_size}];
    if (!partial.data) {
      partial.data = std::make_shared<std::string>();
    }
    if (!partial.busy) {  // else another upload holds it: start afresh
      partial.busy = true;
      up.partial_size = resumable_size;
      up.data = partial.data;
      up.held = partial.data->size();
      return up;
    }
  }
  dir->running += 1;
  up.data = std::make_shared<std::string>();
  return up;
}

Result<Usage> Tree::remove(std::string_view path) {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  auto& [dir, leaf] = parent;
  const Node* node = find(*dir, leaf);
  if (node == nullptr) {
    return not_found(path);
  }
  if (node->dir) {
    return is_dir(leaf);
  }
  const Usage removed{node->file->content->size(), 1};
  dir->entries.erase(leaf);
  dir->mtime = now_seconds();
  return removed;
}

Result<std::vector<DirEntry>> Tree::list(std::string_view path) const {
  const std::lock_guard lock(mutex_);
  std::shared_ptr<Dir> dir = root_;
  if (!path.empty()) {
    SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
    const Node* node = find(*parent.first, parent.second);
    if (node == nullptr) {
      return not_found(path);
    }
    if (!node->dir) {
      return not_dir(path);
    }
    dir = node->dir;
  }
  std::vector<DirEntry> entries;
  entries.reserve(dir->entries.size());
  for (const auto& [name, node] : dir->entries) {  // a std::map: sorted by name
    entries.push_back(describe(node, name));
  }
  return entries;
}

Result<DirEntry> Tree::stat(std::string_view path) const {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  const Node* node = find(*parent.first, parent.second);
  if (node == nullptr) {
    return not_found(path);
  }
  return describe(*node, std::string(path));
}

Result<Usage> Tree::make_dir(std::string_view path, bool parents, const Space::AdmitDirs& admit) {
  const std::lock_guard lock(mutex_);
  SFS_RETURN_IF_ERROR(check_relative(path));
  if (component_count(path) > kMaxDirDepth) {
    return too_deep(path);
  }
  if (parents) {
    return make_dirs(path, admit);
  }
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  auto& [dir, leaf] = parent;
  if (admit) {
    SFS_RETURN_IF_ERROR(admit(1));
  }
  if (find(*dir, leaf) != nullptr) {
    return make_error(Errc::kExists, "already exists: " + std::string(path));
  }
  auto made = std::make_shared<Dir>();
  made->mtime = dir->mtime = now_seconds();
  dir->entries[leaf] = Node{nullptr, std::move(made)};
  return Usage{0, 1};
}

Result<Usage> Tree::make_dirs(std::string_view path, const Space::AdmitDirs& admit) {
  std::vector<std::string> names;
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    names.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  std::uint64_t existing = 0;
  for (Dir* dir = root_.get(); existing < names.size(); ++existing) {
    const Node* node = find(*dir, names[existing]);
    if (node == nullptr || !node->dir) {
      break;
    }
    dir = node->dir.get();
  }
  if (const std::uint64_t missing = names.size() - existing; admit && missing > 0) {
    SFS_RETURN_IF_ERROR(admit(missing));
  }
  Usage made;
  std::shared_ptr<Dir> dir = root_;
  std::string shown;
  for (const std::string& name : names) {
    shown += shown.empty() ? name : "/" + name;
    Node& node = dir->entries[name];
    if (node.file) {
      return not_dir(shown);
    }
    if (!node.dir) {
      node.dir = std::make_shared<Dir>();
      node.dir->mtime = dir->mtime = now_seconds();
      made.entries += 1;
    }
    dir = node.dir;
  }
  return made;
}

Result<Usage> Tree::remove_dir(std::string_view path) {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  auto& [dir, leaf] = parent;
  const Node* node = find(*dir, leaf);
  if (node == nullptr) {
    return make_error(Errc::kNotFound, "no such directory: " + std::string(path));
  }
  if (!node->dir) {
    return not_dir(path);
  }
  Dir& victim = *node->dir;
  const bool busy = std::any_of(victim.partials.begin(), victim.partials.end(),
                                [](const auto& entry) { return entry.second.busy; });
  if (!victim.entries.empty() || victim.running > 0 || busy) {
    return not_empty(path);
  }
  Usage removed{0, 1};
  for (const auto& [key, partial] : victim.partials) {
    removed.bytes += partial.data->size();
    removed.entries += 1;
  }
  victim.partials.clear();
  victim.gone = true;
  dir->entries.erase(leaf);
  dir->mtime = now_seconds();
  return removed;
}

Result<Space::Moved> Tree::move(std::string_view from, std::string_view to,
                                std::size_t max_path_bytes) {
  const std::lock_guard lock(mutex_);
  SFS_RETURN_IF_ERROR(check_relative(to));
  SFS_ASSIGN_OR_RETURN(auto source, open_parent(from));
  if (find(*source.first, source.second) == nullptr) {
    return make_error(Errc::kNotFound, "no such file or directory: " + std::string(from));
  }
  SFS_ASSIGN_OR_RETURN(auto target, open_parent(to));
  std::string final_path(to);
  if (const Node* node = find(*target.first, target.second); node != nullptr && node->dir) {
    final_path += "/" + source.second;  // like mv: into the directory
    target = {node->dir, source.second};
  }
  return finish_move(*source.first, source.second, from, *target.first, target.second, final_path,
                     max_path_bytes);
}

Result<Space::Moved> Tree::finish_move(Dir& source, const std::string& leaf, std::string_view from,
                                       Dir& target, const std::string& target_leaf,
                                       const std::string& final_path, std::size_t max_path_bytes) {
  if (final_path == from) {
    return Space::Moved{final_path, {}};  // onto itself: nothing to do, like rename(2)
  }
  if (final_path.size() > max_path_bytes) {
    return make_error(Errc::kTooLarge, "resulting path too long: " + final_path);
  }
  const Node moved = *find(source, leaf);
  const Node* over = find(target, target_leaf);
  if (moved.dir) {
    if (final_path.starts_with(std::string(from) + "/")) {
      return make_error(Errc::kBadPath, "cannot move a directory into itself: " +
                                            std::string(from) + " -> " + final_path);
    }
    if (over != nullptr && over->file) {
      return make_error(Errc::kNotDir, "cannot replace a file with a directory: " + final_path);
    }
    if (component_count(final_path) + subtree_depth(*moved.dir, kMaxDirDepth) > kMaxDirDepth) {
      return too_deep(final_path);
    }
  } else if (over != nullptr && over->dir) {
    return is_dir(final_path);
  }
  Usage replaced;
  if (over != nullptr && over->file) {
    replaced = {over->file->content->size(), 1};
  } else if (over != nullptr) {
    if (!is_empty(*over->dir)) {
      return not_empty(final_path);
    }
    over->dir->gone = true;
    replaced = {0, 1};
  }
  source.entries.erase(leaf);
  target.entries[target_leaf] = moved;
  source.mtime = target.mtime = now_seconds();
  return Space::Moved{final_path, replaced};
}

Usage Tree::usage() const {
  const std::lock_guard lock(mutex_);
  Usage usage;
  add_usage(*root_, 0, usage);
  return usage;
}

std::vector<FileCheck> Tree::verify() const {
  const std::lock_guard lock(mutex_);
  std::vector<FileCheck> checks;
  // Depth-first, each directory's files before its subdirectories', as the
  // POSIX tree walks.
  struct Pending {
    std::string path;
    std::shared_ptr<Dir> dir;
    int depth;
  };
  std::vector<Pending> pending{{"", root_, 0}};
  while (!pending.empty()) {
    Pending here = std::move(pending.back());
    pending.pop_back();
    std::vector<Pending> subdirs;
    for (const auto& [name, node] : here.dir->entries) {
      std::string path = here.path.empty() ? name : here.path + "/" + name;
      if (node.dir && here.depth < kMaxDirDepth) {
        subdirs.push_back({std::move(path), node.dir, here.depth + 1});
      } else if (node.file) {
        checks.push_back({std::move(path), check_file(*node.file)});
      }
    }
    pending.insert(pending.end(), subdirs.rbegin(), subdirs.rend());
  }
  return checks;
}

std::size_t Tree::remove_stale(std::chrono::seconds ttl) {
  const std::lock_guard lock(mutex_);
  return drop_stale(*root_, 0, now_seconds() - ttl.count());
}

std::string Tree::digest(const File& file) const {
  const std::lock_guard lock(mutex_);
  return file.digest;
}

void Tree::set_digest(File& file, std::string hex) {
  const std::lock_guard lock(mutex_);
  file.digest = std::move(hex);
}

Result<std::size_t> Tree::read_at(const Upload& up, char* data, std::size_t length,
                                  std::uint64_t offset) const {
  const std::lock_guard lock(mutex_);
  return copy_out(*up.data, data, length, offset);
}

void Tree::continue_at(Upload& up, std::uint64_t offset) {
  const std::lock_guard lock(mutex_);
  up.data->resize(offset);
  up.position = offset;
}

void Tree::write(Upload& up, const char* data, std::size_t length) {
  const std::lock_guard lock(mutex_);
  if (up.position + length > up.data->size()) {
    up.data->resize(up.position + length);
  }
  std::copy_n(data, length, up.data->data() + up.position);
  up.position += length;
}

void Tree::set_digest(Upload& up, std::string hex) {
  const std::lock_guard lock(mutex_);
  up.digest = std::move(hex);
}

Result<Usage> Tree::commit(Upload& up) {
  const std::lock_guard lock(mutex_);
  if (up.done) {
    return make_error(Errc::kInternal, "upload already finished");
  }
  Dir& dir = *up.dir;
  const Node* old = find(dir, up.leaf);
  if (dir.gone || (old != nullptr && old->dir)) {
    end_upload(up, false);
    return dir.gone ? not_found(up.leaf) : is_dir(up.leaf);
  }
  const Usage replaced = old != nullptr ? Usage{old->file->content->size(), 1} : Usage{};
  auto file = std::make_shared<File>();
  file->content = std::make_shared<const std::string>(*up.data);
  file->digest = up.digest;
  file->mtime = dir.mtime = now_seconds();
  if (up.mtime) {
    file->mtime = *up.mtime;
  }
  if (old != nullptr) {
    file->props = old->file->props;  // overwriting keeps them, as on POSIX
  }
  end_upload(up, false);  // the partial, if any, is the file now
  dir.entries[up.leaf] = Node{std::move(file), nullptr};
  return replaced;
}

void Tree::discard(Upload& up) {
  const std::lock_guard lock(mutex_);
  end_upload(up, false);
}

std::uint64_t Tree::keep_for_resume(Upload& up) {
  const std::lock_guard lock(mutex_);
  if (up.done) {
    return 0;
  }
  const std::uint64_t size = up.data->size();
  const bool keep = up.partial_size.has_value() && size > 0;
  end_upload(up, keep);
  return keep ? size : 0;
}

void Tree::end_upload(Upload& up, bool keep) {
  if (up.done) {
    return;
  }
  up.done = true;
  if (!up.partial_size) {
    up.dir->running -= 1;
    return;
  }
  auto it = up.dir->partials.find({up.leaf, *up.partial_size});
  if (it == up.dir->partials.end() || it->second.data != up.data) {
    return;
  }
  if (keep) {
    it->second.busy = false;
    it->second.mtime = now_seconds();
  } else {
    up.dir->partials.erase(it);
  }
}

Result<std::vector<DeadProp>*> Tree::props_of(std::string_view path) const {
  if (path.empty()) {
    return &root_->props;
  }
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(path));
  const Node* node = find(*parent.first, parent.second);
  if (node == nullptr) {
    return not_found(path);
  }
  return node->dir ? &node->dir->props : &node->file->props;
}

Result<std::vector<DeadProp>> Tree::dead_props(std::string_view path) const {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto* props, props_of(path));
  return *props;
}

Result<void> Tree::patch_dead_props(std::string_view path, const std::vector<PropChange>& changes) {
  const std::lock_guard lock(mutex_);
  SFS_ASSIGN_OR_RETURN(auto* props, props_of(path));
  SFS_ASSIGN_OR_RETURN(*props, apply_prop_changes(*props, changes));
  return {};
}

}  // namespace sfs::storage::memory

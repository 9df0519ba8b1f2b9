#include "storage/memory/memory_backend.h"

#include <utility>

#include "crypto/digest.h"
#include "storage/memory/memory_tree.h"

namespace sfs::storage {
namespace {

using memory::Tree;

class MemoryRead final : public ReadHandle {
 public:
  MemoryRead(std::shared_ptr<Tree> tree, std::shared_ptr<memory::File> file)
      : tree_(std::move(tree)), file_(std::move(file)) {}

  std::uint64_t size() const override { return file_->content->size(); }

  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    co_return memory::copy_out(*file_->content, data, length, offset);  // immutable: no lock
  }

  awaitable<std::string> stored_digest() override { co_return tree_->digest(*file_); }

  awaitable<Result<void>> store_digest(std::string hex) override {
    tree_->set_digest(*file_, std::move(hex));
    co_return Result<void>();
  }

  awaitable<Result<std::string>> compute_digest() override {
    co_return crypto::digest_of(*file_->content);
  }

 private:
  std::shared_ptr<Tree> tree_;
  std::shared_ptr<memory::File> file_;
};

class MemoryWrite final : public WriteHandle {
 public:
  MemoryWrite(std::shared_ptr<Tree> tree, memory::Upload up)
      : tree_(std::move(tree)), up_(std::move(up)) {}
  ~MemoryWrite() override { (void)tree_->keep_for_resume(up_); }

  std::uint64_t held() const override { return up_.held; }
  bool resumable() const override { return up_.partial_size.has_value(); }

  awaitable<Result<std::size_t>> read_at(char* data, std::size_t length,
                                         std::uint64_t offset) override {
    co_return tree_->read_at(up_, data, length, offset);
  }
  awaitable<Result<void>> continue_at(std::uint64_t offset) override {
    tree_->continue_at(up_, offset);
    co_return Result<void>();
  }
  awaitable<Result<void>> write(const char* data, std::size_t length) override {
    tree_->write(up_, data, length);
    co_return Result<void>();
  }
  awaitable<Result<void>> set_digest(std::string hex) override {
    tree_->set_digest(up_, std::move(hex));
    co_return Result<void>();
  }
  void set_mtime(std::int64_t seconds) override { up_.mtime = seconds; }  // the handle's own
  awaitable<Result<Usage>> commit() override { co_return tree_->commit(up_); }
  awaitable<void> discard() override {
    tree_->discard(up_);
    co_return;
  }
  awaitable<std::uint64_t> keep_for_resume() override { co_return tree_->keep_for_resume(up_); }

 private:
  std::shared_ptr<Tree> tree_;
  memory::Upload up_;
};

class MemorySpace final : public Space {
 public:
  explicit MemorySpace(std::shared_ptr<Tree> tree) : tree_(std::move(tree)) {}

  awaitable<Result<std::unique_ptr<ReadHandle>>> open_read(std::string path) override {
    SFS_CO_ASSIGN_OR_RETURN(auto file, tree_->open_read(path));
    co_return std::make_unique<MemoryRead>(tree_, std::move(file));
  }
  awaitable<Result<std::unique_ptr<WriteHandle>>> create(
      std::string path, std::optional<std::uint64_t> resumable_size) override {
    SFS_CO_ASSIGN_OR_RETURN(auto up, tree_->create(path, resumable_size));
    co_return std::make_unique<MemoryWrite>(tree_, std::move(up));
  }
  awaitable<Result<Usage>> remove(std::string path) override { co_return tree_->remove(path); }
  awaitable<Result<std::vector<DirEntry>>> list(std::string path) override {
    co_return tree_->list(path);
  }
  awaitable<Result<DirEntry>> stat(std::string path) override { co_return tree_->stat(path); }
  awaitable<Result<Usage>> make_dir(std::string path, bool parents, AdmitDirs admit) override {
    co_return tree_->make_dir(path, parents, admit);
  }
  awaitable<Result<Usage>> remove_dir(std::string path) override {
    co_return tree_->remove_dir(path);
  }
  awaitable<Result<Moved>> move(std::string from, std::string to,
                                std::size_t max_path_bytes) override {
    co_return tree_->move(from, to, max_path_bytes);
  }
  awaitable<Result<Usage>> usage() override { co_return tree_->usage(); }
  awaitable<Result<std::vector<FileCheck>>> verify() override { co_return tree_->verify(); }
  awaitable<std::uint64_t> size_of(std::string path) override {
    auto file = tree_->open_read(path);
    co_return file ? (*file)->content->size() : 0;
  }
  awaitable<Result<std::vector<DeadProp>>> dead_props(std::string path) override {
    co_return tree_->dead_props(path);
  }
  awaitable<Result<void>> patch_dead_props(std::string path,
                                           std::vector<PropChange> changes) override {
    co_return tree_->patch_dead_props(path, changes);
  }

 private:
  std::shared_ptr<Tree> tree_;
};

bool is_single_component(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

MemoryBackend::MemoryBackend() = default;
MemoryBackend::~MemoryBackend() = default;

Capabilities MemoryBackend::capabilities() const {
  Capabilities caps;
  caps.atomic_dir_rename = true;
  caps.mutable_digests = true;
  caps.resumable_partials = true;
  caps.snapshot_reads = true;
  return caps;
}

awaitable<Result<std::unique_ptr<Space>>> MemoryBackend::open_space(std::string user) {
  if (!is_single_component(user)) {
    co_return make_error(Errc::kBadPath, "invalid user name");
  }
  std::shared_ptr<Tree> tree;
  {
    const std::lock_guard lock(mutex_);
    std::shared_ptr<Tree>& slot = trees_[user];
    if (!slot) {
      slot = std::make_shared<Tree>();
    }
    tree = slot;
  }
  co_return std::make_unique<MemorySpace>(std::move(tree));
}

awaitable<std::size_t> MemoryBackend::remove_stale(std::chrono::seconds partial_ttl) {
  std::vector<std::shared_ptr<Tree>> trees;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [name, tree] : trees_) {
      trees.push_back(tree);
    }
  }
  std::size_t removed = 0;
  for (const auto& tree : trees) {
    removed += tree->remove_stale(partial_ttl);
  }
  co_return removed;
}

}  // namespace sfs::storage

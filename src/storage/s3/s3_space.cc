// One user's space on S3: files, listings, stat and dead properties.

#include "storage/s3/s3_space.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "asio/offload.h"
#include "storage/paths.h"

namespace sfs::storage::s3 {

awaitable<Result<std::unique_ptr<ReadHandle>>> S3Space::open_read(std::string path) {
  SFS_CO_ASSIGN_OR_RETURN(ObjectInfo info, co_await need_file(path));
  co_return make_read(shared_, root_ + path, std::move(info));
}

awaitable<Result<ObjectInfo>> S3Space::need_file(std::string path) {
  SFS_CO_RETURN_IF_ERROR(check_relative(path));
  SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, path));
  if (found.kind == Kind::kDir) {
    co_return make_error(Errc::kIsDir, "is a directory: " + path);
  }
  if (found.kind == Kind::kNone) {
    co_return make_error(Errc::kNotFound, "no such file: " + path);
  }
  co_return std::move(found.info);
}

awaitable<Result<void>> S3Space::need_dir(std::string dir) {
  SFS_CO_RETURN_IF_ERROR(check_relative(dir));
  SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, dir));
  if (found.kind == Kind::kFile) {
    co_return make_error(Errc::kNotDir, "not a directory: " + dir);
  }
  if (found.kind == Kind::kNone) {
    co_return make_error(Errc::kNotFound, "no such directory: " + dir);
  }
  co_return Result<void>();
}

awaitable<Result<std::unique_ptr<WriteHandle>>> S3Space::create(
    std::string path, std::optional<std::uint64_t> resumable_size) {
  SFS_CO_RETURN_IF_ERROR(check_relative(path));
  SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, path));
  if (found.kind == Kind::kDir) {
    co_return make_error(Errc::kIsDir, "is a directory: " + path);
  }
  std::string parent = parent_prefix(path);
  if (!parent.empty()) {
    parent.pop_back();
    auto ok = co_await need_dir(parent);
    if (!ok) {
      co_return make_error(Errc::kNotFound, "no such directory: " + parent);
    }
  }
  co_return co_await make_write(shared_, root_, path, resumable_size);
}

awaitable<Result<Usage>> S3Space::remove(std::string path) {
  SFS_CO_ASSIGN_OR_RETURN(ObjectInfo info, co_await need_file(path));
  const std::string key = root_ + path;
  SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->delete_object(key));
  const std::string props = props_key(root_, path, false);
  (void)co_await shared_->s3->delete_object(props);  // without the file, nothing shows them
  co_return Usage{info.size, 1};
}

namespace {

// Files need a HEAD each for their digest and kept time: metadata, which
// ListObjectsV2 does not return (unless InfoCache still knows them). They
// go kHeadsAtOnce at a time: one after another, a folder of 100,000 files
// cost 100,000 round trips in a row; more at once would take the pool's
// threads from other users' requests. Each is added to `out`, named past
// `prefix_size`, and to the cache.
awaitable<Result<void>> head_files(std::shared_ptr<Shared> shared,
                                   std::vector<const ObjectEntry*> files, std::size_t prefix_size,
                                   std::vector<DirEntry>& out) {
  constexpr std::size_t kHeadsAtOnce = 4;
  const auto executor = co_await asio::this_coro::executor;
  for (std::size_t first = 0; first < files.size(); first += kHeadsAtOnce) {
    const std::size_t n = std::min(kHeadsAtOnce, files.size() - first);
    std::vector<std::unique_ptr<Offloaded<Result<ObjectInfo>>>> heads;
    for (std::size_t i = 0; i < n; ++i) {
      heads.push_back(std::make_unique<Offloaded<Result<ObjectInfo>>>(executor));
      heads.back()->start(shared->s3->head_object(files[first + i]->key));
    }
    std::optional<Error> failed;
    for (std::size_t i = 0; i < n; ++i) {  // every one waited for: they write into heads
      Result<ObjectInfo> info = co_await heads[i]->wait();
      const std::string& key = files[first + i]->key;
      if (info) {
        shared->infos.remember(key, *info);
        out.push_back(DirEntry{key.substr(prefix_size), false, info->size, mtime_in(*info),
                               digest_in(*info)});
      } else if (info.error().code != Errc::kNotFound && !failed) {
        failed = info.error();  // a listing with files left out would mislead
      }                         // kNotFound: removed meanwhile
    }
    if (failed) {
      co_return *failed;
    }
  }
  co_return Result<void>();
}

}  // namespace

awaitable<Result<std::vector<DirEntry>>> S3Space::list(std::string path) {
  if (!path.empty()) {
    SFS_CO_RETURN_IF_ERROR(co_await need_dir(path));
  }
  const std::string prefix = dir_prefix(root_, path);
  std::vector<DirEntry> out;
  std::string token;
  do {
    const std::string delimiter = "/";
    SFS_CO_ASSIGN_OR_RETURN(ListPage page,
                            co_await shared_->s3->list_objects(prefix, delimiter, token));
    std::vector<const ObjectEntry*> unknown;  // files no HEAD answered of yet
    for (const ObjectEntry& object : page.objects) {
      std::string name = object.key.substr(prefix.size());
      if (name.empty() || is_hidden(name)) {
        continue;  // the folder's own marker, or a sidecar
      }
      if (auto known = shared_->infos.recall(object)) {
        out.push_back(
            DirEntry{std::move(name), false, known->size, mtime_in(*known), digest_in(*known)});
      } else {
        unknown.push_back(&object);
      }
    }
    SFS_CO_RETURN_IF_ERROR(co_await head_files(shared_, std::move(unknown), prefix.size(), out));
    for (const std::string& sub : page.prefixes) {
      std::string name = sub.substr(prefix.size());
      name.pop_back();
      if (!name.empty() && !is_hidden(name)) {
        out.push_back(DirEntry{std::move(name), true, 0, 0, ""});
      }
    }
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  std::sort(out.begin(), out.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  co_return out;
}

awaitable<Result<DirEntry>> S3Space::stat(std::string path) {
  SFS_CO_RETURN_IF_ERROR(check_relative(path));
  SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, path));
  if (found.kind == Kind::kNone) {
    co_return make_error(Errc::kNotFound, "no such file or directory: " + path);
  }
  if (found.kind == Kind::kDir) {
    co_return DirEntry{path, true, 0, found.info.mtime, ""};
  }
  co_return DirEntry{path, false, found.info.size, mtime_in(found.info), digest_in(found.info)};
}

awaitable<std::uint64_t> S3Space::size_of(std::string path) {
  if (!check_relative(path)) {
    co_return 0;
  }
  const std::string key = root_ + path;
  auto info = co_await shared_->s3->head_object(key);
  co_return info ? info->size : 0;
}

awaitable<Result<std::vector<DeadProp>>> S3Space::read_props(std::string key) {
  std::string record(kMaxDeadPropBytes + 1, '\0');
  auto got = co_await shared_->s3->get_object(key, record.data(), record.size(), 0);
  if (!got) {
    if (got.error().code == Errc::kNotFound) {
      co_return std::vector<DeadProp>();
    }
    co_return got.error();
  }
  if (*got > kMaxDeadPropBytes) {
    co_return make_error(Errc::kIo, "damaged dead-property record (too large)");
  }
  record.resize(*got);
  co_return decode_dead_props(record);
}

awaitable<Result<std::string>> S3Space::props_key_of(std::string path) {
  if (!path.empty()) {
    SFS_CO_RETURN_IF_ERROR(check_relative(path));
  }
  SFS_CO_ASSIGN_OR_RETURN(Probe found, co_await probe(shared_, root_, path));
  if (found.kind == Kind::kNone) {
    co_return make_error(Errc::kNotFound, "no such file or directory: " + path);
  }
  co_return props_key(root_, path, found.kind == Kind::kDir);
}

awaitable<Result<std::vector<DeadProp>>> S3Space::dead_props(std::string path) {
  SFS_CO_ASSIGN_OR_RETURN(std::string key, co_await props_key_of(std::move(path)));
  co_return co_await read_props(std::move(key));
}

awaitable<Result<void>> S3Space::patch_dead_props(std::string path,
                                                  std::vector<PropChange> changes) {
  SFS_CO_ASSIGN_OR_RETURN(const std::string key, co_await props_key_of(std::move(path)));
  SFS_CO_ASSIGN_OR_RETURN(auto props, co_await read_props(key));
  SFS_CO_ASSIGN_OR_RETURN(props, apply_prop_changes(std::move(props), changes));
  if (props.empty()) {
    co_return co_await shared_->s3->delete_object(key);
  }
  const std::string record = encode_dead_props(props);
  const Metadata none;
  SFS_CO_RETURN_IF_ERROR(co_await shared_->s3->put_object(key, record.data(), record.size(), none));
  co_return Result<void>();
}

std::unique_ptr<Space> make_space(std::shared_ptr<Shared> shared, std::string root) {
  return std::make_unique<S3Space>(std::move(shared), std::move(root));
}

}  // namespace sfs::storage::s3

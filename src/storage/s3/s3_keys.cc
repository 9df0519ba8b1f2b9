// The S3 backend's shared state, key mapping and dropping of partials.

#include <utility>

#include "asio/offload.h"
#include "crypto/digest.h"
#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {

bool Shared::running_under(const std::string& prefix) {
  const std::lock_guard lock(mutex);
  auto it = running.lower_bound(prefix);
  return it != running.end() && it->starts_with(prefix);
}

void Shared::add_running(const std::string& key) {
  const std::lock_guard lock(mutex);
  running.insert(key);
}

void Shared::end_running(const std::string& key) {
  const std::lock_guard lock(mutex);
  if (auto it = running.find(key); it != running.end()) {
    running.erase(it);
  }
}

namespace {

// Runs one question to the claims: on the pool when it may block (a
// database), inline otherwise.
template <typename F>
awaitable<Result<bool>> ask(Shared& shared, F question) {
  if (!shared.claims->may_block() || shared.pool == nullptr) {
    co_return question();
  }
  co_return co_await run_blocking(*shared.pool, std::move(question));
}

}  // namespace

// (The questions are built in locals: GCC 12 mis-compiles some temporaries
// inside co_await expressions.)
awaitable<Result<bool>> Shared::claim(std::string sidecar) {
  auto question = [this, sidecar] { return claims->claim(sidecar); };
  co_return co_await ask(*this, std::move(question));
}

awaitable<Result<bool>> Shared::is_claimed(std::string sidecar) {
  auto question = [this, sidecar] { return claims->is_claimed(sidecar); };
  co_return co_await ask(*this, std::move(question));
}

awaitable<Result<bool>> Shared::holds_upload(std::string upload_id) {
  auto question = [this, upload_id] { return claims->holds_upload(upload_id); };
  co_return co_await ask(*this, std::move(question));
}

std::string parent_prefix(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

std::string_view leaf_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string dir_prefix(const std::string& root, std::string_view dir) {
  return dir.empty() ? root : root + std::string(dir) + "/";
}

std::string props_key(const std::string& root, std::string_view path, bool is_dir) {
  if (is_dir) {
    return dir_prefix(root, path) + std::string(kPropsLeaf);
  }
  return root + parent_prefix(path) + std::string(kPropsLeaf) + "-" + std::string(leaf_of(path));
}

// The name and size hashed: a fixed-length leaf whatever the name's length.
std::string partial_key(const std::string& root, std::string_view path, std::uint64_t size) {
  const std::string id = std::string(leaf_of(path)) + "/" + std::to_string(size);
  return root + parent_prefix(path) + std::string(kPartLeaf) + crypto::digest_of(id);
}

bool is_hidden(std::string_view leaf) { return leaf.starts_with(".sfs-"); }

bool is_partial(std::string_view key) { return leaf_of(key).starts_with(kPartLeaf); }

int depth_of(std::string_view path) {
  if (path.empty()) {
    return 0;
  }
  int depth = 1;
  for (char c : path) {
    depth += c == '/' ? 1 : 0;
  }
  return depth;
}

awaitable<Result<Probe>> probe(std::shared_ptr<Shared> shared, std::string root, std::string path) {
  Probe out;
  if (path.empty()) {
    out.kind = Kind::kDir;
    co_return out;
  }
  const std::string file_key = root + path;  // locals: GCC 12 and temporaries in co_await
  auto file = co_await shared->s3->head_object(file_key);
  if (file) {
    out.kind = Kind::kFile;
    out.info = std::move(*file);
    co_return out;
  }
  if (file.error().code != Errc::kNotFound) {
    co_return file.error();
  }
  const std::string marker_key = dir_prefix(root, path);
  auto marker = co_await shared->s3->head_object(marker_key);
  if (marker) {
    out.kind = Kind::kDir;
    out.info = std::move(*marker);
  } else if (marker.error().code != Errc::kNotFound) {
    co_return marker.error();
  }
  co_return out;
}

std::string digest_in(const ObjectInfo& info) {
  auto it = info.metadata.find(kDigestMeta);
  return it == info.metadata.end() || !crypto::is_digest_hex(it->second) ? "" : it->second;
}

std::int64_t mtime_in(const ObjectInfo& info) {
  auto it = info.metadata.find(kMtimeMeta);
  if (it == info.metadata.end()) {
    return info.mtime;
  }
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {  // another writer's metadata: the store's time
    return info.mtime;
  }
}

awaitable<Result<void>> drop_partial(std::shared_ptr<Shared> shared, std::string sidecar) {
  std::string head(kMaxPartialHeader, '\0');
  auto got = co_await shared->s3->get_object(sidecar, head.data(), head.size(), 0);
  if (got) {
    head.resize(*got);
    auto partial = decode_partial(head);
    if (partial && !partial->upload_id.empty()) {
      // An upload already gone (aborted before) is no reason to keep the sidecar.
      auto aborted = co_await shared->s3->abort_multipart(partial->key, partial->upload_id);
      if (!aborted && aborted.error().code != Errc::kNotFound) {
        co_return aborted.error();
      }
    }
  }
  co_return co_await shared->s3->delete_object(sidecar);
}

}  // namespace sfs::storage::s3

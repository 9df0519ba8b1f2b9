// The S3 backend: its settings, the spaces it opens and the sweep of
// abandoned partials.

#include "storage/s3/s3_backend.h"

#include <utility>

#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {
namespace {

bool is_single_component(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

Result<void> check_settings(const S3BackendSettings& settings) {
  if (settings.part_size < S3BackendSettings::kMinPartSize ||
      settings.part_size > S3BackendSettings::kMaxPartSize) {
    return make_error(Errc::kBadRequest, "S3 part size must be 8 MiB to 512 MiB");
  }
  const std::string& prefix = settings.prefix;
  if (!prefix.empty() && (prefix.front() == '/' || prefix.back() == '/' ||
                          prefix.find("//") != std::string::npos || prefix.size() > 256)) {
    return make_error(Errc::kBadRequest, "S3 prefix must be like a/b (no leading or trailing /)");
  }
  if (settings.max_move_objects == 0) {
    return make_error(Errc::kBadRequest, "S3 folder-move limit must be at least 1");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<S3Backend>> S3Backend::create(const S3BackendSettings& settings,
                                                     asio::thread_pool& pool) {
  SFS_RETURN_IF_ERROR(check_settings(settings));
  SFS_ASSIGN_OR_RETURN(auto client, S3Client::create(settings.s3, pool));
  auto shared = std::make_shared<Shared>();
  shared->s3 = std::move(client);
  shared->pool = &pool;
  shared->base = settings.prefix.empty() ? "" : settings.prefix + "/";
  shared->part_size = settings.part_size;
  shared->max_move_objects = settings.max_move_objects;
  return std::unique_ptr<S3Backend>(new S3Backend(std::move(shared)));
}

S3Backend::S3Backend(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
S3Backend::~S3Backend() = default;

awaitable<Result<void>> S3Backend::check() { co_return co_await shared_->s3->head_bucket(); }

Capabilities S3Backend::capabilities() const {
  Capabilities caps;
  caps.resumable_partials = true;
  caps.durable = true;
  return caps;
}

awaitable<Result<std::unique_ptr<Space>>> S3Backend::open_space(std::string user) {
  if (!is_single_component(user)) {
    co_return make_error(Errc::kBadPath, "invalid user name");
  }
  co_return make_space(shared_, shared_->base + "u/" + user + "/");
}

// Walks every user's keys for the partials' sidecars (their LastModified
// is when they were last kept). Multipart uploads a killed server left
// without a sidecar are not found here (ListMultipartUploads would).
awaitable<std::size_t> S3Backend::remove_stale(std::chrono::seconds partial_ttl) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::string prefix = shared_->base + "u/";
  const std::string no_delimiter;
  std::size_t dropped = 0;
  std::string token;
  do {
    auto page = co_await shared_->s3->list_objects(prefix, no_delimiter, token);
    if (!page) {
      co_return dropped;  // the next sweep tries again
    }
    for (const ObjectEntry& object : page->objects) {
      if (!is_partial(object.key) || now - object.mtime < partial_ttl.count() ||
          shared_->is_claimed(object.key)) {
        continue;
      }
      auto done = co_await drop_partial(shared_, object.key);
      dropped += done ? 1 : 0;
    }
    token = page->truncated ? page->next_token : "";
  } while (!token.empty());
  co_return dropped;
}

}  // namespace sfs::storage::s3

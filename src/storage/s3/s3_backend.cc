// The S3 backend: its settings, the spaces it opens and the sweep of
// abandoned partials.

#include "storage/s3/s3_backend.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "storage/s3/s3_shared.h"

namespace sfs::storage::s3 {
namespace {

// The most pages of ListMultipartUploads one sweep reads (1000 uploads
// each); past that it aborts nothing and the next sweep tries again.
constexpr int kMaxUploadPages = 100;

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
  if (settings.max_single_copy < S3BackendSettings::kMinPartSize ||
      settings.max_single_copy > S3BackendSettings::kMaxSingleCopy) {
    return make_error(Errc::kBadRequest, "S3 single-copy limit must be 8 MiB to 5 GiB");
  }
  return {};
}

// The multipart uploads under every user's keys begun at or before `cutoff`
// that this process does not hold; nullopt when the store did not list
// them all (at most kMaxUploadPages pages).
awaitable<std::optional<std::vector<UploadEntry>>> old_uploads(std::shared_ptr<Shared> shared,
                                                               std::int64_t cutoff) {
  const std::string prefix = shared->base + "u/";
  std::vector<UploadEntry> out;
  std::string key_marker;
  std::string id_marker;
  for (int pages = 0; pages < kMaxUploadPages; ++pages) {
    auto page = co_await shared->s3->list_multipart_uploads(prefix, key_marker, id_marker);
    if (!page) {
      co_return std::nullopt;
    }
    for (UploadEntry& upload : page->uploads) {
      if (upload.initiated > cutoff || !upload.key.starts_with(prefix)) {
        continue;
      }
      auto held = co_await shared->holds_upload(upload.upload_id);
      if (!held) {
        co_return std::nullopt;  // unknown whether a node writes it: abort nothing
      }
      if (!*held) {
        out.push_back(std::move(upload));
      }
    }
    if (!page->truncated) {
      co_return out;
    }
    if (page->next_key_marker == key_marker && page->next_upload_id_marker == id_marker) {
      co_return std::nullopt;  // a store that does not move on
    }
    key_marker = std::move(page->next_key_marker);
    id_marker = std::move(page->next_upload_id_marker);
  }
  co_return std::nullopt;
}

struct Sidecars {
  std::size_t dropped = 0;
  std::vector<std::string> kept;  // the sidecars left (kept after the cutoff, or in use)
  bool complete = false;          // every key was listed
};

// Walks every user's keys for the partials' sidecars (their LastModified
// is when they were last kept) and drops those kept at or before `cutoff`.
awaitable<Sidecars> sweep_sidecars(std::shared_ptr<Shared> shared, std::int64_t cutoff) {
  const std::string prefix = shared->base + "u/";
  const std::string no_delimiter;
  Sidecars out;
  std::string token;
  do {
    auto page = co_await shared->s3->list_objects(prefix, no_delimiter, token);
    if (!page) {
      co_return out;
    }
    for (const ObjectEntry& object : page->objects) {
      if (!is_partial(object.key)) {
        continue;
      }
      if (object.mtime > cutoff) {
        out.kept.push_back(object.key);
        continue;
      }
      // Claimed by an upload of any live node, or not known: left alone.
      auto claimed = co_await shared->is_claimed(object.key);
      if (!claimed || *claimed) {
        out.kept.push_back(object.key);
        continue;
      }
      auto done = co_await drop_partial(shared, object.key);
      out.dropped += done ? 1 : 0;
      if (!done) {
        out.kept.push_back(object.key);
      }
    }
    token = page->truncated ? page->next_token : "";
  } while (!token.empty());
  out.complete = true;
  co_return out;
}

// The multipart uploads the sidecars `kept` name; nullopt when one could
// not be read (a sidecar gone meanwhile names nothing).
awaitable<std::optional<std::set<std::string>>> named_uploads(std::shared_ptr<Shared> shared,
                                                              std::vector<std::string> kept) {
  std::set<std::string> out;
  std::string head(kMaxPartialHeader, '\0');
  for (const std::string& sidecar : kept) {
    head.resize(kMaxPartialHeader);
    auto got = co_await shared->s3->get_object(sidecar, head.data(), head.size(), 0);
    if (!got && got.error().code == Errc::kNotFound) {
      continue;
    }
    if (!got) {
      co_return std::nullopt;
    }
    head.resize(*got);
    auto partial = decode_partial(head);
    if (partial && !partial->upload_id.empty()) {
      out.insert(partial->upload_id);
    }
  }
  co_return out;
}

enum class Settled { kStored, kDropped, kWait };

// True when the folder of `key` is there (a user's root always is).
awaitable<Result<bool>> folder_of_key_exists(std::shared_ptr<Shared> shared, std::string key) {
  const std::string folder = key.substr(0, key.rfind('/') + 1);
  std::string_view below = folder;
  below.remove_prefix(std::min(below.size(), shared->base.size() + 2));  // "u/"
  if (below.find('/') + 1 == below.size()) {
    co_return true;  // "<user>/"
  }
  auto marker = co_await shared->s3->head_object(folder);
  if (!marker && marker.error().code != Errc::kNotFound) {
    co_return marker.error();
  }
  co_return marker.ok();
}

// The parts a stored sidecar names (-1 when it does not decode).
awaitable<Result<int>> stored_parts(std::shared_ptr<Shared> shared, std::string sidecar) {
  std::string head(kMaxPartialHeader, '\0');
  SFS_CO_ASSIGN_OR_RETURN(std::size_t n,
                          co_await shared->s3->get_object(sidecar, head.data(), head.size(), 0));
  head.resize(n);
  auto partial = decode_partial(head);
  co_return partial ? partial->parts : -1;
}

// Settles, under its claim, one partial whose sidecar the store did not
// take: its parts go once it is as old as the TTL or its folder is gone;
// else its sidecar is stored, unless the store's names as many parts
// (then that one stands). kWait while the store does not answer.
awaitable<Settled> settle_unwritten(std::shared_ptr<Shared> shared, UnwrittenPartial& entry,
                                    std::int64_t cutoff) {
  const std::string& upload_id = entry.partial.upload_id;
  auto folder = co_await folder_of_key_exists(shared, entry.sidecar);
  if (!folder) {
    co_return Settled::kWait;
  }
  if (entry.kept_at <= cutoff || !*folder) {
    (void)co_await shared->s3->abort_multipart(entry.partial.key, upload_id);  // else the sweep's
    shared->release_upload(upload_id);
    co_return Settled::kDropped;
  }
  auto stored = co_await stored_parts(shared, entry.sidecar);
  if (!stored && stored.error().code != Errc::kNotFound) {
    co_return Settled::kWait;
  }
  if (!stored || *stored < entry.partial.parts) {
    const std::string body = encode_partial(entry.partial);
    const std::uint64_t held =
        std::uint64_t{static_cast<unsigned>(entry.partial.parts)} * entry.partial.part_size;
    const Metadata meta{{kHeldMeta, std::to_string(held)}};
    auto put = co_await shared->s3->put_object(entry.sidecar, body.data(), body.size(), meta);
    if (!put) {
      co_return Settled::kWait;
    }
  }
  shared->release_upload(upload_id);  // its sidecar names it now (or the stored one stands)
  co_return Settled::kStored;
}

// The partials whose sidecar the store did not take, each settled under
// its claim (one an upload holds is left to it); how many were dropped.
// The first the store does not answer ends the walk: it is still away.
awaitable<std::size_t> settle_unwritten(std::shared_ptr<Shared> shared, std::int64_t cutoff) {
  std::size_t dropped = 0;
  for (const std::string& sidecar : shared->unwritten.sidecars()) {
    auto claimed = co_await shared->claim(sidecar);
    if (!claimed || !*claimed) {
      continue;
    }
    std::optional<UnwrittenPartial> entry = shared->unwritten.take(sidecar);
    Settled settled = Settled::kStored;
    if (entry) {
      settled = co_await settle_unwritten(shared, *entry, cutoff);
      std::optional<UnwrittenPartial> replaced;  // none: the claim kept others out
      if (settled == Settled::kWait && !shared->unwritten.keep(*entry, replaced)) {
        shared->release_upload(entry->partial.upload_id);  // full meanwhile: the sweep's orphan
      }
      dropped += settled == Settled::kDropped ? 1 : 0;
    }
    shared->unclaim(sidecar);
    if (settled == Settled::kWait) {
      break;
    }
  }
  co_return dropped;
}

}  // namespace

Result<std::unique_ptr<S3Backend>> S3Backend::create(const S3BackendSettings& settings,
                                                     asio::thread_pool& pool,
                                                     std::shared_ptr<PartialClaims> claims) {
  SFS_RETURN_IF_ERROR(check_settings(settings));
  SFS_ASSIGN_OR_RETURN(auto client, S3Client::create(settings.s3, pool));
  auto shared = std::make_shared<Shared>();
  shared->s3 = std::move(client);
  shared->pool = &pool;
  shared->base = settings.prefix.empty() ? "" : settings.prefix + "/";
  shared->part_size = settings.part_size;
  shared->max_move_objects = settings.max_move_objects;
  shared->max_single_copy = settings.max_single_copy;
  shared->sidecar_every = std::max<std::uint64_t>(settings.sidecar_every, settings.part_size);
  shared->claims = claims ? std::move(claims) : std::make_shared<MemoryPartialClaims>();
  return std::unique_ptr<S3Backend>(new S3Backend(std::move(shared)));
}

S3Backend::S3Backend(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
S3Backend::~S3Backend() = default;

std::uint64_t S3Backend::requests_sent() const { return shared_->s3->requests_sent(); }

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

awaitable<std::size_t> S3Backend::remove_stale(std::chrono::seconds partial_ttl) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  co_return co_await remove_stale_before(now - partial_ttl.count());
}

// The sweep, in this order so that no kept partial loses its upload: the
// partials the store did not take are stored (or expire) first; the
// multipart uploads older than the TTL that this process does not hold
// are listed first; then the sidecars (stale ones dropped, the rest read
// for the uploads they name); then what is left of the first list is
// aborted. An upload kept after the first step was held then, so it is
// not a candidate; one kept before it has its sidecar listed in the second.
awaitable<std::size_t> S3Backend::remove_stale_before(std::int64_t cutoff) {
  const std::size_t expired = co_await settle_unwritten(shared_, cutoff);  // dropped
  auto orphans = co_await old_uploads(shared_, cutoff);
  Sidecars sidecars = co_await sweep_sidecars(shared_, cutoff);
  if (!orphans || orphans->empty() || !sidecars.complete) {
    co_return expired + sidecars.dropped;  // the next sweep tries again
  }
  auto named = co_await named_uploads(shared_, sidecars.kept);
  if (!named) {
    co_return expired + sidecars.dropped;
  }
  std::size_t aborted = 0;
  for (const UploadEntry& upload : *orphans) {
    if (named->contains(upload.upload_id)) {
      continue;
    }
    auto held = co_await shared_->holds_upload(upload.upload_id);
    if (!held || *held) {  // held by a node (again), or not known: left alone
      continue;
    }
    auto done = co_await shared_->s3->abort_multipart(upload.key, upload.upload_id);
    aborted += done ? 1 : 0;
  }
  co_return expired + sidecars.dropped + aborted;
}

}  // namespace sfs::storage::s3

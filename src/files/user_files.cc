#include "files/user_files.h"

#include <utility>

#include "asio/offload.h"
#include "files/run_queued.h"
#include "files/usage_scan.h"

namespace sfs::files {
namespace {

// Hashes the first `length` bytes of a stored file or an upload's partial.
template <typename File>
Result<void> hash_prefix(const File& file, std::uint64_t length, crypto::Digest& hash) {
  return crypto::hash_prefix([&file](char* data, std::size_t max,
                                     std::uint64_t at) { return file.read_at(data, max, at); },
                             length, hash);
}

}  // namespace

// --- Upload ---

Upload::Upload(UserFiles& files, storage::Upload upload, Quota::Reservation reservation,
               std::uint64_t size)
    : files_(&files),
      upload_(std::move(upload)),
      reservation_(std::move(reservation)),
      size_(size) {}

Upload::Upload(Upload&& other) noexcept
    : files_(other.files_),
      upload_(std::move(other.upload_)),
      reservation_(std::move(other.reservation_)),
      size_(other.size_),
      offer_(std::move(other.offer_)),
      hash_(std::move(other.hash_)),
      done_(std::exchange(other.done_, true)) {}

// Destroyed unfinished: as a cut connection, so a resume stays possible.
Upload::~Upload() { stop(true); }

Result<void> Upload::start_at(std::uint64_t from) {
  if (from != 0 && from != offer_.held) {
    return make_error(Errc::kBadRequest, "an upload starts at 0 or at the offered length");
  }
  if (from == 0) {
    hash_.reset();
  }
  return upload_.continue_at(from);
}

Result<void> Upload::write(const char* data, std::size_t length) {
  hash_.update(data, length);
  return upload_.write(data, length);
}

awaitable<Result<Upload::Stored>> Upload::finish(const std::optional<std::string>& claimed) {
  const std::string actual = hash_.hex_digest();
  if (claimed && *claimed != actual) {
    stop(false);
    co_return make_error(Errc::kIntegrity, "upload does not match its digest; nothing stored");
  }
  if (auto ok = upload_.set_digest(actual); !ok) {
    stop(false);
    co_return ok.error();
  }
  auto replaced = upload_.commit();
  if (!replaced) {
    stop(false);
    co_return replaced.error();
  }
  // Stored now, so booked in the usage: the reservation ends before the
  // client hears of it and sends its next upload.
  files_->services_.quota.record(files_->user_, {size_, 1}, *replaced);
  reservation_ = Quota::Reservation();
  done_ = true;
  co_return Stored{size_, actual};
}

void Upload::stop(bool resumable) {
  if (done_) {
    return;
  }
  done_ = true;
  if (!resumable) {
    upload_.discard();
  } else if (const std::uint64_t kept = upload_.keep_for_resume(); kept > 0) {
    files_->services_.quota.record(files_->user_, {kept, 1}, {});
  }
  reservation_ = Quota::Reservation();
}

// --- Download ---

Result<std::size_t> Download::read(char* data, std::size_t max) {
  auto n = file_.read_at(data, max, position_);
  if (n) {
    position_ += *n;
    if (hashing_) {
      hash_.update(data, *n);
    }
  }
  return n;
}

Result<void> Download::check() {
  actual_ = hash_.hex_digest();
  if (!stored_.empty() && actual_ != stored_) {
    return make_error(Errc::kIntegrity, "stored file is damaged (digest mismatch); not sent");
  }
  return {};
}

std::string Download::finish() {
  if (stored_.empty()) {
    (void)file_.store_digest(actual_);  // a file stored before digests: remember it now
  }
  return actual_;
}

// --- UserFiles ---

awaitable<Result<void>> UserFiles::know_usage() {
  co_return co_await files::know_usage(services_.quota, services_.disk, limits_.usage_wait, user_,
                                       tree_);
}

awaitable<Result<Upload>> UserFiles::begin_upload(std::string_view path, std::uint64_t size,
                                                  bool resumable) {
  if (size > limits_.max_file_bytes) {
    co_return make_error(Errc::kTooLarge, "file larger than the server's limit");
  }
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  auto created = tree_.create(path, resumable ? std::optional(size) : std::nullopt);
  if (!created) {
    co_return created.error();
  }
  // A partial file kept from an earlier attempt is this upload's now: its
  // share is in the reservation from here on, no longer in the usage.
  if (created->held() > 0) {
    services_.quota.record(user_, {}, {created->held(), 1});
  }
  auto reservation = reserve_upload(path, size);  // held until the upload ends
  if (!reservation) {
    created->discard();
    co_return reservation.error();
  }
  Upload upload(*this, std::move(*created), std::move(*reservation), size);
  upload.offer_ = co_await make_offer(upload);
  co_return std::move(upload);
}

// Checks the quota against what is stored plus what the user's other
// operations in flight reserved. A file it replaces makes room; a new name
// is one more entry.
Result<Quota::Reservation> UserFiles::reserve_upload(std::string_view path, std::uint64_t size) {
  if (!services_.quota.enabled()) {
    return Quota::Reservation();
  }
  const std::uint64_t replaced = tree_.size_of(path);
  const bool new_file = replaced == 0 && !tree_.open_read(path);
  return services_.quota.reserve(user_, {size, new_file ? 1U : 0U}, replaced);
}

// Offers what an interrupted upload left, with the digest of it, so the
// client can prove it is resuming the same data. Off the network threads
// when there is something to hash; a fresh upload does not wait for any
// pool.
awaitable<Upload::Offer> UserFiles::make_offer(Upload& upload) {
  const std::uint64_t held = upload.upload_.held() <= upload.size_ ? upload.upload_.held() : 0;
  if (held == 0) {
    co_return Upload::Offer();
  }
  auto ok = co_await run_blocking(services_.disk,
                                  [&] { return hash_prefix(upload.upload_, held, upload.hash_); });
  if (!ok) {
    upload.hash_.reset();
    co_return Upload::Offer();
  }
  co_return Upload::Offer{held, upload.hash_.hex_digest()};
}

awaitable<Result<Download>> UserFiles::open_download(std::string_view path, std::uint64_t offset,
                                                     std::string_view have_digest) {
  auto file = tree_.open_read(path);
  if (!file) {
    co_return file.error();
  }
  std::string stored = file->stored_digest();
  // Resume only when the client's partial copy is of this very content;
  // otherwise send everything.
  const bool resumable = !stored.empty() && have_digest == stored && offset <= file->size();
  Download download(std::move(*file), std::move(stored), resumable ? offset : 0, true);
  // Hashing what the client already holds reads it all from disk: off the
  // network threads (and nothing to wait for when it holds nothing).
  if (download.start_ > 0) {
    auto ok = co_await run_blocking(services_.disk, [&] {
      return hash_prefix(download.file_, download.start_, download.hash_);
    });
    if (!ok) {
      co_return ok.error();
    }
  }
  co_return std::move(download);
}

awaitable<Result<Download>> UserFiles::open_preview(std::string_view path) {
  auto file = tree_.open_read(path);
  if (!file) {
    co_return file.error();
  }
  std::string stored = file->stored_digest();
  co_return Download(std::move(*file), std::move(stored), 0, false);
}

awaitable<Result<std::vector<storage::DirEntry>>> UserFiles::list(std::string_view path) {
  co_return tree_.list(path);
}

awaitable<Result<storage::DirEntry>> UserFiles::stat(std::string_view path) {
  co_return tree_.stat(path);
}

awaitable<Result<void>> UserFiles::make_dir(std::string_view path, bool parents) {
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok;
  }
  // Folders are entries of the quota: checked and held before any is made,
  // booked once made.
  Quota::Reservation held;
  auto admit = [&](std::uint64_t count) -> Result<void> {
    auto reserved = services_.quota.reserve(user_, {0, count});
    if (!reserved) {
      return reserved.error();
    }
    held = std::move(*reserved);
    return {};
  };
  auto made = tree_.make_dir(path, parents, admit);
  if (!made) {
    co_return made.error();
  }
  services_.quota.record(user_, *made, {});
  co_return Result<void>();
}

awaitable<Result<void>> UserFiles::remove_dir(std::string_view path) {
  auto removed = tree_.remove_dir(path);
  if (!removed) {
    co_return removed.error();
  }
  services_.quota.record(user_, {}, *removed);
  co_return Result<void>();
}

awaitable<Result<void>> UserFiles::remove(std::string_view path) {
  auto removed = tree_.remove(path);
  if (!removed) {
    co_return removed.error();
  }
  services_.quota.record(user_, {}, *removed);
  co_return Result<void>();
}

// Off the network threads: moving a directory measures how deep it goes. A
// move makes nothing new; it may replace a file or an empty folder.
awaitable<Result<std::string>> UserFiles::move(std::string_view from, std::string_view to) {
  storage::Usage replaced;
  auto moved = co_await run_blocking(
      services_.disk, [&] { return tree_.move(from, to, limits_.max_path_bytes, &replaced); });
  if (moved) {
    services_.quota.record(user_, {}, replaced);
  }
  co_return moved;
}

awaitable<Result<std::string>> UserFiles::hash(std::string_view path) {
  auto file = tree_.open_read(path);
  if (!file) {
    co_return file.error();
  }
  std::string digest = file->stored_digest();
  if (digest.empty()) {
    auto computed =
        co_await run_queued(services_.slow_jobs, user_, [&] { return file->compute_digest(); });
    if (!computed) {
      co_return computed.error();
    }
    digest = *computed;
    (void)file->store_digest(digest);
  }
  co_return digest;
}

awaitable<Result<std::vector<storage::FileCheck>>> UserFiles::verify() {
  co_return co_await run_queued(services_.slow_jobs, user_, [this] { return tree_.verify(); });
}

awaitable<Result<storage::Usage>> UserFiles::usage() {
  if (!services_.quota.enabled()) {
    co_return co_await run_blocking(services_.disk, [this] { return tree_.usage(); });
  }
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  const std::optional<storage::Usage> used = services_.quota.used(user_);
  if (!used) {
    co_return make_error(Errc::kIo, "the storage used is not known");
  }
  co_return *used;
}

}  // namespace sfs::files

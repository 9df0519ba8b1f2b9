#include "files/user_files.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "asio/offload.h"
#include "crypto/prefix_hash.h"
#include "files/run_queued.h"
#include "files/usage_scan.h"

namespace sfs::files {

// --- Upload ---

Upload::Upload(UserFiles& files, std::unique_ptr<storage::WriteHandle> upload,
               Quota::Reservation reservation, std::uint64_t size)
    : files_(&files),
      upload_(std::move(upload)),
      reservation_(std::move(reservation)),
      size_(size),
      position_(upload_->held()) {}

Upload::Upload(Upload&& other) noexcept
    : files_(other.files_),
      upload_(std::move(other.upload_)),
      reservation_(std::move(other.reservation_)),
      size_(other.size_),
      offer_(std::move(other.offer_)),
      hash_(std::move(other.hash_)),
      position_(other.position_),
      done_(std::exchange(other.done_, true)),
      streamed_(other.streamed_),
      admitted_(other.admitted_),
      replaced_(other.replaced_),
      steps_(std::move(other.steps_)) {}

// Destroyed unfinished: as a cut connection, so a resume stays possible. The
// handle's destructor keeps a resumable upload's data (inline: a door that
// can await calls stop() instead), so what it keeps is what was written.
Upload::~Upload() {
  if (done_) {
    return;
  }
  done_ = true;
  const std::uint64_t keeps = upload_->resumable() ? position_ : 0;
  upload_.reset();
  kept(keeps);
  reservation_ = Quota::Reservation();
  steps_.clear();
}

void Upload::kept(std::uint64_t bytes) {
  if (bytes > 0) {
    files_->services_.quota.record(files_->user_, {bytes, 1}, {});
  }
}

awaitable<Result<void>> Upload::start_at(std::uint64_t from) {
  if (from != 0 && from != offer_.held) {
    co_return make_error(Errc::kBadRequest, "an upload starts at 0 or at the offered length");
  }
  if (from == 0) {
    hash_.reset();
  }
  auto ok = co_await upload_->continue_at(from);
  if (ok) {
    position_ = from;
  }
  co_return ok;
}

// The digest is fed right here, before the backend's write takes the same
// bytes: they were just decrypted on this thread and are still in its cache,
// and XXH3 costs a fraction of that decryption. Feeding it on the hashing
// pool beside the write cost a second hop per batch, whose wake-ups cost
// more than the hashing (bench/notes.md, 2026-12-04).
awaitable<Result<void>> Upload::write(const char* data, std::size_t length) {
  if (streamed_) {
    if (auto ok = co_await admit(position_ + length); !ok) {
      co_return ok;
    }
  }
  hash_.update(data, length);
  auto wrote = co_await upload_->write(data, length);
  if (wrote) {
    position_ += length;
  }
  co_return wrote;
}

awaitable<Result<Upload::Stored>> Upload::finish(const std::optional<std::string>& claimed) {
  const std::string actual = hash_.hex_digest();
  if (claimed && *claimed != actual) {
    co_await stop(false);
    co_return make_error(Errc::kIntegrity, "upload does not match its digest; nothing stored");
  }
  if (auto ok = co_await upload_->set_digest(actual); !ok) {
    co_await stop(false);
    co_return ok.error();
  }
  if (streamed_) {
    size_ = position_;
  }
  auto replaced = co_await upload_->commit();
  if (!replaced) {
    co_await stop(false);
    co_return replaced.error();
  }
  // Stored now, so booked in the usage: the reservation ends before the
  // client hears of it and sends its next upload.
  files_->services_.quota.record(files_->user_, {size_, 1}, *replaced);
  reservation_ = Quota::Reservation();
  steps_.clear();
  done_ = true;
  co_return Stored{size_, actual};
}

awaitable<void> Upload::stop(bool resumable) {
  if (done_) {
    co_return;
  }
  done_ = true;
  if (!resumable) {
    co_await upload_->discard();
  } else {
    kept(co_await upload_->keep_for_resume());
  }
  reservation_ = Quota::Reservation();
  steps_.clear();
}

// --- Download ---

// The hashing goes with the read (on the backend's pool, while the bytes are
// in that core's cache), not on the network thread that sends them. An
// `if`, not a `?:` of two co_awaits: GCC 12 destroyed such a conditional's
// temporaries twice (a freed error text went out).
awaitable<Result<std::size_t>> Download::read(char* data, std::size_t max) {
  if (hashing_) {
    auto n = co_await file_->read_hashed_at(data, max, position_, hash_);
    if (n) {
      position_ += *n;
    }
    co_return n;
  }
  auto n = co_await file_->read_at(data, max, position_);
  if (n) {
    position_ += *n;
  }
  co_return n;
}

Result<void> Download::check() {
  actual_ = hash_.hex_digest();
  if (!stored_.empty() && actual_ != stored_) {
    return make_error(Errc::kIntegrity, "stored file is damaged (digest mismatch); not sent");
  }
  return {};
}

awaitable<std::string> Download::finish() {
  if (stored_.empty() && files_->caps_.mutable_digests) {
    // A file stored before digests: remember it now.
    (void)co_await file_->store_digest(actual_);
  }
  co_return actual_;
}

// --- UserFiles ---

template <typename Handle>
awaitable<Result<void>> UserFiles::hash_prefix(Handle& file, std::uint64_t from,
                                               std::uint64_t length, crypto::Digest& hash) {
  crypto::PrefixHasher hasher(from, length, hash);
  while (!hasher.done()) {
    auto n = co_await file.read_at(hasher.piece(), hasher.want(), hasher.offset());
    if (!n) {
      co_return n.error();
    }
    const std::size_t got = *n;
    auto fed =
        co_await run_blocking(services_.hashing, [&hasher, got] { return hasher.feed(got); });
    if (!fed) {
      co_return fed;
    }
  }
  co_return Result<void>();
}

Error too_large_error(std::uint64_t max_file_bytes) {
  return make_error(Errc::kTooLarge, "file larger than the server's limit of " +
                                         std::to_string(max_file_bytes) + " bytes");
}

awaitable<Result<void>> UserFiles::know_usage() {
  co_return co_await files::know_usage(services_.quota, services_.backend, limits_.usage_wait,
                                       user_, *space_);
}

awaitable<Result<Upload>> UserFiles::begin_upload(std::string_view path, std::uint64_t size,
                                                  bool resumable) {
  if (size > limits_.max_file_bytes) {
    co_return too_large_error(limits_.max_file_bytes);
  }
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  std::string name(path);
  const std::optional<std::uint64_t> resume_size = resumable ? std::optional(size) : std::nullopt;
  auto created = co_await space_->create(name, resume_size);
  if (!created) {
    co_return created.error();
  }
  co_return co_await upload_on(std::move(name), size, std::move(*created));
}

awaitable<Result<std::optional<Upload>>> UserFiles::begin_upload_unless_same(std::string_view path,
                                                                             std::uint64_t size,
                                                                             std::string digest,
                                                                             bool resumable) {
  if (size > limits_.max_file_bytes) {  // refused, unless it is there already (a lowered limit)
    auto there = co_await stat(path);
    if (there && holds_content(*there, size, digest)) {
      co_return std::optional<Upload>();
    }
    co_return too_large_error(limits_.max_file_bytes);
  }
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  std::string name(path);
  const std::optional<std::uint64_t> resume_size = resumable ? std::optional(size) : std::nullopt;
  auto created = co_await space_->create_unless_same(name, resume_size, size, std::move(digest));
  if (!created) {
    co_return created.error();
  }
  if (!*created) {
    co_return std::optional<Upload>();  // the same file is there
  }
  auto upload = co_await upload_on(std::move(name), size, std::move(*created));
  if (!upload) {
    co_return upload.error();
  }
  co_return std::optional<Upload>(std::move(*upload));
}

awaitable<Result<Upload>> UserFiles::upload_on(std::string path, std::uint64_t size,
                                               std::unique_ptr<storage::WriteHandle> created) {
  // A partial file kept from an earlier attempt is this upload's now: its
  // share is in the reservation from here on, no longer in the usage.
  if (created->held() > 0) {
    services_.quota.record(user_, {}, {created->held(), 1});
  }
  auto reservation = co_await reserve_upload(path, size);  // held until the upload ends
  if (!reservation) {
    co_await created->discard();
    co_return reservation.error();
  }
  Upload upload(*this, std::move(created), std::move(*reservation), size);
  upload.offer_ = co_await make_offer(upload);
  co_return std::move(upload);
}

// Checks the quota against what is stored plus what the user's other
// operations in flight reserved. A file it replaces makes room; a new name
// is one more entry.
awaitable<Result<Quota::Reservation>> UserFiles::reserve_upload(std::string path,
                                                                std::uint64_t size) {
  if (!services_.quota.enabled()) {
    co_return Quota::Reservation();
  }
  // One open says both whether a file is there and its size.
  auto existing = co_await space_->open_read(path);
  const std::uint64_t replaced = existing ? (*existing)->size() : 0;
  Quota& quota = services_.quota;
  const Quota::Usage needed{size, existing ? 0U : 1U};
  auto reserve = [&quota, &needed, replaced, this] {
    return quota.reserve(user_, needed, replaced);
  };
  co_return co_await quota_call(quota, reserve);
}

// Offers what an interrupted upload left, with the digest of it, so the
// client can prove it is resuming the same data. A fresh upload does not
// wait for any pool.
awaitable<Upload::Offer> UserFiles::make_offer(Upload& upload) {
  const std::uint64_t held = upload.upload_->held() <= upload.size_ ? upload.upload_->held() : 0;
  if (held == 0) {
    co_return Upload::Offer();
  }
  // What the backend cannot read back it kept the digest state of (S3's
  // sent parts); the rest is read back and hashed.
  std::uint64_t from = upload.upload_->held_digest(upload.hash_);
  if (from > held) {
    upload.hash_.reset();
    from = 0;
  }
  auto ok = co_await hash_prefix(*upload.upload_, from, held, upload.hash_);
  if (!ok) {
    upload.hash_.reset();
    co_return Upload::Offer();
  }
  co_return Upload::Offer{held, upload.hash_.hex_digest()};
}

awaitable<Result<Download>> UserFiles::open_download(std::string_view path, std::uint64_t offset,
                                                     std::string_view have_digest) {
  auto file = co_await space_->open_read(std::string(path));
  if (!file) {
    co_return file.error();
  }
  std::string stored = co_await (*file)->stored_digest();
  // Resume only when the client's partial copy is of this very content;
  // otherwise send everything.
  const bool resumable = !stored.empty() && have_digest == stored && offset <= (*file)->size();
  Download download(*this, std::move(*file), std::move(stored), resumable ? offset : 0, true);
  // What the client already holds is hashed too (nothing to wait for when
  // it holds nothing).
  if (download.start_ > 0) {
    auto ok = co_await hash_prefix(*download.file_, 0, download.start_, download.hash_);
    if (!ok) {
      co_return ok.error();
    }
  }
  co_return std::move(download);
}

awaitable<Result<Download>> UserFiles::open_preview(std::string_view path) {
  auto file = co_await space_->open_read(std::string(path));
  if (!file) {
    co_return file.error();
  }
  std::string stored = co_await (*file)->stored_digest();
  co_return Download(*this, std::move(*file), std::move(stored), 0, false);
}

awaitable<Result<std::vector<storage::DirEntry>>> UserFiles::list(std::string_view path) {
  co_return co_await space_->list(std::string(path));
}

awaitable<Result<storage::DirEntry>> UserFiles::stat(std::string_view path) {
  co_return co_await space_->stat(std::string(path));
}

awaitable<Result<void>> UserFiles::make_dir(std::string_view path, bool parents) {
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok;
  }
  // Folders are entries of the quota: checked and held before any is made
  // (perhaps on a backend thread, while this coroutine waits), booked once
  // made.
  auto held = std::make_shared<Quota::Reservation>();
  Quota& quota = services_.quota;
  storage::Space::AdmitDirs admit;
  if (quota.blocking_pool() == nullptr) {
    admit = [&quota, held, user = user_](std::uint64_t count) {
      auto reserved = quota.reserve(user, {0, count});
      if (!reserved) {
        return Result<void>(reserved.error());
      }
      *held = std::move(*reserved);
      return Result<void>();
    };
  } else {
    auto ahead = co_await reserve_dirs_ahead(path, parents, *held);
    if (!ahead) {
      co_return ahead.error();
    }
    admit = [held_count = *ahead](std::uint64_t count) {
      if (count > held_count) {
        return Result<void>(
            make_error(Errc::kTooLarge, "quota exceeded: more folders than held for this request"));
      }
      return Result<void>();
    };
  }
  auto made = co_await space_->make_dir(std::string(path), parents, std::move(admit));
  if (!made) {
    co_return made.error();
  }
  services_.quota.record(user_, *made, {});
  co_return Result<void>();
}

// A quota whose calls block (a database) cannot be asked from inside the
// backend's make_dir (perhaps on a network thread): the folders a
// make_dir may create are held before it, as many as the path has parts
// with `parents` (or, when that is over the quota, one: most parents
// exist), else one. Returns how many are held.
awaitable<Result<std::uint64_t>> UserFiles::reserve_dirs_ahead(std::string_view path, bool parents,
                                                               Quota::Reservation& held) {
  std::uint64_t parts = 1;
  if (parents) {
    parts = static_cast<std::uint64_t>(std::count(path.begin(), path.end(), '/')) + 1;
  }
  Quota& quota = services_.quota;
  for (const std::uint64_t count : {parts, std::uint64_t{1}}) {
    auto reserve = [&quota, count, this] { return quota.reserve(user_, {0, count}); };
    auto reserved = co_await quota_call(quota, reserve);
    if (reserved) {
      held = std::move(*reserved);
      co_return count;
    }
    if (count == 1) {
      co_return reserved.error();
    }
  }
  co_return std::uint64_t{1};  // not reached: the loop ends with count 1
}

awaitable<Result<void>> UserFiles::remove_dir(std::string_view path) {
  auto removed = co_await space_->remove_dir(std::string(path));
  if (!removed) {
    co_return removed.error();
  }
  services_.quota.record(user_, {}, *removed);
  co_return Result<void>();
}

awaitable<Result<void>> UserFiles::remove(std::string_view path) {
  auto removed = co_await space_->remove(std::string(path));
  if (!removed) {
    co_return removed.error();
  }
  services_.quota.record(user_, {}, *removed);
  co_return Result<void>();
}

// A move makes nothing new; it may replace a file or an empty folder.
awaitable<Result<std::string>> UserFiles::move(std::string_view from, std::string_view to) {
  auto moved = co_await space_->move(std::string(from), std::string(to), limits_.max_path_bytes);
  if (!moved) {
    co_return moved.error();
  }
  services_.quota.record(user_, {}, moved->replaced);
  co_return std::move(moved->path);
}

awaitable<Result<std::string>> UserFiles::hash(std::string_view path) {
  auto file = co_await space_->open_read(std::string(path));
  if (!file) {
    co_return file.error();
  }
  storage::ReadHandle& handle = **file;
  std::string digest = co_await handle.stored_digest();
  if (digest.empty()) {
    auto computed = co_await run_queued(services_.slow_jobs, user_,
                                        [&handle] { return handle.compute_digest(); });
    if (!computed) {
      co_return computed.error();
    }
    digest = *computed;
    if (caps_.mutable_digests) {
      (void)co_await handle.store_digest(digest);
    }
  }
  co_return digest;
}

awaitable<Result<std::vector<storage::FileCheck>>> UserFiles::verify() {
  storage::Space& space = *space_;
  co_return co_await run_queued(services_.slow_jobs, user_, [&space] { return space.verify(); });
}

awaitable<Result<storage::Usage>> UserFiles::usage() {
  if (!services_.quota.enabled()) {
    co_return co_await space_->usage();
  }
  if (auto ok = co_await know_usage(); !ok) {
    co_return ok.error();
  }
  Quota& quota = services_.quota;
  auto ask = [&quota, this] { return quota.used(user_); };
  const std::optional<storage::Usage> used = co_await quota_call(quota, ask);
  if (!used) {
    co_return make_error(Errc::kIo, "the storage used is not known");
  }
  co_return *used;
}

}  // namespace sfs::files

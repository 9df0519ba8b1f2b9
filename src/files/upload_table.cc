#include "files/upload_table.h"

#include <algorithm>

#include "crypto/random.h"

namespace sfs::files {
namespace {

bool expired(const UploadRecord& upload, std::int64_t now) {
  return !upload.busy && upload.expires <= now;
}

}  // namespace

std::string new_upload_id() {
  unsigned char bytes[16];
  crypto::random_bytes(bytes, sizeof bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (const unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

std::int64_t MemoryUploadTable::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
}

MemoryUploadTable::Uploads* MemoryUploadTable::live(std::string_view user, std::int64_t now) {
  const auto it = users_.find(user);
  if (it == users_.end()) {
    return nullptr;
  }
  std::erase_if(it->second, [now](const auto& kv) { return expired(kv.second.upload, now); });
  if (it->second.empty()) {
    users_.erase(it);
    return nullptr;
  }
  return &it->second;
}

Result<std::optional<UploadRecord>> MemoryUploadTable::make_room(Uploads& uploads) {
  if (uploads.size() < max_per_user_) {
    return std::optional<UploadRecord>();
  }
  auto oldest = uploads.end();
  for (auto it = uploads.begin(); it != uploads.end(); ++it) {
    if (!it->second.upload.busy &&
        (oldest == uploads.end() || it->second.used < oldest->second.used)) {
      oldest = it;
    }
  }
  if (oldest == uploads.end()) {
    return make_error(Errc::kTooLarge, "too many uploads in progress (" +
                                           std::to_string(max_per_user_) + "), all in use");
  }
  UploadRecord evicted = std::move(oldest->second.upload);
  uploads.erase(oldest);
  return std::optional(std::move(evicted));
}

Result<UploadTable::Created> MemoryUploadTable::create(std::string_view user, std::string_view path,
                                                       std::uint64_t length,
                                                       std::string_view metadata) {
  const std::lock_guard lock(mutex_);
  const std::int64_t now = now_seconds();
  live(user, now);
  Uploads& uploads = users_[std::string(user)];
  auto evicted = make_room(uploads);
  if (!evicted) {
    if (uploads.empty()) {
      users_.erase(users_.find(user));
    }
    return evicted.error();
  }
  UploadRecord upload{.id = new_upload_id(),
                      .path = std::string(path),
                      .metadata = std::string(metadata),
                      .length = length,
                      .expires = now + ttl_.count()};
  uploads[upload.id] = Entry{upload, ++uses_};
  return Created{std::move(upload), std::move(*evicted)};
}

Result<std::optional<UploadRecord>> MemoryUploadTable::find(std::string_view user,
                                                            std::string_view id) {
  const std::lock_guard lock(mutex_);
  Uploads* uploads = live(user, now_seconds());
  if (uploads == nullptr) {
    return std::optional<UploadRecord>();
  }
  const auto it = uploads->find(id);
  return it == uploads->end() ? std::nullopt : std::optional(it->second.upload);
}

Result<UploadRecord> MemoryUploadTable::claim(std::string_view user, std::string_view id) {
  const std::lock_guard lock(mutex_);
  const std::int64_t now = now_seconds();
  Uploads* uploads = live(user, now);
  const auto it = uploads == nullptr ? Uploads::iterator() : uploads->find(id);
  if (uploads == nullptr || it == uploads->end()) {
    return make_error(Errc::kNotFound, "no such upload (finished, expired or terminated)");
  }
  UploadRecord& upload = it->second.upload;
  if (upload.busy) {
    return make_error(Errc::kExists, "another request is writing this upload");
  }
  upload.busy = true;
  upload.expires = now + ttl_.count();
  it->second.used = ++uses_;
  return upload;
}

Result<bool> MemoryUploadTable::release(std::string_view user, std::string_view id,
                                        const UploadProgress& progress) {
  const std::lock_guard lock(mutex_);
  const auto user_it = users_.find(user);
  if (user_it == users_.end()) {
    return false;
  }
  const auto it = user_it->second.find(id);
  if (it == user_it->second.end()) {
    return false;
  }
  UploadRecord& upload = it->second.upload;
  upload.busy = false;
  upload.offset = progress.offset;
  upload.digest = progress.digest;
  upload.done = progress.done;
  upload.expires = now_seconds() + ttl_.count();
  it->second.used = ++uses_;
  return true;
}

Result<std::optional<UploadRecord>> MemoryUploadTable::remove(std::string_view user,
                                                              std::string_view id) {
  const std::lock_guard lock(mutex_);
  Uploads* uploads = live(user, now_seconds());
  if (uploads == nullptr) {
    return std::optional<UploadRecord>();
  }
  const auto it = uploads->find(id);
  if (it == uploads->end()) {
    return std::optional<UploadRecord>();
  }
  UploadRecord upload = std::move(it->second.upload);
  uploads->erase(it);
  if (uploads->empty()) {
    users_.erase(users_.find(user));
  }
  return std::optional(std::move(upload));
}

Result<std::size_t> MemoryUploadTable::sweep() {
  const std::lock_guard lock(mutex_);
  const std::int64_t now = now_seconds();
  std::size_t removed = 0;
  for (auto it = users_.begin(); it != users_.end();) {
    removed +=
        std::erase_if(it->second, [now](const auto& kv) { return expired(kv.second.upload, now); });
    it = it->second.empty() ? users_.erase(it) : std::next(it);
  }
  return removed;
}

std::size_t MemoryUploadTable::size() const {
  const std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [user, uploads] : users_) {
    n += uploads.size();
  }
  return n;
}

}  // namespace sfs::files

#pragma once
// Uploads in progress that a client resumes by id (tus, docs/tus.md) as
// shared server state: which id is whose upload to which path, how long it
// is and how much of it is stored. An interface, because a cluster keeps
// them in PostgreSQL; MemoryUploadTable serves one node. The bytes are not
// here: they are the resumable partial of UserFiles::begin_upload (the
// quota counts them), and `digest` lets the next request prove that the
// partial is still the one this upload wrote.
//
//   MemoryUploadTable table(std::chrono::hours(24), 64);
//   auto made = table.create("alice", "a/b.bin", 1000, metadata);   // made->upload.id
//   auto up = table.claim("alice", id);                  // one request at a time
//   ... write up->offset.. of the partial ...
//   table.release("alice", id, {.offset = 600, .digest = d});
//
// Ids are 128 random bits (crypto/random.h) and never cross users: every
// call names the user, and another user's id is not found.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"

namespace sfs::files {

struct UploadRecord {
  std::string id;        // 32 lower-case hex digits
  std::string path;      // the user's path the upload becomes
  std::string metadata;  // the client's Upload-Metadata, as sent (HEAD gives it back)
  std::uint64_t length = 0;
  std::uint64_t offset = 0;  // bytes stored so far
  std::string digest;        // of those bytes ("" while none)
  bool done = false;         // committed: kept only to answer a late HEAD
  bool busy = false;         // a request is writing it (claim)
  std::int64_t expires = 0;  // seconds since the epoch: forgotten then
};

// A new upload id: 128 random bits as 32 lower-case hex digits.
std::string new_upload_id();

// What a request that wrote (or tried to) leaves.
struct UploadProgress {
  std::uint64_t offset = 0;
  std::string digest;
  bool done = false;
};

class UploadTable {
 public:
  struct Created {
    UploadRecord upload;
    // An upload forgotten to make room (the user's least recently used one
    // not in use): its partial should go.
    std::optional<UploadRecord> evicted;
  };

  virtual ~UploadTable() = default;

  // A new upload of `length` bytes to `path`, with the client's
  // `metadata` (bounded by the caller). When the user has the most uploads
  // allowed, the least recently used one that no request holds is
  // forgotten; kTooLarge when every one is in use.
  virtual Result<Created> create(std::string_view user, std::string_view path, std::uint64_t length,
                                 std::string_view metadata) = 0;
  // The upload `id` of `user`; nullopt when unknown, expired or another's.
  virtual Result<std::optional<UploadRecord>> find(std::string_view user, std::string_view id) = 0;
  // Holds the upload for one request (kNotFound as find; kExists "in use"
  // while another request holds it). Its expiry starts again.
  virtual Result<UploadRecord> claim(std::string_view user, std::string_view id) = 0;
  // Ends claim()'s hold, recording what the request left; its expiry starts
  // again. False when the upload was removed meanwhile (terminated): then
  // its partial should go.
  virtual Result<bool> release(std::string_view user, std::string_view id,
                               const UploadProgress& progress) = 0;
  // Forgets the upload; returns it (with `busy` true while a request holds
  // it, which then finds release() false), nullopt when unknown.
  virtual Result<std::optional<UploadRecord>> remove(std::string_view user,
                                                     std::string_view id) = 0;
  // Forgets every expired upload of every user; returns how many.
  virtual Result<std::size_t> sweep() = 0;
  // nullptr: the calls do not block and may run anywhere (in memory).
  // Otherwise the pool where every call must run (a database's calls
  // block: never on the network threads; call_on() in asio/offload.h).
  // Any call may then also fail with kIo (the database is away).
  virtual asio::thread_pool* blocking_pool() { return nullptr; }
};

// One node's table, in memory, safe to call from any thread. Expired
// uploads are swept as the user's are touched, and by sweep().
class MemoryUploadTable final : public UploadTable {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;
  MemoryUploadTable(std::chrono::seconds ttl, std::size_t max_per_user,
                    Now now = std::chrono::system_clock::now)
      : ttl_(ttl), max_per_user_(max_per_user), now_(std::move(now)) {}

  Result<Created> create(std::string_view user, std::string_view path, std::uint64_t length,
                         std::string_view metadata) override;
  Result<std::optional<UploadRecord>> find(std::string_view user, std::string_view id) override;
  Result<UploadRecord> claim(std::string_view user, std::string_view id) override;
  Result<bool> release(std::string_view user, std::string_view id,
                       const UploadProgress& progress) override;
  Result<std::optional<UploadRecord>> remove(std::string_view user, std::string_view id) override;
  Result<std::size_t> sweep() override;

  // Uploads known, every user together (expired ones count until swept).
  std::size_t size() const;

 private:
  struct Entry {
    UploadRecord upload;
    std::uint64_t used = 0;  // a counter: the least recently used goes first
  };
  using Uploads = std::map<std::string, Entry, std::less<>>;  // by id

  std::int64_t now_seconds() const;
  // The user's live uploads (expired ones swept), nullptr when none.
  Uploads* live(std::string_view user, std::int64_t now);
  // Makes room for one more of `uploads`; the evicted one, if any.
  Result<std::optional<UploadRecord>> make_room(Uploads& uploads);

  std::chrono::seconds ttl_;
  std::size_t max_per_user_;
  Now now_;
  mutable std::mutex mutex_;
  std::map<std::string, Uploads, std::less<>> users_;
  std::uint64_t uses_ = 0;
};

}  // namespace sfs::files

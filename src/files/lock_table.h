#pragma once
// WebDAV write locks (RFC 4918 6, 7) as shared server state: which paths of
// a user's space are locked, by which token, until when. An interface,
// because a cluster keeps them in PostgreSQL; MemoryLockTable serves one
// node. Locks never cross users: every call names the user, and a token of
// one user means nothing in another's space.
//
//   MemoryLockTable table;
//   auto lock = table.create("alice", {.root = "a/b.txt", .exclusive = true,
//                                      .timeout = std::chrono::seconds(600)});
//   // a PUT to a/b.txt: which locks must have their tokens submitted?
//   auto locks = table.affecting("alice", "a/b.txt", false);
//   if (auto missing = unsatisfied(locks, submitted)) { reply 423 }
//
// Paths are the user's decoded paths ("" is the root, "a/b" without
// slashes at either end), as files::UserFiles takes them.

#include <chrono>
#include <cstddef>
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

// The most locks one user holds at once: beyond it, create() fails (the
// table, kept in memory, stays bounded whatever a client asks).
inline constexpr std::size_t kMaxLocksPerUser = 1000;

struct LockSpec {
  std::string root;       // the locked path
  bool exclusive = true;  // false: shared
  bool deep = false;      // Depth: infinity (the members of a collection too)
  std::string owner_xml;  // the client's DAV:owner, given back as is
  std::chrono::seconds timeout{600};
};

struct Lock {
  std::string token;  // "urn:uuid:" + 128 random bits
  std::string root;
  bool exclusive = true;
  bool deep = false;
  std::string owner_xml;
  std::chrono::seconds timeout{0};  // what is left of it when returned
};

// A new lock token: "urn:uuid:" + 128 random bits.
std::string new_lock_token();

// True when `path` is `root` or lies beneath it.
bool path_within(std::string_view path, std::string_view root);
// True when `lock` applies to `path`: rooted there, or deep on an ancestor.
bool lock_covers(const Lock& lock, std::string_view path);
// True when a new lock `spec` and `lock` overlap (one within the other's
// reach); they conflict when either is exclusive.
bool locks_overlap(const Lock& lock, const LockSpec& spec);

// The first lock of `locks` whose token a write must carry and that
// `submitted` lacks, or nullopt when the write may go on. An exclusive lock
// needs its own token; the shared locks on one root need any one of theirs.
std::optional<Lock> unsatisfied(const std::vector<Lock>& locks,
                                const std::vector<std::string>& submitted);

class LockTable {
 public:
  virtual ~LockTable() = default;

  // Takes a new lock. Fails with kExists "locked: <root>" when it conflicts
  // with a lock of the user (either is exclusive and one covers the other's
  // root), kTooLarge when the user holds kMaxLocksPerUser locks.
  virtual Result<Lock> create(std::string_view user, const LockSpec& spec) = 0;
  // Restarts the timeout of the lock `token` that covers `path`. kNotFound
  // when no such lock (unknown, expired, or covering another path).
  virtual Result<Lock> refresh(std::string_view user, std::string_view path, std::string_view token,
                               std::chrono::seconds timeout) = 0;
  // Removes the lock `token` that covers `path`; kNotFound as refresh.
  virtual Result<void> unlock(std::string_view user, std::string_view path,
                              std::string_view token) = 0;
  // The locks that apply to `path`: rooted there, or deep on an ancestor.
  virtual Result<std::vector<Lock>> covering(std::string_view user, std::string_view path) = 0;
  // What a write to `path` must respect: covering(), and with `tree` (a
  // DELETE or MOVE of a collection) every lock rooted beneath it too.
  virtual Result<std::vector<Lock>> affecting(std::string_view user, std::string_view path,
                                              bool tree) = 0;
  // Forgets the locks rooted at or beneath `path` (it was deleted or moved).
  virtual Result<void> remove_tree(std::string_view user, std::string_view path) = 0;
  // nullptr: the calls do not block and may run anywhere (in memory).
  // Otherwise the pool where every call must run (a database's calls
  // block: never on the network threads; call_on() in asio/offload.h).
  // Any call may then also fail with kIo (the database is away).
  virtual asio::thread_pool* blocking_pool() { return nullptr; }
};

// One node's table, in memory, safe to call from any thread. Expired locks
// are swept as the user's locks are touched, and every user's now and then.
class MemoryLockTable final : public LockTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MemoryLockTable(std::function<Clock::time_point()> now = Clock::now,
                           std::size_t max_per_user = kMaxLocksPerUser)
      : now_(std::move(now)), max_per_user_(max_per_user) {}

  Result<Lock> create(std::string_view user, const LockSpec& spec) override;
  Result<Lock> refresh(std::string_view user, std::string_view path, std::string_view token,
                       std::chrono::seconds timeout) override;
  Result<void> unlock(std::string_view user, std::string_view path,
                      std::string_view token) override;
  Result<std::vector<Lock>> covering(std::string_view user, std::string_view path) override;
  Result<std::vector<Lock>> affecting(std::string_view user, std::string_view path,
                                      bool tree) override;
  Result<void> remove_tree(std::string_view user, std::string_view path) override;

  // Users holding at least one lock (expired ones count until swept).
  std::size_t users() const;

 private:
  struct Entry {
    Lock lock;
    Clock::time_point expires;
  };
  using Locks = std::vector<Entry>;

  // The user's live locks (expired ones swept), created empty on demand.
  Locks& live(std::string_view user, Clock::time_point now);
  void sweep_all(Clock::time_point now);
  Lock shown(const Entry& entry, Clock::time_point now) const;
  Entry* find(Locks& locks, std::string_view path, std::string_view token);

  std::function<Clock::time_point()> now_;
  std::size_t max_per_user_;
  mutable std::mutex mutex_;
  std::map<std::string, Locks, std::less<>> users_;
  unsigned calls_ = 0;  // a sweep of every user each kSweepEvery calls
};

}  // namespace sfs::files

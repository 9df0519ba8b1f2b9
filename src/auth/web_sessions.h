#pragma once
// The browser app's sessions (docs/security.md, "Browser sessions") as
// shared server state: which cookie belongs to which user, until when. An
// interface, because a cluster keeps them in PostgreSQL;
// MemoryWebSessionTable serves one node.
//
//   MemoryWebSessionTable table({.idle = 30min, .lifetime = 12h});
//   auto made = table.create("alice", identity.version);  // after a right password
//   cookie = made->id;  token = made->session.csrf;
//   ... on each request: auto s = table.find(cookie);    // nullopt: log in again
//   table.end(cookie);                                    // logout
//   table.end_user("alice");                              // a password change
//
// The id is 256 random bits (crypto::random_bytes) in hex. The table keeps
// only a digest of it (BLAKE2b), so what it holds (a dump of the PostgreSQL
// table, a core file) does not hand out live cookies.

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

namespace sfs::auth {

struct WebSessionLimits {
  std::chrono::seconds idle{1800};       // unused this long: ended
  std::chrono::seconds lifetime{43200};  // since the login, whatever the use: ended
  std::size_t max_sessions = 10000;      // all users together
  std::size_t max_per_user = 32;         // a user's oldest goes when one more logs in
};

struct WebSession {
  std::string user;
  std::uint64_t version = 0;  // the password version of the login (UserDb::version)
  std::string csrf;           // the per-session token state-changing requests carry (hex)
};

struct NewWebSession {
  std::string id;  // the cookie's value: 64 hex digits
  WebSession session;
};

// A new session's id and CSRF token (256 random bits each, in hex) for
// `user` logged in with password `version`.
NewWebSession new_web_session(std::string_view user, std::uint64_t version);
// What a table keeps instead of the id: its BLAKE2b digest, in hex.
std::string web_session_key(std::string_view id);

class WebSessionTable {
 public:
  virtual ~WebSessionTable() = default;

  // A new session for `user`, logged in with password `version`. The
  // user's oldest session ends when they hold max_per_user already.
  // kTooLarge "too many browser sessions; try again later" when the table
  // is full of live sessions.
  virtual Result<NewWebSession> create(std::string_view user, std::uint64_t version) = 0;
  // The live session of `id` (its idle time restarts), or nullopt: unknown,
  // ended or expired (then forgotten).
  virtual Result<std::optional<WebSession>> find(std::string_view id) = 0;
  // Ends the session `id` (logout); false when there was none.
  virtual Result<bool> end(std::string_view id) = 0;
  // Ends every session of `user` (deleted, or another password); how many.
  virtual Result<std::size_t> end_user(std::string_view user) = 0;
  // nullptr: the calls do not block and may run anywhere (in memory).
  // Otherwise the pool where every call must run (a database's calls
  // block: never on the network threads; call_on() in asio/offload.h).
  // Any call may then also fail with kIo (the database is away).
  virtual asio::thread_pool* blocking_pool() { return nullptr; }
};

// One node's table, in memory, safe to call from any thread. Expired
// sessions are swept when the table is full, and every few hundred calls.
class MemoryWebSessionTable final : public WebSessionTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MemoryWebSessionTable(WebSessionLimits limits,
                                 std::function<Clock::time_point()> now = Clock::now)
      : limits_(limits), now_(std::move(now)) {}

  Result<NewWebSession> create(std::string_view user, std::uint64_t version) override;
  Result<std::optional<WebSession>> find(std::string_view id) override;
  Result<bool> end(std::string_view id) override;
  Result<std::size_t> end_user(std::string_view user) override;

  // Sessions held (expired ones count until swept).
  std::size_t size() const;

 private:
  struct Entry {
    WebSession session;
    Clock::time_point created;
    Clock::time_point used;
  };

  bool expired(const Entry& entry, Clock::time_point now) const;
  // Forgets the entry under `key` (and its place in by_user_).
  void erase(const std::string& key);
  void sweep(Clock::time_point now);

  WebSessionLimits limits_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;  // by the id's digest
  // Each user's session keys, oldest first.
  std::map<std::string, std::vector<std::string>, std::less<>> by_user_;
  unsigned calls_ = 0;
};

}  // namespace sfs::auth

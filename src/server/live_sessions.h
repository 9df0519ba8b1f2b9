#pragma once
// The live sessions, and the user each one is logged in as: a draining
// server asks them all to close when idle, and an auth-file reload ends
// those of users who were deleted or whose password changed.
//
//   LiveSessions sessions;
//   auto entry = sessions.add([](LiveSessions::Why why) { post the stop to the session });
//   ... after LOGIN: entry.logged_in("alice");
//   sessions.end_sessions_of({"alice"}, LiveSessions::Why::kPasswordChanged);  // -> 1
//   ... in the session: if (auto why = entry.ended()) say why and close;
//
// Thread-safe. The registry knows no network: what "stop" means is the
// callback's business (the session posts it to its own executor).

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sfs::server {

class LiveSessions {
 public:
  enum class Why {
    kDrain,            // the server stops: close when idle
    kAccountDeleted,   // the user is no longer in the auth file
    kPasswordChanged,  // the user has another password
  };
  // Asks a session to stop. Called with the registry locked, from any
  // thread: it must only hand the work to the session (post it), never
  // block or call back into the registry.
  using Stop = std::function<void(Why)>;

 private:
  struct Item {
    explicit Item(Stop s) : stop(std::move(s)) {}
    Stop stop;
    std::string user;            // empty until logged in
    std::atomic<int> ended{-1};  // the Why that ended it, or -1
  };

 public:
  // A session's place in the registry, for as long as the session runs.
  class Entry {
   public:
    Entry(Entry&& other) noexcept;
    Entry& operator=(Entry&&) = delete;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry();

    // From now on the session belongs to `user`.
    void logged_in(const std::string& user);
    // Why the registry ended the session (an account change), if it did.
    // Set before the Stop callback runs, so the session sees it whenever
    // it looks after being stopped.
    std::optional<Why> ended() const;

   private:
    friend class LiveSessions;
    Entry(LiveSessions* owner, std::list<Item>::iterator it) : owner_(owner), it_(it) {}
    LiveSessions* owner_;
    std::list<Item>::iterator it_;
  };

  Entry add(Stop stop);
  // Calls every session's Stop with `why` (for draining).
  void stop_all(Why why);
  // Marks the sessions logged in as one of `users` ended for `why` and
  // calls their Stop; returns how many.
  std::size_t end_sessions_of(const std::vector<std::string>& users, Why why);
  std::size_t size() const;

  // Why, in words for the log: "the account was deleted".
  static std::string_view reason(Why why);
  // What a session ended for `why` tells its user (an ERR AUTH message):
  // "session ended: the account was deleted".
  static std::string message(Why why);

 private:
  mutable std::mutex mutex_;
  std::list<Item> items_;
};

}  // namespace sfs::server

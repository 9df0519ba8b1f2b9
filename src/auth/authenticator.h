#pragma once
// One login, for any door: source + user + password + deadline -> a
// logged-in identity, or what to answer instead. It owns the login policy
// (LoginGate: penalties, holds, refusals, trusted sources), the turns at
// the password checks (CheckQueue), the bounded Argon2id pool, and the
// rehash of a password hashed at outdated costs, saved to the user store
// (the auth file under its lock, or the database). Doors (the sfs session, the HTTP face) only read
// their protocol's credentials and map the outcome to their replies.
//
//   FileUserStore store("id_passwd.txt");
//   Authenticator auth(users, {.store = &store, .max_concurrent_checks = 2});
//   LoginHooks hooks{.on_hold = [&](auto ms) { return tell_client(ms); }};
//   LoginOutcome got = co_await auth.log_in(
//       {.source = "192.0.2.7", .peer = "192.0.2.7:4711", .user = user,
//        .user_label = escaped_user, .password = password, .deadline = deadline}, hooks);
//   switch (got.kind) { case LoginOutcome::Kind::kLoggedIn: ... got.identity->user ... }
//   ... list the session under the user, then:
//   if (!auth.current(*got.identity)) ... a reload changed the password meanwhile ...
//
// Knows no network and no storage: it awaits turns, timers and the pool on
// the caller's executor (which must be a strand or single-threaded, as a
// connection's is). Logs one line per verdict, as docs/security.md says,
// naming the peer by the door's label. Thread-safe.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "asio/asio.h"
#include "auth/check_queue.h"
#include "auth/login_gate.h"
#include "auth/user_db.h"
#include "auth/user_store.h"
#include "auth/verdict_share.h"

namespace sfs::auth {

// Who logged in, and how (for the door's log line).
struct Identity {
  std::string user;
  std::uint64_t version = 0;  // the password version checked (UserDb::version)
  UserDb::Method method = UserDb::Method::kArgon2id;
  LoginGate::Standing standing = LoginGate::Standing::kFailing;

  std::string_view check_name() const {
    return method == UserDb::Method::kCache ? "cache" : "argon2id";
  }
};

// One login attempt as a door read it. The views must outlive log_in().
struct LoginRequest {
  std::string_view source;      // the address alone (penalties are per address)
  std::string_view peer;        // the peer as logs name it ("address:port")
  std::string_view user;        // any bytes: unknown names are treated as known ones
  std::string_view user_label;  // the user name as logs show it (escaped by the door)
  std::string_view password;
  std::chrono::steady_clock::time_point deadline;  // a busy attempt gives up here
};

// What the door answers. (Not a Result<Identity>: a door needs the retry
// time as a number, for HTTP's Retry-After too, and whether to answer at all.)
struct LoginOutcome {
  enum class Kind {
    kLoggedIn,     // identity set; the door lists the session, checks current(), answers
    kFailed,       // wrong user name or password (checked)
    kRefused,      // a penalty over the longest hold: unchecked, retry_after set
    kBusy,         // still waiting for other attempts' verdicts at the deadline: unchecked
    kClosed,       // the client went (on_hold said so) or the server stops: no answer
    kUnavailable,  // checked, but the cluster could not count the verdict: no login
  };
  Kind kind = Kind::kClosed;
  std::optional<Identity> identity;
  std::chrono::seconds retry_after{0};
  // The hold served before the check; the client's time to log in does not
  // run meanwhile, so a door extends its login deadline by it.
  std::chrono::steady_clock::duration held{};

  // The reply text for kFailed, kRefused and kBusy (the same for every door).
  std::string message() const;
};

// What a door is told, or asked, while its attempt waits. Each may be empty.
struct LoginHooks {
  // Before a hold of `wait` starts (the sfs door sends `DELAY <ms>`); false
  // ends the attempt as kClosed (the client is gone).
  std::function<awaitable<bool>(std::chrono::milliseconds wait)> on_hold;
  // true when the attempt starts waiting on a timer (busy or held: nothing
  // in flight, so a draining server may close the connection), false after.
  std::function<void(bool waiting)> on_wait;
  // Asked after each wait: true ends the attempt as kClosed (a drain).
  std::function<bool()> stopping;
};

class Authenticator {
 public:
  struct Settings {
    UserStore* store = nullptr;  // where rehashed passwords are saved (outlives this)
    // A cluster's shared verdicts (outlives this; started and stopped here):
    // each verdict is published before the door answers, and a login whose
    // verdict could not be published does not count (kUnavailable).
    VerdictShare* verdicts = nullptr;
    unsigned max_concurrent_checks = 2;  // Argon2id runs at once (64 MiB each)
    LoginGate::Settings gate{};
  };

  // `users` must outlive this object (reloads swap its contents, not it).
  Authenticator(UserDb& users, Settings settings);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Runs one attempt through the login gate: busy until the others'
  // verdicts (asking again every 20 ms; kBusy at the deadline, or when the
  // server stops meanwhile), refused, or held for its penalty, then checked
  // at its turn on the Argon2id pool. A right password hashed at outdated
  // costs is hashed again and saved (before the door lists its session:
  // the rehash writes only over the hash of the version checked).
  // `request` is taken by value (a coroutine keeps its own copy, so a
  // temporary may be passed); the bytes its views name, and `hooks`, must
  // outlive the call.
  awaitable<LoginOutcome> log_in(LoginRequest request, const LoginHooks& hooks);

  // False when the auth file gave the user another password (or removed
  // it) since `identity` was checked. A door asks once its session is
  // listed where a reload would end it.
  bool current(const Identity& identity) const;

  // The longest hold an attempt may serve (longer penalties are refused).
  std::chrono::steady_clock::duration longest_hold() const { return settings_.gate.max_wait; }

  // Waits for the checks running on the pool to end (at shutdown, before
  // the coroutines that wait for them are destroyed).
  void join() {
    checks_.join();
    shares_.join();
  }

 private:
  // An attempt's announcement to the cluster (authenticator.cc).
  struct Announced;
  // The gate's decision once it is not busy; nullopt when it stays busy
  // until the deadline, the server stops, or the cluster cannot be asked
  // (announced.unavailable).
  awaitable<std::optional<LoginGate::Attempt>> admit(const LoginRequest& request,
                                                     const LoginHooks& hooks, Announced& announced);
  // The gate's decision on one attempt; false when the cluster could not
  // be asked (announced.unavailable).
  awaitable<bool> decide(const LoginRequest& request, Announced& announced,
                         std::optional<LoginGate::Attempt>& attempt);
  void announce_unchecked(std::uint64_t seq, const AttemptKey& key);
  awaitable<LoginOutcome> hold_and_check(const LoginRequest& request, const LoginHooks& hooks,
                                         LoginGate::Attempt& attempt, Announced& announced);
  // Waits `wait` on a timer; false when the server stops meanwhile.
  awaitable<bool> wait_for(std::chrono::steady_clock::duration wait, const LoginHooks& hooks);
  awaitable<UserDb::Verdict> check_password(const LoginRequest& request,
                                            const LoginGate::Decision& decision);
  // Announces the verdict to the cluster (when there is one); false when
  // it could not be.
  awaitable<bool> share(Announced& announced, bool ok);
  // Replaces an outdated hash, in memory and in the user store (see .cc).
  bool rehash(const std::string& user, std::string_view password, std::uint64_t version);

  UserDb& users_;
  Settings settings_;
  LoginGate gate_;
  // Password checks, off the network threads; its size caps the memory
  // that Argon2id verifications take at once.
  asio::thread_pool checks_;
  // Turns at that pool, by standing: trusted and clean sources first.
  CheckQueue queue_;
  // The cluster's round trips (decide(), share()), off the network threads.
  asio::thread_pool shares_;
};

}  // namespace sfs::auth

#pragma once
// Applies changes of the user store (the auth file or the database) to a
// running server: every store.check_interval(), and at once on request
// (SIGHUP), it reloads the users when the store changed, ends the sessions of users who were
// deleted or got another password, and logs one line of what it did (or
// one error line, keeping the users it had).
//
// It runs on a thread of its own, so that reading and parsing a large file
// or a slow database never holds up a network thread or waits behind a
// long VERIFY.
//
//   AuthReload reload(shared->users, store, snapshot.token, shared->sessions);
//   reload.start();
//   on SIGHUP: reload.reload_now();
//   reload.stop();   // before the users and sessions go away

#include <string>
#include <string_view>

#include "asio/asio.h"
#include "auth/user_db.h"
#include "auth/user_db_reloader.h"
#include "auth/user_store.h"
#include "auth/web_sessions.h"
#include "server/live_sessions.h"

namespace sfs::server {

class AuthReload {
 public:
  // `users` were loaded from `store` at change token `loaded`; they,
  // `store` and `sessions` must outlive this object.
  // `web_sessions`, when given, loses the browser sessions of those users
  // too.
  AuthReload(auth::UserDb& users, auth::UserStore& store, std::string loaded,
             LiveSessions& sessions, auth::WebSessionTable* web_sessions = nullptr);
  ~AuthReload();
  AuthReload(const AuthReload&) = delete;
  AuthReload& operator=(const AuthReload&) = delete;

  // Starts checking the file periodically.
  void start();
  // Reloads the file now, changed or not (SIGHUP). Returns at once.
  void reload_now();
  // Stops checking and waits for a reload in progress. Safe to call twice.
  void stop();

 private:
  void arm();
  void check(bool forced);

  auth::UserDb& users_;
  auth::UserDbReloader reloader_;
  LiveSessions& sessions_;
  auth::WebSessionTable* web_sessions_;
  asio::thread_pool thread_{1};
  asio::steady_timer timer_{thread_};
  bool stopped_ = false;  // on thread_ only
};

// The log line of a reload, e.g. "auth file reloaded (SIGHUP): 5 users (1
// added, 1 removed, 1 changed); ended 2 sessions; removed: carol; changed:
// bob" (each list of names shows at most 10); `kind` names the store.
std::string describe_reload(const auth::UserDb::Changes& changes, bool forced,
                            std::size_t sessions_ended, std::string_view kind = "auth file");

}  // namespace sfs::server

#include "server/auth_reload.h"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace sfs::server {
namespace {

constexpr std::size_t kNamesShown = 10;

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string names(const char* what, const std::vector<std::string>& list) {
  if (list.empty()) {
    return "";
  }
  std::string out = std::string("; ") + what + ": ";
  for (std::size_t i = 0; i < list.size() && i < kNamesShown; ++i) {
    out += (i == 0 ? "" : ", ") + list[i];
  }
  if (list.size() > kNamesShown) {
    out += " and " + std::to_string(list.size() - kNamesShown) + " more";
  }
  return out;
}

}  // namespace

std::string describe_reload(const auth::UserDb::Changes& changes, bool forced,
                            std::size_t sessions_ended, std::string_view kind) {
  return std::string(kind) + " reloaded" + (forced ? " (SIGHUP)" : "") + ": " +
         plural(changes.users, "user") + " (" + std::to_string(changes.added.size()) + " added, " +
         std::to_string(changes.removed.size()) + " removed, " +
         std::to_string(changes.changed.size()) + " changed); ended " +
         plural(sessions_ended, "session") + names("added", changes.added) +
         names("removed", changes.removed) + names("changed", changes.changed);
}

AuthReload::AuthReload(auth::UserDb& users, auth::UserStore& store, std::string loaded,
                       LiveSessions& sessions, auth::WebSessionTable* web_sessions)
    : users_(users),
      reloader_(users, store, std::move(loaded)),
      sessions_(sessions),
      web_sessions_(web_sessions) {}

AuthReload::~AuthReload() { stop(); }

void AuthReload::start() {
  asio::post(thread_, [this] { arm(); });
}

void AuthReload::reload_now() {
  asio::post(thread_, [this] {
    if (!stopped_) {
      check(true);
    }
  });
}

void AuthReload::stop() {
  asio::post(thread_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
  thread_.join();  // returns once the cancelled wait and any reload are done
}

void AuthReload::arm() {
  if (stopped_) {
    return;
  }
  timer_.expires_after(reloader_.store().check_interval());
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) {
      return;
    }
    check(false);
    arm();
  });
}

void AuthReload::check(bool forced) {
  auto done = reloader_.check(forced);
  if (!done) {
    return;
  }
  if (!*done) {
    spdlog::error("{} reload failed: {}; keeping the {} users loaded before",
                  reloader_.store().kind(), done->error().message, users_.size());
    return;
  }
  const auth::UserDb::Changes& changes = **done;
  std::size_t ended =
      sessions_.end_sessions_of(changes.removed, LiveSessions::Why::kAccountDeleted);
  ended += sessions_.end_sessions_of(changes.changed, LiveSessions::Why::kPasswordChanged);
  if (web_sessions_ != nullptr) {  // (counted apart: the connections above are sessions too)
    for (const auto* users : {&changes.removed, &changes.changed}) {
      for (const std::string& user : *users) {
        // (this thread may block: a database's table is called right here)
        if (auto ended = web_sessions_->end_user(user); !ended) {
          spdlog::warn("user={} browser sessions not ended: {}", user, ended.error().message);
        }
      }
    }
  }
  spdlog::info("{}", describe_reload(changes, forced, ended, reloader_.store().kind()));
}

}  // namespace sfs::server
